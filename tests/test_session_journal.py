"""Changes to sessions, their courses and course coaches, as the journal tells them;
and the one validator the create form and the inline rows share."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from portal.domain import journal
from portal.domain.session_form import validate_session_values
from portal.extensions import db
from portal.models import (
    Course,
    Enrolment,
    JournalEntry,
    SessionCategory,
    SessionCourseCoach,
    TrainingSession,
    User,
)
from tests.helpers import add_course, make_session

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def anne(client, make_user, frozen_now):
    user = make_user("anne", role="admin", first_name="Anne", last_name="Admin")
    client.login("anne")
    return user


@pytest.fixture
def summer(anne, make_user):
    """A session whose access runs from 1 to 15 Jul 2027 (Paris), with no coach window."""
    coach = make_user("cora", role="teacher", first_name="Cora", last_name="Coach")
    make_user("ted", role="teacher", first_name="Ted", last_name="Teach")
    session = make_session(coach, name="Summer school", starts_in=None, ends_in=None)
    session.access_start = datetime(2027, 6, 30, 22, 0, tzinfo=UTC)
    session.access_end = datetime(2027, 7, 15, 22, 0, tzinfo=UTC)
    db.session.commit()  # version 2 now: the tests read it before they post
    return session


def url(session, tail=""):
    return f"/admin/sessions/{session.id}{tail}"


def soup(response):
    return BeautifulSoup(response.data, "html.parser")


def entries() -> list[JournalEntry]:
    """The entries written since the admin logged in (the login is journaled too)."""
    db.session.expire_all()
    return db.session.scalars(select(JournalEntry).where(JournalEntry.object_type != "login")
                              .order_by(JournalEntry.id)).all()


def user_id(username: str) -> int:
    return db.session.scalar(select(User.id).where(User.username == username))


def sentences() -> list[str]:
    return [journal.sentence(e, PARIS) for e in entries()]


def edit_row(client, session, row, data, **extra):
    db.session.expire_all()
    version = db.session.get(TrainingSession, session.id).version
    return client.post(url(session, f"/details/{row}"), {"version": str(version), **data},
                       htmx=True, **extra)


# --- editing a session ------------------------------------------------------------------


def test_editing_the_access_end_inline_reads_as_a_sentence(client, summer):
    form = soup(client.htmx_get(url(summer, "/details/access/edit")))
    assert form.select_one("#access_end")["value"] == "2027-07-15"  # the last included day
    response = edit_row(client, summer, "access", {
        "access_start": "2027-07-01", "access_end": "2027-07-20", "duration_days": ""})
    assert response.status_code == 200
    assert sentences() == [
        "Anne Admin changed the access end of Summer school from 15 Jul 2027 to 20 Jul 2027"]
    entry = entries()[0]
    assert (entry.object_type, entry.action, entry.session_id) == ("session", "update",
                                                                   summer.id)
    # Only the changed field; a date-only end is stored as the next midnight (Paris).
    assert entry.before == {"access_end": "2027-07-15T22:00:00+00:00"}
    assert entry.after == {"access_end": "2027-07-20T22:00:00+00:00"}
    assert entry.actor_name == "Anne Admin" and entry.request_id


@pytest.mark.parametrize(
    ("row", "data", "expected"),
    [
        ("coach", {"coach": "ted"},
         "Anne Admin changed the session coach of Summer school from Cora Coach (cora) to "
         "Ted Teach (ted)"),
        ("category", {"category_id": "CATEGORY"},
         "Anne Admin changed the category of Summer school from (none) to Leadership"),
        ("name", {"name": "Summer school 2027"},
         "Anne Admin renamed the session Summer school to Summer school 2027"),
        ("policy", {"after_end_policy": "closed"},
         "Anne Admin changed the after-end policy of Summer school from read_only to closed"),
    ],
)
def test_a_changed_reference_reads_by_its_name(client, summer, row, data, expected):
    category = SessionCategory(name="Leadership")
    db.session.add(category)
    db.session.commit()
    data = {k: str(category.id) if v == "CATEGORY" else v for k, v in data.items()}
    assert edit_row(client, summer, row, data).status_code == 200
    assert sentences() == [expected]


def test_saving_a_row_unchanged_writes_nothing(client, summer):
    response = edit_row(client, summer, "name", {"name": "Summer school"})
    assert response.status_code == 200
    assert entries() == []
    assert db.session.get(TrainingSession, summer.id).version == 2


def test_a_conflict_and_refused_values_write_nothing(client, summer):
    stale = client.post(url(summer, "/details/name"), {"version": "0", "name": "Other"},
                        htmx=True)
    assert stale.status_code == 409
    invalid = edit_row(client, summer, "access", {"access_start": "2027-07-10",
                                                  "access_end": "2027-07-01"})
    assert invalid.status_code == 422
    unconfirmed = edit_row(client, summer, "coach_window", {"coach_start": "2027-07-05",
                                                            "coach_end": ""})
    assert unconfirmed.status_code == 422 and soup(unconfirmed).select_one(".warning-box")
    assert entries() == []
    assert db.session.get(TrainingSession, summer.id).version == 2


def test_a_stale_form_is_a_conflict_even_when_its_values_are_wrong(client, summer):
    response = client.post(url(summer, "/details/name"), {"version": "x", "name": ""},
                           htmx=True)
    assert response.status_code == 409
    assert soup(response).select_one("#name-error") is None


def test_nul_characters_and_huge_ids_are_answered_not_crashed(client, summer):
    assert edit_row(client, summer, "name", {"name": "Sum\x00mer"}).status_code == 200
    assert db.session.get(TrainingSession, summer.id).name == "Summer"
    response = edit_row(client, summer, "category", {"category_id": "9" * 30})
    assert response.status_code == 422
    assert soup(response).select_one("#category_id-error").text == "Not a valid choice."
    response = client.post(url(summer, "/details/name"),
                           {"version": "9" * 30, "name": "X"}, htmx=True)
    assert response.status_code == 409


# --- create, copy, delete -----------------------------------------------------------------

CREATE_FORM = {
    "name": "Autumn onboarding", "description": "", "display_start": "", "display_end": "",
    "access_start": "2026-12-01", "access_end": "2026-12-20", "coach_start": "",
    "coach_end": "", "coach": "cora", "category_id": "0", "after_end_policy": "read_only",
    "duration_days": "", "action": "save",
}


def test_create_writes_one_entry_with_the_values(client, summer):
    response = client.post("/admin/sessions/new", CREATE_FORM)
    assert response.status_code == 303
    assert sentences() == ["Anne Admin created the session Autumn onboarding"]
    after = entries()[0].after
    assert after["coach"] == "Cora Coach (cora)" and after["access_end"] == \
        "2026-12-20T23:00:00+00:00"
    assert after["name"] == "Autumn onboarding" and after["category"] is None


def test_create_with_courses_and_coaches_tells_each(client, summer):
    course = Course(code="PY1", title="Python")
    db.session.add(course)
    db.session.commit()
    ted = user_id("ted")
    client.post("/admin/sessions/new", {**CREATE_FORM, "course_id": str(course.id),
                                        "course_coach": f"{course.id}:{ted}"})
    assert sentences() == [
        "Anne Admin created the session Autumn onboarding",
        "Anne Admin added the course PY1 Python to Autumn onboarding",
        "Anne Admin made Ted Teach (ted) course coach of PY1 Python in Autumn onboarding",
    ]


def test_refused_create_writes_nothing(client, summer):
    response = client.post("/admin/sessions/new", {**CREATE_FORM, "coach": "ghost"})
    assert response.status_code == 422
    assert entries() == []


def test_copy_writes_one_entry(client, summer):
    response = client.post(url(summer, "/copy"), {"name": "Summer school 2028"})
    assert response.status_code == 303
    assert sentences() == ["Anne Admin created the session Summer school 2028 as a copy of "
                           "Summer school"]
    copy = db.session.scalar(select(TrainingSession).where(
        TrainingSession.name == "Summer school 2028"))
    assert entries()[0].object_id == copy.id and entries()[0].after == {
        "source": "Summer school", "source_id": summer.id, "copied": []}


def test_copy_with_a_date_shift_names_the_source_and_the_shift(client, summer, make_user):
    db.session.add(Enrolment(session_id=summer.id, user_id=make_user("lea").id))
    db.session.commit()
    response = client.post(url(summer, "/copy"), {
        "name": "Summer school 2028", "new_start": "2028-06-29", "copy_learners": "y"})
    assert response.status_code == 303
    assert sentences() == [
        "Anne Admin created the session Summer school 2028 as a copy of Summer school, its "
        "dates moved 364 days later, with its learners",
        "Anne Admin enrolled Lea Tester in Summer school 2028 individually",
    ]
    head, item = entries()
    assert head.after["shift_from"] == "access start" and head.after["shift_minutes"] == 364 * 1440
    assert item.parent_id == head.id  # the enrolment is filed under the copy


def test_delete_writes_one_entry_with_what_was_lost(client, summer, make_user):
    db.session.add(Enrolment(session_id=summer.id, user_id=make_user("lea").id))
    db.session.commit()
    response = client.post(url(summer, "/delete"))
    assert response.status_code == 303
    assert sentences() == ["Anne Admin deleted the session Summer school"]
    before = entries()[0].before
    assert (before["learners"], before["submissions"], before["grades"]) == (1, 0, 0)
    assert before["name"] == "Summer school" and before["coach"] == "Cora Coach (cora)"


# --- courses and course coaches -------------------------------------------------------------


@pytest.fixture
def with_courses(summer):
    add_course(summer, code="PY1", title="Python")
    add_course(summer, code="SQL1", title="SQL")
    db.session.add(Course(code="JS1", title="JavaScript"))
    db.session.commit()
    return {c.code: c.id for c in db.session.scalars(select(Course))}


def test_course_add_remove_move_each_write_one_entry(client, summer, with_courses):
    client.post(url(summer, "/courses"), {"add_course": "JS1"}, htmx=True)
    client.post(url(summer, "/courses"), {"add_course": "JS1"}, htmx=True)  # already there
    client.post(url(summer, "/courses"), {"add_course": "NOPE"}, htmx=True)  # refused
    client.post(url(summer, f"/courses/{with_courses['JS1']}/move"), {"direction": "up"},
                htmx=True)
    client.post(url(summer, f"/courses/{with_courses['PY1']}/move"), {"direction": "up"},
                htmx=True)  # first already: nothing moves
    client.post(url(summer, f"/courses/{with_courses['SQL1']}/remove"), htmx=True)
    assert sentences() == [
        "Anne Admin added the course JS1 JavaScript to Summer school",
        "Anne Admin moved the course JS1 JavaScript in Summer school to position 2",
        "Anne Admin removed the course SQL1 SQL from Summer school",
    ]


def test_removing_a_course_records_its_coaches(client, summer, with_courses):
    ted = user_id("ted")
    client.post(url(summer, f"/courses/{with_courses['PY1']}/coaches"),
                {f"add_coach_{with_courses['PY1']}": "ted"}, htmx=True)
    client.post(url(summer, f"/courses/{with_courses['PY1']}/remove"), htmx=True)
    assert entries()[-1].before == {"position": 0, "coaches": ["Ted Teach (ted)"]}
    assert db.session.scalar(select(func.count()).select_from(SessionCourseCoach)
                             .where(SessionCourseCoach.user_id == ted)) == 0


def test_course_coach_add_and_remove_each_write_one_entry(client, summer, with_courses):
    py1 = with_courses["PY1"]
    client.post(url(summer, f"/courses/{py1}/coaches"), {f"add_coach_{py1}": "ted"}, htmx=True)
    client.post(url(summer, f"/courses/{py1}/coaches"), {f"add_coach_{py1}": "ted"}, htmx=True)
    ted = db.session.scalar(select(SessionCourseCoach.user_id))
    client.post(url(summer, f"/courses/{py1}/coaches/{ted}/remove"), htmx=True)
    client.post(url(summer, f"/courses/{py1}/coaches/{ted}/remove"), htmx=True)  # gone
    assert sentences() == [
        "Anne Admin made Ted Teach (ted) course coach of PY1 Python in Summer school",
        "Anne Admin removed Ted Teach (ted) as course coach of PY1 Python in Summer school",
    ]
    assert entries()[0].learner_id == ted


# --- one validator: the same message wherever the value is typed ------------------------

SAME_MESSAGE = [
    ("name", {"name": ""}, "name", "Give the session a name."),
    ("name", {"name": "x" * 201}, "name", "At most 200 characters."),
    ("name", {"name": "TAKEN"}, "name", "A session already has this name."),
    ("coach", {"coach": ""}, "coach", "Choose the session coach."),
    ("coach", {"coach": "ghost"}, "coach", "No active user has the username or e-mail “ghost”."),
    ("category", {"category_id": "9999"}, "category_id", "Not a valid choice."),
    ("policy", {"after_end_policy": "sometimes"}, "after_end_policy", "Not a valid choice."),
    ("display", {"display_start": "soon"}, "display_start",
     "Write a date as 2026-03-31 or 03/31/2026, or a date and time as 2026-03-31 14:30."),
    ("display", {"display_start": "2027-01-01", "display_end": "2026-12-01"}, "display_end",
     "The end must be after the start."),
    ("access", {"access_start": "2026-12-10", "access_end": "2026-12-01"}, "access_end",
     "The end must be after the start."),
    ("access", {"access_start": "2026-12-01", "access_end": "", "duration_days": "30"},
     "duration_days", "In duration mode each learner gets these days from their first "
     "access: leave Access start and Access end empty."),
    ("access", {"access_start": "", "access_end": "", "duration_days": "0"}, "duration_days",
     "Between 1 and 3650 days."),
    ("access", {"access_start": "", "access_end": "", "duration_days": "abc"},
     "duration_days", "Not a valid integer value."),
    ("coach_window", {"coach_start": "2027-02-01", "coach_end": "2027-01-10"}, "coach_end",
     "The end must be after the start."),
    ("coach_window", {"coach_start": "x" * 41}, "coach_start",
     "Field cannot be longer than 40 characters."),
]


@pytest.mark.parametrize(("row", "data", "field", "message"), SAME_MESSAGE,
                         ids=[f"{c[0]}-{c[2]}-{i}" for i, c in enumerate(SAME_MESSAGE)])
def test_create_form_and_inline_row_say_the_same(client, summer, row, data, field, message):
    make_session(summer.coach, name="Taken", starts_in=None, ends_in=None)
    data = {k: "taken" if v == "TAKEN" else v for k, v in data.items()}
    created = client.post_page("/admin/sessions/new", {**CREATE_FORM, **data}, status=422)
    edited = edit_row(client, summer, row, data)
    assert edited.status_code == 422
    assert created.select_one(f"#{field}-error").text == message
    assert soup(edited).select_one(f"#{field}-error").text == message
    assert entries() == []


def test_validator_checks_a_row_against_the_rest_of_the_session(app, summer):
    # Only the coach window is typed: the access window it is compared with is the session's.
    checked = validate_session_values(db.session, {"coach_start": "2027-07-02", "coach_end": ""},
                                      tz=PARIS, session=summer)
    assert checked.ok and "starts after learners can get in" in checked.warning
    checked = validate_session_values(db.session, {"access_end": "2027-06-01"}, tz=PARIS,
                                      session=summer)
    assert checked.errors == {"access_end": "The end must be after the start."}
    assert checked.warning is None
    checked = validate_session_values(db.session, {"name": "summer SCHOOL"}, tz=PARIS,
                                      session=summer)
    assert checked.ok and checked.values == {"name": "summer SCHOOL"}  # its own name
