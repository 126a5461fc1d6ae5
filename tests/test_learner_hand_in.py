"""Handing in work: in the open window only, replaced until graded, files kept private."""

import io
import os
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from portal.domain.hand_in import MAX_FILE_BYTES
from portal.domain.journal import sentence
from portal.extensions import db
from portal.models import Assignment, Grade, JournalEntry, Submission
from tests.helpers import NOW, add_course, enrol, make_session

# Who the `people` fixture creates (see conftest.CAST).
PEOPLE = ("admin", "coach", "teacher", "learner", "classmate", "stranger")


@pytest.fixture
def world(people):
    session = make_session(people["coach"], "Autumn", starts_in=-1, ends_in=10)
    course = add_course(session, coaches=[people["teacher"]])
    essay = Assignment(course_id=course.id, title="Essay", max_score=20)
    db.session.add(essay)
    db.session.commit()
    enrol(session, people["learner"], people["classmate"])
    return {"session": session, "course": course, "essay": essay}


def url(world, assignment=None):
    assignment = assignment or world["essay"]
    return (f"/sessions/{world['session'].id}/courses/{world['course'].id}"
            f"/assignments/{assignment.id}/hand-in")


def form(world, answer=None, file=None):
    prefix = f"a{world['essay'].id}-"
    data = {}
    if answer is not None:
        data[prefix + "answer"] = answer
    if file is not None:
        data[prefix + "attachment"] = file
    return data


def submissions():
    return db.session.scalars(select(Submission)).all()


def stored_files(app):
    folder = Path(app.config["UPLOAD_FOLDER"])
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_hand_in_while_open(client, people, world):
    client.login("lea")
    response = client.post(url(world), form(world, "My first answer"))
    assert response.status_code == 303
    assert response.headers["Location"] == (
        f"/sessions/{world['session'].id}/courses/{world['course'].id}"
        f"#assignment-{world['essay'].id}")
    [sub] = submissions()
    assert (sub.user_id, sub.answer, sub.submitted_at) == (people["learner"].id,
                                                           "My first answer", NOW)
    page = client.get_page(response.headers["Location"])
    assert "Your work on “Essay” was handed in." in page.select_one(".flash").text
    block = page.select_one(f"#assignment-{world['essay'].id}")
    assert block.select_one(".answer").text == "My first answer"
    assert block.select_one(".grade").text == "Not graded yet."
    assert block.select_one("textarea").text.strip() == "My first answer"
    assert block.select_one("button[type=submit]").text == "Hand in again"


def test_htmx_hand_in_returns_the_assignment_block(client, people, world):
    client.login("lea")
    response = client.post(url(world), form(world, "Via htmx"), htmx=True)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "<html" not in body
    block = BeautifulSoup(body, "html.parser").select_one("article.assignment")
    assert block["id"] == f"assignment-{world['essay'].id}"
    assert block.select_one("[role=status]").text == "Your work was handed in."
    assert block.text.count("Handed in on") == 1
    assert block.select_one(".submitted").text == "Handed in on 29 Nov 2026 at 13:00."
    assert block.select_one("form")["data-hx-target"] == f"#assignment-{world['essay'].id}"


@pytest.mark.parametrize("htmx", [False, True])
def test_handing_in_again_starts_from_the_previous_answer(client, people, world, htmx):
    client.login("lea")
    client.post(url(world), form(world, "First draft\nsecond line"), htmx=htmx)
    response = client.post(url(world), form(world, "Better draft\nsecond line"), htmx=htmx)
    page = (BeautifulSoup(response.data, "html.parser") if htmx
            else client.get_page(response.headers["Location"]))
    block = page.select_one(f"#assignment-{world['essay'].id}")
    assert block.select_one("textarea").text.strip() == "Better draft\nsecond line"
    assert block.select_one("button[type=submit]").text == "Hand in again"
    # Opening the course again later: the box still holds the last answer.
    later = client.get_page(f"/sessions/{world['session'].id}/courses/{world['course'].id}")
    assert later.select_one("textarea").text.strip() == "Better draft\nsecond line"
    assert later.text.count("Handed in on") == 1


@pytest.mark.parametrize("htmx", [False, True])
def test_an_empty_hand_in_is_refused(client, people, world, htmx):
    client.login("lea")
    response = client.post(url(world), form(world, "   "), htmx=htmx)
    assert response.status_code == 422
    page = BeautifulSoup(response.data, "html.parser")
    error = page.select_one(f"#a{world['essay'].id}-answer-error")
    assert error.text == "Write an answer or attach a file."
    assert (page.select_one("html") is None) == htmx
    assert submissions() == []


def test_an_answer_too_long_is_refused(client, people, world):
    client.login("lea")
    page = client.post_page(url(world), form(world, "x" * 50_001), status=422)
    assert "Write at most 50,000 characters." in page.select_one(".error").text
    assert submissions() == []


@pytest.mark.parametrize(
    ("offset_days", "policy", "words"),
    [
        (12, "read_only", "You can still read it, but nothing can be handed in"),
        (-3, "read_only", "This session opens on"),
        (12, "closed", "has ended on 9 Dec 2026 at 13:00 and is now closed"),
    ],
)
def test_hand_in_is_refused_outside_the_open_window(client, people, make_user, frozen_now,
                                                    offset_days, policy, words):
    session = make_session(people["coach"], "Windowed", starts_in=0, ends_in=10, policy=policy)
    course = add_course(session)
    essay = Assignment(course_id=course.id, title="Essay")
    db.session.add(essay)
    db.session.commit()
    enrol(session, people["learner"])
    client.login("lea")
    frozen_now(NOW + timedelta(days=offset_days))
    target = f"/sessions/{session.id}/courses/{course.id}/assignments/{essay.id}/hand-in"
    for htmx in (False, True):
        response = client.post(target, {f"a{essay.id}-answer": "late"}, htmx=htmx)
        assert response.status_code == 403
        assert words in response.get_data(as_text=True)
    assert submissions() == []


@pytest.mark.parametrize("who", ["stranger", "coach", "teacher", "admin"])
def test_only_learners_of_the_session_hand_in(client, people, world, who):
    client.login(people[who].username)
    assert client.post(url(world), form(world, "not mine")).status_code == 404
    assert submissions() == []


def test_an_assignment_of_another_course_is_404(client, people, world):
    other = add_course(make_session(people["coach"], "Other"), "JS1", "JavaScript")
    stray = Assignment(course_id=other.id, title="Stray")
    db.session.add(stray)
    db.session.commit()
    client.login("lea")
    assert client.post(url(world, stray), {f"a{stray.id}-answer": "x"}).status_code == 404


def test_handing_in_again_replaces_the_answer_until_graded(client, people, world, frozen_now):
    client.login("lea")
    client.post(url(world), form(world, "First"))
    frozen_now(NOW + timedelta(hours=1))
    client.post(url(world), form(world, "Second"))
    [sub] = submissions()
    assert (sub.answer, sub.submitted_at) == ("Second", NOW + timedelta(hours=1))
    db.session.add(Grade(submission_id=sub.id, score=15, graded_at=NOW + timedelta(days=1),
                         grader_id=people["teacher"].id))
    db.session.commit()
    message = "Your work was graded on 30 Nov 2026; it can no longer be changed."
    for htmx in (False, True):
        response = client.post(url(world), form(world, "Third"), htmx=htmx)
        assert response.status_code == 409
        page = BeautifulSoup(response.data, "html.parser")
        block = page.select_one(f"#assignment-{world['essay'].id}")
        assert block.select_one(".hand-in-closed").text == message
        assert block.select_one("form") is None
        assert block.select_one(".answer").text == "Second"
    assert db.session.scalar(select(Submission.answer)) == "Second"
    page = client.get_page(f"/sessions/{world['session'].id}/courses/{world['course'].id}")
    assert page.select_one(".hand-in-closed").text == message
    assert page.select_one(".grade").text.startswith("15 / 20")


# --- files ------------------------------------------------------------------


def upload(content=b"my notes", name="notes.txt"):
    return (io.BytesIO(content), name)


def test_a_file_is_stored_outside_static_and_served_to_its_owner(client, app, people, world):
    client.login("lea")
    response = client.post(url(world),
                           form(world, "", upload(b"hello file", "../../Résumé notes.txt")))
    assert response.status_code == 303
    [sub] = submissions()
    assert (sub.file_name, sub.file_size, sub.answer) == ("Résumé notes.txt", 10, "")
    assert stored_files(app) == [sub.file_key]
    assert sub.file_key not in os.listdir(Path(app.static_folder))
    page = client.get_page(f"/sessions/{world['session'].id}/courses/{world['course'].id}")
    link = page.select_one(".attachment a")
    assert link.text == "Résumé notes.txt"  # the path the browser sent is dropped
    assert link["href"] == f"/sessions/{world['session'].id}/submissions/{sub.id}/file"
    download = client.get(link["href"])
    assert download.status_code == 200
    assert download.data == b"hello file"
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert "filename*=UTF-8''R%C3%A9sum%C3%A9%20notes.txt" in download.headers[
        "Content-Disposition"]


@pytest.mark.parametrize(
    ("who", "status"),
    [("learner", 200), ("teacher", 200), ("coach", 200), ("admin", 200),
     ("classmate", 404), ("stranger", 404)],
)
def test_who_may_download_a_file(client, people, world, who, status):
    client.login("lea")
    client.post(url(world), form(world, "see file", upload()))
    sub_id = db.session.scalar(select(Submission.id))
    client.logout()
    client.login(people[who].username)
    response = client.get(f"/sessions/{world['session'].id}/submissions/{sub_id}/file")
    assert response.status_code == status
    if status == 200:
        assert response.data == b"my notes"


def test_both_downloads_are_never_cached_and_404_once_the_file_is_gone(client, app, people,
                                                                       world):
    client.login("lea")
    client.post(url(world), form(world, "see file", upload()))
    sub = submissions()[0]
    client.logout()
    client.login("ted")  # the course coach: the learner's URL and the grading one
    urls = [f"/sessions/{world['session'].id}/submissions/{sub.id}/file",
            f"/coach/sessions/{world['session'].id}/courses/{world['course'].id}"
            f"/submissions/{sub.id}/file"]
    for address in urls:
        response = client.get(address)
        assert response.status_code == 200 and response.data == b"my notes"
        assert response.headers["Cache-Control"] == "private, no-store"
    (Path(app.config["UPLOAD_FOLDER"]) / sub.file_key).unlink()
    assert [client.get(address).status_code for address in urls] == [404, 404]


def test_a_file_is_not_served_through_another_session(client, people, world):
    client.login("lea")
    client.post(url(world), form(world, "see file", upload()))
    sub_id = db.session.scalar(select(Submission.id))
    mine_too = make_session(people["coach"], "Also mine")
    enrol(mine_too, people["learner"])
    assert client.get(f"/sessions/{mine_too.id}/submissions/{sub_id}/file").status_code == 404


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"x" * (MAX_FILE_BYTES + 1), "big.pdf", "The file is larger than 10 MB."),
        (b"MZ...", "virus.exe", "“.exe” files cannot be handed in. Use one of: pdf, txt"),
        (b"#!/bin/sh", "script", "Files without an extension cannot be handed in."),
        (b"", "empty.txt", "The file is empty."),
    ],
)
def test_refused_files_leave_nothing_behind(client, app, people, world, content, name,
                                            message):
    client.login("lea")
    for htmx in (False, True):
        response = client.post(url(world), form(world, "with a file", upload(content, name)),
                               htmx=htmx)
        assert response.status_code == 422
        error = BeautifulSoup(response.data, "html.parser").select_one(
            f"#a{world['essay'].id}-attachment-error")
        assert message in error.text
    assert submissions() == []
    assert stored_files(app) == []


def test_a_file_of_exactly_10_mb_is_accepted(client, app, people, world):
    client.login("lea")
    response = client.post(url(world), form(world, "", upload(b"x" * MAX_FILE_BYTES, "a.zip")))
    assert response.status_code == 303
    assert db.session.scalar(select(Submission.file_size)) == MAX_FILE_BYTES


def test_a_new_file_replaces_the_old_one_and_an_answer_alone_keeps_it(client, app, people,
                                                                       world):
    client.login("lea")
    client.post(url(world), form(world, "", upload(b"one", "one.txt")))
    first_key = db.session.scalar(select(Submission.file_key))
    client.post(url(world), form(world, "", upload(b"two", "two.md")))
    sub = db.session.scalar(select(Submission))
    assert (sub.file_name, sub.file_size) == ("two.md", 3)
    assert stored_files(app) == [sub.file_key] and sub.file_key != first_key
    client.post(url(world), form(world, "Now with words"))  # no new file: the file stays
    sub = db.session.scalar(select(Submission))
    assert (sub.answer, sub.file_name) == ("Now with words", "two.md")
    assert db.session.scalar(select(func.count()).select_from(Submission)) == 1


def test_a_coach_of_another_course_cannot_download_the_file(client, people, world, make_user):
    other_teacher = make_user("otto", role="teacher")
    add_course(world["session"], code="JS1", title="JavaScript", coaches=[other_teacher])
    client.login("lea")
    client.post(url(world), form(world, "see file", upload()))
    sub_id = db.session.scalar(select(Submission.id))
    client.logout()
    client.login("otto")
    assert client.get(f"/sessions/{world['session'].id}/submissions/{sub_id}/file"
                      ).status_code == 404


def test_a_grade_saved_during_a_hand_in_wins(client, people, world, monkeypatch):
    """The coach grades between the learner's page load and their save: nothing is replaced."""
    from portal.domain import hand_in as hand_in_module
    from portal.models import Grade

    client.login("lea")
    client.post(url(world), form(world, "first answer"))
    submission_id = db.session.scalar(select(Submission.id))
    real_lookup = hand_in_module.own_submission

    def lookup_then_grade(db_session, *args, **kwargs):
        found = real_lookup(db_session, *args, **kwargs)  # read while still ungraded
        db_session.add(Grade(submission_id=submission_id, score=12, grader_id=people["coach"].id))
        db_session.flush()
        return found

    monkeypatch.setattr(hand_in_module, "own_submission", lookup_then_grade)
    response = client.post(url(world), form(world, "second answer"))
    assert response.status_code == 409
    assert "graded a moment ago" in response.get_data(as_text=True)
    assert db.session.scalar(select(Submission.answer)) == "first answer"


# --- the journal -------------------------------------------------------------------


def hand_in_entries():
    return db.session.scalars(select(JournalEntry)
                              .where(JournalEntry.object_type == "submission")
                              .order_by(JournalEntry.id)).all()


def test_a_hand_in_and_its_replacement_are_journaled(client, people, world, frozen_now):
    client.login("lea")
    long_answer = "My essay, which runs on for well over sixty characters in all, and more."
    client.post(url(world), form(world, long_answer))
    frozen_now(NOW + timedelta(hours=1))
    client.post(url(world), form(world, "Shorter", file=(io.BytesIO(b"%PDF"), "essay.pdf")))
    first, second = hand_in_entries()
    tz = ZoneInfo("Europe/Paris")
    assert sentence(first, tz) == "Lea Learner handed in Essay in Autumn"
    assert sentence(second, tz) == "Lea Learner replaced their hand-in for Essay in Autumn"
    [sub] = submissions()
    assert (first.action, first.object_id, first.at) == ("create", sub.id, NOW)
    assert (first.learner_id, first.session_id) == (people["learner"].id, world["session"].id)
    assert first.before is None
    assert first.after == {"file_name": None, "answer": long_answer[:60]}
    assert second.action == "update" and second.actor_id == people["learner"].id
    assert second.before == {"file_name": None, "answer": long_answer[:60]}
    assert second.after == {"file_name": "essay.pdf", "answer": "Shorter"}


def test_a_refused_hand_in_is_not_journaled(client, people, world):
    client.login("lea")
    client.post(url(world), form(world, ""))
    assert hand_in_entries() == []
