"""Wall times the clock changes skip or repeat: refused with a message that says what to
write, never moved silently; an explicit UTC offset chooses one of a repeated time."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from portal.domain.dates import (
    AmbiguousTimeError,
    DateInputError,
    NonexistentTimeError,
    clock_change_near,
    input_value,
    is_ambiguous,
    is_nonexistent,
    parse_local,
)
from portal.domain.session_form import validate_session_values
from portal.extensions import db
from portal.models import TrainingSession, User
from tests.helpers import make_session

PARIS = ZoneInfo("Europe/Paris")
SKIPPED = ("02:30 on 28 Mar 2027 does not exist in Europe/Paris: clocks go forward from "
           "02:00 to 03:00. Write 2027-03-28 03:30 (02:30 by the clock before the change) "
           "or another time.")
TWICE = ("02:30 on 25 Oct 2026 happens twice in Europe/Paris: clocks go back from 03:00 to "
         "02:00. Write 2026-10-25 02:30 +02:00 (summer time, CEST; 00:30 UTC) for the first "
         "or 2026-10-25 02:30 +01:00 (winter time, CET; 01:30 UTC) for the second.")


def wall(*parts):
    return datetime(*parts)  # noqa: DTZ001 - a wall time, as typed


@pytest.mark.parametrize(
    ("local", "tz", "nonexistent", "ambiguous"),
    [
        (wall(2027, 3, 28, 2, 30), PARIS, True, False),
        (wall(2027, 3, 28, 2, 0), PARIS, True, False),
        (wall(2027, 3, 28, 3, 0), PARIS, False, False),
        (wall(2027, 3, 28, 1, 59), PARIS, False, False),
        (wall(2026, 10, 25, 2, 30), PARIS, False, True),
        (wall(2026, 10, 25, 2, 0), PARIS, False, True),
        (wall(2026, 10, 25, 3, 0), PARIS, False, False),
        (wall(2026, 11, 1, 1, 30), ZoneInfo("America/New_York"), False, True),
        (wall(2026, 9, 6, 0, 30), ZoneInfo("America/Santiago"), True, False),
        (wall(2026, 7, 1, 12, 0), PARIS, False, False),
        (wall(2026, 10, 25, 2, 30), ZoneInfo("UTC"), False, False),
    ],
)
def test_skipped_and_repeated_wall_times_are_found(local, tz, nonexistent, ambiguous):
    assert is_nonexistent(local, tz) is nonexistent
    assert is_ambiguous(local, tz) is ambiguous


def test_the_clock_change_is_found_to_the_second():
    spring = clock_change_near(wall(2027, 3, 28, 2, 30), PARIS)
    assert spring.at == datetime(2027, 3, 28, 1, 0, tzinfo=UTC)
    assert (spring.before, spring.after) == (wall(2027, 3, 28, 2, 0), wall(2027, 3, 28, 3, 0))
    autumn = clock_change_near(wall(2026, 10, 25, 2, 30), PARIS)
    assert autumn.at == datetime(2026, 10, 25, 1, 0, tzinfo=UTC)
    assert (autumn.before, autumn.after) == (wall(2026, 10, 25, 3, 0),
                                             wall(2026, 10, 25, 2, 0))


def test_a_skipped_time_is_refused_with_the_time_to_write():
    with pytest.raises(NonexistentTimeError) as refused:
        parse_local("2027-03-28 02:30", PARIS, is_end=False)
    assert str(refused.value) == SKIPPED
    # What the message says to write is read without complaint, as the same instant
    # the skipped time would have been by the clock before the change (01:30 UTC).
    assert parse_local("2027-03-28 03:30", PARIS, is_end=False) == datetime(
        2027, 3, 28, 1, 30, tzinfo=UTC)


def test_a_skipped_day_is_named_with_its_dates():
    with pytest.raises(NonexistentTimeError, match="clocks go forward from 00:00 on 30 Dec "
                       "2011 to 00:00 on 31 Dec 2011. Write 2011-12-31 12:00"):
        parse_local("2011-12-30 12:00", ZoneInfo("Pacific/Apia"), is_end=False)


def test_a_repeated_time_is_refused_until_an_offset_chooses():
    with pytest.raises(AmbiguousTimeError) as refused:
        parse_local("2026-10-25 02:30", PARIS, is_end=True)
    assert str(refused.value) == TWICE
    assert parse_local("2026-10-25 02:30 +02:00", PARIS, is_end=True) == datetime(
        2026, 10, 25, 0, 30, tzinfo=UTC)
    assert parse_local("2026-10-25T02:30+01:00", PARIS, is_end=True) == datetime(
        2026, 10, 25, 1, 30, tzinfo=UTC)
    assert parse_local("2026-10-25 02:30 +0100", PARIS, is_end=True) == datetime(
        2026, 10, 25, 1, 30, tzinfo=UTC)
    assert parse_local("2026-10-25 01:30 Z", PARIS, is_end=True) == datetime(
        2026, 10, 25, 1, 30, tzinfo=UTC)


@pytest.mark.parametrize("text", ["2026-10-25 02:30 +19:00", "2026-10-25 02:30 +05:75"])
def test_an_impossible_offset_is_refused(text):
    with pytest.raises(DateInputError, match="UTC offset from -18:00 to \\+18:00"):
        parse_local(text, PARIS, is_end=False)


def test_dates_alone_are_never_refused_on_change_days():
    assert parse_local("2027-03-28", PARIS, is_end=True) == datetime(2027, 3, 28, 22,
                                                                     tzinfo=UTC)
    assert parse_local("2026-10-25", PARIS, is_end=False) == datetime(2026, 10, 24, 22,
                                                                      tzinfo=UTC)


def test_a_form_shows_a_repeated_time_back_with_its_offset():
    first, second = datetime(2026, 10, 25, 0, 30, tzinfo=UTC), datetime(2026, 10, 25, 1, 30,
                                                                        tzinfo=UTC)
    assert input_value(first, PARIS, is_end=False) == "2026-10-25 02:30 +02:00"
    assert input_value(second, PARIS, is_end=False) == "2026-10-25 02:30 +01:00"
    assert input_value(datetime(2026, 10, 25, 2, 30, tzinfo=UTC), PARIS,
                       is_end=False) == "2026-10-25 03:30"
    for moment in (first, second):
        assert parse_local(input_value(moment, PARIS, is_end=False), PARIS,
                           is_end=False) == moment


def test_the_one_validator_puts_the_message_on_the_field(app):
    checked = validate_session_values(db.session, {"access_start": "2027-03-28 02:30",
                                                   "access_end": "2026-10-25 02:30"}, tz=PARIS)
    assert checked.errors == {"access_start": SKIPPED, "access_end": TWICE}


# --- through the forms ----------------------------------------------------------------

FORM = {
    "name": "Spring school",
    "description": "",
    "display_start": "",
    "display_end": "",
    "access_start": "2027-03-28 02:30",
    "access_end": "2027-06-30",
    "coach_start": "",
    "coach_end": "",
    "coach": "cora",
    "category_id": "0",
    "after_end_policy": "read_only",
    "duration_days": "",
    "action": "save",
}


@pytest.fixture
def admin(client, make_user, frozen_now):
    make_user("root", role="admin")
    make_user("cora", role="teacher")
    client.login("root")


def sessions_saved():
    return db.session.scalar(select(func.count()).select_from(TrainingSession))


@pytest.mark.parametrize("htmx", [False, True])
@pytest.mark.parametrize(("field", "typed", "message"), [
    ("access_start", "2027-03-28 02:30", SKIPPED),
    ("coach_end", "2026-10-25 02:30", TWICE),
])
def test_create_form_refuses_and_saves_nothing(client, admin, htmx, field, typed, message):
    form = {**FORM, "access_start": "2026-10-01", field: typed}
    response = client.post("/admin/sessions/new", form, htmx=htmx)
    assert response.status_code == 422
    page = BeautifulSoup(response.data, "html.parser")
    assert page.select_one(f"#{field}-error").text == message
    assert page.select_one(f"#{field}")["value"] == typed  # kept as typed, not moved
    assert sessions_saved() == 0


def test_create_form_saves_the_time_chosen_with_an_offset(client, admin):
    form = {**FORM, "access_start": "2026-10-25 02:30 +01:00"}
    response = client.post("/admin/sessions/new", form)
    assert response.status_code == 303
    saved = db.session.scalar(select(TrainingSession))
    assert saved.access_start == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)


def test_inline_edit_refuses_and_shows_back_the_offset(client, admin):
    coach = db.session.scalar(select(User).where(User.username == "cora"))
    session = make_session(coach, "Autumn school", coach_before=90)
    url = f"/admin/sessions/{session.id}/details/access"
    data = {"version": "1", "access_start": "2026-10-25 02:30", "access_end": "2026-12-20"}
    response = client.post(url, data, htmx=True)
    assert response.status_code == 422
    fragment = BeautifulSoup(response.data, "html.parser")
    assert fragment.select_one("#access_start-error").text == TWICE
    assert db.session.get(TrainingSession, session.id).version == 1
    response = client.post(url, {**data, "access_start": "2026-10-25 02:30 +02:00"}, htmx=True)
    assert response.status_code == 200
    form = BeautifulSoup(client.htmx_get(f"{url}/edit").data, "html.parser")
    assert form.select_one("#access_start")["value"] == "2026-10-25 02:30 +02:00"
    # Saved again as shown, it stays the same instant.
    response = client.post(url, {"version": "2", "access_start": "2026-10-25 02:30 +02:00",
                                 "access_end": "2026-12-20"}, htmx=True)
    assert response.status_code == 200
    assert db.session.get(TrainingSession, session.id).access_start == datetime(
        2026, 10, 25, 0, 30, tzinfo=UTC)
