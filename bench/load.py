"""Load test: the portal under gunicorn, 50 simulated users, against the health endpoint.

    python bench/load.py --database-url URL [--users 50] [--seconds 60] [--workers 2]
                         [--output bench/RESULTS.md]

URL is a database filled by ``flask --app portal scale-data``. Starts ``gunicorn`` with
``--workers`` sync workers on a free loopback port, then runs locust headless twice
(bench/locustfile.py), each for ``--seconds`` with ``--users`` users and no think time:

1. the mix: admins on the session list (default, search, by learners, deep pages), the
   300-session learner on My sessions, the coach on the grading page of the 2,000-learner
   session (which records an access event per view, as in production);
2. the same number of users on /health alone, which reads no database: the ceiling of
   this server and machine.

Prints requests per second, the median and 95th percentile response times and the errors
of each, and writes them to ``--output`` (section "load"). Goal: zero errors. Locust
shares the machine with gunicorn (2 cores here): the figures are a floor, not a capacity.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


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


def grading_url(database_url: str) -> str:
    """The grading page of the scale data set's grading session."""
    sys.path.insert(0, str(ROOT / "bench"))
    import pages

    from portal import create_app
    from portal.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "load"})
    with app.app_context():
        ids = pages.find_ids(db.session)
        db.engine.dispose()
    return f"/coach/sessions/{ids.grading_session}/courses/{ids.grading_course}/grading"


def run_locust(host: str, classes: list[str], users: int, seconds: int, prefix: str,
               env: dict) -> dict:
    command = [str(BIN / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless",
               "--host", host, "-u", str(users), "-r", str(users), "-t", f"{seconds}s",
               "--csv", prefix, "--only-summary", "--stop-timeout", "5", *classes]
    subprocess.run(command, env=env, check=False, stdout=subprocess.DEVNULL,  # noqa: S603
                   stderr=subprocess.DEVNULL)
    with open(f"{prefix}_stats.csv", newline="") as handle:
        rows = {row["Name"]: row for row in csv.DictReader(handle)}
    return rows


def figures(row: dict) -> dict:
    return {"requests": int(row["Request Count"]), "failures": int(row["Failure Count"]),
            "rps": float(row["Requests/s"]), "median": float(row["Median Response Time"]),
            "p95": float(row["95%"])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--output", default=str(ROOT / "bench" / "RESULTS.md"))
    args = parser.parse_args()

    from portal.config import database_url_from_env

    url = database_url_from_env(args.database_url)
    port = free_port()
    host = f"http://127.0.0.1:{port}"
    folder = Path(tempfile.mkdtemp(prefix="bench-load-"))
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench-load-secret",
           "PORTAL_INSTANCE_PATH": str(folder), "LOAD_GRADING_URL": grading_url(url)}
    server = subprocess.Popen(  # noqa: S603
        [str(BIN / "gunicorn"), "--workers", str(args.workers), "--bind", f"127.0.0.1:{port}",
         "--access-logfile", "-" if os.environ.get("LOAD_ACCESS_LOG") else "/dev/null",
         "portal:create_app()"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=open(folder / "gunicorn.log", "w"))
    try:
        wait_for(f"{host}/health")
        print(f"gunicorn, {args.workers} workers, on {host}; {args.users} users, "
              f"{args.seconds} s each run", flush=True)
        mix = run_locust(host, ["AdminUser", "LearnerUser", "CoachUser"], args.users,
                         args.seconds, str(folder / "mix"), env)
        health = run_locust(host, ["HealthUser"], args.users, args.seconds,
                            str(folder / "health"), env)
    finally:
        server.terminate()
        server.wait(timeout=30)
    names = [name for name in mix if name not in ("Aggregated",)]
    lines = ["| requests | count | errors | req/s | median ms | p95 ms |",
             "|---|---:|---:|---:|---:|---:|"]
    for label, row in [*((n, mix[n]) for n in names), ("**mix, all**", mix["Aggregated"]),
                       ("**/health alone**", health["Aggregated"])]:
        f = figures(row)
        lines.append(f"| {label} | {f['requests']:,} | {f['failures']} | {f['rps']:.1f} | "
                     f"{f['median']:.0f} | {f['p95']:.0f} |")
    table = "\n".join(lines)
    print(table)
    errors = figures(mix["Aggregated"])["failures"] + figures(health["Aggregated"])["failures"]
    log = (folder / "gunicorn.log").read_text()
    server_errors = len(re.findall(r"Traceback|\[ERROR\]", log))
    print(f"errors: {errors} failed requests, {server_errors} server errors in gunicorn's log")
    write_section(Path(args.output), url, args, table, errors, server_errors)


def write_section(path: Path, url: str, args, table: str, errors: int,
                  server_errors: int) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    import pages

    kind = "postgresql" if url.startswith("postgresql") else "sqlite"
    body = (f"<!-- results:load-{kind} -->\n## Load: gunicorn, {args.workers} workers, "
            f"{kind}\n\n- machine: {pages.machine()}\n"
            f"- date: {time.strftime('%Y-%m-%d %H:%M %Z')}\n"
            f"- {args.users} locust users without think time, {args.seconds} s per run, "
            f"locust on the same machine; bench/load.py\n"
            f"- errors: {errors} failed requests, {server_errors} in gunicorn's log\n\n"
            f"{table}\n<!-- /results:load-{kind} -->\n")
    pages.write_results(path, f"load-{kind}", body)


if __name__ == "__main__":
    main()
