"""Benchmark of the JSON API on the scale data set (portal/tools/scale_data.py).

    python bench/api_bench.py --database-url URL [--repeat 40] [--warmup 5]
                              [--bulk-repeat 5] [--pairs 10000] [--only WORD ...]
                              [--show-sql] [--explain MS] [--output bench/RESULTS.md]

URL is a database filled by ``flask --app portal scale-data`` (any ``--factor``), as for
bench/pages.py. Through Flask's test client in this process, with a token of ``scaleadmin``
(every scope), it times:

* lists: ``GET /api/v1/sessions`` 50 a page, by name, by start, by learners (desc) and
  with a name search, each on its first page and on a deep page (the cursor after row
  5,000, or the middle of the list when shorter); and the learners of the 5,000-learner
  session (``GET /api/v1/sessions/{id}/enrolments``), first and deep page: ``--warmup``
  requests, then ``--repeat`` timed ones (median and 95th percentile of the server time,
  the number of SQL statements, and the same statements replayed through the bare driver);
* the bulk call (``POST /api/v1/enrolments/bulk``) with ``--pairs`` (user, session) pairs
  nobody is enrolled in (one in ten named by e-mail): the dry run, the apply (journal and
  welcome messages included), the same call again (nothing to change) and the removal of
  the pairs, ``--bulk-repeat`` rounds of the four.

The database is left as it was found: the bulk rounds remove what they add, and the
token, the journal entries and the messages the run wrote are deleted at the end (only the
id sequences have moved on).

The figures are printed and written to ``--output`` in the section ``results:api``, one
part per database kind, so runs on SQLite and PostgreSQL sit side by side. Goals (from the
API issue): the session list median < 30 ms; a 10,000-pair bulk enrolment < 1 s on
PostgreSQL at full scale. The machine is shared and timings are noisy: run it twice.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlalchemy import delete, event, func, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from pages import (  # noqa: E402
    Recorder,
    bench_app,
    database_label,
    machine,
    percentile,
    replay,
    show_statements,
    sizes,
)

from portal import clock  # noqa: E402
from portal.domain import api_tokens  # noqa: E402
from portal.domain.journal import SYSTEM  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import (  # noqa: E402
    ApiToken,
    Enrolment,
    JournalEntry,
    OutboxMessage,
    TrainingSession,
    User,
)
from portal.tools.scale_data import BIG_SESSION  # noqa: E402

GOAL_LIST_MS, GOAL_BULK_S = 30.0, 1.0
ADMIN = "scaleadmin"
DEEP_ROW = 5_000
BULK_URL = "/api/v1/enrolments/bulk"


@dataclass
class Figures:
    name: str
    median_ms: float
    p95_ms: float
    queries: int
    raw_ms: float | None = None
    notes: list[str] = field(default_factory=list)
    goal_ms: float | None = None

    @property
    def goal(self) -> str:
        if self.goal_ms is None:
            return ""
        return "met" if self.median_ms < self.goal_ms else "**missed**"


class Api:
    """The test client with the token, timing each call and counting its statements."""

    def __init__(self, app, secret: str, recorder: Recorder):
        self.client = app.test_client()
        self.headers = {"Authorization": f"Bearer {secret}"}
        self.recorder = recorder

    def call(self, method: str, url: str, body: bytes | None = None,
             status: int = 200) -> tuple[float, int, dict]:
        """(milliseconds, statements, JSON answer) of one call."""
        headers = dict(self.headers)
        if body is not None:
            headers["Content-Type"] = "application/json"
        self.recorder.statements.clear()
        self.recorder.capturing = True
        started = time.perf_counter()
        response = self.client.open(url, method=method, data=body, headers=headers)
        elapsed = (time.perf_counter() - started) * 1000
        self.recorder.capturing = False
        if response.status_code != status:
            raise SystemExit(f"{method} {url} answered {response.status_code}: "
                             f"{response.get_data(as_text=True)[:500]}")
        return elapsed, len(self.recorder.statements), response.get_json(silent=True) or {}


# --- lists ---------------------------------------------------------------------------------


def deep_cursor_url(api: Api, url: str, row: int) -> tuple[str, int]:
    """The URL of the 50-row page after ``row`` (or after the middle of a shorter list),
    reached by following ``next`` 200 rows at a time; and the row it starts after."""
    sep = "&" if "?" in url else "?"
    seen, page_url, cursors = 0, f"{url}{sep}limit=200", []
    while page_url and seen < row:
        _, _, page = api.call("GET", page_url)
        seen += len(page["items"])
        page_url = page["next"]
        if page_url:
            cursors.append((seen, re.search(r"cursor=([^&]+)", page_url).group(1)))
    if not cursors:
        return f"{url}{sep}limit=50", 0
    after, cursor = cursors[-1] if seen >= row else cursors[len(cursors) // 2]
    return f"{url}{sep}limit=50&cursor={cursor}", after


def measure_list(app, api: Api, recorder: Recorder, name: str, url: str, warmup: int,
                 repeat: int, show_sql: bool, explain_over: float | None) -> Figures:
    for _ in range(warmup):
        api.call("GET", url)
    recorder.statements.clear()
    recorder.capturing = True
    api.call("GET", url)
    recorder.capturing = False
    captured = list(recorder.statements)
    samples, counts = [], set()
    for _ in range(repeat):
        ms, statements, _ = api.call("GET", url)
        samples.append(ms)
        counts.add(statements)
    with app.app_context():
        raw = replay(db.engine, captured, warmup, repeat)
        if show_sql or explain_over is not None:
            print(f"== {name}: {url}")
            show_statements(db.engine, captured, explain_over)
    notes = [] if len(counts) == 1 else [f"query count varied: {sorted(counts)}"]
    return Figures(name, statistics.median(samples), percentile(samples, 0.95),
                   max(counts), raw, notes,
                   GOAL_LIST_MS if url.startswith("/api/v1/sessions?") else None)


def list_scenarios(api: Api, big_session: int) -> list[tuple[str, str]]:
    chosen = []
    for label, url in (
        ("sessions by name", "/api/v1/sessions?sort=name"),
        ("sessions by start", "/api/v1/sessions?sort=starts"),
        ("sessions by learners (desc)", "/api/v1/sessions?sort=learners&dir=desc"),
        ("sessions: name search", "/api/v1/sessions?q=session+00"),
        ("learners of the 5,000-learner session",
         f"/api/v1/sessions/{big_session}/enrolments"),
    ):
        first = url + ("&" if "?" in url else "?") + "limit=50"
        chosen.append((f"{label}: first page", first))
        deep, after = deep_cursor_url(api, url, DEEP_ROW)
        if after:
            chosen.append((f"{label}: after row {after:,}", deep))
    return chosen


# --- the bulk call -------------------------------------------------------------------------


def free_pairs(db_session, count: int) -> list[tuple[str, int]]:
    """``count`` (username or e-mail, session id) pairs nobody is enrolled in: learners
    and sessions taken in id order, the enrolled pairs left out."""
    side = int(count ** 0.5) + 20
    users = db_session.execute(select(User.id, User.username, User.email)
                               .where(User.role == "learner", User.active.is_(True))
                               .order_by(User.id).limit(side)).all()
    sessions = list(db_session.scalars(select(TrainingSession.id).order_by(TrainingSession.id)
                                       .limit(side)))
    enrolled = set(db_session.execute(
        select(Enrolment.session_id, Enrolment.user_id)
        .where(Enrolment.session_id.in_(sessions),
               Enrolment.user_id.in_([u.id for u in users]))).all())
    pairs = []
    for n, user in enumerate(users):
        name = user.email if n % 10 == 3 else user.username
        pairs += [(name, sid) for sid in sessions if (sid, user.id) not in enrolled]
    if len(pairs) < count:
        raise SystemExit(f"Only {len(pairs):,} free pairs found; ask for fewer --pairs.")
    return pairs[:count]


def bulk_body(pairs, action: str, dry_run: bool = False) -> bytes:
    return json.dumps({"dry_run": dry_run, "items": [
        {"user": user, "session": session, "action": action} for user, session in pairs]}
    ).encode()


def measure_bulk(api: Api, pairs, rounds: int) -> list[Figures]:
    """Rounds of: dry run, apply, the same call again, removal; one warm-up round first."""
    steps = {
        "bulk: dry run": (bulk_body(pairs, "add", dry_run=True), "already", 0),
        "bulk: apply (enrol)": (bulk_body(pairs, "add"), "added", len(pairs)),
        "bulk: the same call again": (bulk_body(pairs, "add"), "added", 0),
        "bulk: remove them": (bulk_body(pairs, "remove"), "removed", len(pairs)),
    }
    samples: dict[str, list[float]] = {name: [] for name in steps}
    queries: dict[str, set[int]] = {name: set() for name in steps}
    for round_number in range(rounds + 1):
        for name, (body, counted, expected) in steps.items():
            ms, statements, answer = api.call("POST", BULK_URL, body)
            got = (answer["applied"] or {}).get(counted, 0) if answer.get("applied") \
                else answer["preview"]["counts"][counted]
            if got != expected:
                raise SystemExit(f"{name}: {counted} {got}, expected {expected}")
            if round_number:  # the first round warms up
                samples[name].append(ms)
                queries[name].add(statements)
    figures = []
    for name in steps:
        notes = [] if len(queries[name]) == 1 else [f"query count varied: "
                                                    f"{sorted(queries[name])}"]
        figures.append(Figures(name, statistics.median(samples[name]),
                               percentile(samples[name], 0.95), max(queries[name]),
                               notes=notes, goal_ms=GOAL_BULK_S * 1000
                               if name == "bulk: apply (enrol)" else None))
    return figures


# --- report --------------------------------------------------------------------------------


def markdown(kind: str, header: dict, figures: list[Figures]) -> str:
    lines = [f"<!-- api:{kind} -->", f"### {header['database']}", ""]
    lines += [f"- {key}: {value}" for key, value in header.items() if key != "database"]
    lines += ["", "| call | median ms | p95 ms | queries | raw SQL ms | goal |",
              "|---|---:|---:|---:|---:|:---:|"]
    for f in figures:
        notes = f" ({'; '.join(f.notes)})" if f.notes else ""
        raw = f"{f.raw_ms:.1f}" if f.raw_ms is not None else ""
        goal = f"{f.goal} (< {f.goal_ms:g} ms)" if f.goal_ms is not None else ""
        lines.append(f"| {f.name}{notes} | {f.median_ms:.1f} | {f.p95_ms:.1f} | {f.queries} "
                     f"| {raw} | {goal} |")
    lines.append(f"<!-- /api:{kind} -->")
    return "\n".join(lines) + "\n"


SECTION_INTRO = (
    "## JSON API (bench/api_bench.py)\n\n"
    "Server time through the test client with a bearer token (authentication included), "
    "medians and 95th percentiles after a warm-up. Goals: `GET /api/v1/sessions` median "
    "< 30 ms; a 10,000-pair bulk enrolment < 1 s on PostgreSQL at full scale. The bulk rows "
    "are whole requests: JSON parsing and validation of the 10,000 items, the preview's "
    "three lookups, the writes (enrolments, one journal item per pair, welcome messages) "
    "and the 10,000-item answer. On PostgreSQL the bulk call plans with random_page_cost "
    "1.1 (csv_import.prefer_index_lookups): with the default 4 it hashed the whole "
    "enrolment table to look up 10,000 pairs, and the apply took 2.0 s.\n")


def write_results(path: Path, kind: str, part: str) -> None:
    """Replace this database kind's part of the ``results:api`` section, keeping the rest."""
    current = path.read_text() if path.exists() else "# Benchmark results\n"
    section = re.compile(r"<!-- results:api -->\n(.*?)<!-- /results:api -->\n?", re.S)
    found = section.search(current)
    body = found.group(1) if found else SECTION_INTRO
    own = re.compile(rf"<!-- api:{kind} -->.*?<!-- /api:{kind} -->\n?", re.S)
    body = own.sub(lambda _: part, body) if own.search(body) \
        else body.rstrip("\n") + "\n\n" + part
    new_section = f"<!-- results:api -->\n{body}<!-- /results:api -->\n"
    if found:
        current = section.sub(lambda _: new_section, current)
    else:
        notes = current.find("\n## Notes")
        at = notes + 1 if notes >= 0 else len(current)
        current = current[:at].rstrip("\n") + "\n\n" + new_section + "\n" + current[at:]
    path.write_text(current)


# --- main ----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="a database with scale data")
    parser.add_argument("--repeat", type=int, default=40, help="timed requests per list")
    parser.add_argument("--warmup", type=int, default=5, help="untimed requests first")
    parser.add_argument("--bulk-repeat", type=int, default=5, help="timed bulk rounds")
    parser.add_argument("--pairs", type=int, default=10_000, help="pairs of each bulk call")
    parser.add_argument("--only", nargs="*",
                        help="calls whose name contains one of these (\"bulk\": the bulk "
                             "calls); results not written")
    parser.add_argument("--show-sql", action="store_true",
                        help="print each list's statements with their own time")
    parser.add_argument("--explain", type=float, metavar="MS",
                        help="with the statements, the plans of those slower than MS")
    parser.add_argument("--output", default=str(ROOT / "bench" / "RESULTS.md"))
    args = parser.parse_args()

    from portal.config import database_url_from_env

    url = database_url_from_env(args.database_url)
    app = bench_app(url, "api")
    recorder = Recorder()
    with app.app_context():
        engine = db.engine
        event.listen(engine, "before_cursor_execute", recorder)
        kind = engine.dialect.name
        big = db.session.scalar(select(TrainingSession.id)
                                .where(TrainingSession.name == BIG_SESSION))
        admin = db.session.scalar(select(User).where(User.username == ADMIN))
        if big is None or admin is None:
            raise SystemExit("This database has no scale data: run `flask --app portal "
                             "scale-data`.")
        marks = {model: db.session.scalar(select(func.coalesce(func.max(model.id), 0)))
                 for model in (JournalEntry, OutboxMessage)}
        now = clock.now()
        token = api_tokens.create_token(db.session, admin, "API benchmark",
                                        list(api_tokens.SCOPES), now + timedelta(days=1),
                                        by=SYSTEM, now=now)
        db.session.commit()
        secret, token_id = token.secret, token.token.id
        bulk = not args.only or "bulk" in args.only
        pairs = free_pairs(db.session, args.pairs) if bulk else []
        header = {"database": database_label(engine), "machine": machine(),
                  "date": time.strftime("%Y-%m-%d %H:%M %Z"), "data": sizes(db.session),
                  "method": f"{args.warmup} warm-up + {args.repeat} timed requests per list; "
                            f"1 warm-up + {args.bulk_repeat} timed rounds of the bulk calls "
                            f"({args.pairs:,} pairs over {len({s for _, s in pairs}):,} "
                            f"sessions)"}
        db.session.remove()
    api = Api(app, secret, recorder)
    started_load = os.getloadavg()
    print(f"{header['database']}; {header['data']}")
    print(f"{'call':<58} {'median':>7} {'p95':>7} {'queries':>7} {'raw SQL':>8}")
    results: list[Figures] = []

    def show(f: Figures) -> None:
        raw = f"{f.raw_ms:8.1f}" if f.raw_ms is not None else " " * 8
        print(f"{f.name:<58} {f.median_ms:>7.1f} {f.p95_ms:>7.1f} {f.queries:>7} {raw}"
              f"{'  (goal missed)' if f.goal.startswith('**') else ''}"
              f"{'  ' + '; '.join(f.notes) if f.notes else ''}", flush=True)

    try:
        for name, list_url in list_scenarios(api, big):
            if not args.only or any(word in name for word in args.only):
                figures = measure_list(app, api, recorder, name, list_url, args.warmup,
                                       args.repeat, args.show_sql, args.explain)
                results.append(figures)
                show(figures)
        if bulk:
            for figures in measure_bulk(api, pairs, args.bulk_repeat):
                results.append(figures)
                show(figures)
    finally:
        with app.app_context():  # leave the database as it was found
            for model, mark in marks.items():
                db.session.execute(delete(model).where(model.id > mark))
            db.session.execute(delete(ApiToken).where(ApiToken.id == token_id))
            db.session.commit()
    if args.only or args.show_sql or args.explain is not None:
        print("(a partial or diagnostic run: results not written)")
        return
    header["load average (1, 5, 15 min)"] = (
        f"{', '.join(f'{n:.2f}' for n in started_load)} before, "
        f"{', '.join(f'{n:.2f}' for n in os.getloadavg())} after (other work on the "
        "machine shows in the timings)")
    write_results(Path(args.output), kind, markdown(kind, header, results))
    print(f"written to {args.output}")


if __name__ == "__main__":
    main()
