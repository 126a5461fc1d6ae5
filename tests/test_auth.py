"""Login, logout, rate limits, CSRF and redirects."""

import pytest

from tests.conftest import TEST_PASSWORD


@pytest.fixture
def ann(make_user):
    return make_user("ann", email="Ann@Example.org")


def test_login_and_logout(client, ann):
    response = client.login("ann")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    page = client.get_page("/")
    assert "Welcome, Ann Tester" in page.select_one("h1").text
    assert client.logout().status_code == 302
    assert client.get("/").headers["Location"].startswith("/login")


@pytest.mark.parametrize("login_name", ["ANN", " ann ", "ann@example.org", "ANN@EXAMPLE.ORG"])
def test_username_and_email_are_case_insensitive(client, ann, login_name):
    assert client.login(login_name).status_code == 302


@pytest.mark.parametrize(
    ("username", "password"), [("ann", "wrong password"), ("nobody", TEST_PASSWORD)]
)
def test_wrong_username_and_wrong_password_get_the_same_message(client, ann, username,
                                                                 password):
    page = client.post_page("/login", {"username": username, "password": password}, status=401)
    assert page.select_one(".error").text.strip() == "Wrong username or password."


def test_inactive_user_cannot_log_in(client, make_user):
    make_user("gone", active=False)
    page = client.post_page("/login", {"username": "gone", "password": TEST_PASSWORD}, status=401)
    assert "Wrong username or password." in page.text


def test_deactivated_user_is_logged_out_on_next_request(client, ann, app):
    from portal.extensions import db

    client.login("ann")
    ann.active = False
    db.session.commit()
    assert client.get("/").status_code == 302


def test_empty_form_names_the_missing_fields(client):
    page = client.post_page("/login", {"username": "", "password": ""}, status=422)
    errors = [e.text for e in page.select(".error")]
    assert errors == ["Enter your username or e-mail.", "Enter your password."]


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/sessions/4", "/sessions/4"),
        ("https://evil.example/", "/"),
        ("//evil.example/path", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("http:/evil.example", "/"),
    ],
)
def test_next_only_redirects_inside_the_site(client, ann, next_url, expected):
    response = client.post(
        "/login", {"username": "ann", "password": TEST_PASSWORD, "next": next_url}
    )
    assert response.headers["Location"] == expected


def test_next_survives_the_login_page(client, ann):
    page = client.get_page("/login?next=/sessions/4")
    assert page.select_one("input[name=next]")["value"] == "/sessions/4"


def test_login_without_csrf_token_is_rejected(client, ann):
    response = client.client.post("/login", data={"username": "ann", "password": TEST_PASSWORD})
    assert response.status_code == 400
    assert "Your form expired" in response.get_data(as_text=True)


def test_htmx_post_without_csrf_header_is_rejected_with_a_fragment(client, ann):
    client.login("ann")
    response = client.client.post("/logout", headers={"HX-Request": "true"})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "<html" not in body and "Your form expired" in body


def test_htmx_post_with_csrf_header_is_accepted(client, ann):
    client.login("ann")
    assert client.post("/logout", htmx=True).status_code == 302


def test_logout_by_get_is_not_allowed(client, ann):
    client.login("ann")
    assert client.get("/logout").status_code == 405


def test_login_is_rate_limited_per_username(client, ann, app):
    app.config["LOGIN_LIMIT_PER_USERNAME"] = "3 per 5 minutes"
    for _ in range(3):
        assert client.login("ann", "wrong password").status_code == 401
    response = client.login("ann")  # even the right password waits now
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)
    # Another username from the same address is not blocked by ann's limit.
    assert client.login("nobody", "wrong").status_code == 401


def test_login_is_rate_limited_per_address(client, ann, app):
    app.config["LOGIN_LIMIT_PER_IP"] = "4 per 5 minutes"
    for name in ("a1", "a2", "a3", "a4"):
        assert client.login(name, "wrong").status_code == 401
    assert client.login("ann").status_code == 429


def test_successful_logins_do_not_use_up_the_limit(client, ann, app):
    app.config["LOGIN_LIMIT_PER_USERNAME"] = "2 per 5 minutes"
    for _ in range(4):
        assert client.login("ann").status_code == 302
        client.logout()


def test_session_cookie_flags(client, ann):
    response = client.login("ann")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_session_cookie_is_secure_over_https(app, ann):
    from tests.conftest import PortalClient

    client = PortalClient(app.test_client())
    client.client.get("/login", base_url="https://localhost")
    token = client.csrf_token()
    response = client.client.post(
        "/login",
        data={"username": "ann", "password": TEST_PASSWORD, "csrf_token": token},
        base_url="https://localhost",
        headers={"Referer": "https://localhost/login"},
    )
    assert response.status_code == 302
    assert "Secure" in response.headers["Set-Cookie"]


def test_pages_carry_a_strict_content_security_policy(client):
    response = client.get("/login")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert b"<script>" not in response.data and b"onclick" not in response.data


def test_passwords_are_stored_as_argon2id(ann):
    assert ann.password_hash.startswith("$argon2id$")


def test_htmx_request_after_logout_gets_an_alert_not_the_login_page(client, ann, make_user):
    from sqlalchemy import func, select

    from portal.extensions import db
    from portal.models import Enrolment
    from tests.helpers import make_session

    make_user("root", role="admin")
    session = make_session(ann, name="Spring")
    session_id = session.id
    client.login("root")
    token = client.csrf_token()
    client.logout()
    response = client.client.post(
        f"/admin/sessions/{session_id}/learners", data={"add_learner": "ann"},
        headers={"HX-Request": "true", "X-CSRFToken": token,
                 "HX-Current-URL": f"http://localhost/admin/sessions/{session_id}"})
    assert response.status_code == 401
    assert response.headers["HX-Retarget"] == "#messages"
    body = response.get_data(as_text=True)
    assert "Your login has ended" in body and "<html" not in body
    assert f'href="/login?next=/admin/sessions/{session_id}"' in body
    assert db.session.scalar(select(func.count()).select_from(Enrolment)) == 0


def test_login_limits_are_shared_through_redis_when_configured(schema, tmp_path, make_user):
    """Several app processes count failed logins in one place: two apps share the limit."""
    import socket

    import redis

    from portal import create_app
    from tests.conftest import PortalClient, _test_config

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    redis.Redis(db=15).flushdb()
    make_user("ann")
    config = {**_test_config(schema, tmp_path),
              "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/15",
              "LOGIN_LIMIT_PER_USERNAME": "3 per 5 minutes"}
    first, second = create_app(config), create_app(config)
    try:
        with first.app_context():
            for _ in range(2):
                assert PortalClient(first.test_client()).login("ann", "wrong").status_code == 401
        with second.app_context():
            other = PortalClient(second.test_client())
            assert other.login("ann", "wrong").status_code == 401
            assert other.login("ann").status_code == 429  # the other process counted too
    finally:
        redis.Redis(db=15).flushdb()
