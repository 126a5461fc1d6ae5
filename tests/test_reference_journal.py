"""The journal of reference data: every change to a user, course, assignment or category
made on the admin pages reads back as a sentence; refusals and form errors write nothing."""

import json
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from portal import clock
from portal.admin import forms_reference
from portal.domain import journal
from portal.domain.courses import CourseValues, create_course, update_course
from portal.domain.users import PASSWORD_CHANGED, UserValues, create_user, update_user
from portal.extensions import db
from portal.models import (
    Assignment,
    Course,
    JournalEntry,
    SessionCategory,
    Submission,
    User,
)
from tests.helpers import NOW, add_course, make_session

PARIS = ZoneInfo("Europe/Paris")
REFERENCE_KINDS = ("user", "course", "assignment", "category")  # logins are journaled too
NEW_PASSWORD = "a long enough secret"


PEOPLE = ("admin",)


@pytest.fixture
def ada(client, people):
    """Ada Tester, an admin, signed in; the clock is frozen at NOW."""
    client.login("ada")
    return people["admin"]


@pytest.fixture
def things(make_user):
    """Bob, course PY101 with its assignment Loops, category Onboarding."""
    bob = make_user("bob", first_name="Bob", last_name="Builder")
    course = Course(code="PY101", title="Python basics", description="")
    course.assignments.append(Assignment(title="Loops", max_score=20, position=1))
    category = SessionCategory(name="Onboarding")
    db.session.add_all([course, category])
    db.session.commit()
    return {"bob": bob, "course": course, "assignment": course.assignments[0],
            "category": category}


def entries() -> list[JournalEntry]:
    """The entries about reference data, oldest first."""
    db.session.expire_all()
    return list(db.session.scalars(select(JournalEntry)
                                   .where(JournalEntry.object_type.in_(REFERENCE_KINDS))
                                   .order_by(JournalEntry.id)))


def sentences() -> list[str]:
    return [journal.sentence(entry, PARIS) for entry in entries()]


BOB = {"username": "bob", "first_name": "Bob", "last_name": "Builder",
       "email": "bob@example.org", "role": "learner", "timezone": "", "active": "y"}

# (url, form, the one sentence it writes); {bob} etc. are ids of ``things``.
WRITES = [
    ("/admin/users/new",
     {"username": "NewBie", "first_name": "Nina", "last_name": "New",
      "email": "nina@example.org", "role": "teacher", "active": "y", "password": NEW_PASSWORD},
     "Ada Tester created the user Nina New (newbie)"),
    ("/admin/users/{bob}", {**BOB, "role": "teacher"},
     "Ada Tester changed the role of the user Bob Builder (bob) from learner to teacher"),
    ("/admin/users/{bob}", {**BOB, "last_name": "Baker", "timezone": "Asia/Tokyo"},
     "Ada Tester changed the user Bob Baker (bob): the last name from Builder to Baker and "
     "the time zone from (none) to Asia/Tokyo"),
    ("/admin/users/{bob}/deactivate", {},
     "Ada Tester deactivated the user Bob Builder (bob)"),
    ("/admin/users/{bob}/delete", {}, "Ada Tester deleted the user Bob Builder (bob)"),
    ("/admin/courses/new", {"code": "GO201", "title": "Go for teams"},
     "Ada Tester created the course GO201"),
    ("/admin/courses/{course}", {"code": "PY101", "title": "Python, again"},
     "Ada Tester changed the title of the course PY101 from Python basics to Python, again"),
    ("/admin/courses/{course}/delete", {}, "Ada Tester deleted the course PY101"),
    ("/admin/courses/{course}/assignments/new", {"title": "Functions", "max_score": "50"},
     "Ada Tester created the assignment Functions"),
    ("/admin/courses/{course}/assignments/{assignment}", {"title": "Loops", "max_score": "25"},
     "Ada Tester changed the maximum score of the assignment Loops from 20 to 25"),
    ("/admin/courses/{course}/assignments/{assignment}/delete", {},
     "Ada Tester deleted the assignment Loops"),
    ("/admin/categories/new", {"name": "2026 Spring"},
     "Ada Tester created the category 2026 Spring"),
    ("/admin/categories/{category}", {"name": "Induction"},
     "Ada Tester renamed the category Onboarding to Induction"),
    ("/admin/categories/{category}/delete", {}, "Ada Tester deleted the category Onboarding"),
]


def _url(template: str, things) -> str:
    return template.format(**{kind: thing.id for kind, thing in things.items()})


@pytest.mark.parametrize(("url", "data", "expected"), WRITES)
def test_each_write_reads_as_one_sentence(client, ada, things, url, data, expected):
    response = client.post(_url(url, things), data)
    assert response.status_code == 303, response.data[:500]
    assert sentences() == [expected]
    entry = entries()[0]
    assert (entry.actor_id, entry.at) == (ada.id, NOW)
    assert entry.request_id and entry.object_id is not None


def test_a_new_assignment_records_its_course(client, ada, things):
    client.post(f"/admin/courses/{things['course'].id}/assignments/new",
                {"title": "Functions", "instructions": "Write one.", "max_score": "50"})
    (entry,) = entries()
    assert (entry.object_type, entry.action, entry.object_label) == (
        "assignment", "create", "Functions")
    assert entry.after == {"course": "PY101", "title": "Functions",
                           "instructions": "Write one.", "max_score": 50}


def test_user_entries_name_the_user_concerned(client, ada, things):
    bob = things["bob"]
    client.post(f"/admin/users/{bob.id}", {**BOB, "role": "teacher"})
    (entry,) = entries()
    assert (entry.learner_id, entry.learner_label) == (bob.id, "Bob Builder (bob)")
    assert (entry.before, entry.after) == ({"role": "learner"}, {"role": "teacher"})


def test_a_password_change_is_recorded_without_the_password(client, ada, things):
    bob = things["bob"]
    client.post(f"/admin/users/{bob.id}", {**BOB, "password": NEW_PASSWORD})
    db.session.refresh(bob)
    (entry,) = entries()
    assert (entry.before, entry.after) == ({"password": None}, {"password": PASSWORD_CHANGED})
    stored = json.dumps([entry.before, entry.after])
    assert NEW_PASSWORD not in stored and bob.password_hash not in stored
    assert sentences() == ["Ada Tester changed the password of the user Bob Builder (bob)"]


def test_a_new_users_password_is_not_recorded(client, ada):
    client.post("/admin/users/new", {"username": "zed", "email": "zed@example.org",
                                     "role": "learner", "password": NEW_PASSWORD})
    (entry,) = entries()
    zed = db.session.scalar(select(User).where(User.username == "zed"))
    stored = json.dumps([entry.before, entry.after])
    assert "password" not in stored and NEW_PASSWORD not in stored
    assert zed.password_hash not in stored


def test_saving_without_a_change_writes_nothing(client, ada, things):
    response = client.post(f"/admin/courses/{things['course'].id}",
                           {"code": "PY101", "title": "Python basics", "description": ""})
    assert response.status_code == 303
    assert entries() == []


def _in_use(things):
    """Bob coaches a session that uses PY101 and the category; Bob handed in Loops."""
    session = make_session(things["bob"], "Spring intake", category_id=things["category"].id)
    add_course(session, code="PY101")
    db.session.add(Submission(session_id=session.id, assignment_id=things["assignment"].id,
                              user_id=things["bob"].id, answer="42"))
    db.session.commit()


@pytest.mark.parametrize("url", [
    "/admin/users/{bob}/delete", "/admin/courses/{course}/delete",
    "/admin/categories/{category}/delete",
    "/admin/courses/{course}/assignments/{assignment}/delete",
])
def test_a_refused_delete_writes_nothing(client, ada, things, url):
    _in_use(things)
    response = client.post(_url(url, things))
    assert response.status_code == 303
    assert "cannot be deleted" in client.get_page(response.headers["Location"]).select_one(
        ".flash").text
    assert entries() == []


def test_deleting_oneself_writes_nothing(client, ada):
    client.post(f"/admin/users/{ada.id}/delete")
    client.post(f"/admin/users/{ada.id}/deactivate")
    assert entries() == []


@pytest.mark.parametrize(("url", "data"), [
    ("/admin/users/new", {**BOB, "username": "carl", "email": "BOB@example.org",
                          "password": NEW_PASSWORD}),
    ("/admin/users/{bob}", {**BOB, "timezone": "Mars/Olympus"}),
    ("/admin/users/{ada}", {**BOB, "username": "ada", "email": "ada@example.org"}),
    ("/admin/courses/new", {"code": "PY101", "title": "Again"}),
    ("/admin/courses/{course}", {"code": "", "title": "No code"}),
    ("/admin/courses/{course}/assignments/new", {"title": "Quiz", "max_score": "0"}),
    ("/admin/courses/{course}/assignments/{assignment}", {"title": "", "max_score": "5"}),
    ("/admin/categories/new", {"name": "Onboarding"}),
    ("/admin/categories/{category}", {"name": "n" * 121}),
])
def test_a_form_error_writes_nothing(client, ada, things, url, data):
    ids = {**things, "ada": ada}
    client.post_page(_url(url, ids), data, status=422)
    assert entries() == []


def test_a_unique_clash_at_commit_shows_the_message_and_writes_nothing(
        client, ada, things, monkeypatch):
    # Another admin took the name between the form's check and our save.
    monkeypatch.setattr(forms_reference, "is_taken", lambda *args, **kwargs: False)
    page = client.post_page("/admin/categories/new", {"name": "Onboarding"}, status=422)
    assert page.select_one("#name-error").text == (
        "A category with this name was just created. Choose another.")
    assert page.select_one("#name")["value"] == "Onboarding"
    assert entries() == []
    assert db.session.scalars(select(SessionCategory.name)).all() == ["Onboarding"]


def test_the_command_line_and_demo_call_the_same_writes(app, things, frozen_now):
    """Without a person: the portal itself is the actor; what changed is returned."""
    user = create_user(db.session, UserValues("cli", "cli@example.org"), by=journal.SYSTEM,
                       now=clock.now())
    course = create_course(db.session, CourseValues("SQL1", "Databases"), by=journal.SYSTEM,
                           now=clock.now())
    changed = update_course(db.session, course, CourseValues("SQL1", "SQL"), by=journal.SYSTEM,
                            now=clock.now())
    unchanged = update_user(db.session, user, UserValues("cli", "cli@example.org"),
                            by=journal.SYSTEM, now=clock.now())
    db.session.commit()
    assert changed == ({"title": "Databases"}, {"title": "SQL"})
    assert unchanged == ({}, {})
    assert sentences() == ["The portal created the user cli", "The portal created the course SQL1",
                           "The portal changed the title of the course SQL1 from Databases to SQL"]
