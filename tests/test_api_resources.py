"""The API's reference resources and a session's courses: each endpoint's answer, the page's
checks as 422s naming the field, 404s that say nothing, idempotent PUTs, the token as the
journal's actor, and lists read in a fixed number of queries."""

import pytest
from sqlalchemy import select

from portal.admin.reference_categories import TAKEN as CATEGORY_TAKEN
from portal.domain.categories import create_category
from portal.domain.enrolment import link_class
from portal.domain.journal import SYSTEM
from portal.domain.passwords import verify_password
from portal.extensions import db
from portal.models import (
    Assignment,
    ClassMembership,
    Course,
    Enrolment,
    JournalEntry,
    OutboxMessage,
    SessionCategory,
    Submission,
    User,
    UserClass,
)
from tests.helpers import NOW, add_course, enrol, make_session

pytest_plugins = ["tests.api_support"]  # the fixtures api and api_admin

PROBLEM = "application/problem+json"
TOKEN_ACTOR = "Api Owner (API token “HR system”)"
PEOPLE = ["coach", "ted", "lea", "leo"]


def last_entry(object_type: str) -> JournalEntry:
    return db.session.scalar(select(JournalEntry).where(JournalEntry.object_type == object_type)
                             .order_by(JournalEntry.id.desc()).limit(1))


def fields_of(response) -> set[str]:
    assert response.status_code == 422 and response.mimetype == PROBLEM, response.json
    return {error["field"] for error in response.json["errors"]}


def names(response, key="code") -> list:
    assert response.status_code == 200, response.json
    return [item[key] for item in response.json["items"]]


def all_pages(api, url, key) -> list:
    seen = []
    while url:
        response = api.get(url)
        seen += names(response, key)
        url = response.json["next"]
    return seen


# --- a session's courses and course coaches --------------------------------------------------


def test_session_courses_in_order_with_their_coaches(api, people):
    session = make_session(people["coach"])
    add_course(session, "PY101", "Python basics", coaches=[people["ted"], people["coach"]])
    git = Course(code="GIT", title="Git", description="")
    db.session.add(git)
    db.session.commit()
    url = f"/api/v1/sessions/{session.id}/courses"
    api.put(f"{url}/{git.id}")
    page = api.get(url).json
    assert [item["course"]["code"] for item in page["items"]] == ["PY101", "GIT"]
    assert [c["username"] for c in page["items"][0]["coaches"]] == ["cora", "ted"]
    assert all_pages(api, url + "?limit=1", "position") == [0, 1]
    assert api.get("/api/v1/sessions/999/courses").status_code == 404
    assert api.get(f"/api/v1/sessions/{2**40}/courses").status_code == 404


def test_adding_a_course_is_idempotent_and_journaled_with_the_token(api, people):
    session = make_session(people["coach"])
    add_course(session, "PY101")
    course = Course(code="GIT", title="Git", description="")
    db.session.add(course)
    db.session.commit()
    url = f"/api/v1/sessions/{session.id}/courses/{course.id}"
    added = api.put(url)
    assert added.status_code == 201, added.json
    assert added.json == {"course": {"id": course.id, "code": "GIT", "title": "Git"},
                          "position": 1, "coaches": []}
    entry = last_entry("session_course")
    assert (entry.action, entry.actor_name) == ("add", TOKEN_ACTOR)
    again = api.put(url)
    assert again.status_code == 200 and again.json == added.json
    assert db.session.scalar(select(JournalEntry.id).where(
        JournalEntry.object_type == "session_course", JournalEntry.id > entry.id)) is None
    assert api.put(f"/api/v1/sessions/{session.id}/courses/999").status_code == 404
    assert api.put(f"/api/v1/sessions/999/courses/{course.id}").status_code == 404


def test_removing_a_course_counts_the_hand_ins_it_hides(api, people):
    session = make_session(people["coach"])
    course = add_course(session, "PY101", coaches=[people["ted"]])
    assignment = Assignment(course_id=course.id, title="Essay", max_score=10)
    db.session.add(assignment)
    db.session.flush()
    enrol(session, people["lea"])
    db.session.add(Submission(session_id=session.id, assignment_id=assignment.id,
                              user_id=people["lea"].id, answer="mine", submitted_at=NOW))
    db.session.commit()
    url = f"/api/v1/sessions/{session.id}/courses/{course.id}"
    removed = api.delete(url)
    assert removed.status_code == 200, removed.json
    assert removed.json["hidden_hand_ins"] == 1
    assert removed.json["coaches_removed"] == ["Ted Teach (ted)"]
    assert last_entry("session_course").actor_name == TOKEN_ACTOR
    assert api.get(f"/api/v1/sessions/{session.id}/courses").json["items"] == []
    assert db.session.scalar(select(Submission.id)) is not None  # hidden, not deleted
    assert api.delete(url).status_code == 404


def test_course_coaches_are_teachers_and_adding_one_twice_changes_nothing(api, people):
    session = make_session(people["coach"])
    course = add_course(session, "PY101")
    base = f"/api/v1/sessions/{session.id}/courses/{course.id}/coaches"
    added = api.put(f"{base}/{people['ted'].id}")
    assert added.status_code == 201, added.json
    assert [c["username"] for c in added.json["coaches"]] == ["ted"]
    assert last_entry("course_coach").actor_name == TOKEN_ACTOR
    assert api.put(f"{base}/{people['ted'].id}").status_code == 200
    learner = api.put(f"{base}/{people['lea'].id}")
    assert fields_of(learner) == {"user_id"}
    assert learner.json["errors"][0]["message"] == (
        "Only a teacher or an administrator can coach: lea is a learner.")
    assert api.put(f"{base}/999").status_code == 404
    other = Course(code="GIT", title="Git", description="")
    db.session.add(other)
    db.session.commit()
    outside = f"/api/v1/sessions/{session.id}/courses/{other.id}/coaches/{people['ted'].id}"
    assert api.put(outside).status_code == 404
    assert api.delete(f"{base}/{people['ted'].id}").status_code == 204
    assert api.delete(f"{base}/{people['ted'].id}").status_code == 404


# --- users -------------------------------------------------------------------------------------


def test_users_are_searched_and_read_without_secrets(api, people):
    found = api.get("/api/v1/users?q=CO")
    assert names(found, "username") == ["cora", "leo"]  # Cora Coach, Leo Second
    ted = api.get(f"/api/v1/users/{people['ted'].id}")
    assert ted.status_code == 200
    assert ted.json["name"] == "Ted Teach" and ted.json["role"] == "teacher"
    assert not {"password_hash", "password", "calendar_token"} & set(ted.json)
    assert api.get("/api/v1/users/999").status_code == 404
    assert api.get(f"/api/v1/users/{2**40}").status_code == 404
    everyone = all_pages(api, "/api/v1/users?limit=2", "username")
    assert everyone == ["cora", "lea", "apiadmin", "leo", "ted"]


def test_a_created_user_has_no_password_until_one_is_set(api):
    body = {"username": "Nina", "email": "nina@example.org", "first_name": "Nina",
            "last_name": "New", "role": "teacher", "timezone": "Europe/Paris"}
    created = api.post("/api/v1/users", json=body)
    assert created.status_code == 201, created.json
    assert created.json["username"] == "nina" and created.json["timezone"] == "Europe/Paris"
    assert created.headers["Location"].endswith(f"/api/v1/users/{created.json['id']}")
    entry = last_entry("user")
    assert (entry.action, entry.actor_name) == ("create", TOKEN_ACTOR)
    assert "password" not in entry.after
    assert db.session.get(User, created.json["id"]).password_hash == ""
    assert not verify_password(db.session.get(User, created.json["id"]).password_hash, "")
    again = api.post("/api/v1/users", json={**body, "username": "NINA ", "email": "x@y.org"})
    assert fields_of(again) == {"username"}
    assert again.json["errors"][0]["message"] == "The username nina is already taken."


@pytest.mark.parametrize(("body", "field"), [
    ({"username": "a b", "email": "ab@example.org"}, "username"),
    ({"username": "", "email": "ab@example.org"}, "username"),
    ({"username": "ab", "email": "not-an-address"}, "email"),
    ({"username": "ab", "email": "ab@example.org", "timezone": "Mars/Olympus"}, "timezone"),
    ({"username": "ab", "email": "ab@example.org", "role": "owner"}, "role"),
    ({"username": "ab", "email": "ab@example.org", "first_name": "x" * 101}, "first_name"),
    ({"username": "ab", "email": "ab@example.org", "password": "secret-secret"}, "password"),
    ({"email": "ab@example.org"}, "username"),
])
def test_bad_user_fields_are_named(api, body, field):
    response = api.post("/api/v1/users", json=body)
    assert field in fields_of(response)
    assert db.session.scalar(select(User).where(User.username == "ab")) is None


def test_deactivating_a_user(api, api_admin, people):
    url = f"/api/v1/users/{people['lea'].id}/deactivate"
    done = api.post(url)
    assert done.status_code == 200 and done.json["active"] is False
    entry = last_entry("user")
    assert (entry.action, entry.after, entry.actor_name) == ("update", {"active": False},
                                                             TOKEN_ACTOR)
    assert api.post(url).status_code == 200  # already inactive: nothing more happens
    assert last_entry("user").id == entry.id
    own = api.post(f"/api/v1/users/{api_admin.id}/deactivate")
    assert own.status_code == 409 and own.json["detail"] == (
        "You cannot deactivate your own account.")
    assert api.post("/api/v1/users/999/deactivate").status_code == 404


# --- courses and assignments ---------------------------------------------------------------


def test_courses_are_created_listed_and_changed_with_the_forms_checks(api, people):
    created = api.post("/api/v1/courses", json={"code": "PY101", "title": "Python basics"})
    assert created.status_code == 201, created.json
    course_id = created.json["id"]
    assert created.json["description"] == ""
    assert last_entry("course").actor_name == TOKEN_ACTOR
    assert fields_of(api.post("/api/v1/courses", json={"code": "PY101", "title": "X"})) == {
        "code"}
    assert fields_of(api.post("/api/v1/courses", json={"code": "GIT", "title": " "})) == {
        "title"}
    api.post("/api/v1/courses", json={"code": "GIT", "title": "Git"})
    session = make_session(people["coach"])
    add_course(session, "GIT")
    page = api.get("/api/v1/courses?q=g")
    assert names(page) == ["GIT"] and page.json["items"][0]["session_count"] == 1
    changed = api.patch(f"/api/v1/courses/{course_id}", json={"title": "Python"})
    assert changed.status_code == 200
    assert (changed.json["code"], changed.json["title"]) == ("PY101", "Python")
    assert last_entry("course").after == {"title": "Python"}
    assert fields_of(api.patch(f"/api/v1/courses/{course_id}", json={"code": "GIT"})) == {
        "code"}
    assert api.patch("/api/v1/courses/999", json={"title": "X"}).status_code == 404
    assert api.get(f"/api/v1/courses/{course_id}").json["title"] == "Python"


def test_assignments_of_a_course(api):
    course_id = api.post("/api/v1/courses", json={"code": "PY101", "title": "Py"}).json["id"]
    base = f"/api/v1/courses/{course_id}/assignments"
    first = api.post(base, json={"title": "Essay", "max_score": 20})
    assert first.status_code == 201, first.json
    assert last_entry("assignment").actor_name == TOKEN_ACTOR
    api.post(base, json={"title": "Quiz"})
    assert all_pages(api, base + "?limit=1", "title") == ["Essay", "Quiz"]
    assert api.get(base).json["items"][1]["max_score"] == 100
    url = first.headers["Location"]
    changed = api.patch(url, json={"instructions": "Write 500 words."})
    assert changed.status_code == 200
    assert (changed.json["title"], changed.json["max_score"]) == ("Essay", 20)
    assert fields_of(api.patch(url, json={"max_score": 0})) == {"max_score"}
    assert fields_of(api.patch(url, json={"max_score": 10**30})) == {"max_score"}
    assert fields_of(api.post(base, json={"title": ""})) == {"title"}
    other = api.post("/api/v1/courses", json={"code": "GIT", "title": "Git"}).json["id"]
    assert api.get(f"/api/v1/courses/{other}/assignments/{first.json['id']}").status_code == 404
    assert api.get("/api/v1/courses/999/assignments").status_code == 404


# --- classes and members -----------------------------------------------------------------


def test_members_joining_a_linked_class_are_enrolled(api, people):
    created = api.post("/api/v1/classes", json={"name": "Team A", "description": "Sales"})
    assert created.status_code == 201, created.json
    class_id = created.json["id"]
    assert last_entry("class").actor_name == TOKEN_ACTOR
    assert fields_of(api.post("/api/v1/classes", json={"name": "Team A"})) == {"name"}
    session = make_session(people["coach"], welcome_message=True)
    link_class(db.session, session.id, class_id, by=SYSTEM, now=NOW)
    db.session.commit()
    member = f"/api/v1/classes/{class_id}/members/{people['lea'].id}"
    joined = api.put(member)
    assert joined.status_code == 201, joined.json
    assert joined.json["enrolled_session_ids"] == [session.id]
    assert last_entry("class_member").actor_name == TOKEN_ACTOR
    assert db.session.scalar(select(Enrolment.id).where(Enrolment.user_id == people["lea"].id))
    welcome = db.session.scalars(select(OutboxMessage.kind)
                                 .where(OutboxMessage.user_id == people["lea"].id)).all()
    assert welcome == ["welcome"]  # as when the class page adds a member
    again = api.put(member)
    assert again.status_code == 200 and again.json["enrolled_session_ids"] == []
    assert names(api.get(f"/api/v1/classes/{class_id}/members"), "username") == ["lea"]
    assert api.get(f"/api/v1/classes/{class_id}").json["session_count"] == 1
    listed = api.get("/api/v1/classes?q=team").json["items"]
    assert listed == [{"id": class_id, "name": "Team A", "member_count": 1, "session_count": 1}]
    left = api.delete(member)
    assert left.status_code == 200 and left.json["unenrolled_session_ids"] == [session.id]
    assert api.delete(member).status_code == 404
    assert api.put(f"/api/v1/classes/{class_id}/members/999").status_code == 404
    assert api.get("/api/v1/classes/999/members").status_code == 404


# --- categories ----------------------------------------------------------------------------


def test_categories_are_created_renamed_and_deleted_when_unused(api, people):
    created = api.post("/api/v1/categories", json={"name": "Onboarding"})
    assert created.status_code == 201, created.json
    url = created.headers["Location"]
    assert last_entry("category").actor_name == TOKEN_ACTOR
    assert fields_of(api.post("/api/v1/categories", json={"name": "Onboarding"})) == {"name"}
    assert fields_of(api.post("/api/v1/categories", json={"name": ""})) == {"name"}
    assert fields_of(api.post("/api/v1/categories", json={"title": "X"})) == {"name", "title"}
    cleaned = api.post("/api/v1/categories", json={"name": "Sp\u0000are"})
    assert cleaned.status_code == 201 and cleaned.json["name"] == "Spare"  # as a form post
    renamed = api.patch(url, json={"name": "Welcome"})
    assert renamed.status_code == 200 and renamed.json["name"] == "Welcome"
    make_session(people["coach"], category_id=created.json["id"])
    assert api.get("/api/v1/categories?q=wel").json["items"] == [
        {"id": created.json["id"], "name": "Welcome", "session_count": 1}]
    refused = api.delete(url)
    assert refused.status_code == 409 and refused.mimetype == PROBLEM
    assert "used by 1 session" in refused.json["detail"]
    spare = cleaned.headers["Location"]
    assert api.delete(spare).status_code == 204
    assert last_entry("category").action == "delete"
    assert api.get(spare).status_code == 404


def test_a_name_taken_between_the_check_and_the_commit_is_a_422(api, monkeypatch):
    assert api.post("/api/v1/categories", json={"name": "Onboarding"}).status_code == 201
    monkeypatch.setattr("portal.admin.forms_reference.is_taken", lambda *a, **k: False)
    raced = api.post("/api/v1/categories", json={"name": "Onboarding"})
    assert raced.json["errors"] == [{"field": "name", "message": CATEGORY_TAKEN}]
    assert db.session.query(SessionCategory).count() == 1


# --- lists: a fixed number of queries ------------------------------------------------------


def _grow(coach, size: int, round_: int) -> dict:
    """``size`` more of everything the lists show (journal entries too); the ids of the
    session, course and class whose sub-lists grew."""
    session = make_session(coach, f"Big {round_}")
    user_class = UserClass(name=f"Class {round_}")
    db.session.add(user_class)
    db.session.flush()
    courses = []
    for n in range(size):
        key = f"{round_}-{n:03}"
        courses.append(add_course(session, f"C{key}", f"Course {key}", coaches=[coach]))
        db.session.add(Assignment(course_id=courses[0].id, title=f"A{key}", max_score=5))
        create_category(db.session, f"Category {key}", by=SYSTEM, now=NOW)
        db.session.add(UserClass(name=f"Other {key}"))
        user = User(username=f"u{key}", email=f"u{key}@example.org", last_name=key)
        db.session.add(user)
        db.session.flush()
        db.session.add(ClassMembership(class_id=user_class.id, user_id=user.id))
    db.session.commit()
    return {"session": session.id, "course": courses[0].id, "user_class": user_class.id}


LISTS = ["/api/v1/users", "/api/v1/courses", "/api/v1/classes", "/api/v1/categories",
         "/api/v1/journal", "/api/v1/sessions/{session}/courses",
         "/api/v1/courses/{course}/assignments", "/api/v1/classes/{user_class}/members"]


@pytest.mark.parametrize("template", LISTS)
def test_lists_read_in_a_fixed_number_of_queries(api, people, count_queries, template):
    api.get("/api/v1/users")  # the token's last use is written once a minute: now, not below
    counts = []
    for round_, size in enumerate((2, 12)):
        url = template.format(**_grow(people["coach"], size, round_)) + "?limit=200"
        with count_queries() as counter:
            response = api.get(url)
        assert len(response.json["items"]) >= size, response.json
        counts.append(counter.count)
    assert counts[0] == counts[1], template
