"""Individual dates and suspensions on the admin session page: one learner, the ticked
learners, the members of a linked class; the words on the learner's row, the journal on
the History tab, and every bad input refused with nothing written."""

from datetime import UTC, datetime

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from portal.domain import enrolment
from portal.domain.journal import SYSTEM
from portal.extensions import db
from portal.models import ClassMembership, Enrolment, JournalEntry, UserClass
from tests.helpers import NOW, enrol, make_session

PEOPLE = ("admin", "coach", "lea", "leo", "max")
# Midnight in Paris (the tests' zone): the session's access runs 2 Nov 2026 – 15 Jul 2027.
ACCESS_START = datetime(2026, 11, 1, 23, 0, tzinfo=UTC)
ACCESS_END = datetime(2027, 7, 15, 22, 0, tzinfo=UTC)


@pytest.fixture
def world(people, client):
    session = make_session(people["coach"], "Onboarding")
    session.access_start, session.access_end = ACCESS_START, ACCESS_END
    session.coach_start = session.coach_end = None
    db.session.commit()
    enrol(session, people["lea"], people["leo"])
    client.login("ada")
    return {"session": session, "lea": people["lea"].id, "leo": people["leo"].id,
            "max": people["max"].id}


def url(world, tail=""):
    return f"/admin/sessions/{world['session'].id}{tail}"


def soup(response):
    return BeautifulSoup(response.data, "html.parser")


def dates_of(user_id):
    db.session.expire_all()
    e = db.session.scalar(select(Enrolment).where(Enrolment.user_id == user_id))
    return (e.extension_days, e.own_start, e.own_end, e.dates_reason, e.suspended_at,
            e.suspension_reason)


def journal_count():
    return db.session.scalar(select(func.count()).select_from(JournalEntry))


def row_of(fragment, name):
    for tr in fragment.select("#learner-results tbody tr"):
        if tr.select_one("td") and name in tr.select_one("td").text:
            return tr
    raise AssertionError(f"no row for {name}")


def access_cell(fragment, name):
    return " ".join(row_of(fragment, name).select_one('td[data-label="Access"]').text.split())


def message(fragment):
    return " ".join(fragment.select_one("#people .flash").text.split())


EXTEND = {"kind": "extend", "days": "5", "reason": "medical leave"}
WORDS = "until 20 Jul 2027 — extended by 5 days: medical leave"


# --- one learner ------------------------------------------------------------------------


def test_dates_form_opens_as_a_row_under_the_learner(client, world):
    fragment = soup(client.htmx_get(url(world, f"/learners/{world['lea']}/dates")))
    row = fragment.select_one("tr")
    assert "Individual dates of Lea Learner" in row.text
    assert row.select_one("form")["data-hx-target"] == "#people"
    labels = [label.text.strip() for label in row.select("label")]
    assert {"Days to add", "Individual start", "Individual end", "Reason"} <= set(labels)
    assert "Now: the session's dates" in row.text


def test_extend_one_learner_then_the_row_says_it(client, world):
    response = client.post(url(world, f"/learners/{world['lea']}/dates"), EXTEND, htmx=True)
    assert response.status_code == 200
    fragment = soup(response)
    assert message(fragment) == f"Lea Learner: {WORDS}"
    assert access_cell(fragment, "Lea Learner") == WORDS
    assert access_cell(fragment, "Leo Second") == "Session dates"
    assert dates_of(world["lea"])[:4] == (5, None, None, "medical leave")
    page = client.get_page(url(world))
    assert access_cell(page, "Lea Learner") == WORDS


def test_change_prefills_the_form_and_replaces_the_dates(client, world):
    client.post(url(world, f"/learners/{world['lea']}/dates"), EXTEND, htmx=True)
    form = soup(client.htmx_get(url(world, f"/learners/{world['lea']}/dates")))
    assert form.select_one('input[name="days"]')["value"] == "5"
    assert form.select_one('input[name="reason"]')["value"] == "medical leave"
    assert form.select_one('input[name="kind"][value="extend"]').has_attr("checked")
    assert f"Now: {WORDS}" in " ".join(form.text.split())
    fragment = soup(client.post(url(world, f"/learners/{world['lea']}/dates"),
                                {"kind": "window", "start": "2027-01-10",
                                 "end": "2027-08-31 18:00", "reason": "works nights"},
                                htmx=True))
    words = "from 10 Jan 2027 until 31 Aug 2027 at 18:00 — individual dates: works nights"
    assert access_cell(fragment, "Lea Learner") == words
    extension, start, end, reason, *_ = dates_of(world["lea"])
    assert (extension, reason) == (0, "works nights")
    assert start == datetime(2027, 1, 9, 23, 0, tzinfo=UTC)
    assert end == datetime(2027, 8, 31, 16, 0, tzinfo=UTC)
    form = soup(client.htmx_get(url(world, f"/learners/{world['lea']}/dates")))
    assert form.select_one('input[name="kind"][value="window"]').has_attr("checked")
    assert form.select_one('input[name="start"]')["value"] == "2027-01-10"
    assert form.select_one('input[name="end"]')["value"] == "2027-08-31 18:00"


def test_an_end_date_alone_includes_that_day(client, world):
    fragment = soup(client.post(url(world, f"/learners/{world['lea']}/dates"),
                                {"kind": "window", "end": "2027-09-30", "reason": "late start"},
                                htmx=True))
    assert access_cell(fragment, "Lea Learner") == \
        "from 2 Nov 2026 until 30 Sep 2027 — individual dates: late start"
    assert dates_of(world["lea"])[2] == datetime(2027, 9, 30, 22, 0, tzinfo=UTC)


def test_remove_individual_dates(client, world):
    client.post(url(world, f"/learners/{world['lea']}/dates"), EXTEND, htmx=True)
    fragment = soup(client.post(url(world, f"/learners/{world['lea']}/dates"),
                                {"kind": "remove", "reason": ""}, htmx=True))
    assert message(fragment) == "Lea Learner: individual dates removed; the session's dates apply."
    assert access_cell(fragment, "Lea Learner") == "Session dates"
    assert dates_of(world["lea"])[:4] == (0, None, None, None)


def test_saving_the_same_dates_again_changes_nothing(client, world):
    client.post(url(world, f"/learners/{world['lea']}/dates"), EXTEND, htmx=True)
    before = journal_count()
    fragment = soup(client.post(url(world, f"/learners/{world['lea']}/dates"), EXTEND,
                                htmx=True))
    assert message(fragment) == f"Lea Learner already has these dates: {WORDS}"
    assert journal_count() == before


def test_suspend_and_lift_one_learner(client, world):
    form = soup(client.htmx_get(url(world, f"/learners/{world['lea']}/suspend")))
    assert "Suspend Lea Learner" in form.text
    fragment = soup(client.post(url(world, f"/learners/{world['lea']}/suspend"),
                                {"reason": "unpaid fees"}, htmx=True))
    assert message(fragment) == "Lea Learner suspended: unpaid fees."
    assert access_cell(fragment, "Lea Learner") == "Suspended: unpaid fees"
    row = row_of(fragment, "Lea Learner")
    assert [b.text for b in row.select("button")] == ["Lift suspension of Lea Learner"]
    assert dates_of(world["lea"])[4:] == (NOW, "unpaid fees")
    form = soup(client.htmx_get(url(world, f"/learners/{world['lea']}/suspend")))
    assert "Suspension of Lea Learner" in form.text
    assert "Now: Suspended: unpaid fees" in form.text
    assert form.select_one('input[name="reason"]')["value"] == "unpaid fees"
    assert form.select_one("button").text == "Change the reason"
    fragment = soup(client.post(url(world, f"/learners/{world['lea']}/lift"), htmx=True))
    assert message(fragment) == "Lea Learner: suspension lifted."
    assert access_cell(fragment, "Lea Learner") == "Session dates"
    assert dates_of(world["lea"])[4:] == (None, None)


def test_a_suspended_learner_with_dates_shows_both(client, world):
    client.post(url(world, f"/learners/{world['lea']}/dates"), EXTEND, htmx=True)
    fragment = soup(client.post(url(world, f"/learners/{world['lea']}/suspend"),
                                {"reason": "unpaid fees"}, htmx=True))
    assert access_cell(fragment, "Lea Learner") == f"{WORDS} Suspended: unpaid fees"


def test_without_javascript_the_form_is_a_page_and_saving_redirects(client, world):
    page = client.get_page(url(world, f"/learners/{world['lea']}/dates"))
    assert page.select_one("h1").text == "Individual dates of Lea Learner"
    form = page.select_one("main form")
    assert form["action"] == url(world, f"/learners/{world['lea']}/dates")
    response = client.post(url(world, f"/learners/{world['lea']}/dates"), EXTEND)
    assert response.status_code == 303
    page = client.get_page(response.headers["Location"])
    assert f"Lea Learner: {WORDS}" in page.select_one(".flash").text
    assert access_cell(page, "Lea Learner") == WORDS
    page = client.post_page(url(world, f"/learners/{world['lea']}/dates"),
                            {**EXTEND, "days": "0"}, status=422)
    assert "Give a number of days from 1 to 3650." in page.select_one("main form").text


def test_the_plain_suspend_form_and_lift(client, world):
    page = client.get_page(url(world, f"/learners/{world['lea']}/suspend"))
    assert page.select_one("h1").text == "Suspend Lea Learner"
    response = client.post(url(world, f"/learners/{world['lea']}/suspend"), {"reason": "fees"})
    assert response.status_code == 303
    response = client.post(url(world, f"/learners/{world['lea']}/lift"))
    assert response.status_code == 303
    assert dates_of(world["lea"])[4] is None


# --- bad input --------------------------------------------------------------------------

BAD_DATES = [
    ({"kind": "extend", "days": "-3", "reason": "x"}, "days", "from 1 to 3650"),
    ({"kind": "extend", "days": "3651", "reason": "x"}, "days", "from 1 to 3650"),
    ({"kind": "extend", "days": "9" * 40, "reason": "x"}, "days", "whole number"),
    ({"kind": "extend", "days": "five", "reason": "x"}, "days", "whole number"),
    ({"kind": "extend", "days": "", "reason": "x"}, "days", "number of days"),
    ({"kind": "extend", "days": "5", "reason": "  "}, "reason", "Give a reason"),
    ({"kind": "extend", "days": "5", "reason": "x" * 201}, "reason", "200 characters"),
    ({"kind": "window", "start": "2027-03-01", "end": "2027-02-01", "reason": "x"}, "end",
     "after the start"),
    ({"kind": "window", "start": "", "end": "", "reason": "x"}, "start", "a start, an end"),
    ({"kind": "window", "start": "0001-01-01", "reason": "x"}, "start", "year"),
    ({"kind": "window", "end": "9999-12-31 23:59", "reason": "x"}, "end", "year"),
    ({"kind": "window", "end": "31/12/2027", "reason": "x"}, "end", "2026-03-31"),
    ({"kind": "window", "end": "2" * 60, "reason": "x"}, "end", "40 characters"),
    ({"kind": "window", "start": "2027-03-28 02:30", "reason": "x"}, "start", "does not exist"),
    ({"kind": "later", "reason": "x"}, "kind", "Choose"),
    ({"reason": "x"}, "days", "number of days"),  # no choice sent: the form's first one
]


@pytest.mark.parametrize(("data", "field", "text"), BAD_DATES)
def test_bad_dates_are_field_errors_and_write_nothing(client, world, data, field, text):
    before = (dates_of(world["lea"]), journal_count())
    response = client.post(url(world, f"/learners/{world['lea']}/dates"), data, htmx=True)
    assert response.status_code == 422
    fragment = soup(response)
    error = fragment.select_one(f"#dates-{world['lea']}-{field}-error")
    assert error is not None and text in error.text, fragment.text
    assert response.headers["HX-Retarget"] == f"#dates-{world['lea']}"
    assert (dates_of(world["lea"]), journal_count()) == before


@pytest.mark.parametrize("reason", ["", " ", "x" * 201])
def test_bad_suspension_reason_writes_nothing(client, world, reason):
    before = journal_count()
    response = client.post(url(world, f"/learners/{world['lea']}/suspend"), {"reason": reason},
                           htmx=True)
    assert response.status_code == 422
    assert soup(response).select_one(f"#suspend-{world['lea']}-reason-error") is not None
    assert dates_of(world["lea"])[4] is None and journal_count() == before


@pytest.mark.parametrize("tail", ["dates", "suspend", "lift"])
def test_a_user_who_is_no_learner_of_the_session_is_refused(client, world, tail):
    before = journal_count()
    for user_id in (world["max"], 987654, 2**31, 10**30):
        response = client.post(url(world, f"/learners/{user_id}/{tail}"),
                                {**EXTEND, "reason": "fees"}, htmx=True)
        assert response.status_code == 404, user_id
        if user_id < 2**31:  # a bigger number matches no route: the plain 404
            assert "not a learner of this session" in response.get_data(as_text=True)
        if tail != "lift":
            assert client.htmx_get(url(world, f"/learners/{user_id}/{tail}")).status_code == 404
            assert client.get(url(world, f"/learners/{user_id}/{tail}")).status_code == 404
    assert journal_count() == before


# --- ticked learners --------------------------------------------------------------------


def test_each_row_has_a_tick_box_and_the_bar_acts_on_the_ticked(client, world):
    page = client.get_page(url(world))
    boxes = page.select('#learner-results input[type="checkbox"][name="user_id"]')
    assert sorted(int(box["value"]) for box in boxes) == sorted([world["lea"], world["leo"]])
    assert all(box["form"] == "ticked-learners" for box in boxes)
    bar = page.select_one("form#ticked-learners")
    assert [b.text for b in bar.select("button")] == ["Set dates…", "Suspend…",
                                                      "Lift suspension…"]
    fragment = soup(client.htmx_get(url(world, "/learners?tick=all")))
    assert all(box.has_attr("checked") for box in fragment.select('input[name="user_id"]'))


def test_ticked_learners_get_the_same_dates(client, world):
    ticked = f"/ticked?user_id={world['lea']}&user_id={world['leo']}"
    box = soup(client.htmx_get(url(world, ticked + "&do=dates")))
    assert "Individual dates of 2 ticked learners" in box.text
    assert "This changes the dates of 2 learners: Lea Learner, Leo Second." in box.text
    hidden = sorted(int(i["value"]) for i in box.select('input[type="hidden"][name="user_id"]'))
    assert hidden == sorted([world["lea"], world["leo"]])
    before = journal_count()
    fragment = soup(client.post(url(world, "/ticked/dates"),
                                {**EXTEND, "user_id": [world["lea"], world["leo"]]}, htmx=True))
    assert message(fragment) == f"Individual dates set for 2 learners: {WORDS}"
    assert access_cell(fragment, "Lea Learner") == WORDS
    assert access_cell(fragment, "Leo Second") == WORDS
    assert journal_count() == before + 3  # a head entry and one per learner


def test_ticked_suspend_and_lift(client, world):
    both = {"user_id": [world["lea"], world["leo"]]}
    box = soup(client.htmx_get(url(world, f"/ticked?user_id={world['lea']}&user_id="
                                          f"{world['leo']}&do=suspend")))
    assert "Suspend 2 ticked learners" in box.text
    fragment = soup(client.post(url(world, "/ticked/suspend"), {**both, "reason": "fees"},
                                htmx=True))
    assert message(fragment) == "2 learners suspended: fees."
    assert access_cell(fragment, "Leo Second") == "Suspended: fees"
    box = soup(client.htmx_get(url(world, f"/ticked?user_id={world['lea']}&do=lift")))
    assert "Lift the suspension of Lea Learner?" in box.text
    fragment = soup(client.post(url(world, "/ticked/lift"), both, htmx=True))
    assert message(fragment) == "Suspension lifted for 2 learners."
    assert dates_of(world["lea"])[4] is None and dates_of(world["leo"])[4] is None


@pytest.mark.parametrize("action", ["dates", "suspend", "lift"])
def test_nothing_ticked_is_a_clear_message(client, world, action):
    response = client.htmx_get(url(world, f"/ticked?do={action}"))
    assert response.status_code == 422
    assert "Tick one or more learners in the list first." in soup(response).text
    before = journal_count()
    response = client.post(url(world, f"/ticked/{action}"), {**EXTEND, "reason": "x"},
                           htmx=True)
    assert response.status_code == 422
    assert "Tick one or more learners in the list first." in soup(response).text
    assert journal_count() == before


@pytest.mark.parametrize("bad", ["x", "-1", "9" * 30, "987654", "max"])
def test_ticked_ids_that_name_no_learner_are_refused(client, world, bad):
    bad = str(world["max"]) if bad == "max" else bad
    before = (dates_of(world["lea"]), journal_count())
    response = client.htmx_get(url(world, f"/ticked?do=dates&user_id={world['lea']}"
                                          f"&user_id={bad}"))
    assert response.status_code == 422
    assert "not learners of this session" in response.get_data(as_text=True)
    response = client.post(url(world, "/ticked/dates"),
                           {**EXTEND, "user_id": [world["lea"], bad]}, htmx=True)
    assert response.status_code == 422
    assert "not learners of this session" in response.get_data(as_text=True)
    assert (dates_of(world["lea"]), journal_count()) == before


def test_ticked_form_errors_keep_the_ticked(client, world):
    response = client.post(url(world, "/ticked/dates"),
                           {**EXTEND, "days": "0", "user_id": [world["lea"], world["leo"]]},
                           htmx=True)
    assert response.status_code == 422
    assert response.headers["HX-Retarget"] == "#ticked-box"
    box = soup(response)
    assert box.select_one("#ticked-days-error") is not None
    assert len(box.select('input[type="hidden"][name="user_id"]')) == 2


def test_unknown_do_is_refused(client, world):
    response = client.htmx_get(url(world, f"/ticked?user_id={world['lea']}&do=burn"))
    assert response.status_code == 422


# --- members of a linked class ----------------------------------------------------------


@pytest.fixture
def red_class(world, people):
    red = UserClass(name="Red team")
    db.session.add(red)
    db.session.flush()
    for key in ("lea", "leo"):
        db.session.add(ClassMembership(class_id=red.id, user_id=people[key].id))
    db.session.commit()
    enrolment.link_class(db.session, world["session"].id, red.id, by=SYSTEM, now=NOW)
    db.session.commit()
    return red


def test_dates_for_the_members_of_a_linked_class(client, world, red_class):
    page = client.get_page(url(world))
    link = page.select_one(f'a[href="{url(world, f"/classes/{red_class.id}/dates")}"]')
    assert link.text == "Dates for members… of Red team"
    box = soup(client.htmx_get(url(world, f"/classes/{red_class.id}/dates")))
    assert "Individual dates of the 2 members of the class Red team" in box.text
    fragment = soup(client.post(url(world, f"/classes/{red_class.id}/dates"), EXTEND,
                                htmx=True))
    assert message(fragment) == f"Individual dates set for 2 learners: {WORDS}"
    assert dates_of(world["leo"])[0] == 5


def test_a_class_not_linked_to_the_session_is_404(client, world, red_class):
    other = UserClass(name="Blue team")
    db.session.add(other)
    db.session.commit()
    for class_id in (other.id, 987654, 2**31, 10**30):
        assert client.htmx_get(url(world, f"/classes/{class_id}/dates")).status_code == 404
        response = client.post(url(world, f"/classes/{class_id}/dates"), EXTEND, htmx=True)
        assert response.status_code == 404
    assert dates_of(world["lea"])[0] == 0


# --- History, duration mode, queries ----------------------------------------------------


def test_the_history_tab_tells_each_change(client, world):
    lea, both = world["lea"], {"user_id": [world["lea"], world["leo"]]}
    client.post(url(world, f"/learners/{lea}/dates"), EXTEND, htmx=True)
    client.post(url(world, f"/learners/{lea}/dates"), {"kind": "remove"}, htmx=True)
    client.post(url(world, f"/learners/{lea}/suspend"), {"reason": "unpaid fees"}, htmx=True)
    client.post(url(world, f"/learners/{lea}/lift"), htmx=True)
    client.post(url(world, "/ticked/dates"), {**EXTEND, **both}, htmx=True)
    text = " ".join(client.get_page(url(world, "/history")).text.split())
    for sentence in ("set the individual dates of Lea Learner in Onboarding",
                     "removed the individual dates of Lea Learner in Onboarding",
                     "suspended Lea Learner in Onboarding: “unpaid fees”",
                     "lifted the suspension of Lea Learner in Onboarding",
                     "set the individual dates of 2 learners in Onboarding"):
        assert sentence in text, sentence


def test_duration_mode_extends_the_duration(client, world):
    session = world["session"]
    session.access_start = session.access_end = None
    session.duration_days = 30
    db.session.commit()
    box = soup(client.htmx_get(url(world, f"/learners/{world['lea']}/dates")))
    assert box.select_one('label[for="dates-{}-kind-0"]'.format(world["lea"])).text.strip() \
        == "Add days to the duration"
    fragment = soup(client.post(url(world, f"/learners/{world['lea']}/dates"), EXTEND,
                                htmx=True))
    assert access_cell(fragment, "Lea Learner") == \
        "35 days from the first visit — extended by 5 days: medical leave"


def test_the_learner_list_costs_the_same_queries_with_0_and_30_learners_with_dates(
        client, world, make_user, count_queries):
    counts = []
    for total in (0, 30):
        users = [make_user(f"p{total}_{i}") for i in range(total)]
        enrol(world["session"], *users, extension_days=3, dates_reason="exam",
              suspended_at=NOW, suspension_reason="fees")
        with count_queries() as counter:
            page = client.get_page(url(world, "?per_page=100"))
        counts.append(counter.count)
        shown = [access_cell(page, u.full_name) for u in users]
        assert all(words.startswith("until 18 Jul 2027") for words in shown)
    assert counts[0] == counts[1]


def test_far_dates_stored_never_break_the_page_or_the_forms(client, world):
    session = world["session"]
    session.access_end = datetime(9999, 12, 31, 23, 59, tzinfo=UTC)
    db.session.execute(Enrolment.__table__.update().where(Enrolment.user_id == world["lea"])
                       .values(own_start=datetime(1, 1, 1, tzinfo=UTC),
                               own_end=datetime(9999, 12, 31, 23, 59, tzinfo=UTC),
                               dates_reason="far"))
    db.session.execute(Enrolment.__table__.update().where(Enrolment.user_id == world["leo"])
                       .values(extension_days=3650, dates_reason="far"))
    db.session.commit()
    page = client.get_page(url(world))
    assert "individual dates: far" in access_cell(page, "Lea Learner")
    assert "extended by 3,650 days: far" in access_cell(page, "Leo Second")
    for user_id in (world["lea"], world["leo"]):
        assert client.htmx_get(url(world, f"/learners/{user_id}/dates")).status_code == 200
    response = client.post(url(world, f"/learners/{world['leo']}/dates"), EXTEND, htmx=True)
    assert response.status_code == 200


def test_ticked_learners_without_javascript(client, world):
    page = client.get_page(url(world, "?tick=all"))
    assert all(box.has_attr("checked") for box in page.select('input[name="user_id"]'))
    page = client.get_page(url(world, f"/ticked?do=dates&user_id={world['lea']}"
                                      f"&user_id={world['leo']}"))
    assert page.select_one("h1").text == "Individual dates of 2 ticked learners"
    assert page.select_one("main form")["action"] == url(world, "/ticked/dates")
    response = client.post(url(world, "/ticked/dates"),
                           {**EXTEND, "user_id": [world["lea"], world["leo"]]})
    assert response.status_code == 303
    page = client.get_page(response.headers["Location"])
    assert f"Individual dates set for 2 learners: {WORDS}" in page.select_one(".flash").text
