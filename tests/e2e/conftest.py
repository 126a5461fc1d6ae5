"""Browser tests: the real portal on a loopback port, driven by Debian's Chromium.

They run when Chromium is found (``PORTAL_CHROMIUM``, default /usr/bin/chromium) and are
skipped with a reason otherwise; ``PORTAL_E2E_REQUIRED=1`` (set by .ci/run) turns that
skip into a failure. Each test gets its own SQLite database and server, seeded by the
test itself. Screenshots of failures (and of every page with ``PORTAL_SCREENSHOTS=1``)
go to test-output/screenshots/.
"""

import os
import re
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from portal import create_app
from portal.domain.passwords import hash_password
from portal.extensions import db
from portal.models import Base, PlatformRole, User

CHROMIUM = os.environ.get("PORTAL_CHROMIUM", "/usr/bin/chromium")
REQUIRED = os.environ.get("PORTAL_E2E_REQUIRED") == "1"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
SHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
PASSWORD = "browser test password"
# Answers the page shows on purpose (form errors, conflicts, locked pages, logged out),
# which Chromium still logs as failed loads.
EXPECTED_STATUS = re.compile(r"status of (401|403|409|422) ")
CSP_MESSAGE = re.compile(r"Content Security Policy|securitypolicyviolation", re.IGNORECASE)
# Chromium logs most CSP refusals itself; the event catches the rest (e.g. a refused style
# attribute set from script) and logs it where the console listener sees it.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error("securitypolicyviolation: " + event.violatedDirective + " blocked "
                + (event.blockedURI || "inline") + " " + (event.sample || ""));
});
"""


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if REQUIRED:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


class LiveServer:
    def __init__(self, app, port):
        self.app, self.port = app, port
        self.url = f"http://127.0.0.1:{port}"
        self._server = make_server("127.0.0.1", port, app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self):
        self._thread.start()

    def stop(self):
        self._server.shutdown()
        self._thread.join(5)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def live(tmp_path) -> Iterator[LiveServer]:
    """The portal served on a free loopback port, with an empty database of its own."""
    app = create_app({
        "SECRET_KEY": "browser-tests",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'e2e.sqlite3'}",
        "PASSWORD_HASH_PROFILE": "CHEAPEST",
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "PORTAL_TIMEZONE": "Europe/Paris",
    })
    with app.app_context():
        Base.metadata.create_all(db.engine)
    server = LiveServer(app, _free_port())
    server.start()
    yield server
    server.stop()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def seed(live):
    """Run seeding code inside the live app: ``seed(lambda: ...)`` or ``with seed.ctx():``."""

    class Seeder:
        def __call__(self, fn):
            with live.app.app_context():
                result = fn()
                db.session.commit()
                return result

        def user(self, username, role=PlatformRole.LEARNER.value, **fields):
            def make():
                fields.setdefault("email", f"{username}@example.org")
                fields.setdefault("first_name", username.capitalize())
                fields.setdefault("last_name", "Tester")
                user = User(username=username, role=role, password_hash=hash_password(PASSWORD),
                            **fields)
                db.session.add(user)
                db.session.flush()
                return user.id

            return self(make)

    return Seeder()


@pytest.fixture
def page(browser, live, request):
    context = browser.new_context(base_url=live.url, viewport={"width": 1280, "height": 900})
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    page = context.new_page()
    page.set_default_timeout(10_000)
    problems: list[str] = []
    csp_errors: list[str] = []
    page.on("console", lambda msg: _note_console(msg, problems, csp_errors))
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.problems = problems
    yield page
    failed = getattr(request.node, "rep_call", None)
    if (failed is not None and failed.failed) or os.environ.get("PORTAL_SCREENSHOTS") == "1":
        SHOTS.mkdir(parents=True, exist_ok=True)
        safe_name = re.sub(r"[^\w.-]", "_", request.node.name)
        page.screenshot(path=str(SHOTS / f"{safe_name}.png"), full_page=True)
    context.close()
    # Every test fails on a Content Security Policy error, even one that asserts nothing
    # about the console: a blocked style or script is a broken page.
    assert not csp_errors, f"{len(csp_errors)} CSP error(s) in the console: {csp_errors[:5]}"


def _note_console(msg, problems: list[str], csp_errors: list[str]) -> None:
    """Keep the console errors a test did not expect, and every CSP message apart."""
    if CSP_MESSAGE.search(msg.text):
        csp_errors.append(msg.text)
    if msg.type == "error" and not EXPECTED_STATUS.search(msg.text):
        problems.append(msg.text)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.rep_call = report
    return report


def login(page, username, password=PASSWORD):
    page.goto("/login")
    page.get_by_label("Username or e-mail").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def check_accessibility(page, name: str) -> None:
    """Fail on any axe-core violation of impact serious or critical on the current page."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    serious = [v for v in results.response["violations"]
               if v.get("impact") in ("serious", "critical")]
    if os.environ.get("PORTAL_SCREENSHOTS") == "1":
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"page-{name}.png"), full_page=True)
    details = [f"{v['id']} ({v['impact']}): {v['help']} at "
               f"{[n['target'] for n in v['nodes']][:3]}" for v in serious]
    assert not details, f"{name}: " + "; ".join(details)
