"""Set-password links: the page, the strength rule (one home, used by the profile and the
admin's user form too), and links that are forged, expired or used."""

from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from portal import clock
from portal.domain import password_links
from portal.domain.passwords import NO_PASSWORD, password_problem, verify_password
from portal.extensions import db
from portal.models import JournalEntry, User
from tests.conftest import TEST_PASSWORD

STRONG = "quartz xylophone meadow"


@pytest.fixture
def zoe(make_user, frozen_now):
    user = make_user("zoe.quinn", first_name="Zoe", last_name="Quinn")
    user.password_hash = NO_PASSWORD  # as an account made from a file
    db.session.commit()
    return user


def link(app, user, now=None) -> str:
    token = password_links.make_token(user, secret_key=app.config["SECRET_KEY"],
                                      now=now or clock.now())
    return f"/set-password/{token}"


def page_of(response, status):
    assert response.status_code == status, (response.status_code, response.data[:600])
    return BeautifulSoup(response.data, "html.parser")


def stored(user) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def test_the_link_sets_the_password_logs_in_and_then_stops_working(app, client, zoe):
    url = link(app, zoe)
    page = page_of(client.get(url), 200)
    assert "zoe.quinn" in page.select_one("article").text
    response = client.post(url, {"password": STRONG, "repeat": STRONG})
    assert response.status_code == 303 and response.headers["Location"].endswith("/")
    assert verify_password(stored(zoe).password_hash, STRONG)
    assert client.get("/profile").status_code == 200  # logged in
    entry = db.session.scalar(select(JournalEntry).where(JournalEntry.object_id == zoe.id,
                                                         JournalEntry.action == "update"))
    assert entry.after == {"password": "changed"} and entry.actor_id == zoe.id
    again = page_of(client.get(url), 410)
    assert "used already" in again.select_one("[role=alert]").text


@pytest.mark.parametrize(("password", "repeat", "words"), [
    ("password1234", "password1234", "This is a very common password."),
    ("zoe.quinn@example.org", "zoe.quinn@example.org", "easy to guess"),  # their e-mail
    ("short", "short", "Use at least 10 characters."),
    (STRONG, STRONG + "!", "The two passwords differ"),
])
def test_a_weak_or_mistyped_password_is_refused_with_advice(app, client, zoe, password, repeat,
                                                             words):
    page = page_of(client.post(link(app, zoe), {"password": password, "repeat": repeat}), 422)
    assert words in page.select_one("#password-error").text
    assert stored(zoe).password_hash == NO_PASSWORD


def test_an_expired_link_says_so(app, client, zoe, frozen_now):
    url = link(app, zoe)
    frozen_now(clock.now() + password_links.LIFETIME + timedelta(minutes=1))
    page = page_of(client.get(url), 410)
    assert "expired" in page.select_one("[role=alert]").text
    page_of(client.post(url, {"password": STRONG, "repeat": STRONG}), 410)
    assert stored(zoe).password_hash == NO_PASSWORD


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "%00", "x" * 500])
def test_forged_links_get_a_clear_page_never_a_500(client, zoe, token):
    page = page_of(client.get(f"/set-password/{token}"), 410)
    assert "ask an administrator" in page.select_one("[role=alert]").text


def test_a_link_signed_with_another_key_or_for_a_deactivated_account_fails(app, client, zoe):
    other = password_links.make_token(zoe, secret_key="another key", now=clock.now())
    assert "not complete" in page_of(client.get(f"/set-password/{other}"), 410).text
    url = link(app, zoe)
    stored(zoe).active = False
    db.session.commit()
    assert "no longer active" in page_of(client.get(url), 410).text


def test_the_strength_rule_knows_the_person():
    email = "marguerite.fontaine@example.org"
    assert password_problem(email) is None
    assert password_problem(email, ("marguerite", email)) is not None
    assert password_problem(STRONG, ("zoe", "zoe@example.org")) is None


def test_the_profile_uses_the_same_rule(client, make_user, frozen_now):
    make_user("lea")
    client.login("lea")
    response = client.post("/profile/password", {
        "current_password": TEST_PASSWORD, "new_password": "password1234",
        "confirm_password": "password1234"})
    page = page_of(response, 422)
    assert "This is a very common password." in page.select_one("#new_password-error").text


def test_a_very_long_password_is_judged_by_its_start_not_refused_by_the_checker():
    """zxcvbn raises past 72 characters: a long password is judged, never a 500."""
    assert password_problem("9" * 309) is not None  # 72 nines are still a weak start
    assert password_problem("correct horse battery staple " * 10) is None
