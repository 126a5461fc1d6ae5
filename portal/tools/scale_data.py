"""A large, seeded data set for measuring the portal at the size of a big training department.

``flask --app portal scale-data`` builds it into an EMPTY database (after ``db upgrade``):
10,000 sessions, 300 courses, 50,000 users, 1,000 classes, 1,000,000 enrolments,
200,000 submissions and grades, 2,000,000 access events (``--factor`` scales all of it).
Special rows the benchmark looks for:

* user ``learner300``: enrolled in 300 sessions;
* session ``Scale: 5000 learners``: 5,000 learners;
* session ``Scale: grading 2000``: 2,000 learners who handed in 5 assignments each,
  learner access ended last week, coach window still open (coach ``scalecoach``);
* user ``scaleadmin``: an administrator (password ``scale-admin-2026``, like every scale user).

Rows go in with the driver's bulk paths (COPY on PostgreSQL, executemany on SQLite),
bypassing the ORM: the ORM would spend minutes building objects nobody reads.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from ..domain.passwords import hash_password

PASSWORD = "scale-admin-2026"  # noqa: S105 - published benchmark data, not a secret
BIG_SESSION = "Scale: 5000 learners"
GRADING_SESSION = "Scale: grading 2000"
BUSY_LEARNER = "learner300"

FULL = {
    "categories": 40, "courses": 300, "users": 50_000, "classes": 1_000, "sessions": 10_000,
    "enrolments": 1_000_000, "submissions": 200_000, "events": 2_000_000,
    "messages": 200_000,
}


@dataclass(frozen=True)
class Plan:
    categories: int
    courses: int
    users: int
    classes: int
    sessions: int
    enrolments: int
    submissions: int
    events: int
    messages: int
    big_session: int
    grading_learners: int
    busy_sessions: int

    @classmethod
    def scaled(cls, factor: float) -> Plan:
        n = {k: max(int(v * factor), 1) for k, v in FULL.items()}
        users = max(n["users"], 60)
        sessions = max(n["sessions"], 12)
        return cls(
            categories=max(n["categories"], 2), courses=max(n["courses"], 8), users=users,
            classes=max(n["classes"], 2), sessions=sessions,
            enrolments=max(n["enrolments"], 200), submissions=max(n["submissions"], 50),
            events=max(n["events"], 200), messages=max(n["messages"], 100),
            big_session=min(5_000, users - 10), grading_learners=min(2_000, users - 10),
            busy_sessions=min(300, sessions - 2),
        )


def _stamp(dialect: str) -> Callable[[datetime | None], object]:
    """How a UTC datetime is written by the bulk path, matching the UTCDateTime column."""
    if dialect == "sqlite":
        return lambda d: d.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f") if d else None
    return lambda d: d.astimezone(UTC).replace(tzinfo=None) if d else None


def _bulk(conn, table: str, columns: Sequence[str], rows: Iterable[tuple], batch=50_000) -> int:
    """Insert ``rows`` fast: COPY on PostgreSQL, executemany batches on SQLite."""
    dbapi = conn.connection.driver_connection
    count = 0
    quoted = ", ".join(f'"{c}"' for c in columns)
    if conn.dialect.name == "postgresql":
        with dbapi.cursor() as cursor, cursor.copy(
            f'COPY "{table}" ({quoted}) FROM STDIN'
        ) as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
        return count
    # Table and column names come from this module's own constants, never from input.
    sql = f'INSERT INTO "{table}" ({quoted}) VALUES ({", ".join("?" * len(columns))})'  # noqa: S608
    cursor = dbapi.cursor()
    chunk: list[tuple] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= batch:
            cursor.executemany(sql, chunk)
            count += len(chunk)
            chunk.clear()
    if chunk:
        cursor.executemany(sql, chunk)
        count += len(chunk)
    return count


def _fix_sequences(conn, tables: Iterable[str]) -> None:
    """COPY with explicit ids leaves PostgreSQL's sequences behind; move them on."""
    if conn.dialect.name != "postgresql":
        return
    for table in tables:  # table names are this module's constants
        statement = (f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "  # noqa: S608
                     f"COALESCE((SELECT MAX(id) FROM \"{table}\"), 1))")
        conn.execute(text(statement))


def generate(engine, now: datetime, factor: float = 1.0, seed: int = 2026,
             progress: Callable[[str, int], None] | None = None) -> dict[str, int]:
    """Fill an empty database. Returns the number of rows written per table."""
    plan = Plan.scaled(factor)
    rng = random.Random(seed)
    say = progress or (lambda step, n: None)
    counts: dict[str, int] = {}
    password_hash = hash_password(PASSWORD)
    with engine.begin() as conn:
        if conn.execute(text('SELECT COUNT(*) FROM "user"')).scalar():
            raise RuntimeError("scale-data needs an empty database (run it after db upgrade)")
        stamp = _stamp(conn.dialect.name)
        if conn.dialect.name == "sqlite":
            # A throw-away bulk load: skip fsyncs and checks; the rows are generated valid.
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.exec_driver_sql("PRAGMA synchronous=OFF")
            conn.exec_driver_sql("PRAGMA cache_size=-400000")
            conn.exec_driver_sql("PRAGMA temp_store=MEMORY")
        step = _Steps(conn, counts, say)

        step.run("session_category", ("id", "name"),
                 ((i, f"Category {i:02d}") for i in range(1, plan.categories + 1)))
        step.run("course", ("id", "code", "title", "description"),
                 ((i, f"C{i:04d}", f"Course {i:04d}", "Generated course.")
                  for i in range(1, plan.courses + 1)))
        assignments_of: dict[int, list[tuple[int, int]]] = {}
        assignment_rows = []
        next_id = 1
        for course_id in range(1, plan.courses + 1):
            for position in range(rng.randint(1, 5) if course_id > 1 else 5):
                max_score = rng.choice((10, 20, 100))
                assignment_rows.append((next_id, course_id, f"Task {position + 1}", "", max_score,
                                        position))
                assignments_of.setdefault(course_id, []).append((next_id, max_score))
                next_id += 1
        step.run("assignment", ("id", "course_id", "title", "instructions", "max_score",
                                "position"), assignment_rows)

        teachers = max(plan.users // 50, 5)
        created = stamp(now)

        def users() -> Iterator[tuple]:
            yield (1, "scaleadmin", "scaleadmin@example.org", "Scale", "Admin", password_hash,
                   "admin", True, None, None, created, None)
            yield (2, "scalecoach", "scalecoach@example.org", "Scale", "Coach", password_hash,
                   "teacher", True, None, None, created, None)
            yield (3, BUSY_LEARNER, f"{BUSY_LEARNER}@example.org", "Busy", "Learner",
                   password_hash, "learner", True, None, None, created, None)
            for i in range(4, plan.users + 1):
                role = "teacher" if i <= teachers else "learner"
                yield (i, f"user{i:05d}", f"user{i:05d}@example.org", f"First{i % 977}",
                       f"Last{i % 1009}", password_hash, role, True, None, None, created, None)

        step.run("user", ("id", "username", "email", "first_name", "last_name", "password_hash",
                          "role", "active", "timezone", "calendar_token", "created_at",
                          "last_login_at"), users())
        learner_ids = range(teachers + 1, plan.users + 1)
        teacher_ids = [2, *range(4, teachers + 1)]

        step.run("user_class", ("id", "name", "description", "created_at"),
                 ((i, f"Class {i:04d}", "", created) for i in range(1, plan.classes + 1)))
        step.run("class_membership", ("class_id", "user_id", "added_at"),
                 ((c, u, created) for c in range(1, plan.classes + 1)
                  for u in rng.sample(learner_ids, min(rng.randint(10, 30), len(learner_ids)))))

        # Sessions: access windows spread from two years ago to six months ahead.
        windows: dict[int, tuple[datetime, datetime]] = {}
        session_rows = []
        for sid in range(1, plan.sessions + 1):
            if sid == 1:
                name, start, length = BIG_SESSION, now - timedelta(days=20), 60
            elif sid == 2:
                name, start, length = GRADING_SESSION, now - timedelta(days=67), 60
            else:
                name = f"Session {sid:05d}"
                start = now + timedelta(days=rng.randint(-720, 180), hours=rng.randint(0, 23))
                length = rng.randint(7, 120)
            end = start + timedelta(days=length)
            windows[sid] = (start, end)
            session_rows.append((
                sid, name, "", rng.randint(1, plan.categories), 2 if sid <= 2 else
                rng.choice(teacher_ids), "read_only" if rng.random() < 0.8 else
                rng.choice(("open", "closed")),
                stamp(start - timedelta(days=14)), stamp(end + timedelta(days=60)),
                stamp(start), stamp(end), stamp(start - timedelta(days=7)),
                stamp(end + timedelta(days=21)), None, 1, created, created,
            ))
        step.run("training_session", (
            "id", "name", "description", "category_id", "coach_id", "after_end_policy",
            "display_start", "display_end", "access_start", "access_end", "coach_start",
            "coach_end", "duration_days", "version", "created_at", "updated_at"), session_rows)

        courses_of: dict[int, list[int]] = {}
        for sid in range(1, plan.sessions + 1):
            chosen = [1] if sid == 2 else rng.sample(range(1, plan.courses + 1), rng.randint(1, 8))
            courses_of[sid] = chosen
        step.run("session_course", ("id", "session_id", "course_id", "position"),
                 ((n, sid, cid, pos) for n, (sid, cid, pos) in enumerate(
                     ((sid, cid, pos) for sid, cids in courses_of.items()
                      for pos, cid in enumerate(cids)), start=1)))
        step.run("session_course_coach", ("session_id", "course_id", "user_id"),
                 ((sid, cid, rng.choice(teacher_ids)) for sid, cids in courses_of.items()
                  for cid in cids))

        # Enrolments: the special ones first, the rest spread at random.
        pairs: dict[int, list[int]] = {
            1: rng.sample(learner_ids, min(plan.big_session, len(learner_ids))),
            2: rng.sample(learner_ids, min(plan.grading_learners, len(learner_ids))),
        }
        for sid in rng.sample(range(3, plan.sessions + 1), plan.busy_sessions):
            pairs.setdefault(sid, []).append(3)
        remaining = plan.enrolments - sum(len(v) for v in pairs.values())
        per_session = max(remaining // max(plan.sessions - 2, 1), 1)
        for sid in range(3, plan.sessions + 1):
            if remaining <= 0:
                break
            size = min(rng.randint(per_session // 2, per_session * 3 // 2 + 1), remaining,
                       len(learner_ids))
            taken = set(pairs.get(sid, []))
            fresh = [u for u in rng.sample(learner_ids, size) if u not in taken]
            pairs.setdefault(sid, []).extend(fresh)
            remaining -= len(fresh)

        def enrolment_rows() -> Iterator[tuple]:
            n = 0
            for sid, uids in pairs.items():
                enrolled = stamp(windows[sid][0] - timedelta(days=10))
                for uid in uids:
                    n += 1
                    yield (n, sid, uid, "individual", True, enrolled, None, None, 0)

        step.run("enrolment", ("id", "session_id", "user_id", "source", "direct", "enrolled_at",
                               "first_access_at", "last_access_at", "extension_days"),
                 enrolment_rows())

        # Submissions: every grading-session learner hands in the 5 tasks of course 1.
        submission_rows, grade_rows = [], []
        seen: set[tuple[int, int, int]] = set()

        def hand_in(sid: int, uid: int, aid: int, max_score: int, graded: bool) -> None:
            if (sid, aid, uid) in seen:
                return
            seen.add((sid, aid, uid))
            start, end = windows[sid]
            at = start + (min(end, now) - start) * rng.random()
            sub_id = len(submission_rows) + 1
            submission_rows.append((sub_id, sid, aid, uid, "Generated answer.", None, None,
                                    None, stamp(at)))
            if graded:
                grade_rows.append((sub_id, round(rng.uniform(0, max_score), 1), "", 2,
                                   stamp(at + timedelta(days=2))))

        for uid in pairs[2]:
            for aid, max_score in assignments_of[1][:5]:
                hand_in(2, uid, aid, max_score, graded=rng.random() < 0.5)
        started = [sid for sid in pairs if windows[sid][0] < now and sid != 2]
        while len(submission_rows) < plan.submissions and started:
            sid = rng.choice(started)
            cid = rng.choice(courses_of[sid])
            aid, max_score = rng.choice(assignments_of[cid])
            hand_in(sid, rng.choice(pairs[sid]), aid, max_score, graded=rng.random() < 0.7)
        step.run("submission", ("id", "session_id", "assignment_id", "user_id", "answer",
                                "file_name", "file_key", "file_size", "submitted_at"),
                 submission_rows)
        grade_rows = [(n, *row) for n, row in enumerate(grade_rows, start=1)]
        step.run("grade", ("id", "submission_id", "score", "feedback", "grader_id", "graded_at"),
                 grade_rows)

        enrolled_sessions = [sid for sid in pairs if windows[sid][0] < now]

        def events() -> Iterator[tuple]:
            for n in range(1, plan.events + 1):
                sid = rng.choice(enrolled_sessions)
                start, end = windows[sid]
                at = start + (min(end, now) - start) * rng.random()
                cids = courses_of[sid]
                yield (n, rng.choice(pairs[sid]), sid,
                       rng.choice(cids) if rng.random() < 0.7 else None, stamp(at))

        step.run("access_event", ("id", "user_id", "session_id", "course_id", "at"), events())
        say("enrolment access dates", 0)
        conn.execute(text(
            "UPDATE enrolment SET "
            "first_access_at = (SELECT MIN(at) FROM access_event a WHERE "
            "a.session_id = enrolment.session_id AND a.user_id = enrolment.user_id), "
            "last_access_at = (SELECT MAX(at) FROM access_event a WHERE "
            "a.session_id = enrolment.session_id AND a.user_id = enrolment.user_id)"
        ))
        say("journal and messages", 0)
        counts.update(add_history(conn, now, plan.messages))
        _fix_sequences(conn, ("session_category", "course", "assignment", "user", "user_class",
                              "training_session", "session_course", "enrolment", "submission",
                              "grade", "access_event", "journal_entry", "outbox_message"))
    if engine.dialect.name == "sqlite":
        # The pragmas above stay on the pooled connection (a PRAGMA foreign_keys
        # inside the transaction, as the ON was here, does nothing): drop it, so no
        # later delete runs without its cascades.
        engine.dispose()
    _analyze(engine)
    return counts


def _analyze(engine) -> None:
    if engine.dialect.name == "sqlite":
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    else:
        # VACUUM too: the visibility map lets PostgreSQL answer counts from indexes
        # alone, as it will once autovacuum has passed on a real database.
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(
                text("VACUUM ANALYZE"))


# The history of the data, written set-based from the rows above (INSERT … SELECT): the
# admin created every session, then enrolled its learners by an import of one file per
# session (a head entry and one item per learner, as the enrolment import writes them),
# and each of the first ``messages`` enrolments got its welcome message. Ids are fixed
# so that each item can name its head: entry ``sid`` creates session sid, ``HEADS + sid``
# is its import's head, ``ITEMS + enrolment id`` an item.
HEADS, ITEMS = 100_000, 200_000
_ENTRY_COLUMNS = ("id, at, actor_id, actor_name, request_id, address, object_type, action, "
                  "object_id, object_label, session_id, session_label, learner_id, "
                  "learner_label, parent_id, before, after")
_FILE = "'session-' || s.id || '.csv'"
_HOW = "'{\"how\": \"import\", \"file\": \"' || " + _FILE + " || '\"}'"
_COUNTS = ("'{\"added\": ' || COUNT(*) || ', \"removed\": 0, \"changed\": 0, "
           "\"how\": \"import\", \"file\": \"' || " + _FILE + " || '\"}'")


# When a welcome went out: at its enrolment, or yesterday (:sent_at) if that is later.
_AT = "CASE WHEN e.enrolled_at < :sent_at THEN e.enrolled_at ELSE :sent_at END"


def _json(conn, sql: str) -> str:
    """``sql`` (text holding JSON) as the JSON column takes it."""
    return sql if conn.dialect.name == "sqlite" else f"CAST({sql} AS JSON)"


def _journal(conn) -> int:
    """The journal entries of the data's history; the entries carry the rows' own times."""
    # Table and column names are this module's constants; no value comes from input.
    statements = (
        f"""INSERT INTO journal_entry ({_ENTRY_COLUMNS})
SELECT s.id, s.created_at, 1, 'Scale Admin', 'scale-' || s.id, '127.0.0.1', 'session',
 'create', s.id, s.name, s.id, s.name, NULL, '', NULL, NULL, NULL
FROM training_session AS s""",  # noqa: S608
        f"""INSERT INTO journal_entry ({_ENTRY_COLUMNS})
SELECT {HEADS} + s.id, MIN(e.enrolled_at), 1, 'Scale Admin', 'scale-import-' || s.id,
 '127.0.0.1', 'enrolments', 'change', NULL, '', s.id, s.name, NULL, '', NULL, NULL,
 {_json(conn, _COUNTS)}
FROM training_session AS s JOIN enrolment AS e ON e.session_id = s.id
GROUP BY s.id, s.name""",  # noqa: S608
        f"""INSERT INTO journal_entry ({_ENTRY_COLUMNS})
SELECT {ITEMS} + e.id, e.enrolled_at, 1, 'Scale Admin', 'scale-import-' || s.id, '127.0.0.1',
 'enrolment', 'add', NULL, '', s.id, s.name, u.id, u.first_name || ' ' || u.last_name,
 {HEADS} + s.id, NULL, {_json(conn, _HOW)}
FROM enrolment AS e JOIN training_session AS s ON s.id = e.session_id
 JOIN "user" AS u ON u.id = e.user_id""",  # noqa: S608
    )
    return sum(conn.execute(text(statement)).rowcount for statement in statements)


def _messages(conn, now: datetime, messages: int) -> int:
    """Welcome messages of the first ``messages`` enrolments, as the worker left them:
    sent, one in a hundred refused by the mail server, one cancelled; each went out when
    its learner was enrolled, or yesterday for an enrolment ahead of today."""
    statement = f"""INSERT INTO outbox_message (id, kind, user_id, session_id, idempotency_key,
 message_id, payload, to_address, subject, text_body, html_body, rendered_at, ics, status,
 tries, next_try_at, claimed_until, last_error, created_at, sent_at)
SELECT e.id, 'welcome', u.id, s.id, 'welcome:' || e.id, '<welcome.' || e.id || '@example.org>',
 NULL, u.email, 'Welcome to ' || s.name,
 'Hello ' || u.first_name || ', you are enrolled in ' || s.name || '.',
 '<p>Hello ' || u.first_name || ', you are enrolled in ' || s.name || '.</p>',
 {_AT}, NULL,
 CASE WHEN e.id % 100 = 0 THEN 'failed' WHEN e.id % 100 = 1 THEN 'cancelled' ELSE 'sent' END,
 1, {_AT}, NULL,
 CASE WHEN e.id % 100 = 0 THEN '550 5.1.1 mailbox unavailable' ELSE '' END,
 {_AT}, CASE WHEN e.id % 100 > 1 THEN {_AT} END
FROM enrolment AS e JOIN training_session AS s ON s.id = e.session_id
 JOIN "user" AS u ON u.id = e.user_id
WHERE e.id <= :messages"""  # noqa: S608 - this module's constants; values bound
    sent_at = _stamp(conn.dialect.name)(now - timedelta(days=1))
    return conn.execute(text(statement), {"sent_at": sent_at, "messages": messages}).rowcount


def add_history(conn, now: datetime, messages: int) -> dict[str, int]:
    """Write the journal and the messages of the data's history."""
    return {"journal_entry": _journal(conn), "outbox_message": _messages(conn, now, messages)}


def add_missing_history(engine, now: datetime, factor: float = 1.0) -> dict[str, int]:
    """The journal and messages, added to scale data generated before they were part of
    it (``flask scale-data --history``)."""
    with engine.begin() as conn:
        if not conn.execute(text("SELECT COUNT(*) FROM training_session")).scalar():
            raise RuntimeError("no scale data here: run scale-data first")
        if conn.execute(text("SELECT COUNT(*) FROM outbox_message")).scalar():
            raise RuntimeError("this data has its history already")
        # Entries of logins to the data (the benchmark's) are kept; ids go above them.
        conn.execute(text(f"UPDATE journal_entry SET id = id + {ITEMS} + 2000000 "  # noqa: S608
                          f"WHERE id < {ITEMS} + 2000000"))
        counts = add_history(conn, now, Plan.scaled(factor).messages)
        _fix_sequences(conn, ("journal_entry", "outbox_message"))
    _analyze(engine)
    return counts


class _Steps:
    """Runs one bulk insert per table and reports progress."""

    def __init__(self, conn, counts, say):
        self.conn, self.counts, self.say = conn, counts, say

    def run(self, table, columns, rows):
        self.say(table, 0)
        self.counts[table] = _bulk(self.conn, table, columns, rows)
        self.say(table, self.counts[table])
