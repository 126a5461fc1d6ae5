"""Benchmark of every page of the portal on the scale data set (portal/tools/scale_data.py).

    python bench/pages.py --database-url URL [--work-copy] [--repeat 40] [--warmup 5]
                          [--only NAME ...] [--show-sql] [--explain MS] [--profile] [--bounds]
                          [--import-rows 100000 | --no-import] [--output bench/RESULTS.md]

URL is a database filled by ``flask --app portal scale-data`` (any ``--factor``), e.g.
``sqlite:////tmp/scale-sqlite/portal.sqlite3`` or
``postgresql+psycopg://postgres@127.0.0.1:5432/portal_scale``. ``make bench`` runs this with
--work-copy on a database it generates when missing (see the Makefile and the README).

The pages (scenarios()) are every page and fragment a user reaches, each opened by the
user who would open it (``scaleadmin``, ``learner300``, ``scalecoach``, password
``scale-admin-2026``; the API's lists with a bearer token of scaleadmin's, made for the run
and deleted after): each list at its first and last page, its searches, filters and sorts;
a session's overview with its fragments and tabs (learners, detail rows, History, Access);
the reference pages, History, the Outbox, the imports; the coach's tabs, grading and
tracking (charts, filters, last page); the learner's pages, calendar and profile; the
exports (CSV with their own goals, workbooks without). Through Flask's test client in
this process:

* ``--warmup`` requests, then ``--repeat`` timed ones: median and 95th percentile of the
  server time (the WSGI call and the body read, no network), and the number of SQL
  statements;
* the same statements, captured from one request, replayed ``--repeat`` times through the
  bare database driver (``engine.raw_connection()``, rows fetched, writes rolled back):
  the ratio page time / raw SQL time shows what the ORM, Python and templates add.

Logins write their login record and the coach's and learner's page views their access
events, as in production: at URL itself unless --work-copy, which measures in a copy of
URL (SQLite's backup of the file; on PostgreSQL CREATE DATABASE ... TEMPLATE, which needs
nobody else connected to URL), dropped at the end. With --work-copy the CSV import runs
in the copy first, so History, the Outbox and the import's job pages also show what a
100,000-row import leaves (its journal entries, its welcome messages, its jobs), beside
the history the scale data comes with (1,020,000 journal entries, 200,000 messages); the
import job's page is left out without it.

The CSV import (bench/import_bench.py, ``--import-rows`` rows, unless --no-import) runs on
the scale data through the upload and apply requests and their worker jobs, in a process
of its own (its peak RSS is its own) and in a copy of URL (the work copy with --work-copy).

To find out why a page is slow: ``--show-sql`` prints each statement with its own time
through the driver, ``--explain MS`` adds the plan of those slower than MS (EXPLAIN QUERY
PLAN on SQLite, EXPLAIN ANALYZE on PostgreSQL), ``--profile`` prints a pyinstrument profile
of 20 requests instead of measuring; combine with ``--only``. ``--bounds`` (``make bench``
passes it) writes all of that for every page that missed its goal, after the run, to
``bench/BOUNDS-sqlite.md`` or ``bench/BOUNDS-postgresql.md``.

The figures are printed and written to ``--output`` as a Markdown table, in a section of its
own per database kind, so runs on SQLite and on PostgreSQL sit side by side; what misses its
goal is listed at the end of both, with its raw SQL time. Goals (from the scale issue):
every page and fragment median < 30 ms and p95 < 60 ms, with a fixed number of queries (one
count on every request here; the same count at two sizes: tests/test_scale.py); the
sessions CSV median < 100 ms, the tracking CSV < 60 ms, workbooks none; import preview and
apply < 3 s and < 300 MB each. The machine is shared and timings are noisy: run it twice
and compare.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import multiprocessing
import os
import platform
import re
import signal
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlalchemy import event, func, select
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import import_bench  # noqa: E402

from portal import clock, create_app  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import SessionCategory, TrainingSession, User  # noqa: E402
from portal.tools.scale_data import BIG_SESSION, BUSY_LEARNER, GRADING_SESSION, PASSWORD  # noqa: E402

GOAL_MEDIAN_MS, GOAL_P95_MS = 30.0, 60.0
GOAL_IMPORT_SECONDS, GOAL_IMPORT_MB = 3.0, 300.0
SQL_CHARS = int(os.environ.get("BENCH_SQL_CHARS", 400))  # of each statement --show-sql prints
ADMIN, COACH = "scaleadmin", "scalecoach"
API = "api"  # not a login: the requests carry a bearer token of scaleadmin's (api_token)
PER_PAGE = 25  # every list's default page size


@dataclass(frozen=True)
class Goal:
    """What a page must do: a median, and a 95th percentile when one is set."""
    median_ms: float
    p95_ms: float | None = None

    def text(self) -> str:
        p95 = f", p95 < {self.p95_ms:g}" if self.p95_ms is not None else ""
        return f"median < {self.median_ms:g}{p95} ms"


PAGE_GOAL = Goal(GOAL_MEDIAN_MS, GOAL_P95_MS)
# The exports' own goals (from the scale issue); a workbook has none (it is built whole).
SESSIONS_CSV_GOAL, TRACKING_CSV_GOAL = Goal(100.0), Goal(60.0)


@dataclass(frozen=True)
class Scenario:
    name: str
    user: str
    url: str
    htmx: bool = False
    goal: Goal | None = PAGE_GOAL  # None: measured, no goal applies
    # A download of seconds (a whole workbook, all of History): 1 warm-up and at most
    # HEAVY_REPEAT timed requests, so the run stays minutes long.
    heavy: bool = False


HEAVY_REPEAT = 5
# A page whose first request takes longer than this gets SLOW_REPEAT timed requests.
SLOW_MS, SLOW_REPEAT = 250.0, 10
PROFILE_LINES = 70  # of each profile in --bounds: the frames that take the most time


@dataclass(frozen=True)
class ScaleIds:
    """The rows the scenarios open, found in the data set (find_ids). The optional ones
    are None when the data holds no such row (no import job in generated data, nor in
    data generated before it had its history: no journal, no outbox), and their pages
    are left out."""
    big_session: int
    grading_session: int
    grading_course: int
    category: int
    sessions: int = 0
    users: int = 0
    courses: int = 0
    classes: int = 0
    big_learners: int = 0
    grading_learners: int = 0
    big_learner: int = 0
    big_learner_name: str = ""
    user: int = 0
    course: int = 0
    user_class: int = 0
    learner_session: int = 0
    learner_course: int = 0
    submission: int = 0
    calendar_token: str = ""
    history_heads: int = 0
    big_history: int = 0
    outbox_messages: int = 0
    import_entry: int | None = None
    outbox_message: int | None = None
    import_job: int | None = None


def last_page(count: int) -> int:
    return max(1, -(-count // PER_PAGE))


def find_ids(db_session, now=None) -> ScaleIds:
    """The special rows of the scale data set, looked up by name, and one row of each
    kind a page shows. Gives the busy learner a calendar feed link if they have none (as
    their My sessions page would)."""
    from portal.domain.calendar import ensure_token
    from portal.models import (
        Course,
        Enrolment,
        Job,
        JournalEntry,
        OutboxMessage,
        SessionCourse,
        SessionCourseCoach,
        Submission,
        UserClass,
    )

    now = now or clock.now()
    sessions = dict(db_session.execute(
        select(TrainingSession.name, TrainingSession.id)
        .where(TrainingSession.name.in_([BIG_SESSION, GRADING_SESSION]))
    ).all())
    if len(sessions) != 2:
        raise SystemExit("This database has no scale data: run `flask --app portal scale-data`.")
    big, grading = sessions[BIG_SESSION], sessions[GRADING_SESSION]
    category = db_session.scalar(
        select(TrainingSession.category_id).where(TrainingSession.category_id.is_not(None))
        .group_by(TrainingSession.category_id)
        .order_by(func.count().desc(), TrainingSession.category_id).limit(1)
    ) or db_session.scalar(select(func.min(SessionCategory.id)))

    def count(stmt) -> int:
        return db_session.scalar(stmt) or 0

    def first(stmt):
        return db_session.scalar(stmt.limit(1))

    big_learner = db_session.execute(
        select(User.id, User.username).join(Enrolment, Enrolment.user_id == User.id)
        .where(Enrolment.session_id == big).order_by(User.id).limit(1)).one()
    learner = db_session.scalar(select(User).where(User.username == BUSY_LEARNER))
    # A session of the busy learner's open now, and its first course. One whose coach
    # coaches none of its courses if there is one, as most at full scale: the page loads
    # the session coach's name with a query of its own then (when they coach a course,
    # the course coaches' query has loaded them already, and the page costs one less).
    coaches_a_course = (select(SessionCourseCoach.user_id)
                        .where(SessionCourseCoach.session_id == TrainingSession.id,
                               SessionCourseCoach.user_id == TrainingSession.coach_id)
                        .exists())
    learner_session = first(
        select(TrainingSession.id).join(Enrolment, Enrolment.session_id == TrainingSession.id)
        .where(Enrolment.user_id == learner.id, TrainingSession.access_start <= now,
               TrainingSession.access_end > now)
        .order_by(coaches_a_course, TrainingSession.id))
    learner_course = first(select(SessionCourse.course_id)
                           .where(SessionCourse.session_id == learner_session)
                           .order_by(SessionCourse.position))
    if ensure_token(learner):
        db_session.commit()
    heads = JournalEntry.parent_id.is_(None)
    admin_id = db_session.scalar(select(User.id).where(User.username == ADMIN))
    return ScaleIds(
        big, grading, 1, category,
        sessions=count(select(func.count()).select_from(TrainingSession)),
        users=count(select(func.count()).select_from(User)),
        courses=count(select(func.count()).select_from(Course)),
        classes=count(select(func.count()).select_from(UserClass)),
        big_learners=count(select(TrainingSession.learner_count)
                           .where(TrainingSession.id == big)),
        grading_learners=count(select(TrainingSession.learner_count)
                               .where(TrainingSession.id == grading)),
        big_learner=big_learner.id, big_learner_name=big_learner.username,
        user=big_learner.id,
        course=1,
        user_class=first(select(UserClass.id).order_by(UserClass.id)),
        learner_session=learner_session, learner_course=learner_course,
        submission=first(select(Submission.id).where(Submission.session_id == grading)
                         .order_by(Submission.id)),
        calendar_token=learner.calendar_token,
        history_heads=count(select(func.count()).select_from(JournalEntry).where(heads)),
        big_history=count(select(func.count()).select_from(JournalEntry)
                          .where(JournalEntry.session_id == big, heads)),
        outbox_messages=count(select(func.count()).select_from(OutboxMessage)),
        import_entry=first(select(JournalEntry.id).where(
            heads, JournalEntry.object_type == "enrolments")
            .order_by(JournalEntry.id.desc())),
        outbox_message=first(select(OutboxMessage.id).order_by(OutboxMessage.id.desc())),
        import_job=first(select(Job.id).where(Job.owner_id == admin_id,
                                              Job.kind.in_(["enrolment_preview",
                                                            "enrolment_apply"]))
                         .order_by(Job.id.desc())),
    )


def scenarios(ids: ScaleIds, today) -> list[Scenario]:
    """Every page and fragment a user reaches, as the user who would open it; the
    exports with their own goals. tests/test_scale.py counts the queries of the same list
    at two sizes."""
    since = (today - timedelta(days=90)).isoformat()
    until = (today + timedelta(days=30)).isoformat()
    big, grading, course = ids.big_session, ids.grading_session, ids.grading_course
    s = Scenario
    chosen = [
        s("admin dashboard", ADMIN, "/admin/"),
        # The session list.
        s("admin list", ADMIN, "/admin/sessions"),
        s("admin list: name search", ADMIN, "/admin/sessions?q=session+004"),
        s("admin list: name search, htmx", ADMIN, "/admin/sessions?q=session+004", htmx=True),
        s("admin list: status active", ADMIN, "/admin/sessions?status=active"),
        s("admin list: status upcoming", ADMIN, "/admin/sessions?status=upcoming"),
        s("admin list: category + dates", ADMIN,
          f"/admin/sessions?category={ids.category}&from={since}&to={until}"),
        s("admin list: by learners", ADMIN, "/admin/sessions?sort=learners&dir=desc"),
        s("admin list: by start, desc", ADMIN, "/admin/sessions?sort=starts&dir=desc"),
        s("admin list: by category", ADMIN, "/admin/sessions?sort=category"),
        s("admin list: page 200", ADMIN, "/admin/sessions?page=200"),
        s("admin list: last page", ADMIN, f"/admin/sessions?page={last_page(ids.sessions)}"),
        s("new session form", ADMIN, "/admin/sessions/new"),
        # One session's admin page: overview (details, courses and coaches, messages,
        # learners), its fragments and its tabs.
        s("5,000 learners: page 1", ADMIN, f"/admin/sessions/{big}"),
        s("5,000 learners: search", ADMIN, f"/admin/sessions/{big}/learners?q=first12",
          htmx=True),
        s("5,000 learners: page 2", ADMIN, f"/admin/sessions/{big}/learners?page=2",
          htmx=True),
        s("5,000 learners: last page", ADMIN,
          f"/admin/sessions/{big}/learners?page={last_page(ids.big_learners)}", htmx=True),
        s("session: detail edit form", ADMIN, f"/admin/sessions/{big}/details/access/edit",
          htmx=True),
        s("session: messages row", ADMIN, f"/admin/sessions/{big}/details/messages",
          htmx=True),
        s("session: grading 2,000 page", ADMIN, f"/admin/sessions/{grading}"),
        s("session: due dates form", ADMIN,
          f"/admin/sessions/{grading}/courses/{course}/due-dates"),
        s("session: learner dates form", ADMIN,
          f"/admin/sessions/{big}/learners/{ids.big_learner}/dates"),
        s("session: copy form", ADMIN, f"/admin/sessions/{big}/copy"),
        s("session: delete question", ADMIN, f"/admin/sessions/{big}/delete"),
        s("session: import page", ADMIN, f"/admin/sessions/{big}/import"),
        s("session history", ADMIN, f"/admin/sessions/{big}/history"),
        s("session history: last page", ADMIN,
          f"/admin/sessions/{big}/history?page={last_page(ids.big_history)}"),
        s("session: a learner's history", ADMIN,
          f"/admin/sessions/{big}/learners/{ids.big_learner}/history"),
        s("session access: form", ADMIN, f"/admin/sessions/{big}/access"),
        s("session access: a learner", ADMIN,
          f"/admin/sessions/{big}/access?user={ids.big_learner_name}"),
        s("session access: a learner, htmx", ADMIN,
          f"/admin/sessions/{big}/access?user={ids.big_learner_name}&tab=past", htmx=True),
        # Reference data.
        s("users", ADMIN, "/admin/users"),
        s("users: last page", ADMIN, f"/admin/users?page={last_page(ids.users)}"),
        s("users: search first12", ADMIN, "/admin/users?q=first12"),
        s("users: search, htmx", ADMIN, "/admin/users?q=first12", htmx=True),
        s("user page", ADMIN, f"/admin/users/{ids.user}"),
        s("user lookup (picker)", ADMIN, "/admin/lookup/users?add_learner=first12",
          htmx=True),
        s("courses", ADMIN, "/admin/courses"),
        s("courses: last page", ADMIN, f"/admin/courses?page={last_page(ids.courses)}"),
        s("course page", ADMIN, f"/admin/courses/{ids.course}"),
        s("categories", ADMIN, "/admin/categories"),
        s("category page", ADMIN, f"/admin/categories/{ids.category}"),
        s("classes", ADMIN, "/admin/classes"),
        s("classes: last page", ADMIN, f"/admin/classes?page={last_page(ids.classes)}"),
        s("class page", ADMIN, f"/admin/classes/{ids.user_class}"),
        s("API tokens", ADMIN, "/admin/api-tokens"),
        # History, Outbox, imports.
        s("history", ADMIN, "/admin/history"),
        s("history: last page", ADMIN, f"/admin/history?page={last_page(ids.history_heads)}"),
        s("history: enrolments", ADMIN, "/admin/history?what=enrolment"),
        s("history: dates", ADMIN, f"/admin/history?from={since}&to={until}"),
        s("history: learner search", ADMIN, "/admin/history?learner=first12"),
        s("history: session search", ADMIN, "/admin/history?session=session+004", htmx=True),
        s("outbox", ADMIN, "/admin/outbox"),
        s("outbox: last page", ADMIN, f"/admin/outbox?page={last_page(ids.outbox_messages)}"),
        s("outbox: recipient search", ADMIN, "/admin/outbox?recipient=first12", htmx=True),
        s("outbox: queued", ADMIN, "/admin/outbox?status=queued"),
        s("import page", ADMIN, "/admin/import"),
        s("sessions import page", ADMIN, "/admin/sessions/import"),
    ]
    if ids.import_entry is not None:
        chosen.append(s("history: undo question", ADMIN, f"/admin/history/{ids.import_entry}/undo"))
    if ids.outbox_message is not None:
        chosen.append(s("outbox: a message", ADMIN, f"/admin/outbox/{ids.outbox_message}"))
    if ids.import_job is not None:
        chosen.append(s("import job page", ADMIN, f"/admin/import/jobs/{ids.import_job}"))
    chosen += [
        # The coach.
        s("coach list: current", COACH, "/coach/"),
        s("coach list: past", COACH, "/coach/?tab=past"),
        s("coach list: upcoming", COACH, "/coach/?tab=upcoming", htmx=True),
        s("grading 2,000", COACH, f"/coach/sessions/{grading}/courses/{course}/grading"),
        s("grading 2,000: ungraded, page 2", COACH,
          f"/coach/sessions/{grading}/courses/{course}/grading?ungraded=1&page=2", htmx=True),
        s("grading: a hand-in", COACH,
          f"/coach/sessions/{grading}/courses/{course}/submissions/{ids.submission}",
          htmx=True),
        s("tracking 2,000", COACH, f"/coach/sessions/{grading}/tracking"),
        # The charts come in a second request, which htmx makes as the page loads.
        s("tracking 2,000: charts", COACH,
          f"/coach/sessions/{grading}/tracking/charts", htmx=True),
        s("tracking 2,000: search", COACH, f"/coach/sessions/{grading}/tracking?q=first12",
          htmx=True),
        s("tracking 2,000: search, charts", COACH,
          f"/coach/sessions/{grading}/tracking/charts?q=first12", htmx=True),
        s("tracking 2,000: one course, by progress", COACH,
          f"/coach/sessions/{grading}/tracking?course={course}&sort=progress&dir=desc"),
        s("tracking 2,000: last page", COACH,
          f"/coach/sessions/{grading}/tracking?page={last_page(ids.grading_learners)}"),
        # The learner.
        s("my sessions: current", BUSY_LEARNER, "/my-sessions?tab=current"),
        s("my sessions: past", BUSY_LEARNER, "/my-sessions?tab=past"),
        s("my sessions: upcoming", BUSY_LEARNER, "/my-sessions?tab=upcoming"),
        s("my sessions: past, page 2", BUSY_LEARNER, "/my-sessions?tab=past&page=2",
          htmx=True),
        s("learner: session page", BUSY_LEARNER, f"/sessions/{ids.learner_session}"),
        s("learner: course page", BUSY_LEARNER,
          f"/sessions/{ids.learner_session}/courses/{ids.learner_course}"),
        s("learner: session calendar", BUSY_LEARNER,
          f"/sessions/{ids.learner_session}/calendar.ics"),
        s("learner: calendar feed (300 sessions)", BUSY_LEARNER,
          f"/calendar/{ids.calendar_token}.ics"),
        s("learner: profile", BUSY_LEARNER, "/profile"),
        # The API's lists, first page (bench/api_bench.py times the deep pages).
        s("API: sessions", API, "/api/v1/sessions"),
        s("API: sessions, name search", API, "/api/v1/sessions?q=session+004"),
        s("API: users", API, "/api/v1/users"),
        s("API: courses", API, "/api/v1/courses"),
        s("API: a course's assignments", API, f"/api/v1/courses/{course}/assignments"),
        s("API: categories", API, "/api/v1/categories"),
        s("API: classes", API, "/api/v1/classes"),
        s("API: a class's members", API, f"/api/v1/classes/{ids.user_class}/members"),
        s("API: 5,000 learners' enrolments", API, f"/api/v1/sessions/{big}/enrolments"),
        s("API: a session's courses", API, f"/api/v1/sessions/{grading}/courses"),
        s("API: journal", API, "/api/v1/journal"),
        # Exports.
        s("sessions CSV: name search", ADMIN, "/admin/sessions.csv?q=session+004",
          goal=SESSIONS_CSV_GOAL),
        s("sessions CSV: status active", ADMIN, "/admin/sessions.csv?status=active",
          goal=SESSIONS_CSV_GOAL),
        s("sessions XLSX: all", ADMIN, "/admin/sessions.xlsx", goal=None, heavy=True),
        s("history CSV: all", ADMIN, "/admin/history.csv", goal=None, heavy=True),
        s("history XLSX: all", ADMIN, "/admin/history.xlsx", goal=None, heavy=True),
        s("tracking CSV: 2,000 learners", COACH, f"/coach/sessions/{grading}/tracking.csv",
          goal=TRACKING_CSV_GOAL),
        s("tracking XLSX: 2,000 learners", COACH,
          f"/coach/sessions/{grading}/tracking.xlsx", goal=None, heavy=True),
        s("sessions CSV: all 10,000", ADMIN, "/admin/sessions.csv", goal=SESSIONS_CSV_GOAL),
        s("tracking CSV: 5,000 learners", ADMIN, f"/coach/sessions/{big}/tracking.csv",
          goal=TRACKING_CSV_GOAL),
    ]
    return chosen


def api_token(db_session, now) -> tuple[str, int]:
    """A bearer token of scaleadmin's with every scope (the secret and its id), for the
    API scenarios; delete it after (drop_api_token)."""
    from portal.domain import api_tokens
    from portal.domain.journal import SYSTEM

    admin = db_session.scalar(select(User).where(User.username == ADMIN))
    made = api_tokens.create_token(db_session, admin, "Page benchmark", list(api_tokens.SCOPES),
                                   now + timedelta(days=1), by=SYSTEM, now=now)
    db_session.commit()
    return made.secret, made.token.id


def drop_api_token(db_session, token_id: int) -> None:
    """Delete the token and what its creation journaled."""
    from sqlalchemy import delete

    from portal.models import ApiToken, JournalEntry

    db_session.execute(delete(JournalEntry).where(JournalEntry.object_type == "api_token",
                                                  JournalEntry.object_id == token_id))
    db_session.execute(delete(ApiToken).where(ApiToken.id == token_id))
    db_session.commit()


# --- measuring --------------------------------------------------------------------


def bench_app(url: str, name: str):
    """The app a benchmark measures: the database at ``url``, its own instance folder,
    errors raised, no rate limits."""
    os.environ.setdefault("PORTAL_INSTANCE_PATH", tempfile.mkdtemp(prefix=f"bench-{name}-"))
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": f"bench-{name}",
                       "PROPAGATE_EXCEPTIONS": True, "RATELIMIT_ENABLED": False})


class Recorder:
    """Collects the statements sent to the driver while ``capturing``."""

    def __init__(self):
        self.capturing = False
        self.statements: list[tuple[str, object, bool]] = []

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        # A login's last-seen time is written once a minute (domain.logins.SEEN_EVERY),
        # by whichever request comes then: not a statement of the page's.
        if self.capturing and not statement.startswith("UPDATE login_session SET last_seen_at"):
            self.statements.append((statement, parameters, executemany))


def login(client, username: str) -> None:
    page = client.get("/login")
    token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page.data)
    if token is None:
        token = re.search(rb'"X-CSRFToken": "([^"]+)"', page.data)
    response = client.post("/login", data={"username": username, "password": PASSWORD,
                                           "csrf_token": token.group(1).decode()})
    if response.status_code != 302:
        raise SystemExit(f"Cannot log in as {username} (status {response.status_code}).")


def percentile(samples: list[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    rank = max(1, -(-len(ordered) * share // 1))
    return ordered[int(rank) - 1]


@dataclass
class Figures:
    name: str
    url: str
    median_ms: float
    p95_ms: float
    queries: int
    raw_ms: float
    notes: list[str] = field(default_factory=list)
    goal: Goal | None = PAGE_GOAL
    failed: bool = False  # the page did not answer 200
    # One request's statements (statement, parameters, executemany), for --bounds.
    statements: list = field(default_factory=list, repr=False)

    @property
    def ratio(self) -> float:
        return self.median_ms / self.raw_ms if self.raw_ms else float("nan")

    @property
    def fixed_count(self) -> bool:
        """One number of statements on every request (tests/test_scale.py checks it is
        the same at two sizes too)."""
        return not any(note.startswith("query count varied") for note in self.notes)

    @property
    def misses(self) -> list[str]:
        """What misses its goal, in words ([] when the goal is met or none applies)."""
        if self.failed:
            return self.notes
        out = [] if self.fixed_count else ["query count not fixed"]
        if self.goal is not None:
            if self.median_ms >= self.goal.median_ms:
                out.append(f"median {self.median_ms:.1f} ms >= {self.goal.median_ms:g}")
            if self.goal.p95_ms is not None and self.p95_ms >= self.goal.p95_ms:
                out.append(f"p95 {self.p95_ms:.1f} ms >= {self.goal.p95_ms:g}")
        return out

    @property
    def meets_goal(self) -> bool:
        return not self.misses

    @property
    def goal_text(self) -> str:
        if self.goal is None:
            return "none" if self.meets_goal else "**missed**"
        return "met" if self.meets_goal else "**missed**"


class Clients(dict):
    """One logged-in test client per user, and the bearer token's headers for the API."""

    def headers(self, scenario: Scenario) -> dict:
        headers = {"HX-Request": "true"} if scenario.htmx else {}
        if scenario.user == API:
            headers["Authorization"] = f"Bearer {self.api_secret}"
        return headers

    api_secret = ""


def open_clients(app, users, api_secret: str = "") -> Clients:
    clients = Clients()
    clients.api_secret = api_secret
    for user in users:
        clients[user] = app.test_client()
        if user != API:
            login(clients[user], user)
    return clients


def measure_page(app, clients: Clients, recorder: Recorder, scenario: Scenario, warmup: int,
                 repeat: int, show_sql: bool = False,
                 explain_over: float | None = None) -> Figures:
    client = clients[scenario.user]
    headers = clients.headers(scenario)
    if scenario.heavy:
        warmup, repeat = 1, min(repeat, HEAVY_REPEAT)

    def request():
        response = client.get(scenario.url, headers=headers)
        response.get_data()  # a download is streamed: its rows are written while read
        return response

    started = time.perf_counter()
    first = request()
    if first.status_code != 200:
        return Figures(scenario.name, scenario.url, float("nan"), float("nan"), 0, 0.0,
                       [f"{scenario.url} answered {first.status_code}"], scenario.goal,
                       failed=True)
    notes = []
    if (time.perf_counter() - started) * 1000 > SLOW_MS and repeat > SLOW_REPEAT:
        # Far off its goal already: fewer requests tell as much, in less of the run.
        warmup, repeat = min(warmup, 2), SLOW_REPEAT
        notes.append(f"slow: {repeat} timed requests")
    for _ in range(warmup - 1):
        request()
    recorder.statements.clear()
    recorder.capturing = True
    request()
    recorder.capturing = False
    captured = list(recorder.statements)
    counts = set()
    samples = []
    for _ in range(repeat):
        recorder.statements.clear()
        recorder.capturing = True
        started = time.perf_counter()
        request()
        samples.append((time.perf_counter() - started) * 1000)
        recorder.capturing = False
        counts.add(len(recorder.statements))
    if len(counts) > 1:
        notes.append(f"query count varied: {sorted(counts)}")
    with app.app_context():
        raw = replay(db.engine, captured, warmup, repeat)
        if show_sql or explain_over is not None:
            show_statements(db.engine, captured, explain_over)
    return Figures(scenario.name, scenario.url, statistics.median(samples),
                   percentile(samples, 0.95), len(captured), raw, notes, scenario.goal,
                   statements=captured)


def profile_page(clients: dict, scenario: Scenario, requests: int = 20) -> None:
    """Print a pyinstrument profile of ``requests`` requests of the page (--profile)."""
    print(f"== {scenario.name}: {requests} requests")
    print(profile_text(clients, scenario, requests))


def profile_text(clients: dict, scenario: Scenario, requests: int = 20) -> str:
    """A pyinstrument profile of ``requests`` requests of the page, as text."""
    from pyinstrument import Profiler

    client = clients[scenario.user]
    headers = clients.headers(scenario)
    for _ in range(3):
        client.get(scenario.url, headers=headers)
    profiler = Profiler(interval=0.0002)
    with profiler:
        for _ in range(requests):
            client.get(scenario.url, headers=headers, buffered=True)
    return profiler.output_text(unicode=False, color=False, show_all=False)


def show_statements(engine, statements, explain_over: float | None = None) -> None:
    """Print each statement with its own median time through the driver (--show-sql), and
    the plan of those slower than ``explain_over`` ms (--explain)."""
    for line in statements_text(engine, statements, explain_over):
        print(line)


def statements_text(engine, statements, explain_over: float | None = None,
                    sql_chars: int = SQL_CHARS) -> list[str]:
    """Each statement with its own median time through the driver, and the plan of those
    slower than ``explain_over`` ms, as lines."""
    lines = []
    for statement, parameters, many in statements:
        ms = replay(engine, [(statement, parameters, many)], 1, 5)
        lines.append(f"  {ms:7.2f} ms  {' '.join(statement.split())[:sql_chars]}")
        lines.append(f"             params: {str(parameters)[:200]}")
        if explain_over is not None and ms >= explain_over and not many:
            lines.extend(f"             | {line}"
                         for line in explain(engine, statement, parameters))
    return lines


def bounds_text(app, clients: Clients, missed: list[tuple[Scenario, Figures]],
                header: dict) -> str:
    """What bounds each page that missed its goal (--bounds): its statements with their
    own time through the driver, the plan of each that takes 1 ms or more, and a
    pyinstrument profile of its requests, read where the time goes (SQL, the ORM's rows,
    Python, the templates)."""
    out = [f"# What bounds the pages that missed their goal: {header['database']}", "",
           f"Written by `bench/pages.py --bounds` ({header['date']}; {header['data']}). "
           "For each page: the median and p95 of the run, each statement of one request "
           "with its own median through the bare driver and, from 1 ms, its plan (EXPLAIN "
           "QUERY PLAN on SQLite, EXPLAIN (ANALYZE, BUFFERS) on PostgreSQL), then a "
           "pyinstrument profile of its requests (the profiler's own cost makes them "
           "slower than the median: read the shares). bench/RESULTS.md's notes say what "
           "was tried.", ""]
    for scenario, figures in missed:
        requests = 3 if scenario.heavy or figures.median_ms > SLOW_MS else 20
        out += [f"## {figures.name}", "",
                f"`{figures.url}`: median {figures.median_ms:.1f} ms, p95 "
                f"{figures.p95_ms:.1f} ms, {figures.queries} queries, raw SQL "
                f"{figures.raw_ms:.1f} ms ({'; '.join(figures.misses)})", "",
                "Statements:", "", "```"]
        with app.app_context():
            out += statements_text(db.engine, figures.statements, 1.0, sql_chars=300)
        out += ["```", "", f"Profile of {requests} requests:", "", "```",
                *profile_text(clients, scenario, requests).strip("\n").splitlines()
                [:PROFILE_LINES], "```", ""]
    return "\n".join(out) + "\n"


def explain(engine, statement: str, parameters) -> list[str]:
    """EXPLAIN QUERY PLAN (SQLite) or EXPLAIN (ANALYZE, BUFFERS) (PostgreSQL), rolled back."""
    prefix = ("EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite"
              else "EXPLAIN (ANALYZE, BUFFERS) ")
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute(prefix + statement, parameters)
        rows = cursor.fetchall()
        connection.rollback()
    finally:
        connection.close()
    if engine.dialect.name == "sqlite":
        depth = {0: 0}
        lines = []
        for node, parent, _, detail in rows:
            depth[node] = depth.get(parent, 0) + 1
            lines.append("  " * depth[node] + detail)
        return lines
    return [row[0] for row in rows]


def replay(engine, statements, warmup: int, repeat: int) -> float:
    """Median milliseconds to run ``statements`` through the bare driver, rows fetched."""
    connection = engine.raw_connection()
    try:
        samples = []
        for n in range(warmup + repeat):
            cursor = connection.cursor()
            started = time.perf_counter()
            for statement, parameters, many in statements:
                if many:
                    cursor.executemany(statement, parameters)
                else:
                    cursor.execute(statement, parameters)
                if cursor.description is not None:
                    cursor.fetchall()
            elapsed = (time.perf_counter() - started) * 1000
            cursor.close()
            connection.rollback()  # the coach's recorded visit, replayed, is undone
            if n >= warmup:
                samples.append(elapsed)
        return statistics.median(samples)
    finally:
        connection.close()


# --- the CSV import, in its own process ---------------------------------------------


def _import_in_process(database_url: str, rows: int, in_place: bool) -> dict:
    import import_bench

    return import_bench.run_scale(database_url, rows, in_place=in_place)


def measure_import(url: str, rows: int, in_place: bool) -> dict:
    """bench/import_bench.py on the scale data at ``url`` (in a copy of it unless
    ``in_place``), in a fresh process so its peak RSS is its own."""
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=context) as pool:
        return pool.submit(_import_in_process, url, rows, in_place).result()


# --- report -------------------------------------------------------------------------


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 2**20:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return (f"{cpu}, {os.cpu_count()} cores{memory}; {platform.system()} "
            f"{platform.release()}; Python {platform.python_version()}")


def database_label(engine) -> str:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            version = conn.exec_driver_sql("select sqlite_version()").scalar()
            return f"SQLite {version} (file)"
        version = conn.exec_driver_sql("show server_version").scalar()
        return f"PostgreSQL {version}"


def sizes(db_session) -> str:
    from portal.models import AccessEvent, Enrolment, Submission

    counted = [("sessions", TrainingSession), ("users", User), ("enrolments", Enrolment),
               ("submissions", Submission), ("access events", AccessEvent)]
    return ", ".join(f"{db_session.scalar(select(func.count()).select_from(model)):,} {label}"
                     for label, model in counted)


def misses_text(pages: list[Figures]) -> list[str]:
    """One line per page that misses its goal, with its raw SQL time beside it."""
    return [f"{f.name}: {'; '.join(f.misses)}"
            + ("" if f.failed else f" (raw SQL {f.raw_ms:.1f} ms, {f.queries} queries)")
            for f in pages if not f.meets_goal]


def markdown(kind: str, header: dict, pages: list[Figures], imported: dict | None) -> str:
    lines = [f"<!-- results:{kind} -->", f"## {header['database']}", ""]
    lines += [f"- {key}: {value}" for key, value in header.items() if key != "database"]
    lines += ["", "| page | median ms | p95 ms | queries | raw SQL ms | page / raw SQL | goal |",
              "|---|---:|---:|---:|---:|---:|:---:|"]
    for f in pages:
        notes = f" ({'; '.join(f.notes)})" if f.notes else ""
        goal = f.goal_text if f.goal is None or f.goal == PAGE_GOAL \
            else f"{f.goal_text} ({f.goal.text()})"
        lines.append(f"| {f.name}{notes} | {f.median_ms:.1f} | {f.p95_ms:.1f} | {f.queries} "
                     f"| {f.raw_ms:.1f} | {f.ratio:.1f} | {goal} |")
    missed = misses_text(pages)
    lines += ["", f"Missed ({len(missed)} of {len(pages)}):" if missed
              else f"Missed: none of {len(pages)}."]
    lines += [f"- {line}" for line in missed]
    if imported:
        lines += ["", "| CSV import | rows | seconds | queries | peak MB (tracemalloc) | goal |",
                  "|---|---:|---:|---:|---:|:---:|"]
        for step in ("preview", "apply"):
            seconds, peak = imported[f"{step}_seconds"], imported[f"{step}_peak_mb"]
            goal = "met" if seconds < GOAL_IMPORT_SECONDS and peak < GOAL_IMPORT_MB \
                else "**missed**"
            lines.append(f"| {step} | {imported['rows']:,} | {seconds:.2f} | "
                         f"{imported[f'{step}_queries']} | {peak:.0f} | {goal} |")
        lines.append(f"\nImport process peak RSS (building its data included): "
                     f"{imported['rss_mb']:.0f} MB; database: {imported['database']}"
                     f"{'; ' + imported['note'] if imported.get('note') else ''}.")
    lines.append(f"<!-- /results:{kind} -->")
    return "\n".join(lines) + "\n"


TITLE = ("# Page benchmark results\n\nWritten by `bench/pages.py` (see its docstring; "
         "`make bench` runs it); server time through the test client, medians and 95th "
         "percentiles of repeated requests after a warm-up. Goals: every page and fragment "
         "median < 30 ms and p95 < 60 ms, with a fixed number of queries (the same at two "
         "sizes: tests/test_scale.py); exports: sessions CSV median < 100 ms, tracking CSV "
         "< 60 ms, workbooks none; CSV import < 3 s and < 300 MB per step. What bounds "
         "each page that misses: `bench/BOUNDS-sqlite.md`, `bench/BOUNDS-postgresql.md` "
         "(its statements, their plans, a profile).\n\n")


def write_results(path: Path, kind: str, section: str) -> None:
    """Replace this database kind's section of ``path``, keeping the others."""
    current = path.read_text() if path.exists() else TITLE
    if current.startswith("# Page benchmark results\n"):  # the title follows the goals
        current = TITLE + current.split("\n\n", 2)[2]
    pattern = re.compile(rf"<!-- results:{kind} -->.*?<!-- /results:{kind} -->\n?", re.S)
    if pattern.search(current):
        current = pattern.sub(lambda _: section, current)
    else:
        current = current.rstrip("\n") + "\n\n" + section
    path.write_text(current)


# --- main ---------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="a database with scale data")
    parser.add_argument("--repeat", type=int, default=40, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=5, help="untimed requests first")
    parser.add_argument("--only", nargs="*", help="pages whose name contains one of these")
    parser.add_argument("--import-rows", type=int, default=100_000)
    parser.add_argument("--no-import", action="store_true", help="skip the CSV import")
    parser.add_argument("--work-copy", action="store_true",
                        help="measure in a copy of the database (dropped after), the import "
                             "applied there first")
    parser.add_argument("--show-sql", action="store_true",
                        help="print each page's statements with their own time")
    parser.add_argument("--explain", type=float, metavar="MS",
                        help="with the statements, the plans of those slower than MS")
    parser.add_argument("--profile", action="store_true",
                        help="profile the chosen pages with pyinstrument (20 requests each)")
    parser.add_argument("--bounds", action="store_true",
                        help="for each page that misses its goal, its statements, plans and "
                             "profile, in bench/BOUNDS-<database kind>.md beside --output")
    parser.add_argument("--output", default=str(ROOT / "bench" / "RESULTS.md"))
    args = parser.parse_args()

    from portal.config import database_url_from_env

    url = database_url_from_env(args.database_url)
    # A run stopped with SIGTERM (kill, Ctrl-C's cousin) still drops its copy below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped"))
    copy = None
    if args.work_copy:
        # The pages are measured in a copy, after the import was applied there: History,
        # the Outbox and the import's job pages then show what a 100,000-row import leaves
        # (its journal, its welcome messages, its jobs), and URL stays as it was.
        copy = import_bench.copy_database(url)
        print(f"working copy: {make_url(copy).render_as_string(hide_password=True)}", flush=True)
    try:
        imported = None
        if copy is not None and not args.no_import:
            imported = run_import(copy, args.import_rows, in_place=True)
            refresh_statistics(copy)
        pages_url = copy or url
        results, header, kind = measure_pages(args, pages_url)
        if results is None:
            return
        if copy is not None:
            header["data"] += (" (a copy of the scale data, after the import below)"
                               if imported else " (a copy of the scale data)")
        if copy is None and not args.no_import:
            imported = run_import(url, args.import_rows, in_place=False)
    finally:
        if copy is not None:
            import_bench.drop_database(copy)
    missed = misses_text(results)
    print(f"\nMissed its goal: {len(missed)} of {len(results)} pages" if missed
          else f"\nMissed its goal: none of {len(results)} pages")
    for line in missed:
        print(f"  MISSED  {line}")
    if imported:
        for step in ("preview", "apply"):
            seconds, peak = imported[f"{step}_seconds"], imported[f"{step}_peak_mb"]
            if seconds >= GOAL_IMPORT_SECONDS or peak >= GOAL_IMPORT_MB:
                print(f"  MISSED  CSV import {step}: {seconds:.2f} s, {peak:.0f} MB "
                      f"(goal < {GOAL_IMPORT_SECONDS:g} s, < {GOAL_IMPORT_MB:g} MB)")
    if args.only:
        print("(--only: results not written)")
        return
    write_results(Path(args.output), kind, markdown(kind, header, results, imported))
    print(f"written to {args.output}")


def refresh_statistics(url: str) -> None:
    """On PostgreSQL, VACUUM ANALYZE after the import, as autovacuum does a minute after
    a write of that size (it may be off on a benchmark server: the pages would then be
    planned with the statistics of empty journal and outbox tables). SQLite keeps its
    statistics until someone runs ANALYZE, as in production: nothing is done there."""
    from sqlalchemy import create_engine

    if make_url(url).get_backend_name() != "postgresql":
        return
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()


def run_import(url: str, rows: int, in_place: bool) -> dict:
    print(f"CSV import of {rows:,} rows on the scale data...", flush=True)
    imported = measure_import(url, rows, in_place)
    for step in ("preview", "apply"):
        print(f"import {step:<8} {imported[f'{step}_seconds']:.2f} s, "
              f"{imported[f'{step}_queries']} queries, "
              f"{imported[f'{step}_peak_mb']:.0f} MB peak", flush=True)
    return imported


def measure_pages(args, url: str):
    """(figures, header, database kind) of the chosen pages at ``url``; (None, ...) after
    a --profile run."""
    app = bench_app(url, "pages")
    recorder = Recorder()
    load_before = os.getloadavg()
    with app.app_context():
        engine = db.engine
        event.listen(engine, "before_cursor_execute", recorder)
        now = clock.now()
        ids = find_ids(db.session, now)
        kind = engine.dialect.name
        header = {"database": database_label(engine), "machine": machine(),
                  "date": time.strftime("%Y-%m-%d %H:%M %Z"), "data": sizes(db.session),
                  "method": f"{args.warmup} warm-up + {args.repeat} timed requests per page"}
        chosen = scenarios(ids, now.date())
        if args.only:
            chosen = [s for s in chosen if any(word in s.name for word in args.only)]
        secret, token_id = api_token(db.session, now) if any(
            s.user == API for s in chosen) else ("", None)
        db.session.remove()
    try:
        clients = open_clients(app, sorted({s.user for s in chosen}), secret)
        print(f"{header['database']}; {header['data']}")
        print(f"{'page':<40} {'median':>7} {'p95':>7} {'queries':>7} {'raw SQL':>8} "
              f"{'ratio':>6}")
        if args.profile:
            for scenario in chosen:
                profile_page(clients, scenario)
            return None, header, kind
        results = []
        for scenario in chosen:
            figures = measure_page(app, clients, recorder, scenario, args.warmup, args.repeat,
                                   args.show_sql, args.explain)
            results.append(figures)
            print(f"{figures.name:<40} {figures.median_ms:>7.1f} {figures.p95_ms:>7.1f} "
                  f"{figures.queries:>7} {figures.raw_ms:>8.1f} {figures.ratio:>6.1f}"
                  f"{'' if figures.meets_goal else '  (goal missed)'}"
                  f"{'' if figures.goal else '  (no goal)'}"
                  f"{'  ' + '; '.join(figures.notes) if figures.notes else ''}", flush=True)
        if args.bounds:
            missed = [(scenario, figures) for scenario, figures in zip(chosen, results,
                                                                       strict=True)
                      if not figures.meets_goal and not figures.failed]
            path = Path(args.output).parent / f"BOUNDS-{kind}.md"
            print(f"what bounds the {len(missed)} pages that missed: {path}", flush=True)
            path.write_text(bounds_text(app, clients, missed, header), encoding="utf-8")
    finally:
        if token_id is not None:
            with app.app_context():
                drop_api_token(db.session, token_id)
                db.session.remove()
                db.engine.dispose()
    header["load average (1, 5, 15 min)"] = (
        f"{', '.join(f'{n:.2f}' for n in load_before)} before, "
        f"{', '.join(f'{n:.2f}' for n in os.getloadavg())} after (other work on the "
        "machine shows in the timings)")
    return results, header, kind


if __name__ == "__main__":
    main()
