"""Benchmark of the portal's busiest pages on the scale data set (portal/scale_data.py).

    python bench/pages.py --database-url URL [--repeat 40] [--warmup 5]
                          [--only NAME ...] [--show-sql] [--explain MS] [--profile]
                          [--import-rows 100000 | --no-import]
                          [--import-database-url URL] [--output bench/RESULTS.md]

URL is a database filled by ``flask --app portal scale-data`` (any ``--factor``), e.g.
``sqlite:////tmp/scale-sqlite/portal.sqlite3`` or
``postgresql+psycopg://postgres@127.0.0.1:5432/portal_scale``. Nothing is dropped there; the
coach's page views are recorded as in production (an access event per grading or tracking
request, as for any coach).

For each page, logged in as the user who would open it (``scaleadmin``, ``learner300``,
``scalecoach``, password ``scale-admin-2026``), through Flask's test client in this process:

* ``--warmup`` requests, then ``--repeat`` timed ones: median and 95th percentile of the
  server time (the WSGI call, no network), and the number of SQL statements;
* the same statements, captured from one request, replayed ``--repeat`` times through the
  bare database driver (``engine.raw_connection()``, rows fetched, writes rolled back):
  the ratio page time / raw SQL time shows what the ORM, Python and templates add.

Then the CSV import benchmark (bench/import_bench.py, ``--import-rows`` rows) in a separate
process, against a throw-away database: a temporary SQLite file, or on PostgreSQL a database
created next to URL and dropped afterwards (``--import-database-url`` to pick one; EVERY TABLE
OF IT IS DROPPED).

To find out why a page is slow: ``--show-sql`` prints each statement with its own time
through the driver, ``--explain MS`` adds the plan of those slower than MS (EXPLAIN QUERY
PLAN on SQLite, EXPLAIN ANALYZE on PostgreSQL), ``--profile`` prints a pyinstrument profile
of 20 requests instead of measuring; combine with ``--only``.

The figures are printed and written to ``--output`` as a Markdown table, in a section of its
own per database kind, so runs on SQLite and on PostgreSQL sit side by side. Goals (from the
scale issue): median < 40 ms, p95 < 80 ms, at most 8 queries, the same count at every size;
import preview and apply < 3 s and < 300 MB each. The machine is shared and timings are noisy:
run it twice and compare.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import multiprocessing
import os
import platform
import re
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from portal import clock, create_app  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import SessionCategory, TrainingSession, User  # noqa: E402
from portal.tools.scale_data import BIG_SESSION, BUSY_LEARNER, GRADING_SESSION, PASSWORD  # noqa: E402

GOAL_MEDIAN_MS, GOAL_P95_MS, GOAL_QUERIES = 40.0, 80.0, 8
GOAL_IMPORT_SECONDS, GOAL_IMPORT_MB = 3.0, 300.0
SQL_CHARS = int(os.environ.get("BENCH_SQL_CHARS", 400))  # of each statement --show-sql prints
ADMIN, COACH = "scaleadmin", "scalecoach"


@dataclass(frozen=True)
class Scenario:
    name: str
    user: str
    url: str
    htmx: bool = False


@dataclass(frozen=True)
class ScaleIds:
    big_session: int
    grading_session: int
    grading_course: int
    category: int


def find_ids(db_session) -> ScaleIds:
    """The special rows of the scale data set, looked up by name."""
    sessions = dict(db_session.execute(
        select(TrainingSession.name, TrainingSession.id)
        .where(TrainingSession.name.in_([BIG_SESSION, GRADING_SESSION]))
    ).all())
    if len(sessions) != 2:
        raise SystemExit("This database has no scale data: run `flask --app portal scale-data`.")
    category = db_session.scalar(
        select(TrainingSession.category_id).where(TrainingSession.category_id.is_not(None))
        .group_by(TrainingSession.category_id)
        .order_by(func.count().desc(), TrainingSession.category_id).limit(1)
    ) or db_session.scalar(select(func.min(SessionCategory.id)))
    # The generator gives the grading session exactly one course, course 1.
    return ScaleIds(sessions[BIG_SESSION], sessions[GRADING_SESSION], 1, category)


def scenarios(ids: ScaleIds, today) -> list[Scenario]:
    """The benchmarked pages; tests/test_scale.py counts the queries of the same list."""
    since = (today - timedelta(days=90)).isoformat()
    until = (today + timedelta(days=30)).isoformat()
    big, grading = ids.big_session, ids.grading_session
    return [
        Scenario("admin list", ADMIN, "/admin/sessions"),
        Scenario("admin list: name search", ADMIN, "/admin/sessions?q=session+004"),
        Scenario("admin list: status active", ADMIN, "/admin/sessions?status=active"),
        Scenario("admin list: category + dates", ADMIN,
                 f"/admin/sessions?category={ids.category}&from={since}&to={until}"),
        Scenario("admin list: by learners", ADMIN, "/admin/sessions?sort=learners&dir=desc"),
        Scenario("admin list: page 200", ADMIN, "/admin/sessions?page=200"),
        Scenario("my sessions: current", BUSY_LEARNER, "/my-sessions?tab=current"),
        Scenario("my sessions: past", BUSY_LEARNER, "/my-sessions?tab=past"),
        Scenario("my sessions: upcoming", BUSY_LEARNER, "/my-sessions?tab=upcoming"),
        Scenario("5,000 learners: page 1", ADMIN, f"/admin/sessions/{big}"),
        Scenario("5,000 learners: search", ADMIN, f"/admin/sessions/{big}/learners?q=first12",
                 htmx=True),
        Scenario("grading 2,000", COACH,
                 f"/coach/sessions/{grading}/courses/{ids.grading_course}/grading"),
        Scenario("tracking 2,000", COACH, f"/coach/sessions/{grading}/tracking"),
        # The charts come in a second request, which htmx makes as the page loads.
        Scenario("tracking 2,000: charts", COACH,
                 f"/coach/sessions/{grading}/tracking/charts", htmx=True),
        Scenario("sessions CSV: all 10,000", ADMIN, "/admin/sessions.csv"),
        Scenario("tracking CSV: 5,000 learners", ADMIN, f"/coach/sessions/{big}/tracking.csv"),
    ]


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
        if self.capturing:
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

    @property
    def ratio(self) -> float:
        return self.median_ms / self.raw_ms if self.raw_ms else float("nan")

    @property
    def meets_goal(self) -> bool:
        return (self.median_ms < GOAL_MEDIAN_MS and self.p95_ms < GOAL_P95_MS
                and self.queries <= GOAL_QUERIES)


def measure_page(app, clients: dict, recorder: Recorder, scenario: Scenario, warmup: int,
                 repeat: int, show_sql: bool = False,
                 explain_over: float | None = None) -> Figures:
    client = clients[scenario.user]
    headers = {"HX-Request": "true"} if scenario.htmx else {}

    def request():
        # Buffered: a streamed download (the CSV exports) is timed to its last byte.
        response = client.get(scenario.url, headers=headers, buffered=True)
        if response.status_code != 200:
            raise SystemExit(f"{scenario.name}: {scenario.url} answered "
                             f"{response.status_code}")
        return response

    for _ in range(warmup):
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
    notes = [] if len(counts) == 1 else [f"query count varied: {sorted(counts)}"]
    with app.app_context():
        raw = replay(db.engine, captured, warmup, repeat)
        if show_sql or explain_over is not None:
            show_statements(db.engine, captured, explain_over)
    return Figures(scenario.name, scenario.url, statistics.median(samples),
                   percentile(samples, 0.95), len(captured), raw, notes)


def profile_page(clients: dict, scenario: Scenario, requests: int = 20) -> None:
    """Print a pyinstrument profile of ``requests`` requests of the page (--profile)."""
    from pyinstrument import Profiler

    client = clients[scenario.user]
    headers = {"HX-Request": "true"} if scenario.htmx else {}
    for _ in range(3):
        client.get(scenario.url, headers=headers)
    profiler = Profiler(interval=0.0002)
    with profiler:
        for _ in range(requests):
            client.get(scenario.url, headers=headers, buffered=True)
    print(f"== {scenario.name}: {requests} requests")
    print(profiler.output_text(unicode=False, color=False, show_all=False))


def show_statements(engine, statements, explain_over: float | None = None) -> None:
    """Print each statement with its own median time through the driver (--show-sql), and
    the plan of those slower than ``explain_over`` ms (--explain)."""
    for statement, parameters, many in statements:
        ms = replay(engine, [(statement, parameters, many)], 1, 5)
        print(f"  {ms:7.2f} ms  {' '.join(statement.split())[:SQL_CHARS]}")
        print(f"             params: {str(parameters)[:200]}")
        if explain_over is not None and ms >= explain_over and not many:
            for line in explain(engine, statement, parameters):
                print(f"             | {line}")


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


def _import_in_process(database_url: str | None, rows: int) -> dict:
    sys.path.insert(0, str(ROOT / "bench"))
    import import_bench

    if database_url:
        return import_bench.run(database_url, rows)
    with tempfile.TemporaryDirectory(prefix="import-bench-") as folder:
        return import_bench.run(f"sqlite:///{Path(folder) / 'bench.sqlite3'}", rows)


def measure_import(main_url: str, import_url: str | None, rows: int) -> dict:
    """Run bench/import_bench.py in a fresh process (so its peak RSS is its own)."""
    url = make_url(main_url)
    throwaway = None
    if import_url is None and url.get_backend_name() == "postgresql":
        throwaway = f"{url.database}_import_{uuid.uuid4().hex[:8]}"
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{throwaway}"'))
        import_url = url.set(database=throwaway).render_as_string(hide_password=False)
    try:
        context = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(1, mp_context=context) as pool:
            return pool.submit(_import_in_process, import_url, rows).result()
    finally:
        if throwaway is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{throwaway}" WITH (FORCE)'))
            admin.dispose()


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


def markdown(kind: str, header: dict, pages: list[Figures], imported: dict | None) -> str:
    lines = [f"<!-- results:{kind} -->", f"## {header['database']}", ""]
    lines += [f"- {key}: {value}" for key, value in header.items() if key != "database"]
    lines += ["", "| page | median ms | p95 ms | queries | raw SQL ms | page / raw SQL | goal |",
              "|---|---:|---:|---:|---:|---:|:---:|"]
    for f in pages:
        goal = "met" if f.meets_goal else "**missed**"
        notes = f" ({'; '.join(f.notes)})" if f.notes else ""
        lines.append(f"| {f.name}{notes} | {f.median_ms:.1f} | {f.p95_ms:.1f} | {f.queries} "
                     f"| {f.raw_ms:.1f} | {f.ratio:.1f} | {goal} |")
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
                     f"{imported['rss_mb']:.0f} MB; database: {imported['database']}.")
    lines.append(f"<!-- /results:{kind} -->")
    return "\n".join(lines) + "\n"


def write_results(path: Path, kind: str, section: str) -> None:
    """Replace this database kind's section of ``path``, keeping the others."""
    title = ("# Page benchmark results\n\nWritten by `bench/pages.py` (see its docstring); "
             "server time through the test client, medians and 95th percentiles of repeated "
             "requests after a warm-up. Goals: median < 40 ms, p95 < 80 ms, at most 8 "
             "queries; CSV import < 3 s and < 300 MB per step.\n\n")
    current = path.read_text() if path.exists() else title
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
    parser.add_argument("--import-database-url", help="throw-away database for the import")
    parser.add_argument("--show-sql", action="store_true",
                        help="print each page's statements with their own time")
    parser.add_argument("--explain", type=float, metavar="MS",
                        help="with the statements, the plans of those slower than MS")
    parser.add_argument("--profile", action="store_true",
                        help="profile the chosen pages with pyinstrument (20 requests each)")
    parser.add_argument("--output", default=str(ROOT / "bench" / "RESULTS.md"))
    args = parser.parse_args()

    from portal.config import database_url_from_env

    url = database_url_from_env(args.database_url)
    app = bench_app(url, "pages")
    recorder = Recorder()
    with app.app_context():
        engine = db.engine
        event.listen(engine, "before_cursor_execute", recorder)
        ids = find_ids(db.session)
        today = clock.now().date()
        kind = engine.dialect.name
        header = {"database": database_label(engine), "machine": machine(),
                  "date": time.strftime("%Y-%m-%d %H:%M %Z"), "data": sizes(db.session),
                  "method": f"{args.warmup} warm-up + {args.repeat} timed requests per page"}
        db.session.remove()
    chosen = scenarios(ids, today)
    if args.only:
        chosen = [s for s in chosen if any(word in s.name for word in args.only)]
    clients = {}
    for user in {s.user for s in chosen}:
        clients[user] = app.test_client()
        login(clients[user], user)

    print(f"{header['database']}; {header['data']}")
    print(f"{'page':<32} {'median':>7} {'p95':>7} {'queries':>7} {'raw SQL':>8} {'ratio':>6}")
    if args.profile:
        for scenario in chosen:
            profile_page(clients, scenario)
        return
    results = []
    for scenario in chosen:
        figures = measure_page(app, clients, recorder, scenario, args.warmup, args.repeat,
                               args.show_sql, args.explain)
        results.append(figures)
        print(f"{figures.name:<32} {figures.median_ms:>7.1f} {figures.p95_ms:>7.1f} "
              f"{figures.queries:>7} {figures.raw_ms:>8.1f} {figures.ratio:>6.1f}"
              f"{'' if figures.meets_goal else '  (goal missed)'}"
              f"{'  ' + '; '.join(figures.notes) if figures.notes else ''}", flush=True)
    imported = None
    if not args.no_import:
        print(f"CSV import of {args.import_rows:,} rows...", flush=True)
        imported = measure_import(url, args.import_database_url, args.import_rows)
        for step in ("preview", "apply"):
            print(f"import {step:<8} {imported[f'{step}_seconds']:.2f} s, "
                  f"{imported[f'{step}_queries']} queries, "
                  f"{imported[f'{step}_peak_mb']:.0f} MB peak")
    if args.only:
        print("(--only: results not written)")
        return
    write_results(Path(args.output), kind, markdown(kind, header, results, imported))
    print(f"written to {args.output}")


if __name__ == "__main__":
    main()
