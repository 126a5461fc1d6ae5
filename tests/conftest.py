"""Fixtures: an app with a fresh database per test, clients that send CSRF like a browser.

Set DATABASE_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/portal_test) to run the
suite against PostgreSQL; otherwise each test run uses a SQLite file in a temporary folder.
"""

import os
import re
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import create_engine, event, make_url, text

from portal import clock, create_app
from portal.domain.passwords import hash_password
from portal.extensions import db
from portal.models import Base, PlatformRole, User

# The API's fixtures module, loaded by the API tests' pytest_plugins, asserts like a test.
pytest.register_assert_rewrite("tests.api_support")

TEST_PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory, worker_id):
    """SQLite in the run's (or the worker's) temporary folder; with DATABASE_URL, that
    database, or under ``pytest -n N`` (pytest-xdist) one database per worker beside it,
    created for the run and dropped after."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
        return
    from portal.config import database_url_from_env

    url = database_url_from_env(url)
    if worker_id == "master":
        yield url
        return
    with postgresql_database(url, f"{make_url(url).database}_{worker_id}") as worker_url:
        yield worker_url


@contextmanager
def postgresql_database(server_url: str, name: str):
    """An empty PostgreSQL database ``name`` on ``server_url``'s server (made anew, dropped
    after, whoever is still connected); yields its URL."""
    base = make_url(server_url)
    server = create_engine(base, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


@pytest.fixture(scope="session")
def schema(database_url, tmp_path_factory):
    """Create the schema once per run; tests empty the tables afterwards."""
    app = create_app(_test_config(database_url, tmp_path_factory.mktemp("instance")))
    with app.app_context():
        Base.metadata.drop_all(db.engine)
        Base.metadata.create_all(db.engine)
        db.engine.dispose()
    return database_url


def _test_config(database_url, instance):
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "PASSWORD_HASH_PROFILE": "CHEAPEST",
        "UPLOAD_FOLDER": str(instance / "uploads"),
        "PORTAL_TIMEZONE": "Europe/Paris",
        # Tests move the frozen clock by days while logged in; tests/test_login_sessions.py
        # sets the real limits.
        "LOGIN_IDLE_TIMEOUT": 3650 * 86400,
        "LOGIN_MAX_AGE": 3650 * 86400,
    }


def _empty_all_tables(engine):
    tables = list(reversed(Base.metadata.sorted_tables))
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture
def app(schema, tmp_path):
    app = create_app(_test_config(schema, tmp_path))
    with app.app_context():
        yield app
        db.session.remove()
        _empty_all_tables(db.engine)
        db.engine.dispose()
    clock.set_now(None)


@pytest.fixture
def frozen_now():
    """Freeze the clock at a fixed instant; yields a setter to move it."""
    clock.set_now(datetime(2026, 11, 29, 12, 0, tzinfo=UTC))
    yield clock.set_now
    clock.set_now(None)


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def _fresh_identity_map():
    """End the test's own transaction so the request sees (and may write) everything."""
    db.session.rollback()


class _IsolatedClient:
    """Runs each request in its own app context, hence its own database session, as in
    production; the test's session is expired afterwards so it reads what the request wrote."""

    def __init__(self, client):
        self._client = client
        self.application = client.application

    def open(self, *args, **kwargs):
        _fresh_identity_map()
        with self.application.app_context():
            response = self._client.open(*args, **kwargs)
        db.session.expire_all()
        return response

    def get(self, *args, **kwargs):
        return self.open(*args, method="GET", **kwargs)

    def post(self, *args, **kwargs):
        return self.open(*args, method="POST", **kwargs)

    def session_transaction(self, *args, **kwargs):
        return self._client.session_transaction(*args, **kwargs)


class PortalClient:
    """A test client that behaves like the browser: it sends the CSRF token it was given.

    ``get_page`` / ``post_page`` check the status and return parsed HTML, so tests
    assert on what a person sees.
    """

    def __init__(self, client):
        self.client = _IsolatedClient(client)

    def csrf_token(self) -> str:
        page = self.client.get("/login" if not self._logged_in() else "/", follow_redirects=True)
        match = re.search(rb'<meta name="csrf-token" content="([^"]+)"', page.data)
        return match.group(1).decode()

    def _logged_in(self) -> bool:
        with self.client.session_transaction() as sess:
            return "_user_id" in sess

    def get(self, url, **kwargs):
        return self.client.get(url, **kwargs)

    def post(self, url, data=None, htmx=False, **kwargs):
        data = dict(data or {})
        headers = dict(kwargs.pop("headers", {}))
        token = self.csrf_token()
        if htmx:
            headers.update({"HX-Request": "true", "X-CSRFToken": token})
        else:
            data.setdefault("csrf_token", token)
        return self.client.post(url, data=data, headers=headers, **kwargs)

    def htmx_get(self, url, **kwargs):
        return self.client.get(url, headers={"HX-Request": "true"}, **kwargs)

    def get_page(self, url, status=200, **kwargs) -> BeautifulSoup:
        response = self.get(url, **kwargs)
        assert response.status_code == status, (response.status_code, response.data[:500])
        return BeautifulSoup(response.data, "html.parser")

    def post_page(self, url, data=None, status=200, **kwargs) -> BeautifulSoup:
        response = self.post(url, data, **kwargs)
        assert response.status_code == status, (response.status_code, response.data[:500])
        return BeautifulSoup(response.data, "html.parser")

    def login(self, username, password=TEST_PASSWORD):
        return self.post("/login", {"username": username, "password": password})

    def logout(self):
        return self.post("/logout")


@pytest.fixture
def client(app):
    return PortalClient(app.test_client())


@pytest.fixture
def make_user(app):
    """Create a user: make_user("ann", role="admin")."""
    password_hash = hash_password(TEST_PASSWORD)

    def make(username, role=PlatformRole.LEARNER.value, **fields):
        fields.setdefault("email", f"{username}@example.org")
        fields.setdefault("first_name", username.capitalize())
        fields.setdefault("last_name", "Tester")
        user = User(username=username, role=role, password_hash=password_hash, **fields)
        db.session.add(user)
        db.session.commit()
        return user

    return make


# The people of the tests: key -> (username, platform role, first name, last name).
CAST = {
    "admin": ("ada", "admin", "Ada", "Tester"),
    "coach": ("cora", "teacher", "Cora", "Coach"),
    "ted": ("ted", "teacher", "Ted", "Teach"),
    "tom": ("tom", "teacher", "Tom", "Other"),
    "lea": ("lea", "learner", "Lea", "Learner"),
    "leo": ("leo", "learner", "Leo", "Second"),
    "max": ("max", "learner", "Max", "Absent"),
    "classmate": ("cleo", "learner", "Cleo", "Tester"),
    "other": ("otto", "learner", "Otto", "Tester"),
    "sam": ("sam", "learner", "Sam", "Tester"),
}
# Other keys some files use for the same people.
CAST_ALIASES = {"teacher": "ted", "learner": "lea", "stranger": "sam"}


@pytest.fixture
def people(request, make_user, frozen_now):
    """The people a test module names in its ``PEOPLE`` (keys of CAST or CAST_ALIASES),
    created in that order, as {key: User}; the clock is frozen (tests/helpers.NOW)."""
    created = {}
    for key in request.module.PEOPLE:
        username, role, first_name, last_name = CAST[CAST_ALIASES.get(key, key)]
        created[key] = make_user(username, role=role, first_name=first_name,
                                 last_name=last_name)
    return created


class QueryCounter:
    def __init__(self, engine):
        self.engine = engine
        self.statements: list[str] = []

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._record)

    def _record(self, conn, cursor, statement, *args):
        self.statements.append(statement)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(app):
    """``with count_queries() as counter: ...; counter.count``"""
    return lambda: QueryCounter(db.engine)
