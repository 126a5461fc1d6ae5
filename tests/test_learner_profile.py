"""Profile: change the password (current one required) and the time zone."""

import pytest
from sqlalchemy import select

from portal.domain.passwords import verify_password
from portal.extensions import db
from portal.models import User
from tests.conftest import TEST_PASSWORD
from tests.helpers import enrol, make_session

NEW_PASSWORD = "a much longer secret"


@pytest.fixture
def lea(client, make_user):
    user = make_user("lea")
    client.login("lea")
    return user


def stored(username="lea") -> User:
    return db.session.scalar(select(User).where(User.username == username))


def test_profile_page_for_any_logged_in_user(client, make_user):
    make_user("ada", role="admin")
    client.login("ada")
    page = client.get_page("/profile")
    assert page.select_one("h1").text == "Profile"
    assert [h.text for h in page.select("h2")] == ["Your details", "Language", "Time zone",
                                                   "Notifications", "Password", "Calendar"]
    for control in page.select("main input:not([type=hidden]), main select"):
        label = page.select_one(f"label[for={control['id']}]")
        assert label is not None, control  # every input labelled


def test_profile_needs_a_login(client):
    assert client.get("/profile").headers["Location"].startswith("/login")


def test_change_the_password(client, lea):
    response = client.post("/profile/password", {
        "current_password": TEST_PASSWORD, "new_password": NEW_PASSWORD,
        "confirm_password": NEW_PASSWORD})
    assert response.status_code == 303
    page = client.get_page(response.headers["Location"])
    assert page.select_one(".flash").text == "Your password was changed."
    assert verify_password(stored().password_hash, NEW_PASSWORD)
    client.logout()
    assert client.login("lea", TEST_PASSWORD).status_code == 401
    assert client.login("lea", NEW_PASSWORD).status_code == 302


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"current_password": "wrong password", "new_password": NEW_PASSWORD,
          "confirm_password": NEW_PASSWORD}, "current_password",
         "This is not your current password."),
        ({"current_password": "", "new_password": NEW_PASSWORD,
          "confirm_password": NEW_PASSWORD}, "current_password",
         "Enter your current password."),
        ({"current_password": TEST_PASSWORD, "new_password": "short",
          "confirm_password": "short"}, "new_password", "Use at least 10 characters."),
        ({"current_password": TEST_PASSWORD, "new_password": NEW_PASSWORD,
          "confirm_password": NEW_PASSWORD + "!"}, "confirm_password",
         "The two new passwords differ."),
    ],
)
def test_password_errors(client, lea, data, field, message):
    page = client.post_page("/profile/password", data, status=422)
    assert page.select_one(f"#{field}-error").text == message
    assert page.select_one(f"#{field}")["aria-invalid"] == "true"
    assert verify_password(stored().password_hash, TEST_PASSWORD)


def test_change_the_time_zone_and_see_dates_in_it(client, lea, make_user, frozen_now):
    coach = make_user("cora", role="teacher")
    enrol(make_session(coach, "Autumn", starts_in=-1, ends_in=10), lea)
    page = client.get_page("/profile")
    assert page.select_one("#timezone").get("value", "") == ""
    assert "Europe/Paris" in page.select_one("#timezone")["placeholder"]
    response = client.post("/profile/timezone", {"timezone": "Asia/Tokyo"})
    assert response.status_code == 303
    page = client.get_page("/profile")
    assert page.select_one(".flash").text == "Times are now shown in Asia/Tokyo."
    assert page.select_one("#timezone")["value"] == "Asia/Tokyo"
    assert stored().timezone == "Asia/Tokyo"
    cards = client.get_page("/my-sessions")
    # 28 Nov 12:00 UTC is 21:00 in Tokyo.
    assert cards.select_one(".card-dates").text == "28 Nov at 21:00 – 9 Dec 2026 at 21:00"
    client.post("/profile/timezone", {"timezone": ""})
    assert stored().timezone is None


def test_an_unknown_time_zone_is_refused(client, lea):
    page = client.post_page("/profile/timezone", {"timezone": "Mars/Olympus"}, status=422)
    assert "Mars/Olympus is not a time zone we know" in page.select_one("#timezone-error").text
    assert stored().timezone is None


def test_profile_changes_are_journaled_without_the_password(client, lea):
    from zoneinfo import ZoneInfo

    from portal.domain.journal import sentence
    from portal.models import JournalEntry

    client.post("/profile/password", {
        "current_password": TEST_PASSWORD, "new_password": NEW_PASSWORD,
        "confirm_password": NEW_PASSWORD})
    client.post("/profile/timezone", {"timezone": "America/New_York"})
    entries = db.session.scalars(select(JournalEntry).where(JournalEntry.object_type == "user")
                                 .order_by(JournalEntry.id)).all()
    tz = ZoneInfo("Europe/Paris")
    assert [sentence(e, tz) for e in entries] == [
        "Lea Tester changed the password of the user Lea Tester (lea)",
        "Lea Tester changed the time zone of the user Lea Tester (lea) from (none) to "
        "America/New_York",
    ]
    assert all(entry.request_id for entry in entries)
    assert NEW_PASSWORD not in str(entries[0].after) and "argon2" not in str(entries[0].after)
