"""History: the admin History page, a session's History tab and a learner's history in a
session, read as a person reads them (parsed pages), filtered, paginated, exported."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from bs4 import BeautifulSoup

from portal.domain import journal
from portal.extensions import db
from portal.models import JournalEntry
from tests.helpers import NOW, enrol, make_session

HISTORY = "/admin/history"


@pytest.fixture
def people(make_user):
    return {
        "anne": make_user("anne", role="admin", first_name="Anne", last_name="Martin"),
        "bob": make_user("bob", first_name="Bob", last_name="Learner"),
        "cora": make_user("cora", role="teacher", first_name="Cora", last_name="Coach"),
    }


@pytest.fixture
def onboarding(people, frozen_now):
    return make_session(people["cora"], name="Onboarding")


@pytest.fixture
def admin(client, people):
    client.login("anne")
    return client


def actor(user):
    return journal.Actor(user.id, user.full_name, "req-abcdef12", "192.0.2.7")


def add(by, kind, action, *, at=NOW, **fields) -> JournalEntry:
    saved = journal.record(db.session, by, at, kind, action, **fields)
    db.session.commit()
    return saved


def text(node) -> str:
    return " ".join(node.get_text(" ").split())


def sentences(page) -> list[str]:
    return [text(p) for p in page.select(".history-entry .history-sentence")]


def fragment(response) -> BeautifulSoup:
    return BeautifulSoup(response.data, "html.parser")


# --- through the real routes ----------------------------------------------------------


def test_logins_and_failed_logins_are_on_the_history_page(client, people):
    client.post("/login", {"username": "anne", "password": "wrong"})
    client.login("anne")
    page = client.get_page(HISTORY)
    assert sentences(page)[:2] == ["Anne Martin logged in from 127.0.0.1",
                                   "Someone failed to log in as “anne” from 127.0.0.1"]
    assert page.select_one("aside.sidebar a[aria-current=page]").text == "History"


def test_an_inline_edit_is_on_the_history_page_and_the_session_tab(admin, onboarding):
    response = admin.post(f"/admin/sessions/{onboarding.id}/details/access",
                          {"version": str(onboarding.version), "access_start": "2026-11-22",
                           "access_end": "2027-07-20", "confirm": "1"}, htmx=True)
    assert response.status_code == 200
    expected = ("Anne Martin changed Onboarding: the access start from 28 Nov 2026 at 13:00 "
                "to 22 Nov 2026 and the access end from 9 Dec 2026 at 13:00 to 20 Jul 2027")
    assert expected in sentences(admin.get_page(HISTORY))
    assert expected in sentences(admin.get_page(f"/admin/sessions/{onboarding.id}/history"))


def test_an_enrolment_is_on_the_session_tab_and_the_learners_history(admin, people,
                                                                      onboarding):
    response = admin.post(f"/admin/sessions/{onboarding.id}/learners",
                          {"add_learner": "bob"}, htmx=True)
    assert response.status_code == 200
    tab = admin.get_page(f"/admin/sessions/{onboarding.id}/history")
    assert "Anne Martin enrolled Bob Learner in Onboarding individually" in sentences(tab)
    session_page = admin.get_page(f"/admin/sessions/{onboarding.id}")
    link = session_page.select_one("#people a[href$='/history']")
    assert text(link) == "History of Bob Learner"
    story = admin.get_page(link["href"])
    assert sentences(story) == ["enrolled individually by Anne Martin on 29 Nov 2026 at 13:00"]


# --- the admin History page -----------------------------------------------------------


@pytest.fixture
def journal_entries(people, onboarding):
    """Entries of every kind of filter: two actors, two sessions, a learner, dates."""
    anne, bob, cora = (actor(people[n]) for n in ("anne", "bob", "cora"))
    other = make_session(people["cora"], name="Leadership")
    add(anne, "session", "create", object_id=onboarding.id, object_label="Onboarding",
        session_id=onboarding.id, session_label="Onboarding", at=NOW - timedelta(days=10))
    add(anne, "session", "create", object_id=other.id, object_label="Leadership",
        session_id=other.id, session_label="Leadership", at=NOW - timedelta(days=9))
    add(anne, "enrolment", "add", session_id=onboarding.id, session_label="Onboarding",
        learner_id=people["bob"].id, learner_label="Bob Learner",
        after={"how": "individual"}, at=NOW - timedelta(days=5))
    add(cora, "grade", "create", object_label="Essay", session_id=other.id,
        session_label="Leadership", learner_id=people["bob"].id, learner_label="Bob Learner",
        after={"score": 8, "max_score": 10}, at=NOW - timedelta(days=2))
    add(bob, "user", "update", object_id=people["bob"].id, object_label="bob",
        before={"timezone": "UTC"}, after={"timezone": "Europe/Paris"}, at=NOW)
    return {"onboarding": onboarding, "leadership": other}


ALL = ["Bob Learner changed the time zone of the user bob from UTC to Europe/Paris",
       "Cora Coach graded Bob Learner's hand-in for Essay in Leadership: 8/10",
       "Anne Martin enrolled Bob Learner in Onboarding individually",
       "Anne Martin created the session Leadership",
       "Anne Martin created the session Onboarding"]


def _without_logins(found):
    return [s for s in found if "logged in" not in s]


@pytest.mark.parametrize(("args", "expected"), [
    ("", ALL),
    ("who=martin", [ALL[2], ALL[3], ALL[4]]),
    ("who=cora", [ALL[1]]),
    ("what=session", [ALL[3], ALL[4]]),
    ("what=enrolment", [ALL[2]]),
    ("action=update", [ALL[0]]),
    ("session=leader", [ALL[1], ALL[3]]),
    ("learner=bob", [ALL[1], ALL[2]]),
    ("from=2026-11-24", [ALL[0], ALL[1], ALL[2]]),
    ("to=2026-11-27", [ALL[1], ALL[2], ALL[3], ALL[4]]),
    ("from=2026-11-20&to=2026-11-24", [ALL[2], ALL[3]]),
    ("who=anne&what=session&session=onboarding", [ALL[4]]),
])
def test_filters_narrow_the_list_and_stay_in_the_form(admin, journal_entries, args,
                                                      expected):
    page = admin.get_page(f"{HISTORY}?{args}")
    assert _without_logins(sentences(page)) == expected
    for pair in filter(None, args.split("&")):
        name, value = pair.split("=")
        field = page.select_one(f"form.filters [name={name}]")
        shown = field.select_one("option[selected]")["value"] if field.name == "select" \
            else field["value"]
        assert shown == value
        assert pair in page.select_one("a[download]")["href"]


def test_filter_by_session_id_and_actor_id_from_the_entry_links(admin, journal_entries):
    page = admin.get_page(HISTORY)
    grade = next(li for li in page.select(".history-entry") if "graded" in text(li))
    session_link = grade.select_one(".history-links a[href*='session=']")
    assert text(session_link) == "Session: Leadership"
    assert sentences(admin.get_page(session_link["href"])) == [ALL[1], ALL[3]]
    who_link = grade.select_one(".history-sentence a")
    assert _without_logins(sentences(admin.get_page(who_link["href"]))) == [ALL[1]]


def test_the_htmx_request_gets_only_the_results(admin, journal_entries):
    response = admin.htmx_get(f"{HISTORY}?who=cora")
    page = fragment(response)
    assert response.status_code == 200 and page.select_one("h1") is None
    assert sentences(page) == [ALL[1]]
    form = admin.get_page(HISTORY).select_one("form.filters")
    assert form["data-hx-get"] == HISTORY and form["data-hx-push-url"] == "true"
    assert form["data-hx-target"] == "#results" and "delay" in form["data-hx-trigger"]


@pytest.mark.parametrize("args", ["from=2026-11-25&to=2026-11-24",
                                  "from=2026-11-26%2010:00&to=2026-11-26%2009:00&who=anne"])
def test_from_after_to_gives_a_message(admin, journal_entries, args):
    page = admin.get_page(f"{HISTORY}?{args}", status=422)
    assert "“From” must be before “To”" in text(page.select_one("[role=alert]"))
    response = admin.htmx_get(f"{HISTORY}?{args}")
    assert response.status_code == 422
    assert "must be before" in text(fragment(response).select_one("[role=alert]"))


def test_an_unreadable_date_is_reported(admin, journal_entries):
    page = admin.get_page(f"{HISTORY}?from=someday", status=422)
    assert "Write a date as 2026-03-31" in text(page.select_one("[role=alert]"))
    assert _without_logins(sentences(page)) == ALL


@pytest.mark.parametrize("args", [
    "who=%00", "session=99999999999999999999999", "learner=99999999999999999999",
    "who=12345678901", "learner=%00bob", "page=999999999999999999999", "per_page=-3",
    "what=%00", "action=drop", "session=%25_", "to=2026-13-45", "from=%00",
])
def test_bad_values_never_give_an_error(admin, journal_entries, args):
    response = admin.get(f"{HISTORY}?{args}")
    assert response.status_code in (200, 422)
    assert admin.get(f"/admin/history.csv?{args}").status_code in (200, 422)


def test_the_page_has_a_fixed_number_of_queries(admin, people, count_queries):
    def queries_for(n):
        by = actor(people["anne"])
        journal.record_items(db.session, by, NOW, "session", "create",
                             [{"object_label": f"S{i}", "session_label": f"S{i}"}
                              for i in range(n)])
        db.session.commit()
        counts = []
        for url in (HISTORY, f"{HISTORY}?learner=bob&per_page=100", f"{HISTORY}?page=2"):
            with count_queries() as counter:
                admin.get_page(url)
            counts.append(counter.count)
        return counts

    assert queries_for(5) == queries_for(95)


def test_the_session_tab_has_a_fixed_number_of_queries(admin, people, onboarding,
                                                       count_queries):
    def queries_for(n):
        by = actor(people["anne"])
        journal.record_items(db.session, by, NOW, "enrolment", "add",
                             [{"session_id": onboarding.id, "learner_id": people["bob"].id}
                              for _ in range(n)])
        db.session.commit()
        with count_queries() as counter:
            admin.get_page(f"/admin/sessions/{onboarding.id}/history")
        return counter.count

    assert queries_for(5) == queries_for(100)


def test_pages_of_entries(admin, people):
    by = actor(people["anne"])
    journal.record_items(db.session, by, NOW, "category", "create",
                         [{"object_label": f"C{i:02}"} for i in range(30)])
    db.session.commit()
    first = admin.get_page(f"{HISTORY}?what=category")
    assert len(sentences(first)) == 25 and sentences(first)[0].endswith("C29")
    second = admin.get_page(first.select_one("a[rel=next]")["href"])
    assert sentences(second)[-1] == "Anne Martin created the category C00"
    assert "what=category" in first.select_one("a[rel=next]")["href"]


def test_details_show_the_values_before_and_after(admin, journal_entries):
    page = admin.get_page(f"{HISTORY}?action=update")
    details = page.select_one(".history-entry details")
    assert [text(td) for td in details.select("tbody tr")[0].select("th, td")] == [
        "time zone", "UTC", "Europe/Paris"]
    assert "request req-abcdef12" in text(details)
    assert page.select_one(".history-entry time")["datetime"] == "2026-11-29T12:00:00+00:00"
    assert text(page.select_one(".history-entry time")) == "29 Nov 2026 at 13:00"


# --- CSV export -----------------------------------------------------------------------


def _csv(response):
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def test_csv_export_has_the_header_and_one_line_per_entry(admin, journal_entries):
    rows = _csv(admin.get("/admin/history.csv?what=user"))
    assert rows[0] == ["When", "When (UTC, ISO 8601)", "Who", "Action", "Object", "Session",
                       "Learner", "Sentence", "Request id", "Address", "Before (JSON)",
                       "After (JSON)"]
    assert [row[7] for row in _csv(admin.get("/admin/history.csv?learner=bob"))[1:]] == [
        ALL[1], ALL[2]]
    assert [row[7] for row in rows[1:]] == [ALL[0]]
    assert rows[1][:5] == ["29 Nov 2026 at 13:00", "2026-11-29T12:00:00+00:00", "Bob Learner",
                           "user.update", "bob"]
    assert rows[1][8:] == ["req-abcdef12", "192.0.2.7", '{"timezone": "UTC"}',
                           '{"timezone": "Europe/Paris"}']
    everything = _csv(admin.get("/admin/history.csv"))
    assert len(everything) == 1 + len(ALL) + 1  # and anne's login


def test_csv_export_neutralises_formulas(admin, people):
    add(actor(people["anne"]), "category", "create", object_label="=HYPERLINK(1)")
    rows = _csv(admin.get("/admin/history.csv?what=category"))
    assert rows[1][4] == "'=HYPERLINK(1)"


def test_the_session_tab_exports_the_session(admin, journal_entries):
    session = journal_entries["onboarding"]
    tab = admin.get_page(f"/admin/sessions/{session.id}/history")
    rows = _csv(admin.get(tab.select_one("a[download]")["href"]))
    assert [row[7] for row in rows[1:]] == [ALL[2], ALL[4]]


# --- the session tab and a learner's history ------------------------------------------


def test_the_session_tab_lists_the_sessions_changes(admin, journal_entries):
    session = journal_entries["onboarding"]
    tab = admin.get_page(f"/admin/sessions/{session.id}/history")
    assert sentences(tab) == [ALL[2], ALL[4]]
    assert tab.select_one("nav.tabs a[aria-current=page]").text == "History"
    assert tab.select_one("form.filters [name=session]") is None
    overview = admin.get_page(f"/admin/sessions/{session.id}")
    assert [a.text for a in overview.select("nav.tabs a")] == ["Overview", "History", "Access"]
    assert overview.select_one("nav.tabs a[aria-current=page]").text == "Overview"


def test_a_bulk_change_over_several_sessions_shows_in_each_tab(admin, people, onboarding):
    other = make_session(people["cora"], name="Leadership")
    by = actor(people["anne"])
    head = add(by, "enrolments", "change",
               after={"added": 2, "sessions": 2, "how": "import", "file": "june.csv"})
    journal.record_items(db.session, by, NOW, "enrolment", "add",
                         [{"session_id": s.id, "session_label": s.name,
                           "learner_id": people["bob"].id, "learner_label": "Bob Learner",
                           "after": {"how": "import", "file": "june.csv"}}
                          for s in (onboarding, other)],
                         parent_id=head.id)
    db.session.commit()
    expected = "Anne Martin enrolled 2 learners in 2 sessions by importing june.csv"
    for session in (onboarding, other):
        assert sentences(admin.get_page(f"/admin/sessions/{session.id}/history")) == [expected]
    assert _without_logins(sentences(admin.get_page(HISTORY))) == [expected]
    by_learner = sentences(admin.get_page(f"{HISTORY}?learner=bob"))
    assert by_learner == ["Anne Martin enrolled Bob Learner in Leadership by importing june.csv",
                          "Anne Martin enrolled Bob Learner in Onboarding by importing june.csv"]
    story = admin.get_page(
        f"/admin/sessions/{onboarding.id}/learners/{people['bob'].id}/history")
    assert sentences(story) == [
        "enrolled by importing june.csv by Anne Martin on 29 Nov 2026 at 13:00"]


def test_a_learners_history_tells_their_story(admin, people, onboarding):
    enrol(onboarding, people["bob"])
    by, bob_id = actor(people["anne"]), people["bob"].id
    where = {"session_id": onboarding.id, "session_label": "Onboarding", "learner_id": bob_id,
             "learner_label": "Bob Learner"}
    add(by, "enrolment", "add", after={"how": "individual"}, **where,
        at=datetime(2026, 12, 3, 9, 0, tzinfo=UTC))
    head = add(by, "session_class", "add", object_label="Group A", session_id=onboarding.id,
               session_label="Onboarding", after={"added": 0})
    add(by, "enrolment", "change", before={"how": "individual"},
        after={"how": "class", "class": "Group A"},
        parent_id=head.id, **where, at=datetime(2026, 12, 4, 9, 0, tzinfo=UTC))
    add(by, "enrolment", "add", session_id=onboarding.id, learner_id=people["cora"].id,
        learner_label="Cora Coach")
    page = admin.get_page(f"/admin/sessions/{onboarding.id}")
    row = next(tr for tr in page.select("#people tbody tr") if "Bob Learner" in text(tr))
    story = admin.get_page(row.select_one("a[href$='/history']")["href"])
    assert text(story.select_one("h1")) == "Bob Learner in Onboarding"
    assert sentences(story) == [
        "enrolled individually by Anne Martin on 3 Dec 2026 at 10:00",
        "now enrolled through class Group A instead of individually by Anne Martin on "
        "4 Dec 2026 at 10:00"]


def test_a_learners_history_of_an_unknown_user_is_404(admin, onboarding):
    base = f"/admin/sessions/{onboarding.id}/learners"
    assert admin.get(f"{base}/999999/history").status_code == 404
    assert admin.get(f"{base}/99999999999999999999999/history").status_code == 404


# --- who may see it -------------------------------------------------------------------


def _urls(session, people):
    return [HISTORY, "/admin/history.csv", f"/admin/sessions/{session.id}/history",
            f"/admin/sessions/{session.id}/learners/{people['bob'].id}/history"]


@pytest.mark.parametrize("username", ["bob", "cora"])
def test_learners_and_coaches_get_404(client, people, onboarding, username):
    enrol(onboarding, people["bob"])
    client.login(username)
    for url in _urls(onboarding, people):
        assert client.get(url).status_code == 404, url


def test_visitors_are_sent_to_the_login_page(client, people, onboarding):
    for url in _urls(onboarding, people):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url


def test_no_route_changes_an_entry(admin, people, onboarding):
    for url in _urls(onboarding, people):
        assert admin.post(url).status_code == 405, url
        assert admin.post(url, htmx=True).status_code == 405, url


def test_a_person_is_found_by_the_names_they_had(client, people, onboarding):
    """A search for a person reads their entries by id: those of a user called so now,
    or called so when the journal recorded them as a user (renamed or deleted since)."""
    from portal.domain import users as user_domain

    anne = actor(people["anne"])
    user = user_domain.create_user(db.session, user_domain.UserValues(
        username="dana", email="dana@example.org", first_name="Dana", last_name="Oldfield",
        role="learner"), by=anne, now=NOW)
    db.session.commit()
    enrol(onboarding, user)
    add(anne, "enrolment", "remove", session_id=onboarding.id, session_label="Onboarding",
        learner_id=user.id, learner_label="Dana Oldfield", before={"how": "individual"})
    user_domain.update_user(db.session, user, user_domain.UserValues(
        username="dana", email="dana@example.org", first_name="Dana", last_name="Newfield",
        role="learner"), by=anne, now=NOW)
    db.session.commit()
    gone = user_domain.create_user(db.session, user_domain.UserValues(
        username="gus", email="gus@example.org", first_name="Gus", last_name="Gone",
        role="learner"), by=anne, now=NOW)
    db.session.commit()
    user_domain.delete_user(db.session, gone, by=anne, now=NOW)
    db.session.commit()
    client.login("anne")

    def found(args):
        return _without_logins(sentences(client.get_page(f"{HISTORY}?{args}&per_page=100")))

    # Under her old name and her new one: the same entries, the removal among them.
    assert found("learner=oldfield") == found("learner=newfield")
    assert any("unenrolled Dana Oldfield from Onboarding" in s for s in found("learner=newf"))
    assert len(found("learner=newfield")) == 3  # created, unenrolled, renamed
    assert len(found("learner=gus+gone")) == 2  # created, deleted
    assert found("learner=nobody") == []
