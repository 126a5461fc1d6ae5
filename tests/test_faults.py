"""Faults the portal survives: its database restarting under gunicorn, Redis gone for the
rate limits, an upload that cannot be written. Each test stops by itself within seconds."""

import errno
import glob
import io
import logging
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests
from bs4 import BeautifulSoup
from sqlalchemy import select, text

from portal.extensions import db, limiter
from portal.models import Assignment, JournalEntry, Submission
from tests.conftest import PortalClient, _test_config
from tests.helpers import add_course, enrol, make_session

PEOPLE = ("coach", "learner")
PROJECT = Path(__file__).resolve().parent.parent
UNAVAILABLE = "The portal is briefly unavailable"


# --- PostgreSQL restarted while gunicorn serves -----------------------------------------


def _postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Cluster:
    """A throw-away PostgreSQL cluster in a temporary folder, on its own loopback port,
    run as the ``postgres`` user when the tests run as root (initdb refuses root)."""

    def __init__(self, bindir: Path, folder: Path):
        self.bindir, self.folder, self.port = bindir, folder, _free_port()
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            shutil.chown(folder, "postgres")

    def _run(self, *args: str) -> None:
        subprocess.run([*self.as_user, *args], check=True, timeout=30,  # noqa: S603 - our own
                       capture_output=True)

    def init(self) -> None:
        self._run(str(self.bindir / "initdb"), "-D", str(self.folder / "data"), "-U", "postgres",
                  "--auth=trust", "-E", "UTF8", "--no-sync")

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off")
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.folder / "data"), "-o", options,
                  "-l", str(self.folder / "server.log"), "-w", "-t", "20", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.folder / "data"), "-m", mode,
                  "-w", "-t", "20", "stop")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"


@pytest.fixture
def cluster():
    bindir = _postgres_bin()
    if bindir is None:
        pytest.skip("PostgreSQL binaries (initdb, pg_ctl) are not installed")
    if os.geteuid() == 0 and not shutil.which("runuser"):
        pytest.skip("running as root without runuser: initdb cannot be run")
    folder = Path(tempfile.mkdtemp(prefix="portal-faults-pg-"))
    server = Cluster(bindir, folder)
    try:
        server.init()
        server.start()
        yield server
    finally:
        try:
            server.stop("immediate")
        except subprocess.CalledProcessError:
            pass  # already stopped
        shutil.rmtree(folder, ignore_errors=True)


def _portal_command(env, *args):
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "portal", *args],  # noqa: S603
                          cwd=PROJECT, env=env, timeout=60, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]


@pytest.fixture
def gunicorn(cluster, tmp_path):
    """gunicorn (2 workers) serving the portal on the cluster, with an administrator."""
    env = {**os.environ, "DATABASE_URL": cluster.url,
           "PORTAL_INSTANCE_PATH": str(tmp_path / "instance"), "SECRET_KEY": "faults-test"}
    env.pop("RATELIMIT_STORAGE_URI", None)
    _portal_command(env, "db", "upgrade")
    _portal_command(env, "create-admin", "--username", "root", "--email", "root@example.org",
                    "--password", "a long enough password", "--first-name", "Rita")
    port = _free_port()
    log = open(tmp_path / "gunicorn.log", "wb")  # gunicorn writes it; closed below
    server = subprocess.Popen(  # noqa: S603 - a fixed command line
        [str(Path(sys.executable).parent / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}",
         "--timeout", "20", "wsgi:app"],
        cwd=PROJECT, env=env, stdout=subprocess.DEVNULL, stderr=log)
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        if server.poll() is not None:
            output = (tmp_path / "gunicorn.log").read_text(errors="replace")
            pytest.fail("gunicorn stopped: " + output[-2000:])
        return requests.get(base + "/health", timeout=2).status_code == 200

    try:
        _poll(up, 15)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


def _poll(check, seconds: float) -> float:
    """Call ``check`` every 0.2 s until it is true; the seconds it took (fails after
    ``seconds``)."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        try:
            if check():
                return time.monotonic() - started
        except requests.RequestException:
            pass
        time.sleep(0.2)
    pytest.fail(f"not true after {seconds} s")


def _logged_in(base: str) -> requests.Session:
    browser = requests.Session()
    page = browser.get(base + "/login", timeout=5)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text).group(1)
    response = browser.post(base + "/login", timeout=10, allow_redirects=False, data={
        "csrf_token": token, "username": "root", "password": "a long enough password"})
    assert response.status_code == 302
    return browser


def test_a_database_restart_gives_503_pages_then_recovers_by_itself(cluster, gunicorn):
    browser = _logged_in(gunicorn)
    assert browser.get(gunicorn + "/", timeout=5).status_code == 200
    cluster.stop("fast")
    # Several requests, so that both workers (and their pooled connections) meet the outage.
    for _ in range(4):
        for headers in ({}, {"HX-Request": "true"}):
            response = browser.get(gunicorn + "/admin/sessions", headers=headers, timeout=10)
            assert response.status_code == 503, response.text[:300]
            assert response.headers["Retry-After"].isdigit()
            assert UNAVAILABLE in response.text
            assert "Traceback" not in response.text and "OperationalError" not in response.text
            if headers:
                assert response.headers["HX-Retarget"] == "#messages"
                assert "<html" not in response.text
            else:
                assert BeautifulSoup(response.text, "html.parser").h1.text == UNAVAILABLE
    cluster.start()
    took = _poll(lambda: browser.get(gunicorn + "/admin/sessions", timeout=5).status_code == 200,
                 10)
    print(f"back to 200 {took:.1f} s after PostgreSQL started again")  # for the closing note
    for _ in range(4):  # every worker is back, still logged in
        assert browser.get(gunicorn + "/admin/sessions", timeout=5).status_code == 200


def test_a_database_that_cannot_be_opened_gives_the_503_page(tmp_path):
    """The same page without PostgreSQL: a SQLite file that cannot be opened."""
    from portal import create_app

    config = {**_test_config(f"sqlite:///{tmp_path}/missing/dir/portal.sqlite3", tmp_path),
              "WTF_CSRF_ENABLED": False, "LOGIN_LIMIT_PER_USERNAME": "2 per 5 minutes"}
    app = create_app(config)
    with app.app_context():
        browser = app.test_client()
        # Not failed logins: the third is not refused by the limit of two.
        for headers in ({}, {"HX-Request": "true"}, {}):
            response = browser.post("/login", headers=headers,
                                    data={"username": "ann", "password": "secret words"})
            assert response.status_code == 503
            assert response.headers["Retry-After"] == "5"
            assert UNAVAILABLE in response.get_data(as_text=True)
        db.engine.dispose()


def test_connections_are_checked_recycled_and_time_out():
    from portal.config import Defaults, engine_options

    options = engine_options("postgresql+psycopg://db/portal", Defaults.SQLALCHEMY_ENGINE_OPTIONS)
    assert options["pool_pre_ping"] is True and options["pool_recycle"] == 1800
    assert options["connect_args"]["connect_timeout"] == 5


def test_postgresql_runs_page_queries_without_jit_or_parallel_workers(app):
    """Where the suite runs on PostgreSQL, the portal's own connections say so."""
    if db.engine.dialect.name != "postgresql":
        assert "options" not in app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("connect_args", {})
        return
    assert db.session.execute(text("SHOW jit")).scalar() == "off"
    assert db.session.execute(text("SHOW max_parallel_workers_per_gather")).scalar() == "0"


# --- Redis unavailable for the rate limits ------------------------------------------------


@pytest.fixture
def dead_redis_app(app, schema, tmp_path):
    """An app whose rate limits are stored in a Redis that does not answer (port 1); made
    after the test's ``app``, as the limiter is one object that the last app configures."""
    from portal import create_app

    config = {**_test_config(schema, tmp_path), "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/0",
              "LOGIN_LIMIT_PER_USERNAME": "3 per 5 minutes"}
    yield create_app(config)
    limiter._storage_dead = False  # the next tests' apps start with a live storage


def test_logins_work_without_redis_and_stay_limited_in_memory(dead_redis_app, make_user,
                                                              caplog):
    make_user("ann")
    with caplog.at_level(logging.WARNING), dead_redis_app.app_context():
        browser = PortalClient(dead_redis_app.test_client())
        assert browser.login("ann").status_code == 302
        assert any("falling back to in-memory" in record.getMessage()
                   for record in caplog.records if record.levelno == logging.WARNING)
        browser.logout()
        for _ in range(3):
            assert browser.login("ann", "wrong password").status_code == 401
        response = browser.login("ann")  # the per-username limit holds, in memory
        assert response.status_code == 429
        assert "Too many attempts" in response.get_data(as_text=True)


# --- an upload that cannot be written ---------------------------------------------------


@pytest.fixture
def world(people):
    session = make_session(people["coach"], "Autumn", starts_in=-1, ends_in=10)
    course = add_course(session)
    essay = Assignment(course_id=course.id, title="Essay", max_score=20)
    db.session.add(essay)
    db.session.commit()
    enrol(session, people["learner"])
    return {"session": session, "course": course, "essay": essay}


@pytest.fixture
def full_disk(monkeypatch):
    """Every write of an upload fails as on a full disk, after a first partial write."""
    real_open = open

    class FullFile(io.RawIOBase):
        def __init__(self, path):
            self.handle = real_open(path, "xb")

        def writable(self):
            return True

        def write(self, data):
            self.handle.write(data[:10])
            self.handle.flush()
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        def close(self):
            self.handle.close()
            super().close()

    def open_full(path, mode="r", *args, **kwargs):
        return FullFile(path) if mode == "xb" else real_open(path, mode, *args, **kwargs)

    from portal.domain import hand_in as hand_in_module

    monkeypatch.setattr(hand_in_module, "open", open_full, raising=False)


@pytest.mark.parametrize("htmx", [False, True])
def test_an_upload_that_cannot_be_written_leaves_nothing_and_keeps_the_answer(
        client, app, people, world, full_disk, htmx):
    client.login("lea")
    prefix = f"a{world['essay'].id}-"
    url = (f"/sessions/{world['session'].id}/courses/{world['course'].id}"
           f"/assignments/{world['essay'].id}/hand-in")
    response = client.post(url, {prefix + "answer": "My long typed answer",
                                 prefix + "attachment": (io.BytesIO(b"x" * 5000), "notes.txt")},
                           htmx=htmx)
    assert response.status_code == 422
    page = BeautifulSoup(response.data, "html.parser")
    error = page.select_one(f"#{prefix}attachment-error")
    assert "could not be saved" in error.text
    assert page.select_one(f"#{prefix}answer").text.strip() == "My long typed answer"
    if not htmx:
        assert page.h1 is not None  # the whole course page, the form in it
    assert db.session.scalars(select(Submission)).all() == []
    assert db.session.scalars(select(JournalEntry).where(
        JournalEntry.object_type == "submission")).all() == []
    folder = Path(app.config["UPLOAD_FOLDER"])
    assert not folder.exists() or list(folder.iterdir()) == []  # no partial file left


def test_a_replaced_file_that_cannot_be_deleted_does_not_undo_the_hand_in(
        client, app, people, world, monkeypatch, caplog):
    client.login("lea")
    prefix = f"a{world['essay'].id}-"
    url = (f"/sessions/{world['session'].id}/courses/{world['course'].id}"
           f"/assignments/{world['essay'].id}/hand-in")
    client.post(url, {prefix + "attachment": (io.BytesIO(b"one"), "one.txt")})
    old_key = db.session.scalar(select(Submission.file_key))
    real_unlink = Path.unlink

    def unlink(path, *args, **kwargs):
        if path.name == old_key:
            raise PermissionError(errno.EACCES, "read-only")
        return real_unlink(path, *args, **kwargs)

    monkeypatch.setattr(Path, "unlink", unlink)
    response = client.post(url, {prefix + "attachment": (io.BytesIO(b"two"), "two.txt")})
    assert response.status_code == 303
    assert db.session.scalar(select(Submission.file_name)) == "two.txt"
    assert "could not be deleted" in caplog.text
