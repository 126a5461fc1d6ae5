"""The admin session page: inline edits (htmx and plain forms), courses, coaches, learners."""

from datetime import UTC, datetime, timedelta

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from portal.domain import enrolment
from portal.domain.journal import SYSTEM
from portal.extensions import db
from portal.models import (
    Assignment,
    ClassMembership,
    Enrolment,
    SessionCategory,
    SessionCourse,
    SessionCourseCoach,
    Submission,
    TrainingSession,
    UserClass,
)
from tests.helpers import NOW, add_course, enrol, make_session


@pytest.fixture
def setup(client, make_user, frozen_now):
    make_user("root", role="admin")
    coach = make_user("cora", role="teacher", first_name="Cora", last_name="Coach")
    make_user("ted", role="teacher", first_name="Ted", last_name="Teach")
    session = make_session(coach, name="Onboarding", starts_in=-1, ends_in=10)
    db.session.add(SessionCategory(name="Leadership"))
    db.session.commit()
    client.login("root")
    return session


def url(session, tail=""):
    return f"/admin/sessions/{session.id}{tail}"


def soup(response):
    return BeautifulSoup(response.data, "html.parser")


def fresh(session):
    db.session.expire_all()
    return db.session.get(TrainingSession, session.id)


def test_page_shows_every_detail_row_and_the_timeline(client, setup):
    page = client.get_page(url(setup))
    labels = [dt.text for dt in page.select(".detail-row dt")]
    assert labels == ["Session name", "Description", "Category", "Session coach",
                      "After the access end", "Display dates", "Access dates",
                      "Coach access dates", "Messages"]
    assert page.select_one("#status-badge").text == "Active"
    assert page.select_one("#timeline svg")


ROW_EDITS = [
    ("name", {"name": "Onboarding 2027"}, "Onboarding 2027"),
    ("description", {"description": "Read *this*"}, "Read this"),
    ("category", {"category_id": "CATEGORY"}, "Leadership"),
    ("coach", {"coach": "ted"}, "Ted Teach (ted)"),
    ("policy", {"after_end_policy": "closed"}, "Closed"),
    ("display", {"display_start": "2026-11-01", "display_end": ""}, "From 1 Nov 2026"),
    ("access", {"access_start": "2026-11-22", "access_end": "2026-12-10"},
     "22 Nov – 10 Dec 2026"),
    ("coach_window", {"coach_start": "", "coach_end": ""}, "Same as access"),
]


def _data(session, changes):
    category = db.session.scalar(select(SessionCategory.id))
    data = {k: (str(category) if v == "CATEGORY" else v) for k, v in changes.items()}
    return {"version": str(session.version), **data}


@pytest.mark.parametrize(("row", "changes", "shown"), ROW_EDITS)
def test_inline_edit_with_htmx(client, setup, row, changes, shown):
    form = soup(client.htmx_get(url(setup, f"/details/{row}/edit")))
    assert form.select_one(f"form[data-hx-post='{url(setup, '/details/' + row)}']")
    assert form.select_one("input[name=version]")["value"] == "1"
    response = client.post(url(setup, f"/details/{row}"), _data(setup, changes), htmx=True)
    assert response.status_code == 200
    fragment = soup(response)
    assert shown in fragment.select_one(f"#detail-{row} .detail-value").text
    # Out of band: the whole page header (name, status, category) and the timeline; the
    # browser's title from the response's own <title>.
    head = fragment.select_one("#session-head[data-hx-swap-oob]")
    session = fresh(setup)
    assert head.select_one("h1#session-title").text == session.name
    assert head.select_one("#status-badge").text == "Active"
    assert not head.select("[data-hx-swap-oob]")  # nothing nested: swapped once, as a whole
    category = head.select_one("#session-category")
    assert (category.text if category else None) == (
        "Category: Leadership" if row == "category" else None)
    assert fragment.find("title", recursive=False).text == f"{session.name} · Session portal"
    assert fragment.select_one("#timeline[data-hx-swap-oob] svg")
    assert session.version == 2


def test_a_date_edit_updates_the_status_in_the_header_and_the_timeline(client, setup):
    response = client.post(url(setup, "/details/access"), _data(setup, {
        "access_start": "2026-11-22", "access_end": "2026-11-25"}), htmx=True)
    fragment = soup(response)
    assert fragment.select_one("#session-head #status-badge").text == "Past"
    assert "Access: 22" in fragment.select_one("#timeline figcaption").text


@pytest.mark.parametrize(("row", "changes", "shown"), ROW_EDITS)
def test_inline_edit_without_javascript(client, setup, row, changes, shown):
    response = client.get(url(setup, f"/details/{row}/edit"))
    assert response.status_code == 302 and f"edit={row}" in response.headers["Location"]
    page = client.get_page(url(setup, f"?edit={row}"))
    assert page.select_one(f"#detail-{row} form")
    response = client.post(url(setup, f"/details/{row}"), _data(setup, changes))
    assert response.status_code == 303
    page = client.get_page(response.headers["Location"])
    assert shown in page.select_one(f"#detail-{row} .detail-value").text
    assert "saved." in page.select_one(".flash").text


@pytest.mark.parametrize(
    ("row", "changes", "field", "message"),
    [
        ("name", {"name": ""}, "name", "Give the session a name."),
        ("coach", {"coach": "ghost"}, "coach", "No active user has the username"),
        ("access", {"access_start": "2026-12-10", "access_end": "2026-12-01"}, "access_end",
         "The end must be after the start."),
        ("display", {"display_start": "soon"}, "display_start", "Write a date as"),
        ("access", {"access_start": "2026-12-01", "duration_days": "30"}, "duration_days",
         "leave Access start and Access end empty"),
        ("category", {"category_id": "77"}, "category_id", "Not a valid choice"),
    ],
)
def test_inline_edit_errors_come_back_in_the_form(client, setup, row, changes, field, message):
    response = client.post(url(setup, f"/details/{row}"), _data(setup, changes), htmx=True)
    assert response.status_code == 422
    fragment = soup(response)
    assert message in fragment.select_one(f"#{field}-error").text
    assert fresh(setup).version == 1
    # Plain form: the whole page with the row in edit mode.
    response = client.post(url(setup, f"/details/{row}"), _data(setup, changes))
    assert response.status_code == 422
    assert soup(response).select_one(f"#detail-{row} #{field}-error")


def test_duplicate_name_in_inline_edit(client, setup):
    make_session(setup.coach, name="Leadership 101")
    response = client.post(url(setup, "/details/name"),
                           _data(setup, {"name": "leadership 101"}), htmx=True)
    assert soup(response).select_one("#name-error").text == "A session already has this name."


def test_cancel_restores_the_read_row(client, setup):
    fragment = soup(client.htmx_get(url(setup, "/details/name")))
    assert fragment.select_one("#detail-name .detail-value").text == "Onboarding"
    assert fragment.select_one("form") is None


def test_coach_window_warning_then_save_anyway(client, setup):
    changes = {"coach_start": "2026-12-01", "coach_end": "2026-12-02"}
    response = client.post(url(setup, "/details/coach_window"), _data(setup, changes), htmx=True)
    assert response.status_code == 422
    assert "Coaches usually need to prepare" in soup(response).select_one(".warning-box").text
    assert fresh(setup).coach_start != datetime(2026, 11, 30, 23, 0, tzinfo=UTC)
    response = client.post(url(setup, "/details/coach_window"),
                           {**_data(setup, changes), "confirm": "1"}, htmx=True)
    assert response.status_code == 200
    assert fresh(setup).coach_start == datetime(2026, 11, 30, 23, 0, tzinfo=UTC)


def test_second_admin_gets_a_conflict_not_a_silent_overwrite(client, setup):
    stale_version = str(setup.version)
    first = client.post(url(setup, "/details/name"),
                        {"version": stale_version, "name": "First admin's name"}, htmx=True)
    assert first.status_code == 200
    second = client.post(url(setup, "/details/policy"),
                         {"version": stale_version, "after_end_policy": "closed"}, htmx=True)
    assert second.status_code == 409
    alert = soup(second).select_one("[role=alert]")
    assert "changed by someone else since you opened this form" in alert.text
    assert alert.select_one("a")["href"] == url(setup)
    session = fresh(setup)
    assert session.name == "First admin's name" and session.after_end_policy == "read_only"


def test_status_badge_changes_when_access_moves_to_the_future(client, setup):
    response = client.post(url(setup, "/details/access"),
                           {**_data(setup, {"access_start": "2027-01-05", "access_end": ""}),
                            "confirm": "1"}, htmx=True)
    assert soup(response).select_one("#status-badge").text == "Upcoming"


def test_unknown_row_is_404(client, setup):
    assert client.htmx_get(url(setup, "/details/secret/edit")).status_code == 404


# --- courses and coaches --------------------------------------------------------------


def course_codes(fragment):
    return [li.select_one("strong").text for li in fragment.select("#courses li.course-block")]


def test_add_reorder_and_remove_courses(client, setup):
    add_course(setup, code="PY1", title="Python")
    add_course(setup, code="SQL1", title="SQL")
    from portal.models import Course

    db.session.add(Course(code="JS1", title="JavaScript"))
    db.session.commit()
    fragment = soup(client.post(url(setup, "/courses"), {"add_course": "JS1"}, htmx=True))
    assert course_codes(fragment) == ["PY1", "SQL1", "JS1"]
    assert "JavaScript added." in fragment.text
    response = client.post(url(setup, "/courses"), {"add_course": "NOPE"}, htmx=True)
    assert response.status_code == 422
    assert soup(response).select_one("#add_course-error").text == "No course has the code “NOPE”."
    js = db.session.scalar(select(Course.id).where(Course.code == "JS1"))
    fragment = soup(client.post(url(setup, f"/courses/{js}/move"), {"direction": "up"},
                                htmx=True))
    assert course_codes(fragment) == ["PY1", "JS1", "SQL1"]
    fragment = soup(client.post(url(setup, f"/courses/{js}/move"), {"direction": "up"},
                                htmx=True))
    assert course_codes(fragment) == ["JS1", "PY1", "SQL1"]
    assert "cannot move further up" in soup(client.post(
        url(setup, f"/courses/{js}/move"), {"direction": "up"}, htmx=True)).text
    fragment = soup(client.post(url(setup, f"/courses/{js}/remove"), htmx=True))
    assert course_codes(fragment) == ["PY1", "SQL1"]


def test_remove_confirmation_counts_hidden_hand_ins(client, setup, make_user):
    course = add_course(setup, code="PY1", title="Python")
    assignment = Assignment(course_id=course.id, title="Task", max_score=10)
    learner = make_user("lea")
    enrol(setup, learner)
    db.session.add(assignment)
    db.session.flush()
    db.session.add(Submission(session_id=setup.id, assignment_id=assignment.id,
                              user_id=learner.id, answer="x", submitted_at=NOW))
    db.session.commit()
    fragment = soup(client.htmx_get(url(setup, f"/courses/{course.id}/remove")))
    assert "1 hand-in of this session will be hidden" in fragment.text
    page = client.get_page(url(setup, f"/courses/{course.id}/remove"))  # without JavaScript
    assert page.select_one("h1").text == "Remove Python from this session?"
    assert "Onboarding" in page.select_one("nav.breadcrumb").text
    response = client.post(url(setup, f"/courses/{course.id}/remove"))
    assert response.status_code == 303
    assert db.session.scalar(select(func.count()).select_from(Submission)) == 1  # kept


def test_course_coaches_add_change_remove(client, setup, make_user):
    course = add_course(setup, code="PY1", title="Python")
    fragment = soup(client.post(url(setup, f"/courses/{course.id}/coaches"),
                                {f"add_coach_{course.id}": "ted"}, htmx=True))
    assert "Ted Teach" in fragment.select_one("ul[aria-label='Coaches of Python']").text
    response = client.post(url(setup, f"/courses/{course.id}/coaches"),
                           {f"add_coach_{course.id}": "nobody"}, htmx=True)
    assert response.status_code == 422
    assert "No active user" in soup(response).select_one(f"#add_coach_{course.id}-error").text
    ted = db.session.scalar(select(SessionCourseCoach.user_id))
    fragment = soup(client.post(url(setup, f"/courses/{course.id}/coaches/{ted}/remove"),
                                htmx=True))
    assert "none yet" in fragment.select_one("ul[aria-label='Coaches of Python']").text


def test_course_routes_refuse_a_course_outside_the_session(client, setup):
    from portal.models import Course

    other = Course(code="X1", title="Elsewhere")
    db.session.add(other)
    db.session.commit()
    assert client.post(url(setup, f"/courses/{other.id}/move"), {"direction": "up"},
                       htmx=True).status_code == 404


# --- learners and classes ---------------------------------------------------------------


def learner_names(fragment):
    """The usernames of the learners listed (under each name)."""
    return [tr.select_one(".username").text
            for tr in fragment.select("#learner-results tbody tr") if tr.select_one(".username")]


@pytest.fixture
def red_class(make_user):
    red = UserClass(name="Red team")
    db.session.add(red)
    db.session.flush()
    for name in ("ann", "bob"):
        db.session.add(ClassMembership(class_id=red.id, user_id=make_user(name).id))
    db.session.commit()
    return red


def test_add_and_remove_a_learner(client, setup, make_user):
    make_user("lea")
    fragment = soup(client.post(url(setup, "/learners"), {"add_learner": "lea"}, htmx=True))
    assert learner_names(fragment) == ["lea"]
    assert "Lea Tester enrolled." in fragment.text
    assert "Individual" in fragment.select_one("#learner-results tbody").text
    response = client.post(url(setup, "/learners"), {"add_learner": "ghost"}, htmx=True)
    assert response.status_code == 422
    lea = db.session.scalar(select(Enrolment.user_id))
    fragment = soup(client.post(url(setup, f"/learners/{lea}/remove"), htmx=True))
    assert learner_names(fragment) == []


def test_learner_add_without_javascript(client, setup, make_user):
    make_user("lea")
    response = client.post(url(setup, "/learners"), {"add_learner": "lea@example.org"})
    assert response.status_code == 303
    page = client.get_page(response.headers["Location"])
    assert "Lea Tester enrolled." in page.select_one(".flash").text


def test_class_link_unlink_and_the_class_keeping_a_learner(client, setup, red_class):
    fragment = soup(client.post(url(setup, "/classes"), {"add_class": "Red team"}, htmx=True))
    assert learner_names(fragment) == ["ann", "bob"]
    assert "2 learners newly enrolled" in fragment.text
    assert "Class Red team" in fragment.select_one("#learner-results tbody").text
    ann = db.session.scalar(select(Enrolment.user_id).order_by(Enrolment.user_id))
    fragment = soup(client.post(url(setup, f"/learners/{ann}/remove"), htmx=True))
    assert "stays enrolled through the class Red team" in fragment.text
    assert fragment.select_one(".flash a.button").text == "Unlink class Red team…"
    fragment = soup(client.post(url(setup, f"/classes/{red_class.id}/unlink"), htmx=True))
    assert learner_names(fragment) == []
    assert "2 learners unenrolled" in fragment.text


def test_live_class_link_shows_on_the_page(client, setup, red_class, make_user):
    client.post(url(setup, "/classes"), {"add_class": "Red team"}, htmx=True)
    cid = make_user("cid")
    enrolment.add_class_member(db.session, red_class.id, cid.id, by=SYSTEM, now=NOW)
    db.session.commit()
    assert "cid" in learner_names(client.get_page(url(setup)))
    enrolment.remove_class_member(db.session, red_class.id, cid.id, by=SYSTEM, now=NOW)
    db.session.commit()
    assert "cid" not in learner_names(client.get_page(url(setup)))


def test_unknown_class_is_a_clear_error(client, setup):
    response = client.post(url(setup, "/classes"), {"add_class": "Blue"}, htmx=True)
    assert response.status_code == 422
    assert "No class is called “Blue”." in response.get_data(as_text=True)


def test_learner_search_and_pages(client, setup, make_user):
    users = [make_user(f"user{i:02d}") for i in range(30)]
    enrol(setup, *users)
    fragment = soup(client.htmx_get(url(setup, "/learners?q=user1")))
    assert learner_names(fragment) == [f"user1{i}" for i in range(10)]
    page = client.get_page(url(setup, "?page=2"))
    assert len(learner_names(page)) == 5
    assert page.select_one("#people .count").text == "26–30 of 30"


def test_session_page_costs_the_same_queries_for_10_and_300_learners(client, setup, make_user,
                                                                    count_queries, red_class):
    add_course(setup, code="PY1", title="Python", coaches=[setup.coach])
    enrolment.link_class(db.session, setup.id, red_class.id, by=SYSTEM, now=NOW)
    db.session.commit()
    counts = []
    for total in (10, 300):
        db.session.execute(Enrolment.__table__.delete().where(Enrolment.user_id > 3))
        enrol(setup, *[make_user(f"p{total}_{i}") for i in range(total)])
        page_url = url(setup)
        with count_queries() as counter:
            client.get_page(page_url)
        counts.append(counter.count)
    assert counts[0] == counts[1] <= 14


def test_session_course_order_is_kept_dense(client, setup):
    for code in ("A", "B", "C"):
        add_course(setup, code=code, title=code)
    positions = db.session.scalars(select(SessionCourse.position)
                                   .where(SessionCourse.session_id == setup.id)
                                   .order_by(SessionCourse.position)).all()
    assert positions == [0, 0, 0] or positions == [0, 1, 2]


def test_typeaheads_offer_only_what_the_session_does_not_have(client, setup, make_user):
    from portal.models import Course

    enrol(setup, make_user("lea"))
    make_user("leo")
    add_course(setup, code="PY1", title="Python")
    db.session.add(Course(code="PY2", title="Python 2"))
    db.session.commit()
    page = client.get_page(url(setup))
    learner_lookup = page.select_one("#add_learner")["data-hx-get"]
    course_lookup = page.select_one("#add_course")["data-hx-get"]
    options = soup(client.htmx_get(learner_lookup + "&add_learner=le")).select("option")
    offered = [o["value"] for o in options]
    assert "leo" in offered and "lea" not in offered  # lea is enrolled already
    options = soup(client.htmx_get(course_lookup + "&add_course=PY")).select("option")
    assert [o["value"] for o in options] == ["PY2"]


def test_a_duration_mode_session_shows_its_days_and_the_status_of_its_display_window(
        client, setup):
    setup.duration_days = 30
    setup.access_start = setup.access_end = None
    setup.display_start = NOW + timedelta(days=3)  # not shown to learners yet
    db.session.commit()
    head = client.get_page(url(setup)).select_one("#session-head")
    assert head.select_one("#status-badge").text == "Upcoming"
    assert "30 days per learner" in head.text
