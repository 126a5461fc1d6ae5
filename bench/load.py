"""Load test: the portal under gunicorn, 200 simulated users in one run, pages beside /health.

    python bench/load.py --database-url URL [--users 200] [--seconds 120] [--workers 4]
                         [--work-copy] [--output bench/RESULTS.md]

URL is a database filled by ``flask --app portal scale-data``. Starts ``gunicorn`` with
``--workers`` sync workers on a free loopback port, then ONE headless locust run
(bench/locustfile.py) of ``--seconds`` with ``--users`` users, all started at once, without
think time. The users are mixed: admins (session list, search, by learners, deep pages, the
History page, the 5,000-learner session's page), the 300-session learner on My sessions, the
coach on the grading page of the 2,000-learner session (an access event per view, as in
production) and health checkers on /health, which reads no database: every page is measured
beside /health under the same load, interleaved.

Every request is recorded with its completion time, and the run is split in two: the
**login phase**, until the last user's login POST completed (argon2 is slow on purpose and
each login writes its login record), and the **steady state** after it. Prints and writes
(``--output``, section "load-<database>") per page and phase: requests, req/s, median and
p95 ms, failures; plus the failed requests overall (goal: zero) and the load average before
and after. Locust shares the machine with gunicorn and the database (2 cores here): the
figures are a floor, not a capacity. gunicorn is stopped at the end, even on error.
The same for SQLite and PostgreSQL (``make bench-load`` runs it on the benchmark's database).
With --work-copy the run is made in a copy of URL, dropped after (the logins and the
coach's visits are written there, not in URL).
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LOGIN_POST = "/login (POST)"
# Table order: the pages, then the logins, then /health (the ceiling) last.
ORDER = ["admin list", "admin list: search", "admin list: by learners", "admin list: page N",
         "admin history", "admin session page", "my sessions", "grading", "/login",
         LOGIN_POST, "/health"]


@dataclass
class Request:
    time: float  # epoch seconds at completion
    name: str
    ms: float
    failed: bool
    error: str


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.2)


def page_urls(database_url: str) -> dict[str, str]:
    """The scale data set's grading page and 5,000-learner session page, for the locustfile."""
    sys.path.insert(0, str(ROOT / "bench"))
    import pages

    from portal import create_app
    from portal.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "load"})
    with app.app_context():
        ids = pages.find_ids(db.session)
        db.engine.dispose()
    return {"LOAD_GRADING_URL":
            f"/coach/sessions/{ids.grading_session}/courses/{ids.grading_course}/grading",
            "LOAD_SESSION_URL": f"/admin/sessions/{ids.big_session}"}


def run_locust(host: str, users: int, seconds: int, prefix: str, env: dict) -> list[Request]:
    """One headless locust run of every user class; the requests it recorded, in order."""
    requests_csv = f"{prefix}_requests.csv"
    command = [str(BIN / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless",
               "--host", host, "-u", str(users), "-r", str(users), "-t", f"{seconds}s",
               "--csv", prefix, "--only-summary", "--stop-timeout", "10",
               "--loglevel", "WARNING"]
    with open(f"{prefix}_locust.log", "w") as log:
        # Bounded even if locust hangs: its own -t plus the stop timeout and a margin.
        subprocess.run(command, env={**env, "LOAD_REQUESTS_CSV": requests_csv},  # noqa: S603
                       check=False, stdout=log, stderr=subprocess.STDOUT,
                       timeout=seconds + 90)
    with open(requests_csv, newline="") as handle:
        rows = [Request(float(r["time"]), r["name"], float(r["response_time_ms"]),
                        r["failed"] == "1", r["error"]) for r in csv.DictReader(handle)]
    return sorted(rows, key=lambda r: r.time)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def phase_table(rows: list[Request], seconds: float) -> str:
    """Per request name: count, req/s over ``seconds``, median and p95 ms, failures."""
    names = sorted({r.name for r in rows},
                   key=lambda n: (ORDER.index(n) if n in ORDER else len(ORDER), n))
    lines = ["| requests | count | failed | req/s | median ms | p95 ms |",
             "|---|---:|---:|---:|---:|---:|"]
    others = ("/login", LOGIN_POST, "/health")
    pages = [(n, [r for r in rows if r.name == n]) for n in names if n not in others]
    everything = [r for r in rows if r.name not in others]
    groups = [*pages, *([("**pages, all**", everything)] if everything else []),
              *((n, [r for r in rows if r.name == n]) for n in names if n in others)]
    for label, group in groups:
        times = [r.ms for r in group]
        label = f"**{label}**" if label == "/health" else label
        lines.append(f"| {label} | {len(group):,} | {sum(r.failed for r in group)} | "
                     f"{len(group) / seconds:.1f} | {statistics.median(times):.0f} | "
                     f"{percentile(times, 0.95):.0f} |")
    return "\n".join(lines)


def split(rows: list[Request]) -> dict:
    """The login phase (from the first request's start until the last login POST completed)
    and the steady state after it (until the last request completed)."""
    started = min((r.time - r.ms / 1000 for r in rows), default=time.time())
    logins = [r for r in rows if r.name == LOGIN_POST]
    login_end = logins[-1].time if logins else started
    end = rows[-1].time if rows else login_end
    return {"started": started, "login_end": login_end, "end": end,
            "login": [r for r in rows if r.time <= login_end],
            "steady": [r for r in rows if r.time > login_end]}


def load_average() -> str:
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=120)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--work-copy", action="store_true",
                        help="run in a copy of the database, dropped after")
    parser.add_argument("--output", default=str(ROOT / "bench" / "RESULTS.md"))
    args = parser.parse_args()

    from portal.config import database_url_from_env

    url = database_url_from_env(args.database_url)
    if not args.work_copy:
        run(args, url)
        return
    sys.path.insert(0, str(ROOT / "bench"))
    import import_bench

    copy = import_bench.copy_database(url)
    try:
        run(args, copy)
    finally:
        import_bench.drop_database(copy)


def run(args, url: str) -> None:
    port = free_port()
    host = f"http://127.0.0.1:{port}"
    folder = Path(tempfile.mkdtemp(prefix="bench-load-"))
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench-load-secret",
           "PORTAL_INSTANCE_PATH": str(folder), **page_urls(url)}
    load_before = load_average()
    gunicorn_log = open(folder / "gunicorn.log", "w")  # noqa: SIM115 - closed in finally
    server = subprocess.Popen(  # noqa: S603
        [str(BIN / "gunicorn"), "--workers", str(args.workers), "--bind", f"127.0.0.1:{port}",
         "--access-logfile", "-" if os.environ.get("LOAD_ACCESS_LOG") else "/dev/null",
         "portal:create_app()"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=gunicorn_log)
    try:
        wait_for(f"{host}/health")
        print(f"gunicorn, {args.workers} workers, on {host}; {args.users} users for "
              f"{args.seconds} s; files in {folder}", flush=True)
        rows = run_locust(host, args.users, args.seconds, str(folder / "run"), env)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        gunicorn_log.close()
    load_after = load_average()
    phases = split(rows)
    login_seconds = max(phases["login_end"] - phases["started"], 0.001)
    steady_seconds = max(phases["end"] - phases["login_end"], 0.001)
    login_table = phase_table(phases["login"], login_seconds)
    steady_table = phase_table(phases["steady"], steady_seconds)
    failed = sum(r.failed for r in rows)
    errors = Counter(f"{r.name}: {r.error}" for r in rows if r.failed)
    log = (folder / "gunicorn.log").read_text()
    server_errors = len(re.findall(r"Traceback|\[ERROR\]|WORKER TIMEOUT", log))
    summary = {"users": args.users, "seconds": args.seconds, "workers": args.workers,
               "login_seconds": login_seconds, "steady_seconds": steady_seconds,
               "requests": len(rows), "failed": failed, "server_errors": server_errors,
               "load_before": load_before, "load_after": load_after,
               "logins": sum(r.name == LOGIN_POST for r in rows),
               "steady_rps": len(phases["steady"]) / steady_seconds}
    print(f"login phase: {login_seconds:.1f} s\n{login_table}\n")
    print(f"steady state: {steady_seconds:.1f} s\n{steady_table}\n")
    print(f"failed requests: {failed} of {len(rows):,}; {server_errors} errors in gunicorn's "
          f"log ({folder / 'gunicorn.log'}); load average {load_before} before, "
          f"{load_after} after")
    for error, count in errors.most_common(10):
        print(f"  {count} x {error}")
    write_section(Path(args.output), url, summary, login_table, steady_table)


def write_section(path: Path, url: str, s: dict, login_table: str, steady_table: str) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    import pages

    kind = "postgresql" if url.startswith("postgresql") else "sqlite"
    body = (
        f"<!-- results:load-{kind} -->\n## Load: gunicorn, {s['workers']} workers, {kind}\n\n"
        f"- machine: {pages.machine()}\n- date: {time.strftime('%Y-%m-%d %H:%M %Z')}\n"
        f"- one locust run (bench/load.py): {s['users']} users started at once, no think "
        f"time, {s['seconds']} s; admins, the 300-session learner, the coach and /health "
        f"checkers interleaved in the same run. Locust (one process) shares the machine "
        f"with gunicorn and {'PostgreSQL' if kind == 'postgresql' else 'the SQLite file'}, "
        f"and other people's work may run on it too: load "
        f"average (1, 5, 15 min) {s['load_before']} before, {s['load_after']} after\n"
        f"- failed requests: {s['failed']} of {s['requests']:,}; {s['server_errors']} errors "
        f"in gunicorn's log\n\n"
        f"### Login phase: {s['login_seconds']:.1f} s, until the last of {s['logins']} "
        f"logins (argon2, a login record each) completed\n\n{login_table}\n\n"
        f"### Steady state: the {s['steady_seconds']:.1f} s after\n\n"
        f"Sync workers take requests from one queue, /health's too, so every request waits "
        f"about {s['users']} users / {s['steady_rps']:.0f} req/s = "
        f"{s['users'] / max(s['steady_rps'], 0.001):.1f} s (Little's law): the medians are "
        f"that wait; each row's req/s is its users' share of the throughput.\n\n"
        f"{steady_table}\n"
        f"<!-- /results:load-{kind} -->\n")
    pages.write_results(path, f"load-{kind}", body)


if __name__ == "__main__":
    main()
