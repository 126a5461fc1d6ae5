"""Benchmark of the CSV enrolment import: preview and apply of a large file.

    python bench/import_bench.py [--database-url URL] [--rows 100000]

Builds a fresh database (a SQLite file in a temporary folder by default; with
--database-url, EVERY TABLE OF THAT DATABASE IS DROPPED first), fills it with users,
sessions, enrolments and a linked class, writes a file of --rows rows (adds, re-adds
of enrolled learners, removals, some by e-mail), then times:

- preview: read_csv + preview, what the upload request does;
- apply: read_csv + preview again + apply + commit, what the apply request does
  (the time of the writes alone is printed too), journal included: one head entry
  and one item per enrolment added, removed or changed.

With --welcome every session sends welcome messages: the apply queues them as one job
(portal.domain.welcome_jobs; more than notify.WELCOME_JOB_FROM enrolments), and the time
the worker then takes to write them is printed apart.

Peak memory is measured with tracemalloc in a separate pass (it slows Python down, so
the timed pass runs without it); the process's peak RSS is printed too. Goal: each
step under 3 s and under 300 MB for 100,000 rows.
"""

import argparse
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import event, func, insert, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from portal import create_app  # noqa: E402
from portal.domain import jobs  # noqa: E402
from portal.domain.csv_import import apply, preview, read_csv  # noqa: E402
from portal.domain.journal import Actor  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import (  # noqa: E402
    Base,
    ClassMembership,
    Enrolment,
    JournalEntry,
    OutboxMessage,
    SessionClass,
    TrainingSession,
    User,
    UserClass,
)

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
N_SESSIONS = 50
# The apply is journaled as a request would be: an admin, a request id, an address.
BY = Actor(1, "Bench Admin", "bench-request-0001", "127.0.0.1")
FILE_NAME = "bench.csv"


def build_world(rows: int, welcome: bool = False) -> None:
    """One user per row, N_SESSIONS sessions, 20% of the pairs enrolled, a class."""
    chunk = 20_000
    coach = User(username="coach", email="coach@example.org", role="teacher")
    db.session.add(coach)
    db.session.flush()
    for start in range(0, rows, chunk):
        db.session.execute(insert(User), [
            {"username": f"user{i}", "email": f"user{i}@example.org", "first_name": "",
             "last_name": "", "password_hash": "", "role": "learner", "active": i % 997 != 0,
             "created_at": NOW}
            for i in range(start, min(rows, start + chunk))
        ])
    db.session.execute(insert(TrainingSession), [
        {"name": f"Session {n:03d}", "coach_id": coach.id, "after_end_policy": "read_only",
         "description": "", "version": 1, "created_at": NOW, "updated_at": NOW,
         "welcome_message": welcome}
        for n in range(N_SESSIONS)
    ])
    users = dict(db.session.execute(select(User.username, User.id)).all())
    sessions = dict(db.session.execute(select(TrainingSession.name, TrainingSession.id)).all())
    enrolled = [{"session_id": sessions[_session(i)], "user_id": users[f"user{i}"],
                 "source": "individual", "direct": True, "enrolled_at": NOW,
                 "extension_days": 0}
                for i in range(rows) if i % 5 == 0]
    for start in range(0, len(enrolled), chunk):
        db.session.execute(insert(Enrolment), enrolled[start:start + chunk])
    team = UserClass(name="Bench class", description="", created_at=NOW)
    db.session.add(team)
    db.session.flush()
    members = [users[f"user{i}"] for i in range(0, rows, 50)]  # every 10th enrolled one
    db.session.execute(insert(ClassMembership), [
        {"class_id": team.id, "user_id": uid, "added_at": NOW} for uid in members])
    db.session.execute(insert(SessionClass), [
        {"session_id": sid, "class_id": team.id, "linked_at": NOW} for sid in sessions.values()])
    db.session.commit()


def _session(i: int) -> str:
    return f"Session {i % N_SESSIONS:03d}"


def build_file(rows: int) -> bytes:
    """Enrolled users (every 5th) half removed, half re-added; the others added."""
    lines = ["username;email;session;action"]
    for i in range(rows):
        user = f"user{i};" if i % 10 != 3 else f";user{i}@example.org"
        action = "remove" if i % 10 == 0 else "add"
        lines.append(f"{user};{_session(i).upper() if i % 7 == 0 else _session(i)};{action}")
    return ("\n".join(lines) + "\n").encode()


class Queries:
    def __init__(self):
        self.count = 0

    def __call__(self, *args):
        self.count += 1


def run(database_url: str, rows: int, welcome: bool = False) -> dict:
    """Build, time and print; returns the figures (bench/pages.py reports them)."""
    os.environ.setdefault("PORTAL_INSTANCE_PATH", tempfile.mkdtemp(prefix="bench-instance-"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench",
                      "TESTING": True})
    with app.app_context():
        engine = db.engine
        Base.metadata.drop_all(engine)
        Base.metadata.create_all(engine)
        started = time.perf_counter()
        build_world(rows, welcome)
        data = build_file(rows)
        print(f"database: {engine.dialect.name}; {rows:,} users, {N_SESSIONS} sessions; "
              f"file {len(data) / 1e6:.1f} MB, {rows:,} rows "
              f"(built in {time.perf_counter() - started:.1f} s)")
        queries = Queries()
        event.listen(engine, "before_cursor_execute", queries)

        # Pass 1, memory: tracemalloc peaks of each step; nothing is committed.
        tracemalloc.start()
        parsed = read_csv(data, session_required=True)
        result = preview(db.session, parsed)
        _, preview_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        del parsed, result
        parsed = read_csv(data, session_required=True)
        result = preview(db.session, parsed)
        apply(db.session, result, file_name=FILE_NAME, valid_rows_only=True, by=BY, now=NOW)
        _, apply_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        db.session.rollback()
        del parsed, result

        # Pass 2, time: as the two requests do it.
        before = queries.count
        started = time.perf_counter()
        parsed = read_csv(data, session_required=True)
        result = preview(db.session, parsed)
        preview_seconds = time.perf_counter() - started
        preview_queries = queries.count - before
        db.session.rollback()
        counts = {kind.value: n for kind, n in result.counts.items()}
        del parsed, result

        before = queries.count
        started, cpu_started = time.perf_counter(), time.process_time()
        parsed = read_csv(data, session_required=True)
        result = preview(db.session, parsed)
        writing = time.perf_counter()
        outcome = apply(db.session, result, file_name=FILE_NAME, valid_rows_only=True, by=BY,
                        now=NOW)
        db.session.commit()
        apply_seconds = time.perf_counter() - started
        # This process's CPU: on SQLite nearly all the apply costs, and less swayed than
        # the wall time by other load on the machine (PostgreSQL's own work is not in it).
        apply_cpu = time.process_time() - cpu_started
        write_seconds = time.perf_counter() - writing
        apply_queries = queries.count - before

        event.remove(engine, "before_cursor_execute", queries)
        total = db.session.scalar(select(func.count()).select_from(Enrolment))
        entries = db.session.scalar(select(func.count()).select_from(JournalEntry))
        queued = db.session.scalar(select(func.count()).select_from(OutboxMessage))
        # The welcome messages' job, as the worker runs it after the apply's commit.
        started = time.perf_counter()
        while jobs.run_due(db.session, now=NOW) is not None:
            pass
        job_seconds = time.perf_counter() - started
        written = db.session.scalar(select(func.count()).select_from(OutboxMessage)) - queued
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux

        print(f"preview rows: {counts}")
        print(f"applied: added {outcome.added:,} (made direct {outcome.made_direct:,}), "
              f"removed {outcome.removed:,}, kept by class {outcome.kept_by_class:,}, "
              f"unchanged {outcome.unchanged:,}, skipped errors {outcome.skipped_errors:,}; "
              f"{total:,} enrolments now; {entries:,} journal entries; "
              f"{queued:,} welcome messages queued")
        print(f"{'step':<8} {'rows':>8} {'seconds':>8} {'queries':>8} {'peak MB':>8}")
        print(f"{'preview':<8} {rows:>8,} {preview_seconds:>8.2f} {preview_queries:>8} "
              f"{preview_peak / 2**20:>8.1f}")
        print(f"{'apply':<8} {rows:>8,} {apply_seconds:>8.2f} {apply_queries:>8} "
              f"{apply_peak / 2**20:>8.1f}")
        print(f"(apply = re-read + re-validate {apply_seconds - write_seconds:.2f} s "
              f"+ write and commit {write_seconds:.2f} s; this process's CPU {apply_cpu:.2f} s)")
        if written:
            print(f"then the worker's job wrote {written:,} welcome messages in "
                  f"{job_seconds:.2f} s")
        print(f"process peak RSS (including building the data): {rss:.0f} MB")
        db.session.remove()
        engine.dispose()
        return {"rows": rows, "database": engine.dialect.name,
                "preview_seconds": preview_seconds, "preview_queries": preview_queries,
                "preview_peak_mb": preview_peak / 2**20, "apply_seconds": apply_seconds,
                "apply_queries": apply_queries, "apply_peak_mb": apply_peak / 2**20,
                "apply_cpu_seconds": apply_cpu,
                "rss_mb": rss, "welcome_messages": queued + written,
                "welcome_job_seconds": job_seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="default: a new SQLite file in a temp folder")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--welcome", action="store_true",
                        help="the sessions send welcome messages (queued by the apply)")
    args = parser.parse_args()
    if args.database_url:
        from portal.config import database_url_from_env

        run(database_url_from_env(args.database_url), args.rows, args.welcome)
        return
    with tempfile.TemporaryDirectory(prefix="import-bench-") as folder:
        run(f"sqlite:///{Path(folder) / 'bench.sqlite3'}", args.rows, args.welcome)


if __name__ == "__main__":
    main()
