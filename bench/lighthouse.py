"""Lighthouse on the portal's main pages: performance, accessibility, best practices.

    python bench/lighthouse.py [--output bench/RESULTS.md] [--only "coach tracking"]

Loads the demo data into a fresh SQLite database in a temporary instance folder, serves it
with gunicorn (2 workers) on a free loopback port, logs in as each demo role and runs
Lighthouse (the npm package pinned in package.json, installed by `make tools`; Chromium from
/usr/bin/chromium, headless) on 15 pages with the login cookie: Lighthouse's default mobile
profile with simulated throttling (a slow 4G link and a 4x slower CPU). Prints, and writes
to ``--output`` (section "lighthouse"), each page's three scores and whether the "enable text
compression" audit passed. Goals: performance >= 0.99, accessibility 1, best practices 1,
text compression passed; the pages that miss one are listed and the exit status is 1.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "bench"))
from load import free_port, wait_for  # noqa: E402
from pages import machine, write_results  # noqa: E402

TOOLS = ROOT / "node_modules"
LIGHTHOUSE_VERSION = json.loads((ROOT / "package.json").read_text())["devDependencies"][
    "lighthouse"]
CHROMIUM = "/usr/bin/chromium"
CHROME_FLAGS = ("--headless --no-sandbox --disable-gpu --disable-background-networking "
                "--disable-component-update --disable-sync --no-first-run")
GOALS = {"performance": 0.99, "accessibility": 1.0, "best-practices": 1.0}


def lighthouse() -> Path:
    binary = TOOLS / ".bin" / "lighthouse"
    if not binary.exists():
        subprocess.run(["make", "tools"], cwd=ROOT, check=True)  # noqa: S607 - make on PATH
    return binary


def flask(env: dict, *args: str) -> str:
    done = subprocess.run([str(BIN / "flask"), "--app", "portal", *args],  # noqa: S603
                          cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    return done.stdout


def login_cookie(host: str, username: str, password: str) -> str:
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{host}/login").read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"csrf_token": token, "username": username,
                                   "password": password}).encode()
    opener.open(f"{host}/login", data=form)
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def demo_pages(env: dict) -> dict[str, list[tuple[str, str]]]:
    """Per demo login, the pages to measure: (label, path)."""
    from portal import create_app
    from portal.extensions import db
    from portal.models import Enrolment, SessionCourse, TrainingSession, User

    os.environ.update(env)
    app = create_app()
    with app.app_context():
        learner = db.session.query(User).filter_by(username="learner").one()
        session = (db.session.query(TrainingSession).join(Enrolment)
                   .filter(Enrolment.user_id == learner.id)
                   .order_by(TrainingSession.learner_count.desc()).first())
        course = db.session.query(SessionCourse).filter_by(session_id=session.id).first()
        ids = {"s": session.id, "c": course.course_id}
        db.engine.dispose()
    return {
        "": [("login", "/login")],
        "admin": [("admin dashboard", "/admin/"), ("admin sessions", "/admin/sessions"),
                  ("admin session page", f"/admin/sessions/{ids['s']}"),
                  ("admin learners tab", f"/admin/sessions/{ids['s']}/learners"),
                  ("admin users", "/admin/users"), ("admin courses", "/admin/courses"),
                  ("admin history", "/admin/history"), ("admin outbox", "/admin/outbox"),
                  ("admin import", "/admin/import")],
        "coach": [("coach sessions", "/coach/"), ("coach tracking", "first-link:/tracking"),
                  ("coach grading", "first-link:/grading")],
        "learner": [("my sessions", "/my-sessions"),
                    ("learner session", f"/sessions/{ids['s']}"),
                    ("learner course", f"/sessions/{ids['s']}/courses/{ids['c']}")],
    }


def first_link(host: str, cookie: str, page: str, ending: str) -> str:
    request = urllib.request.Request(host + page, headers={"Cookie": cookie})  # noqa: S310
    html = urllib.request.urlopen(request).read().decode()  # noqa: S310 - loopback http
    return re.search(rf'href="(/[^"]*{re.escape(ending)})"', html).group(1)


def audit(binary: Path, url: str, cookie: str, folder: Path, label: str) -> dict:
    report = folder / f"{label.replace(' ', '-')}.json"
    headers = folder / "headers.json"
    headers.write_text(json.dumps({"Cookie": cookie} if cookie else {}))
    subprocess.run([str(binary), url, "--quiet", "--output=json",  # noqa: S603
                    f"--output-path={report}",
                    "--only-categories=performance,accessibility,best-practices",
                    f"--chrome-flags={CHROME_FLAGS}", f"--extra-headers={headers}"],
                   check=True, env={**os.environ, "CHROME_PATH": CHROMIUM})
    result = json.loads(report.read_text())
    scores = {name: result["categories"][name]["score"] for name in GOALS}
    # Lighthouse 13 checks the document's compression in its latency insight; the
    # stylesheets and scripts are checked here: fewer bytes sent than their size.
    document = result["audits"]["document-latency-insight"]["details"]["items"]
    texts = [r for r in result["audits"]["network-requests"]["details"]["items"]
             if r.get("resourceType") in ("Stylesheet", "Script") and r["resourceSize"] > 1400]
    scores["compressed"] = document["usesCompression"]["value"] and all(
        r["transferSize"] < r["resourceSize"] for r in texts)
    scores["lcp_ms"] = result["audits"]["largest-contentful-paint"]["numericValue"]
    return scores


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", default=str(ROOT / "bench" / "RESULTS.md"))
    parser.add_argument("--only", help="measure only the pages whose label holds this text "
                        "(nothing is written to --output)")
    args = parser.parse_args()
    binary = lighthouse()
    folder = Path(tempfile.mkdtemp(prefix="bench-lighthouse-"))
    env = {**os.environ, "PORTAL_INSTANCE_PATH": str(folder), "SECRET_KEY": "lighthouse",
           "DATABASE_URL": f"sqlite:///{folder / 'portal.sqlite3'}"}
    flask(env, "db", "upgrade")
    logins = dict(re.findall(r"(\w+) / (\S+)", flask(env, "demo")))
    pages = demo_pages(env)
    port = free_port()
    host = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([str(BIN / "gunicorn"), "--workers", "2", "--bind",  # noqa: S603
                               f"127.0.0.1:{port}", "portal:create_app()"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rows, misses = [], []
    load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
    try:
        wait_for(f"{host}/health")
        for role, role_pages in pages.items():
            cookie = login_cookie(host, role, logins[role]) if role else ""
            for label, path in role_pages:
                if args.only and args.only not in label:
                    continue
                if path.startswith("first-link:"):  # the first such link of the role's home
                    path = first_link(host, cookie, "/coach/", path.split(":", 1)[1])
                scores = audit(binary, host + path, cookie, folder, label)
                rows.append((label, path, scores))
                missed = [name for name, goal in GOALS.items() if scores[name] < goal]
                if not scores["compressed"]:
                    missed.append("text compression")
                if missed:
                    misses.append(f"{label}: {', '.join(missed)}")
                print(f"{label:22} perf {scores['performance']:.2f}  a11y "
                      f"{scores['accessibility']:.2f}  best {scores['best-practices']:.2f}  "
                      f"compressed {'yes' if scores['compressed'] else 'NO'}  "
                      f"LCP {scores['lcp_ms']:.0f} ms", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
    table = ["| page | path | performance | accessibility | best practices | text compressed "
             "| LCP (simulated) |", "| --- | --- | --- | --- | --- | --- | --- |"]
    table += [f"| {label} | `{path}` | {s['performance']:.2f} | {s['accessibility']:.2f} | "
              f"{s['best-practices']:.2f} | {'yes' if s['compressed'] else 'no'} | "
              f"{s['lcp_ms']:.0f} ms |" for label, path, s in rows]
    body = (f"<!-- results:lighthouse -->\n## Lighthouse {LIGHTHOUSE_VERSION}: the demo's main "
            f"pages\n\n- machine: {machine()}\n- date: {time.strftime('%Y-%m-%d %H:%M %Z')}\n"
            f"- `bench/lighthouse.py`: demo data on SQLite, gunicorn with 2 workers on "
            f"loopback, Chromium headless, Lighthouse's default mobile profile (simulated "
            f"slow 4G and 4x CPU slowdown); load average (1, 5, 15 min) before: "
            f"{load_before}\n- goals: performance >= 0.99, accessibility and "
            f"best practices 1, text compression passed; missed: "
            f"{'; '.join(misses) or 'none'}\n\n" + "\n".join(table)
            + "\n<!-- /results:lighthouse -->\n")
    if not args.only:
        write_results(Path(args.output), "lighthouse", body)
    print("missed: " + ("; ".join(misses) or "none"))
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
