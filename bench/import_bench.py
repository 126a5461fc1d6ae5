"""Benchmark of the CSV enrolment import: preview and apply of a large file.

    python bench/import_bench.py [--database-url URL] [--rows 100000]
    python bench/import_bench.py --scale-database-url URL [--rows 100000] [--in-place]

With --scale-database-url, on the full scale data (``flask --app portal scale-data``): the
database is COPIED first (SQLite: the file, through SQLite's backup; PostgreSQL: CREATE
DATABASE ... TEMPLATE, which needs nobody else connected to it), the import runs in the
copy and the copy is dropped, so URL stays as it was (--in-place: URL is itself a
throw-away copy; bench/pages.py --work-copy uses that). The file names 100 of the
generated sessions (welcome messages turned on in the copy) and their learners: adds of
learners not enrolled, re-adds and removals of enrolled ones, one row in ten by e-mail.
It goes through the same path as in production: scaleadmin uploads it (POST
/admin/import, test client), the worker runs the preview job, the admin applies it from the
job's page (POST /admin/import/apply) and the worker runs the apply job, then the welcome
messages' job; each step's time is its request plus its job. Peak memory is the
tracemalloc peak of the same domain calls in a first, rolled-back pass.

Without it:

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


def memory_peaks(db_session, data: bytes, by: Actor, now: datetime) -> tuple[int, int]:
    """The tracemalloc peaks (bytes) of the preview and of the apply of ``data``, through
    the domain calls the pages make, in a transaction rolled back after."""
    tracemalloc.start()
    try:
        parsed = read_csv(data, session_required=True)
        result = preview(db_session, parsed)
        _, preview_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        del parsed, result
        parsed = read_csv(data, session_required=True)
        result = preview(db_session, parsed)
        apply(db_session, result, file_name=FILE_NAME, valid_rows_only=True, by=by, now=now)
        _, apply_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        db_session.rollback()
    return preview_peak, apply_peak


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
        preview_peak, apply_peak = memory_peaks(db.session, data, BY, NOW)

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


# --- on the full scale data ----------------------------------------------------------


def copy_database(url: str) -> str:
    """A copy of the database at ``url`` (SQLite: a file next to a temp folder's; PostgreSQL:
    a database beside it, made from it as TEMPLATE); returns the copy's URL."""
    import sqlite3
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        target = Path(tempfile.mkdtemp(prefix="bench-copy-")) / "portal.sqlite3"
        source = sqlite3.connect(f"file:{parsed.database}?mode=ro", uri=True)
        copy = sqlite3.connect(target)
        with copy:
            source.backup(copy)  # a consistent copy, whatever the WAL holds
        source.close()
        copy.close()
        return parsed.set(database=str(target)).render_as_string(hide_password=False)
    name = f"{parsed.database}_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{parsed.database}"'))
    except Exception as error:
        raise SystemExit(f"Cannot copy {parsed.database} (CREATE DATABASE ... TEMPLATE needs "
                         f"nobody else connected to it): {error}") from error
    finally:
        admin.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    """Drop a copy made by copy_database."""
    import shutil

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        shutil.rmtree(Path(parsed.database).parent, ignore_errors=True)
        return
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    admin.dispose()


SCALE_SESSIONS = 100
SCALE_ADMIN = "scaleadmin"


def scale_file(db_session, rows: int) -> tuple[bytes, list[int]]:
    """``rows`` rows over 100 generated sessions: per session, a tenth removals and a tenth
    re-adds of its learners (as many as it has), the rest adds of learners it lacks; one
    row in ten names the learner by e-mail, one in seven the session in capitals."""
    from portal.tools.scale_data import BIG_SESSION, GRADING_SESSION

    sessions = db_session.execute(
        select(TrainingSession.id, TrainingSession.name)
        .where(TrainingSession.name.not_in([BIG_SESSION, GRADING_SESSION]))
        .order_by(TrainingSession.id).limit(SCALE_SESSIONS)).all()
    learners = list(db_session.execute(
        select(User.id, User.username, User.email).where(User.role == "learner", User.active)
        .order_by(User.id)).all())
    enrolled: dict[int, set[int]] = {}
    for sid, uid in db_session.execute(select(Enrolment.session_id, Enrolment.user_id)
                                       .where(Enrolment.session_id.in_([s.id for s in sessions]))):
        enrolled.setdefault(sid, set()).add(uid)
    by_id = {u.id: u for u in learners}
    per_session = -(-rows // len(sessions))
    lines, n = ["username;email;session;action"], 0
    for k, session in enumerate(sessions):
        mine = sorted(enrolled.get(session.id, ()))
        tenth = min(per_session // 10, len(mine) // 2)
        chosen = [(uid, "remove") for uid in mine[:tenth]]
        chosen += [(uid, "add") for uid in mine[tenth:2 * tenth]]
        step, start = 7919, k * 4099  # a spread of learners, different per session
        i = 0
        while len(chosen) < per_session and i < len(learners):
            uid = learners[(start + i * step) % len(learners)].id
            i += 1
            if uid not in enrolled.get(session.id, ()):
                chosen.append((uid, "add"))
        for uid, action in chosen:
            if n == rows:
                break
            user = by_id[uid]
            who = f";{user.email}" if n % 10 == 3 else f"{user.username};"
            name = session.name.upper() if n % 7 == 0 else session.name
            lines.append(f"{who};{name};{action}")
            n += 1
    return ("\n".join(lines) + "\n").encode(), [s.id for s in sessions]


def _form_value(html: bytes, name: str) -> str:
    import re

    found = re.search(rb'name="' + name.encode() + rb'"[^>]*value="([^"]*)"', html) or \
        re.search(rb'value="([^"]*)"[^>]*name="' + name.encode() + rb'"', html)
    return found.group(1).decode() if found else ""


def run_scale(database_url: str, rows: int, in_place: bool = False) -> dict:
    """The import on the scale data at ``database_url`` (in a copy unless ``in_place``)."""
    url = database_url if in_place else copy_database(database_url)
    try:
        return _run_scale(url, rows)
    finally:
        if not in_place:
            drop_database(url)


def _run_scale(database_url: str, rows: int) -> dict:
    import io

    from sqlalchemy import update

    from portal import clock
    from portal.models import Job
    from portal.tools.scale_data import PASSWORD

    os.environ.setdefault("PORTAL_INSTANCE_PATH", tempfile.mkdtemp(prefix="bench-instance-"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench-import",
                      "PROPAGATE_EXCEPTIONS": True, "RATELIMIT_ENABLED": False})
    client = app.test_client()
    with app.app_context():
        engine = db.engine
        started = time.perf_counter()
        data, session_ids = scale_file(db.session, rows)
        # Welcome messages on in the copy's sessions: the apply queues them as a job.
        db.session.execute(update(TrainingSession).where(TrainingSession.id.in_(session_ids))
                           .values(welcome_message=True))
        db.session.commit()
        before_total = db.session.scalar(select(func.count()).select_from(Enrolment))
        messages_before = db.session.scalar(select(func.count()).select_from(OutboxMessage))
        print(f"database: {engine.dialect.name}, scale data ({before_total:,} enrolments); "
              f"file {len(data) / 1e6:.1f} MB, {rows:,} rows over {len(session_ids)} sessions "
              f"(built in {time.perf_counter() - started:.1f} s)", flush=True)
        admin = db.session.scalar(select(User).where(User.username == SCALE_ADMIN))
        by = Actor(admin.id, admin.full_name, "bench-request-0001", "127.0.0.1")

        # Pass 1, memory: tracemalloc peaks of the same domain calls; rolled back.
        preview_peak, apply_peak = memory_peaks(db.session, data, by, clock.now())
        db.session.remove()

    def csrf(html: bytes) -> str:
        return _form_value(html, "csrf_token")

    login_page = client.get("/login").data
    answer = client.post("/login", data={"username": SCALE_ADMIN, "password": PASSWORD,
                                         "csrf_token": csrf(login_page)})
    if answer.status_code != 302:
        raise SystemExit(f"Cannot log in as {SCALE_ADMIN} (status {answer.status_code}).")
    token = csrf(client.get("/admin/import").data)
    queries = Queries()
    event.listen(engine, "before_cursor_execute", queries)

    def worker() -> int | None:
        """One due job run as the worker runs it."""
        with app.app_context():
            done = jobs.run_due(db.session, now=clock.now())
            db.session.remove()
            return done

    def last_job() -> int:
        """The latest import job (not the welcome messages' job an apply may queue)."""
        with app.app_context():
            found = db.session.scalar(select(func.max(Job.id)).where(
                Job.kind.in_([jobs.ENROLMENT_PREVIEW, jobs.ENROLMENT_APPLY])))
            db.session.remove()
            return found

    # Pass 2, time: the upload request and the preview job (a file of at most
    # jobs.JOB_ROWS rows is previewed and applied in the requests themselves).
    first_job = last_job() or 0
    before, started = queries.count, time.perf_counter()
    answer = client.post("/admin/import", data={
        "csrf_token": token, "file": (io.BytesIO(data), FILE_NAME)},
        content_type="multipart/form-data")
    if answer.status_code not in (200, 302, 303):
        raise SystemExit(f"The upload answered {answer.status_code}")
    preview_job = last_job() or 0
    if preview_job > first_job and worker() != preview_job:
        raise SystemExit("The preview job did not run.")
    preview_seconds = time.perf_counter() - started
    preview_queries = queries.count - before
    page = client.get(f"/admin/import/jobs/{preview_job}").data if preview_job > first_job \
        else answer.data
    apply_form = {"csrf_token": csrf(page), "token": _form_value(page, "token"),
                  "signature": _form_value(page, "signature"), "valid_rows_only": "y",
                  "create_accounts": _form_value(page, "create_accounts")}
    if not apply_form["token"]:
        raise SystemExit("The preview offers no apply.")

    # The apply request and the apply job.
    before, started = queries.count, time.perf_counter()
    answer = client.post("/admin/import/apply", data=apply_form)
    if answer.status_code not in (200, 302, 303):
        raise SystemExit(f"The apply answered {answer.status_code}")
    apply_job = last_job() or 0
    if apply_job > preview_job and worker() != apply_job:
        raise SystemExit("The apply job did not run.")
    apply_seconds = time.perf_counter() - started
    apply_queries = queries.count - before
    as_job = apply_job > preview_job
    result_page = client.get(f"/admin/import/jobs/{apply_job}") if as_job else answer
    event.remove(engine, "before_cursor_execute", queries)

    # The welcome messages' job, as the worker runs it after the apply.
    started = time.perf_counter()
    while worker() is not None:
        pass
    job_seconds = time.perf_counter() - started
    with app.app_context():
        if as_job:
            job = db.session.get(Job, apply_job)
            if job.status != "done":
                raise SystemExit(f"The apply job ended {job.status}: {job.error}")
            outcome = jobs.stored_outcome(job.result["outcome"])
        total = db.session.scalar(select(func.count()).select_from(Enrolment))
        entries = db.session.scalar(select(func.count()).select_from(JournalEntry))
        messages = db.session.scalar(
            select(func.count()).select_from(OutboxMessage)) - messages_before
        db.session.remove()
    changed = (f"added {outcome.added:,}, removed {outcome.removed:,}, unchanged "
               f"{outcome.unchanged:,}" if as_job
               else f"applied in the request, {total - before_total:+,} enrolments")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"applied: {changed}; {total:,} enrolments now; {entries:,} journal entries; "
          f"{messages:,} new messages in the outbox (result page {result_page.status_code})")
    print(f"{'step':<8} {'rows':>8} {'seconds':>8} {'queries':>8} {'peak MB':>8}")
    print(f"{'preview':<8} {rows:>8,} {preview_seconds:>8.2f} {preview_queries:>8} "
          f"{preview_peak / 2**20:>8.1f}")
    print(f"{'apply':<8} {rows:>8,} {apply_seconds:>8.2f} {apply_queries:>8} "
          f"{apply_peak / 2**20:>8.1f}")
    print(f"(each step: its request + its job in the worker; then the welcome job wrote "
          f"the messages in {job_seconds:.2f} s)")
    print(f"process peak RSS: {rss:.0f} MB", flush=True)
    engine.dispose()
    return {"rows": rows, "database": f"{engine.dialect.name}, full scale data (a copy)",
            "preview_seconds": preview_seconds, "preview_queries": preview_queries,
            "preview_peak_mb": preview_peak / 2**20, "apply_seconds": apply_seconds,
            "apply_queries": apply_queries, "apply_peak_mb": apply_peak / 2**20,
            "rss_mb": rss, "welcome_messages": messages, "welcome_job_seconds": job_seconds,
            "note": (f"through the upload and apply requests and their worker jobs; {changed}; "
                     f"the welcome job then wrote {messages:,} messages in "
                     f"{job_seconds:.2f} s")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="default: a new SQLite file in a temp folder")
    parser.add_argument("--scale-database-url",
                        help="run on the scale data there, in a copy (see above)")
    parser.add_argument("--in-place", action="store_true",
                        help="with --scale-database-url: it is a throw-away copy already")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--welcome", action="store_true",
                        help="the sessions send welcome messages (queued by the apply)")
    args = parser.parse_args()
    if args.scale_database_url:
        from portal.config import database_url_from_env

        run_scale(database_url_from_env(args.scale_database_url), args.rows, args.in_place)
        return
    if args.database_url:
        from portal.config import database_url_from_env

        run(database_url_from_env(args.database_url), args.rows, args.welcome)
        return
    with tempfile.TemporaryDirectory(prefix="import-bench-") as folder:
        run(f"sqlite:///{Path(folder) / 'bench.sqlite3'}", args.rows, args.welcome)


if __name__ == "__main__":
    main()
