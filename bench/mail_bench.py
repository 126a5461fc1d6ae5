"""Benchmark of messages: queueing welcomes for a big class, and the worker's delivery rate.

    python bench/mail_bench.py [--database-url URL] [--members 5000]

Builds a fresh database (a SQLite file in a temporary folder by default; with
--database-url, EVERY TABLE OF THAT DATABASE IS DROPPED first) with a session that sends
welcome messages and a class of --members people, then times:

- linking the class: the enrolments, their journal and their welcome messages, queued in
  one transaction (the messages with one INSERT … SELECT);
- delivering them: `flask --app portal worker --drain` as its own process, against an
  SMTP server on loopback (aiosmtpd, in this process); each message is rendered for its
  recipient (zone, courses, invitation) and handed over on one connection per batch.

Prints messages per second and the worker's peak RSS. Goal: at least 200 messages a
second, memory flat (the same peak for 1,000 and for 5,000 messages).
"""

import argparse
import os
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from aiosmtpd.controller import Controller
from sqlalchemy import func, insert, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from portal import create_app  # noqa: E402
from portal.domain import enrolment  # noqa: E402
from portal.domain.journal import SYSTEM  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import (  # noqa: E402
    Base,
    ClassMembership,
    Course,
    OutboxMessage,
    SessionCourse,
    TrainingSession,
    User,
    UserClass,
)

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


class Counter:
    def __init__(self):
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
        return "250 OK"


def build(members: int) -> int:
    coach = User(username="coach", email="coach@example.org", role="teacher",
                 first_name="Cora", last_name="Coach")
    db.session.add(coach)
    db.session.flush()
    db.session.execute(insert(User), [
        {"username": f"user{i}", "email": f"user{i}@example.org", "first_name": f"User{i}",
         "last_name": "Bench", "password_hash": "", "role": "learner", "active": True,
         "created_at": NOW, "timezone": ("Europe/Paris", "America/New_York", None)[i % 3]}
        for i in range(members)])
    session = TrainingSession(name="Big class session", coach_id=coach.id, welcome_message=True,
                              access_start=datetime(2027, 1, 4, 8, tzinfo=UTC),
                              access_end=datetime(2027, 3, 1, 23, tzinfo=UTC))
    team = UserClass(name="Everyone", description="", created_at=NOW)
    courses = [Course(code=f"BIG-{n}", title=f"Course {n}") for n in range(3)]
    db.session.add_all([session, team, *courses])
    db.session.flush()
    db.session.add_all([SessionCourse(session_id=session.id, course_id=c.id, position=n)
                        for n, c in enumerate(courses)])
    ids = db.session.scalars(select(User.id).where(User.role == "learner")).all()
    db.session.execute(insert(ClassMembership), [
        {"class_id": team.id, "user_id": uid, "added_at": NOW} for uid in ids])
    db.session.commit()
    return session.id, team.id


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run(database_url: str, members: int) -> dict:
    instance = tempfile.mkdtemp(prefix="bench-instance-")
    os.environ["PORTAL_INSTANCE_PATH"] = instance
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench"})
    with app.app_context():
        Base.metadata.drop_all(db.engine)
        Base.metadata.create_all(db.engine)
        session_id, class_id = build(members)
        started = time.perf_counter()
        enrolment.link_class(db.session, session_id, class_id, by=SYSTEM, now=NOW)
        db.session.commit()
        queue_seconds = time.perf_counter() - started
        queued = db.session.scalar(select(func.count()).select_from(OutboxMessage))
        db.session.remove()
        db.engine.dispose()
    counter = Counter()
    controller = Controller(counter, hostname="127.0.0.1", port=free_port())
    controller.start()
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "bench",
           "SMTP_URL": f"smtp://127.0.0.1:{controller.port}"}
    started = time.perf_counter()
    result = subprocess.run([sys.executable,  # noqa: S603 - a fixed command line
                             "-m", "flask", "--app", "portal", "worker",
                             "--drain", "--now", NOW.isoformat()], env=env, cwd=ROOT,
                            capture_output=True, text=True)
    deliver_seconds = time.perf_counter() - started
    controller.stop()
    if result.returncode != 0:
        sys.exit(result.stderr)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    rss = usage.ru_maxrss / 1024
    # The worker's own CPU per message: less swayed than the rate by other load on the machine.
    cpu_ms = (usage.ru_utime + usage.ru_stime) * 1000 / max(counter.count, 1)
    rate = counter.count / deliver_seconds
    print(f"database: {database_url.partition(':')[0]}; class of {members:,} linked: "
          f"{queued:,} welcome messages queued with the enrolments in {queue_seconds:.2f} s")
    print(f"worker: {counter.count:,} messages delivered in {deliver_seconds:.2f} s "
          f"(process start included): {rate:.0f} messages a second; peak RSS {rss:.0f} MB; "
          f"worker CPU {cpu_ms:.2f} ms a message")
    return {"members": members, "queue_seconds": queue_seconds, "delivered": counter.count,
            "deliver_seconds": deliver_seconds, "rate": rate, "rss_mb": rss, "cpu_ms": cpu_ms}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="default: a new SQLite file in a temp folder")
    parser.add_argument("--members", type=int, default=5000)
    args = parser.parse_args()
    if args.database_url:
        from portal.config import database_url_from_env

        run(database_url_from_env(args.database_url), args.members)
        return
    with tempfile.TemporaryDirectory(prefix="mail-bench-") as folder:
        run(f"sqlite:///{Path(folder) / 'bench.sqlite3'}", args.members)


if __name__ == "__main__":
    main()
