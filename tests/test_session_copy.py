"""Copying a session: its dates moved by a new start, and the ticks that choose the
course coaches, learners and class links taken along (each learner held as before)."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from portal.domain import journal
from portal.extensions import db
from portal.models import (
    ClassMembership,
    Enrolment,
    JournalEntry,
    SessionClass,
    SessionCourseCoach,
    TrainingSession,
    User,
    UserClass,
)
from tests.helpers import add_course

PARIS = ZoneInfo("Europe/Paris")
# Paris: 09:00 is 07:00 UTC in summer time, 08:00 UTC in winter time.
SUMMER = {
    "display_start": datetime(2026, 8, 24, 22, 0, tzinfo=UTC),  # 25 Aug, a whole day
    "display_end": datetime(2026, 10, 31, 23, 0, tzinfo=UTC),  # until 31 Oct (winter time)
    "access_start": datetime(2026, 9, 1, 7, 0, tzinfo=UTC),  # 1 Sep at 09:00
    "access_end": datetime(2026, 9, 30, 22, 0, tzinfo=UTC),  # until 30 Sep
    "coach_start": datetime(2026, 8, 25, 7, 0, tzinfo=UTC),  # 25 Aug at 09:00
    "coach_end": datetime(2026, 10, 15, 16, 30, tzinfo=UTC),  # 15 Oct at 18:30
}


@pytest.fixture
def source(client, make_user, frozen_now):
    make_user("root", role="admin", first_name="Root", last_name="Admin")
    coach = make_user("cora", role="teacher")
    session = TrainingSession(name="Autumn", coach_id=coach.id, **SUMMER)
    db.session.add(session)
    db.session.commit()
    client.login("root")
    return session


def url(session, tail=""):
    return f"/admin/sessions/{session.id}/copy{tail}"


def copy_named(name="Autumn 2027") -> TrainingSession:
    db.session.expire_all()
    return db.session.scalar(select(TrainingSession).where(TrainingSession.name == name))


def dates(session) -> dict:
    return {name: getattr(session, name) for name in SUMMER}


def paris(session, name) -> str:
    return getattr(session, name).astimezone(PARIS).strftime("%Y-%m-%d %H:%M")


# --- the date shift ---------------------------------------------------------------------


def test_empty_new_start_keeps_the_dates(client, source):
    response = client.post(url(source), {"name": "Autumn 2027", "copy_coaches": "y"})
    assert response.status_code == 303
    assert dates(copy_named()) == SUMMER


def test_a_date_alone_moves_every_date_by_whole_days_across_a_clock_change(client, source):
    # 1 Sep 2026 (summer time) -> 12 Jan 2027 (winter time): 133 days, times of day kept.
    response = client.post(url(source), {"name": "Autumn 2027", "new_start": "2027-01-12"})
    assert response.status_code == 303
    copy = copy_named()
    assert [paris(copy, n) for n in SUMMER] == [
        "2027-01-05 00:00", "2027-03-14 00:00", "2027-01-12 09:00", "2027-02-11 00:00",
        "2027-01-05 09:00", "2027-02-25 18:30"]
    page = client.get_page(f"/admin/sessions/{copy.id}")
    assert page.select_one("#detail-access .detail-value").text == "12 Jan at 09:00 – 10 Feb 2027"


def test_a_date_and_time_moves_to_that_very_time(client, source):
    client.post(url(source), {"name": "Autumn 2027", "new_start": "2026-09-08 14:00"})
    copy = copy_named()
    assert paris(copy, "access_start") == "2026-09-08 14:00"
    assert paris(copy, "access_end") == "2026-10-08 05:00"  # 7 days and 5 hours on


@pytest.mark.parametrize(("new_start", "message"), [
    ("soon", "Write a date as"),
    ("2999-12-01", "That moves the display end to the year 3000"),
    ("1900-01-02", "That moves the display start to the year 1899"),
    ("2026-03-29 02:30", "does not exist"),
])
def test_a_new_start_that_cannot_be_used_is_a_field_error(client, source, new_start, message):
    page = client.post_page(url(source), {"name": "Autumn 2027", "new_start": new_start},
                            status=422)
    assert message in page.select_one("#new_start-error").text
    assert page.select_one("#new_start")["value"] == new_start
    assert copy_named() is None


def test_without_an_access_start_the_shift_is_measured_from_the_earliest_date(client, source):
    source.access_start = None
    db.session.commit()
    page = client.get_page(url(source))
    assert page.select_one("label[for=new_start]").text == "New display start"
    assert "The display start is now 25 Aug 2026" in page.select_one("#new_start-hint").text
    client.post(url(source), {"name": "Autumn 2027", "new_start": "2026-09-01"})
    copy = copy_named()
    assert paris(copy, "display_start") == "2026-09-01 00:00"
    assert paris(copy, "coach_start") == "2026-09-01 09:00"  # moved 7 days like the rest


def test_a_session_without_dates_has_no_new_start(client, source):
    for name in SUMMER:
        setattr(source, name, None)
    db.session.commit()
    page = client.get_page(url(source))
    assert page.select_one("#new_start") is None
    assert "has no dates" in page.text
    response = client.post(url(source), {"name": "Autumn 2027", "new_start": "2027-01-01"})
    assert response.status_code == 303 and copy_named().access_start is None


def test_the_preview_shows_the_new_dates_as_the_admin_types(client, source):
    page = client.get_page(url(source))
    field = page.select_one("#new_start")
    assert field["data-hx-get"] == url(source, "/timeline")
    assert field["data-hx-target"] == "#copy-preview"
    assert "keeps the same dates" in page.select_one("#copy-preview").text
    fragment = BeautifulSoup(client.htmx_get(url(source, "/timeline?new_start=2027-01-12")).data,
                             "html.parser")
    assert "Every date moves 133 days later." in fragment.select_one(".copy-shift").text
    caption = fragment.select_one("#timeline figcaption").text
    assert "Access: 12 Jan at 09:00 – 10 Feb 2027" in caption
    fragment = BeautifulSoup(client.htmx_get(url(source, "/timeline?new_start=2999-12-01")).data,
                             "html.parser")
    assert "the current dates" in fragment.select_one(".copy-shift").text


# --- what else is copied ----------------------------------------------------------------


@pytest.fixture
def people(source, make_user):
    """Course coach ted; learners ivy (individual), ian (import), cal (through class Red),
    cid (came through Red, then enrolled directly), and Red's members cal and cid."""
    ted = make_user("ted", role="teacher")
    add_course(source, code="PY1", coaches=[ted])
    users = {name: make_user(name) for name in ("ivy", "ian", "cal", "cid")}
    red = UserClass(name="Red")
    db.session.add(red)
    db.session.flush()
    db.session.add_all([ClassMembership(class_id=red.id, user_id=users[n].id)
                        for n in ("cal", "cid")])
    db.session.add(SessionClass(session_id=source.id, class_id=red.id))
    for name, how, direct in [("ivy", "individual", True), ("ian", "import", True),
                              ("cal", "class", False), ("cid", "class", True)]:
        db.session.add(Enrolment(session_id=source.id, user_id=users[name].id, source=how,
                                 direct=direct))
    db.session.commit()
    return users


def held(session) -> dict[str, tuple[str, bool]]:
    """Each learner of ``session``: (how they first came, enrolled directly)."""
    return {u: (s, d) for u, s, d in db.session.execute(
        select(User.username, Enrolment.source, Enrolment.direct).join(Enrolment)
        .where(Enrolment.session_id == session.id))}


def test_the_ticks_default_to_coaches_only(client, source, people):
    page = client.get_page(url(source))
    ticks = {name: page.select_one(f"#{name}").has_attr("checked")
             for name in ("copy_coaches", "copy_learners", "copy_classes")}
    assert ticks == {"copy_coaches": True, "copy_learners": False, "copy_classes": False}
    assert "4 learners (1 through a class)" in page.select_one("#copy_learners-hint").text
    assert page.select_one("#copy_classes-hint").text.startswith("Red:")


def test_learners_and_class_links_keep_how_each_learner_is_enrolled(client, source, people):
    response = client.post(url(source), {"name": "Autumn 2027", "copy_coaches": "y",
                                         "copy_learners": "y", "copy_classes": "y"})
    assert response.status_code == 303
    copy = copy_named()
    assert held(copy) == held(source) == {
        "ivy": ("individual", True), "ian": ("import", True), "cal": ("class", False),
        "cid": ("class", True)}
    assert db.session.scalar(select(SessionClass.class_id)
                             .where(SessionClass.session_id == copy.id))
    ted = db.session.scalar(select(User.id).where(User.username == "ted"))
    assert db.session.scalar(select(SessionCourseCoach.user_id)
                             .where(SessionCourseCoach.session_id == copy.id)) == ted


def test_learners_without_class_links_are_enrolled_individually(client, source, people):
    client.post(url(source), {"name": "Autumn 2027", "copy_learners": "y"})
    copy = copy_named()
    assert held(copy) == {"ivy": ("individual", True), "ian": ("import", True),
                          "cal": ("individual", True), "cid": ("individual", True)}
    assert db.session.scalar(select(SessionClass.class_id)
                             .where(SessionClass.session_id == copy.id)) is None
    assert db.session.scalar(select(SessionCourseCoach.user_id)
                             .where(SessionCourseCoach.session_id == copy.id)) is None


def test_class_links_alone_enrol_the_members_through_the_class(client, source, people):
    client.post(url(source), {"name": "Autumn 2027", "copy_classes": "y"})
    assert held(copy_named()) == {"cal": ("class", False), "cid": ("class", False)}


def test_the_journal_tells_the_copy_then_each_enrolment_under_it(client, source, people):
    client.post(url(source), {"name": "Autumn 2027", "new_start": "2026-09-08",
                              "copy_learners": "y", "copy_classes": "y"})
    db.session.expire_all()
    head, *items = db.session.scalars(select(JournalEntry).where(
        JournalEntry.object_type != "login").order_by(JournalEntry.id)).all()
    assert journal.sentence(head, PARIS) == (
        "Root Admin created the session Autumn 2027 as a copy of Autumn, its dates moved "
        "7 days later, with its learners and class links, without its course coaches")
    assert head.after["classes"] == ["Red"]
    # Cid comes through the class, then is made direct as in the source.
    assert sorted((e.object_type, e.action, e.learner_label) for e in items) == [
        ("enrolment", "add", "Cal Tester"), ("enrolment", "add", "Cid Tester"),
        ("enrolment", "add", "Ian Tester"), ("enrolment", "add", "Ivy Tester"),
        ("enrolment", "change", "Cid Tester")]
    assert {e.parent_id for e in items} == {head.id}
