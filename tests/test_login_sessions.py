"""Logins the server can end: a record per login, checked on every request; logout,
a new password and an admin end them; idle and age limits; the CSRF secret renewed."""

import hashlib
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from flask_login.utils import encode_cookie
from sqlalchemy import func, select

from portal import config as portal_config
from portal.domain import journal, logins
from portal.extensions import db
from portal.models import JournalEntry, LoginSession, User
from tests.conftest import TEST_PASSWORD, PortalClient
from tests.helpers import NOW

PARIS = ZoneInfo("Europe/Paris")

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
SAFARI = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")
CHROME = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/131.0.0.0 Safari/537.36")
NEW_PASSWORD = "a much longer secret"
LOGGED_OUT_TEXT = "Your login has ended"


@pytest.fixture(autouse=True)
def real_limits(app):
    """The portal's own limits (the other tests' config lifts them)."""
    app.config["LOGIN_IDLE_TIMEOUT"] = portal_config.Defaults.LOGIN_IDLE_TIMEOUT
    app.config["LOGIN_MAX_AGE"] = portal_config.Defaults.LOGIN_MAX_AGE


@pytest.fixture
def lea(make_user, frozen_now):
    return make_user("lea", first_name="Lea", last_name="Learner")


@pytest.fixture
def new_client(app):
    """Another browser."""
    return lambda: PortalClient(app.test_client())


def login(client, username="lea", agent=FIREFOX):
    response = client.post("/login", {"username": username, "password": TEST_PASSWORD},
                           headers={"User-Agent": agent})
    assert response.status_code == 302, response.data[:300]
    return response


def logged_in(client) -> bool:
    """The client's cookie still opens a page that needs a login."""
    response = client.get("/profile")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def session_cookie(client) -> str:
    return client.client._client.get_cookie("session").value


def csrf_secret(client) -> str | None:
    with client.client.session_transaction() as sess:
        return sess.get("csrf_token")


def sentences() -> list[str]:
    entries = db.session.scalars(select(JournalEntry).order_by(JournalEntry.id))
    return [journal.sentence(e, PARIS) for e in entries]


def test_a_copied_cookie_stops_working_after_logout(client, lea, new_client):
    login(client)
    thief = new_client()
    thief.client._client.set_cookie("session", session_cookie(client))
    assert logged_in(thief)
    client.logout()
    assert not logged_in(thief)
    assert not logged_in(client)
    login_row = db.session.scalar(select(LoginSession))
    assert login_row.ended_at == NOW
    assert sentences()[-1] == "Lea Learner logged out"


def test_the_cookie_carries_a_random_token_stored_hashed(client, lea):
    login(client)
    with client.client.session_transaction() as sess:
        token = sess["login_token"]
    row = db.session.scalar(select(LoginSession))
    assert len(token) >= 43  # 32 random bytes, base64
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert (row.user_id, row.created_at, row.last_seen_at, row.ended_at) == (lea.id, NOW, NOW,
                                                                             None)
    assert row.user_agent == FIREFOX and row.address == "127.0.0.1"


def test_a_long_user_agent_is_cut_and_control_characters_dropped(client, lea):
    login(client, agent="x\x01" * 400)
    assert db.session.scalar(select(LoginSession.user_agent)) == "x" * 300


def test_a_remember_me_cookie_alone_does_not_log_in(app, lea, new_client):
    browser = new_client()
    with app.test_request_context():
        browser.client._client.set_cookie("remember_token", encode_cookie(str(lea.id)))
    assert not logged_in(browser)


def test_a_new_password_ends_the_other_logins_and_keeps_this_one(client, lea, new_client):
    login(client)
    phone = new_client()
    login(phone, agent=SAFARI)
    response = client.post("/profile/password", {
        "current_password": TEST_PASSWORD, "new_password": NEW_PASSWORD,
        "confirm_password": NEW_PASSWORD})
    assert response.status_code == 303
    assert logged_in(client)
    assert not logged_in(phone)
    assert "Lea Learner ended their 1 other login (password changed)" in sentences()


def test_a_new_password_set_by_an_admin_ends_the_users_logins(client, lea, make_user,
                                                              new_client):
    make_user("ada", role="admin", first_name="Ada")
    login(client, "ada")
    learner = new_client()
    login(learner)
    page = client.get_page(f"/admin/users/{lea.id}")
    data = {field["name"]: field.get("value", "") for field in page.select("form input")
            if field.get("name") and field.get("type") != "checkbox"}
    data.update({"role": "learner", "active": "y", "password": NEW_PASSWORD})
    response = client.post(f"/admin/users/{lea.id}", data)
    assert response.status_code == 303, response.data[:500]
    assert not logged_in(learner)
    assert logged_in(client)
    assert "Ada Tester ended 1 login of Lea Learner (password changed)" in sentences()


def test_log_out_everywhere_ends_every_login(client, lea, make_user, new_client):
    make_user("ada", role="admin", first_name="Ada")
    login(client, "ada")
    laptop, phone = new_client(), new_client()
    login(laptop)
    login(phone, agent=SAFARI)
    page = client.get_page(f"/admin/users/{lea.id}")
    button = page.find("button", string="Log out everywhere")
    assert button.find_parent("form")["action"] == f"/admin/users/{lea.id}/logout-everywhere"
    page = client.post_page(f"/admin/users/{lea.id}/logout-everywhere",
                            follow_redirects=True)
    assert page.select_one(".flash").text == "lea was logged out everywhere (2 logins ended)."
    assert not logged_in(laptop) and not logged_in(phone)
    assert logged_in(client)
    assert sentences()[-1] == "Ada Tester logged Lea Learner out everywhere (2 logins ended)"
    page = client.post_page(f"/admin/users/{lea.id}/logout-everywhere",
                            follow_redirects=True)
    assert page.select_one(".flash").text == "lea was not logged in anywhere."


def test_log_out_everywhere_is_for_admins_only(client, lea, new_client):
    login(client)
    response = client.post(f"/admin/users/{lea.id}/logout-everywhere")
    assert response.status_code == 404
    assert logged_in(client)


def test_a_login_ends_after_8_idle_hours(client, lea, frozen_now):
    login(client)
    frozen_now(NOW + timedelta(seconds=30))
    assert logged_in(client)
    row = db.session.scalar(select(LoginSession))
    assert row.last_seen_at == NOW  # not written on every request
    frozen_now(NOW + timedelta(hours=7, minutes=59))
    assert logged_in(client)
    db.session.refresh(row)
    assert row.last_seen_at == NOW + timedelta(hours=7, minutes=59)
    frozen_now(NOW + timedelta(hours=15, minutes=58))
    assert logged_in(client)  # 7 h 59 after it was last seen
    frozen_now(NOW + timedelta(hours=23, minutes=58))
    assert not logged_in(client)


def test_a_login_ends_14_days_after_it_began_even_when_used(client, lea, frozen_now):
    login(client)
    moment = NOW
    while moment < NOW + timedelta(days=13, hours=23):
        moment += timedelta(hours=7)
        frozen_now(min(moment, NOW + timedelta(days=14) - timedelta(minutes=1)))
        assert logged_in(client)
    frozen_now(NOW + timedelta(days=14))
    assert not logged_in(client)


def test_the_limits_come_from_the_configuration(app, client, lea, frozen_now):
    app.config["LOGIN_IDLE_TIMEOUT"] = 600
    login(client)
    frozen_now(NOW + timedelta(minutes=9))
    assert logged_in(client)
    frozen_now(NOW + timedelta(minutes=19, seconds=1))
    assert not logged_in(client)


def test_durations_from_the_environment():
    settings = portal_config.from_environment({"LOGIN_IDLE_TIMEOUT": "30m",
                                               "LOGIN_MAX_AGE": "7d"})
    assert settings == {"LOGIN_IDLE_TIMEOUT": 1800, "LOGIN_MAX_AGE": 7 * 86400}
    assert portal_config.from_environment({"LOGIN_MAX_AGE": "3600"}) == {"LOGIN_MAX_AGE": 3600}
    for bad in ("0", "-5", "8x", "1.5h", "h"):
        with pytest.raises(ValueError, match="LOGIN_IDLE_TIMEOUT must be a positive duration"):
            portal_config.from_environment({"LOGIN_IDLE_TIMEOUT": bad})


def test_the_csrf_secret_changes_at_login_and_at_logout(client, lea):
    client.get("/login")
    before = csrf_secret(client)
    assert before
    login(client)
    assert csrf_secret(client) is None  # the session was emptied
    client.get("/profile")
    after_login = csrf_secret(client)
    assert after_login and after_login != before
    client.logout()
    client.get("/login")
    after_logout = csrf_secret(client)
    assert after_logout and after_logout not in (before, after_login)


def test_a_session_planted_before_login_does_not_survive_it(client, lea):
    client.get("/login")
    with client.client.session_transaction() as sess:
        sess["planted"] = "by someone else"
    login(client)
    with client.client.session_transaction() as sess:
        assert "planted" not in sess


def login_rows(page) -> list[list[str]]:
    return [[" ".join(cell.get_text(" ", strip=True).split()) for cell in row.select("dt, dd")]
            for row in page.select("#logins .detail-row")]


def test_the_profile_lists_the_logins_and_ends_exactly_one(client, lea, new_client,
                                                          frozen_now):
    phone, desktop = new_client(), new_client()
    login(phone, agent=SAFARI)
    frozen_now(NOW + timedelta(minutes=5))
    login(desktop, agent=CHROME)
    frozen_now(NOW + timedelta(minutes=10))
    login(client)
    page = client.get_page("/profile")
    assert page.select_one("#logins h3").text == "Where you are logged in"
    assert "after 8 hours without use, or 14 days after it began" in page.select_one(
        "#logins p").text
    # Newest seen first, in the viewer's zone (Paris, UTC+1 in November).
    assert login_rows(page) == [
        ["Firefox on Windows this device",
         "from 127.0.0.1, last seen 29 Nov 2026 at 13:10 (log out to end it)"],
        ["Chrome on Linux", "from 127.0.0.1, last seen 29 Nov 2026 at 13:05 End"],
        ["Safari on iOS", "from 127.0.0.1, last seen 29 Nov 2026 at 13:00 End"],
    ]
    chrome = page.select("#logins .detail-row")[1].find("form")
    page = client.post_page(chrome["action"], follow_redirects=True)
    assert page.select_one(".flash").text == "The login was ended: that device is logged out."
    assert [row[0] for row in login_rows(page)] == ["Firefox on Windows this device",
                                                    "Safari on iOS"]
    assert not logged_in(desktop)
    assert logged_in(phone) and logged_in(client)
    assert sentences()[-1] == "Lea Learner ended one of their logins"
    page = client.post_page(chrome["action"], follow_redirects=True)
    assert page.select_one(".flash").text == "This login had already ended."


def test_the_login_in_use_and_other_peoples_logins_are_not_ended_from_the_profile(
        client, lea, make_user, new_client):
    make_user("otto")
    otto = new_client()
    login(otto, "otto")
    login(client)
    mine, ottos = (db.session.scalar(select(LoginSession.id).where(LoginSession.user_id == uid))
                   for uid in (lea.id, db.session.scalar(select(User.id).where(
                       User.username == "otto"))))
    page = client.post_page(f"/profile/logins/{mine}/end", follow_redirects=True)
    assert page.select_one(".flash").text == "This is the login you are using: to end it, log out."
    page = client.post_page(f"/profile/logins/{ottos}/end", follow_redirects=True)
    assert page.select_one(".flash").text == "This login had already ended."
    assert logged_in(client) and logged_in(otto)
    assert client.post(f"/profile/logins/{2**70}/end").status_code == 404


def test_ending_a_login_needs_the_csrf_token(client, lea, new_client):
    phone = new_client()
    login(phone, agent=SAFARI)
    login(client)
    theirs = db.session.scalar(select(func.min(LoginSession.id)))
    response = client.client.post(f"/profile/logins/{theirs}/end")
    assert response.status_code == 400
    assert logged_in(phone)


def test_the_login_list_costs_the_same_queries_for_many_logins(client, lea, new_client,
                                                               count_queries):
    login(client)
    client.get("/profile")
    with count_queries() as one:
        client.get_page("/profile")
    for agent in (SAFARI, CHROME, FIREFOX, SAFARI):
        login(new_client(), agent=agent)
    with count_queries() as five:
        page = client.get_page("/profile")
    assert len(login_rows(page)) == 5
    assert five.count == one.count


def test_an_expired_htmx_request_is_told_to_log_in_again(client, lea, frozen_now):
    login(client)
    frozen_now(NOW + timedelta(hours=9))
    response = client.get("/profile", headers={"HX-Request": "true",
                                               "HX-Current-URL": "http://localhost/profile"})
    assert response.status_code == 401
    body = response.get_data(as_text=True)
    assert LOGGED_OUT_TEXT in body and "Log in again" in body and "<html" not in body
    assert response.headers["HX-Retarget"] == "#messages"


def test_an_htmx_form_sent_after_logout_is_told_to_log_in_again(client, lea):
    """Logout renews the CSRF secret, so the open page's token is dead: the answer is
    still "log in again", not "your form expired"."""
    login(client)
    token = client.csrf_token()
    client.logout()
    response = client.client.post("/profile/timezone", data={"timezone": ""},
                                  headers={"HX-Request": "true", "X-CSRFToken": token})
    assert response.status_code == 401
    assert LOGGED_OUT_TEXT in response.get_data(as_text=True)


def test_deleting_a_user_deletes_their_logins(client, lea, make_user):
    login(client)
    db.session.delete(db.session.get(User, lea.id))
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(LoginSession)) == 0


@pytest.mark.parametrize("agent, words", [
    (FIREFOX, "Firefox on Windows"),
    (SAFARI, "Safari on iOS"),
    (CHROME, "Chrome on Linux"),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/17.5 Safari/605.1.15", "Safari on macOS"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0", "Edge on Windows"),
    ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/131.0.0.0 Mobile Safari/537.36", "Chrome on Android"),
    ("curl/8.5.0", "curl"),
    ("", "An unknown browser"),
    ("Mozilla/5.0 (X11; Linux x86_64)", "A browser on Linux"),
])
def test_browsers_in_plain_words(agent, words):
    assert logins.describe_agent(agent) == words


def test_limits_in_words():
    assert [logins.duration_words(timedelta(seconds=s)) for s in (28800, 1209600, 5400, 61)] \
        == ["8 hours", "14 days", "90 minutes", "61 seconds"]
