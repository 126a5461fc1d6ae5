"""Forms as a person sees them: each message under its own field, no stray attributes,
buttons of one weight where they do the same thing, and removals that ask first."""

import re

import pytest
from bs4 import BeautifulSoup
from flask import render_template_string
from sqlalchemy import func, select

from portal.admin.session_forms import SessionForm
from portal.extensions import db
from portal.models import ClassMembership, Course, Enrolment, SessionClass, UserClass
from tests.helpers import add_course, enrol, make_session

DATES = ("display_start", "display_end", "access_start", "access_end", "coach_start",
         "coach_end")
FORM = {"name": "Autumn", "coach": "cora", "category_id": "0",
        "after_end_policy": "read_only", "duration_days": ""}


@pytest.fixture
def setup(client, make_user, frozen_now):
    make_user("root", role="admin")
    coach = make_user("cora", role="teacher", first_name="Cora", last_name="Coach")
    lea = make_user("lea", first_name="Lea", last_name="Learner")
    session = make_session(coach, name="Onboarding")
    course = add_course(session, code="PY1", title="Python")
    red = UserClass(name="Red team")
    db.session.add(red)
    db.session.flush()
    for name in ("ann", "bob"):
        db.session.add(ClassMembership(class_id=red.id, user_id=make_user(name).id))
    db.session.add(SessionClass(session_id=session.id, class_id=red.id))
    db.session.commit()
    enrol(session, lea, direct=True, source="individual")
    db.session.add_all([Enrolment(session_id=session.id, user_id=m.user_id, source="class",
                                  direct=False)
                        for m in db.session.scalars(select(ClassMembership))])
    db.session.commit()
    client.login("root")
    return {"session": session, "course": course, "lea": lea, "class": red}


def soup(response):
    return BeautifulSoup(response.data, "html.parser")


# --- point 10: fields -------------------------------------------------------------------

def test_each_date_error_sits_in_its_own_field_box(client, setup):
    bad = {"display_end": "nope", "access_start": "2026-13-40", "coach_end": "2026-02-30"}
    response = client.post("/admin/sessions/new", {**FORM, **bad, "action": "save"}, htmx=True)
    assert response.status_code == 422
    page = soup(response)
    grid = page.select_one(".dates-grid")
    boxes = grid.find_all(recursive=False)
    # The grid places whole fields (label, input, message), never a lone message.
    assert [box.select_one("input")["id"] for box in boxes] == list(DATES)
    for box in boxes:
        name = box.select_one("input")["id"]
        assert box.select_one("label").text == SessionForm.__dict__[name].args[0]
        error = box.select_one(".error")
        if name in bad:
            assert error["id"] == f"{name}-error" and error.text.startswith("Write a date")
            assert box.select_one("input")["aria-describedby"] == f"{name}-error"
        else:
            assert error is None


def test_no_input_carries_an_attribute_reading_none(client, setup):
    session = setup["session"]
    pages = [client.get("/admin/sessions/new"),
             client.post("/admin/sessions/new", {**FORM, "access_start": "x", "action": "save"},
                         htmx=True),
             client.get("/profile"), client.get("/admin/users/new")]
    pages += [client.get(f"/admin/sessions/{session.id}?edit={row}")
              for row in ("name", "description", "category", "coach", "policy", "display",
                          "access", "coach_window")]
    for response in pages:
        html = response.get_data(as_text=True)
        assert not re.search(r'\s[\w-]+="None"', html), response.request.path


def test_the_field_macro_leaves_out_attributes_given_as_none(app):
    with app.test_request_context():
        form = SessionForm(formdata=None)
        html = render_template_string(
            '{% from "macros.html" import field %}{{ field(form.description, rows=None) }}'
            '{{ field(form.name, rows=3, autofocus=False) }}', form=form)
    page = BeautifulSoup(html, "html.parser")
    assert not page.select_one("#description").has_attr("rows")
    assert page.select_one("#name")["rows"] == "3"
    assert not page.select_one("#name").has_attr("autofocus")


# --- point 11: button weight ----------------------------------------------------------

def _classes(button):
    return sorted(button.get("class", []))


def test_save_anyway_and_save_look_the_same_in_the_create_form(client, setup):
    narrow = {**FORM, "access_start": "2026-12-10", "access_end": "2027-01-10",
              "coach_start": "2026-12-12", "coach_end": "2026-12-20", "action": "save"}
    page = soup(client.post("/admin/sessions/new", narrow, htmx=True))
    anyway = page.select_one("button[value=save_anyway]")
    save = page.select_one("button[value=save]")
    assert anyway and save and _classes(anyway) == _classes(save)
    assert not {"secondary", "outline", "small", "danger"} & set(_classes(save))


def test_save_anyway_and_save_look_the_same_in_a_detail_row(client, setup):
    session = setup["session"]
    data = {"version": str(session.version), "coach_start": "2030-01-01",
            "coach_end": "2030-01-02"}
    page = soup(client.post(f"/admin/sessions/{session.id}/details/coach_window", data,
                            htmx=True))
    anyway = page.find("button", string="Save anyway")
    save = page.find("button", string="Save")
    assert anyway and save and _classes(anyway) == _classes(save)


def test_create_form_course_remove_is_a_small_button_beside_its_course(client, setup):
    course = setup["course"]
    page = soup(client.post("/admin/sessions/new", {**FORM, "course_id": str(course.id),
                                                    "action": "noop"}, htmx=True))
    button = page.select_one(f"button[value='remove_course:{course.id}']")
    assert "small" in button["class"]
    assert "Python" in button.find_parent(class_="course-head").text


def _removals(setup):
    """The removals of the session page, by what they remove: the URL that asks and does."""
    s, course, lea, red = setup["session"], setup["course"], setup["lea"], setup["class"]
    base = f"/admin/sessions/{s.id}"
    return {
        "course": f"{base}/courses/{course.id}/remove",
        "learner": f"{base}/learners/{lea.id}/remove",
        "class": f"{base}/classes/{red.id}/unlink",
    }


def _state():
    return (db.session.scalar(select(func.count()).select_from(Enrolment)),
            db.session.scalar(select(func.count()).select_from(SessionClass)),
            db.session.scalar(select(func.count()).select_from(Course)))


@pytest.mark.parametrize("what", ["course", "learner", "class"])
def test_each_removal_asks_first_with_and_without_javascript(client, setup, what):
    url = _removals(setup)[what]
    before = _state()
    # On the session page the trigger is a danger-styled link to the question, not a post.
    page = client.get_page(f"/admin/sessions/{setup['session'].id}")
    trigger = page.select_one(f"a[href='{url}']")
    assert {"danger", "outline", "small"} <= set(trigger["class"])
    assert trigger["data-hx-get"] == url
    assert not page.select(f"form[action='{url}']")
    # Without JavaScript: a page with the question, the danger button and Keep.
    page = client.get_page(url)
    assert page.select_one("h1").text.endswith("?")
    assert page.select_one(f"form[action='{url}'] button.danger")
    assert "secondary" in page.find("a", string="Keep")["class"]
    # With htmx: the same box inline; Keep (keep=1) empties it.
    box = soup(client.htmx_get(url))
    assert box.select_one(".confirm[role=alertdialog]")
    assert box.select_one(f"form[data-hx-post='{url}'] button.danger")
    assert box.find("a", string="Keep")["data-hx-swap"] == "delete"
    assert client.htmx_get(f"{url}?keep=1").get_data(as_text=True) == ""
    assert _state() == before  # asking changed nothing


def test_learner_question_is_a_table_row_and_names_what_keeps_them(client, setup, make_user):
    box = soup(client.htmx_get(_removals(setup)["learner"]))
    row = box.select_one("tr.confirm-row")
    assert row.select_one("td")["colspan"] == "6"
    assert "Remove Lea Learner from this session?" in row.text
    ann = db.session.scalar(select(ClassMembership.user_id).order_by(ClassMembership.user_id))
    page = client.get_page(f"/admin/sessions/{setup['session'].id}/learners/{ann}/remove")
    assert "also in the linked class Red team, so they stay enrolled" in page.text


def test_class_question_counts_who_would_leave(client, setup, make_user):
    session, red = setup["session"], setup["class"]
    ann = db.session.scalar(select(ClassMembership.user_id).order_by(ClassMembership.user_id))
    db.session.execute(Enrolment.__table__.update().where(Enrolment.user_id == ann)
                       .values(direct=True))  # ann is also enrolled herself: she stays
    db.session.commit()
    page = client.get_page(f"/admin/sessions/{session.id}/classes/{red.id}/unlink")
    assert "This unenrols 1 learner enrolled only through the class." in page.text
    response = client.post(f"/admin/sessions/{session.id}/classes/{red.id}/unlink", htmx=True)
    assert "1 learner unenrolled" in response.get_data(as_text=True)


def test_session_deletion_page_has_a_danger_button_and_a_keep_button(client, setup):
    page = client.get_page(f"/admin/sessions/{setup['session'].id}/delete")
    assert page.find("button", string="Delete the session")["class"] == ["danger"]
    assert "secondary" in page.find("a", string="Keep it")["class"]
