"""The access explainer agrees with the real gate, case by case, and says why in words.

One app and one set of sessions and logged-in users serve the whole file (built once
per module), so the hundreds of cases below cost a request each, not a database each.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from bs4 import BeautifulSoup

from portal import clock, create_app
from portal.domain.access import Decision, Outcome, SessionRules, WindowKind
from portal.domain.explainer import explain
from portal.domain.passwords import hash_password
from portal.extensions import db
from portal.models import (
    Assignment,
    Course,
    Enrolment,
    SessionCourse,
    SessionCourseCoach,
    Submission,
    TrainingSession,
    User,
)
from tests.conftest import (
    TEST_PASSWORD,
    PortalClient,
    QueryCounter,
    _empty_all_tables,
    _test_config,
)
from tests.test_access import (
    ACCESS_END,
    ACCESS_START,
    COACH_END,
    COACH_START,
    MOMENTS,
    TABLE,
    rules,
)

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
ROLES = ("learner", "coach", "both", "stranger", "admin")  # the columns of TABLE
STATUS_OF = {Outcome.ALLOWED: 200, Outcome.LOCKED: 403, Outcome.NOT_FOUND: 404}
DAY = timedelta(days=1)
FIRST_VISIT = ACCESS_START + 2 * DAY
# Learners with individual dates, enrolled in the read-only session: username -> enrolment.
OWN_DATES = {
    "ext": {"extension_days": 5, "dates_reason": "Sick leave"},
    "own": {"own_start": ACCESS_START + 5 * DAY, "own_end": ACCESS_START + 8 * DAY,
            "dates_reason": "Joined late"},
    "ownend": {"own_end": ACCESS_END + 10 * DAY, "dates_reason": "Exam retake"},
    "susp": {"suspended_at": ACCESS_START + DAY, "suspension_reason": "Unpaid fees"},
}


@dataclass
class World:
    users: dict[str, User]
    sessions: dict[str, TrainingSession]  # by after-end policy, and "duration", "shown"
    courses: dict[str, Course]
    clients: dict[str, PortalClient]  # by role, logged in
    assignment: Assignment  # of PY101
    submissions: dict[str, Submission]  # lea's hand-in, by table session

    tokens: dict[str, str] = field(default_factory=dict)

    def token(self, role: str) -> str:
        if role not in self.tokens:
            self.tokens[role] = self.clients[role].csrf_token()
        return self.tokens[role]

    def client(self, key: str) -> PortalClient:
        if key not in self.clients:
            self.clients[key] = _logged_in(self.users[key].username)
        return self.clients[key]


_APP = {}


def _logged_in(username: str) -> PortalClient:
    client = PortalClient(_APP["app"].test_client())
    assert client.login(username).status_code == 302
    return client


def _user(username, role="learner", **fields):
    user = User(username=username, role=role, password_hash=_APP["hash"],
                email=f"{username}@example.org", first_name=username.capitalize(),
                last_name="Tester", **fields)
    db.session.add(user)
    return user


def _session(name, coach, policy="read_only", **fields):
    values = {"access_start": ACCESS_START, "access_end": ACCESS_END,
              "coach_start": COACH_START, "coach_end": COACH_END} | fields
    session = TrainingSession(name=name, coach_id=coach.id, after_end_policy=policy, **values)
    db.session.add(session)
    db.session.flush()
    return session


def _course(session, course, *coaches):
    db.session.add(SessionCourse(session_id=session.id, course_id=course.id))
    db.session.flush()
    for coach in coaches:
        db.session.add(SessionCourseCoach(session_id=session.id, course_id=course.id,
                                          user_id=coach.id))


@pytest.fixture(scope="module")
def world(schema, tmp_path_factory):
    app = create_app(_test_config(schema, tmp_path_factory.mktemp("explainer")))
    with app.app_context():
        _APP.update(app=app, hash=hash_password(TEST_PASSWORD))
        clock.set_now(COACH_START - 30 * DAY)
        users = {"learner": _user("lea"), "coach": _user("cora", "teacher"),
                 "both": _user("ted", "teacher"), "stranger": _user("sam"),
                 "admin": _user("ada", "admin"), "other": _user("otto", "teacher"),
                 "ny": _user("nyla", timezone="America/New_York"),
                 "gone": _user("gone", active=False),
                 **{name: _user(name) for name in (*OWN_DATES, "dur", "fresh")}}
        db.session.flush()
        courses = {code: Course(code=code, title=code, description="")
                   for code in ("PY101", "SQL101", "JS101", "GO101")}
        db.session.add_all(courses.values())
        db.session.flush()
        sessions = {policy: _session(f"Table {policy}", users["coach"], policy)
                    for policy in ("read_only", "open", "closed")}
        sessions["duration"] = _session("Self-paced", users["coach"], duration_days=30,
                                        access_start=None, access_end=None,
                                        coach_start=None, coach_end=None)
        sessions["shown"] = _session("Shown later", users["coach"],
                                     display_start=ACCESS_START, display_end=ACCESS_END)
        for session in sessions.values():
            # ted coaches PY101 (a course coach: a coach at the session level) and learns.
            _course(session, courses["PY101"], users["both"])
            db.session.add_all(Enrolment(session_id=session.id, user_id=users[key].id)
                               for key in ("learner", "both", "ny"))
        _course(sessions["read_only"], courses["SQL101"], users["other"])
        sessions["big"] = _session("Big", users["coach"])
        for code, course in courses.items():
            _course(sessions["big"], course, *([users["other"]] if code == "SQL101" else []))
        db.session.add_all(Enrolment(session_id=sessions["read_only"].id, user_id=users[key].id,
                                     **fields) for key, fields in OWN_DATES.items())
        db.session.add(Enrolment(session_id=sessions["duration"].id, user_id=users["dur"].id,
                                 first_access_at=FIRST_VISIT, extension_days=5,
                                 dates_reason="Sick leave"))
        db.session.add(Enrolment(session_id=sessions["duration"].id, user_id=users["fresh"].id))
        assignment = Assignment(course_id=courses["PY101"].id, title="Loops")
        db.session.add(assignment)
        db.session.flush()
        submissions = {}
        for policy in ("read_only", "open", "closed"):
            submissions[policy] = Submission(session_id=sessions[policy].id,
                                             assignment_id=assignment.id,
                                             user_id=users["learner"].id, answer="for x in y")
        db.session.add_all(submissions.values())
        db.session.commit()
        clients = {role: _logged_in(users[role].username) for role in ROLES}
        yield World(users, sessions, courses, clients, assignment, submissions)
        db.session.remove()
        _empty_all_tables(db.engine)
        db.engine.dispose()
        _APP.clear()
    clock.set_now(None)


def explained(world, session_key, user_key, at, user_tz=PARIS):
    clock.set_now(at)
    return explain(db.session, world.sessions[session_key], world.users[user_key], at, PARIS,
                   user_tz)


def gate_status(world, user_key, url):
    return world.client(user_key).get(url).status_code


# --- the decision table, explainer against gate -------------------------------------------

TABLE_CASES = [
    pytest.param(moment, policy, role, expected[i], id=f"{role}-{moment}-{policy}")
    for moment, by_policy in TABLE.items()
    for policy, expected in by_policy.items()
    for i, role in enumerate(ROLES)
]


@pytest.mark.parametrize(("moment", "policy", "role", "expected"), TABLE_CASES)
def test_the_explainer_and_the_gate_agree_on_every_case_of_the_table(world, moment, policy,
                                                                     role, expected):
    explanation = explained(world, policy, role, MOMENTS[moment])
    assert explanation.access.decision is expected
    answers = {answer.need: answer.outcome for answer in explanation.needs}
    assert answers == gate_answers(world, policy, role)


# An answer the gate let through: a page (200), or a form refused by the view (422),
# which writes nothing.
PASSED = {200, 422}


def gate_answers(world, policy, role) -> dict[str, Outcome]:
    """What the real routes answer ``role`` for each need, read from their statuses."""
    session = world.sessions[policy]
    course = world.courses["PY101"].id
    client = world.clients[role]
    token = world.token(role)
    base = f"/sessions/{session.id}/courses/{course}"
    submission = world.submissions[policy].id
    statuses = {
        "view": client.get(f"/sessions/{session.id}").status_code,
        "submit": client.client.post(  # an answer over the limit: refused, nothing written
            f"{base}/assignments/{world.assignment.id}/hand-in",
            data={"csrf_token": token, f"a{world.assignment.id}-answer": "x" * 50_001},
        ).status_code,
        "grade": client.client.post(  # a score that does not read: refused
            f"/coach{base}/submissions/{submission}",
            data={"csrf_token": token, f"s{submission}-score": "lots"}).status_code,
        "track": client.get(f"/coach/sessions/{session.id}/tracking").status_code,
    }
    return {need: Outcome.ALLOWED if status in PASSED else
            {403: Outcome.LOCKED, 404: Outcome.NOT_FOUND}[status]
            for need, status in statuses.items()}


def test_the_table_sessions_are_the_table_rules(world):
    for policy in ("read_only", "open", "closed"):
        assert SessionRules.of(world.sessions[policy]) == rules(policy)


# --- individual dates, suspension, duration ---------------------------------------------

OWN_CASES = [
    # (user, session, moment, decision, window kind that applied, words in a sentence)
    ("ext", "read_only", ACCESS_END + DAY, Decision.OPEN, WindowKind.EXTENDED,
     "Access window extended by 5 days (Sick leave)"),
    ("ext", "read_only", ACCESS_END + 5 * DAY, Decision.READ_ONLY, WindowKind.EXTENDED,
     "after its end the session is read only"),
    ("own", "read_only", ACCESS_START + DAY, Decision.NOT_YET, WindowKind.INDIVIDUAL,
     "Individual window (Joined late)"),
    ("own", "read_only", ACCESS_START + 6 * DAY, Decision.OPEN, WindowKind.INDIVIDUAL,
     "the moment is inside it"),
    ("own", "read_only", ACCESS_START + 9 * DAY, Decision.READ_ONLY, WindowKind.INDIVIDUAL,
     "the moment is after its end"),
    ("ownend", "read_only", ACCESS_START - DAY, Decision.NOT_YET, WindowKind.INDIVIDUAL,
     "it opens on 2 Mar 2026 at 09:00"),  # the session's start is kept
    ("ownend", "read_only", ACCESS_END + 9 * DAY, Decision.OPEN, WindowKind.INDIVIDUAL,
     "this learner may open it"),
    ("susp", "read_only", ACCESS_START + 10 * DAY, Decision.SUSPENDED, "suspension",
     "Suspended since 3 Mar 2026 at 09:00 (Unpaid fees)"),
    ("dur", "duration", FIRST_VISIT + 33 * DAY, Decision.OPEN, WindowKind.DURATION,
     "Duration: 30 days plus 5 days (Sick leave) from the first visit"),
    ("dur", "duration", FIRST_VISIT + 35 * DAY, Decision.READ_ONLY, WindowKind.DURATION,
     "after its end the session is read only"),
    ("fresh", "duration", ACCESS_END, Decision.OPEN, WindowKind.DURATION,
     "Not visited yet: opening the session at this moment starts the days."),
]


@pytest.mark.parametrize(("user", "session", "at", "decision", "kind", "words"), OWN_CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(OWN_CASES)])
def test_individual_dates_and_suspension(world, user, session, at, decision, kind, words):
    explanation = explained(world, session, user, at)
    view = explanation.needs[0]
    assert (explanation.access.decision, view.window.kind) == (decision, kind)
    assert any(words in sentence for sentence in view.sentences), view.sentences
    url = f"/sessions/{world.sessions[session].id}"
    assert STATUS_OF[view.outcome] == gate_status(world, user, url)


def test_a_suspended_learner_hands_in_nothing_and_the_reason_is_shown(world):
    explanation = explained(world, "read_only", "susp", ACCESS_START + 10 * DAY)
    submit = explanation.needs[1]
    assert submit.outcome is Outcome.LOCKED
    assert submit.outcome_text == "Locked page (403): suspended"
    assert submit.window.label == "Suspension (Unpaid fees)"


# --- the sentences ----------------------------------------------------------------------


def test_a_coach_sentence_names_the_window_its_bounds_and_what_coaches_may_do(world):
    explanation = explained(world, "read_only", "coach", ACCESS_START)
    grade = {a.need: a for a in explanation.needs}["grade"]
    assert grade.sentences == (
        "Coach window: 23 Feb at 09:00 – 13 Apr 2026 at 19:00; the moment is inside it; "
        "coaches may grade.",)
    assert grade.window.kind == "coach"
    assert grade.window.in_admin_zone == "23 Feb at 09:00 – 13 Apr 2026 at 19:00"


def test_admins_may_do_everything_but_hand_in_work(world):
    explanation = explained(world, "closed", "admin", MOMENTS["after coach end"])
    answers = {a.need: a for a in explanation.needs}
    submit = answers.pop("submit")
    assert all(a.outcome is Outcome.ALLOWED for a in answers.values())
    assert all(a.sentences == ("Admins may do everything, at any moment.",)
               for a in answers.values())
    assert submit.outcome is Outcome.NOT_FOUND  # the hand-in asks for a learner
    assert submit.sentences[0].startswith("Admins may do everything but hand in work")


def test_a_stranger_has_no_role(world):
    explanation = explained(world, "open", "stranger", MOMENTS["inside"])
    assert [a.outcome for a in explanation.needs] == [Outcome.NOT_FOUND] * 4
    assert "no hint that the session exists" in explanation.needs[0].sentences[0]


def test_both_roles_say_the_more_generous_answer_wins(world):
    explanation = explained(world, "read_only", "both", MOMENTS["after access end"])
    view = explanation.needs[0]
    assert view.window.kind == "coach"
    assert view.sentences[-1] == ("Both roles: the more generous answer wins (as coach: "
                                  "open; as learner: read only).")


def test_course_coaches_are_judged_per_course(world):
    """otto coaches SQL101 only: a coach at the session level, not on PY101's pages."""
    explanation = explained(world, "read_only", "other", MOMENTS["inside"])
    assert explanation.access.as_coach is Decision.OPEN
    assert explanation.course_notes[0].startswith(
        "Course coaches are judged per course: Otto Tester coaches SQL101;")
    assert explanation.course_notes[1] == (
        "On the pages of PY101 they are not a coach: view the session: not found (404); "
        "hand in work: not found (404); grade: not found (404); see tracking: not found (404).")
    session = world.sessions["read_only"]
    py101 = world.courses["PY101"].id
    assert gate_status(world, "other", f"/sessions/{session.id}/courses/{py101}") == 404
    assert gate_status(world, "other", f"/coach/sessions/{session.id}/courses/{py101}/grading") \
        == 404


# --- the page --------------------------------------------------------------------------


def text_of(element) -> str:
    return " ".join(element.text.split())


def page_url(world, session_key="read_only", **args):
    return f"/admin/sessions/{world.sessions[session_key].id}/access?{urlencode(args)}"


def test_the_session_tabs_lead_to_the_access_page(world):
    page = world.clients["admin"].get_page(f"/admin/sessions/{world.sessions['open'].id}")
    link = page.select_one('nav[aria-label="Session page"] a[href$="/access"]')
    assert link.text == "Access"
    page = world.clients["admin"].get_page(link["href"])
    assert page.select_one('nav[aria-label="Session page"] [aria-current="page"]').text == \
        "Access"
    assert "Pick a user" in page.select_one("#explainer-result").text
    assert page.select_one("#explain-user")["data-hx-get"].startswith("/admin/lookup/users")


def test_the_page_shows_each_need_in_both_zones(world):
    clock.set_now(ACCESS_START + DAY)
    page = world.clients["admin"].get_page(page_url(world, user="nyla", at="2026-03-10 12:00"))
    assert "At 10 Mar 2026 at 12:00 (Europe/Paris), which is 10 Mar 2026 at 07:00 in their " \
           "zone (America/New_York)." in text_of(page.select_one(".explainer-moment"))
    view = page.select_one("#need-view")
    assert view.select_one(".need-outcome").text == "Allowed"
    facts = [dd.text for dd in view.select(".need-window dd")]
    assert facts == ["Access window", "2 Mar at 09:00 – 30 Mar 2026 at 19:00",
                     "2 Mar at 03:00 – 30 Mar 2026 at 13:00"]
    assert [h.text for h in page.select(".need h3")] == [
        "View the session", "Hand in work", "Grade", "See tracking"]


def test_the_display_window_says_why_the_session_is_not_listed(world):
    shown = world.sessions["shown"]
    clock.set_now(ACCESS_START - 5 * DAY)
    at = "2026-02-26 10:00"  # before the display window, inside the coach window
    page = world.clients["admin"].get_page(page_url(world, "shown", user="lea", at=at))
    why = text_of(page.select_one("#listing-why"))
    assert "Display window: 2 Mar at 09:00 – 30 Mar 2026 at 19:00; the moment is before " \
           "it (it opens on 2 Mar 2026 at 09:00): the session is not listed in My sessions " \
           "until then." in why
    assert "A learner who opens its address at this moment gets the locked page (403): not " \
           "open yet: opens on 2 Mar 2026 at 09:00 (in 3 days)." in why
    names = [h.text.strip() for h in page.select(".explainer-preview .session-card h3")]
    assert shown.name not in names
    assert gate_status(world, "learner", f"/sessions/{shown.id}") == 403
    # Once it is inside its display window, it is listed, under the tab its access gives.
    page = world.clients["admin"].get_page(
        page_url(world, "shown", user="lea", at="2026-03-10 10:00"))
    assert "the session is listed in My sessions, under Current sessions." in \
        page.select_one("#listing-why").text
    names = [h.text.strip() for h in page.select(".explainer-preview .session-card h3")]
    assert shown.name in names


def test_the_preview_shows_the_tab_asked_for(world):
    clock.set_now(MOMENTS["after coach end"])
    page = world.clients["admin"].get_page(
        page_url(world, user="lea", at="2026-05-25 10:00", tab="past"))
    assert page.select_one(".explainer-preview #tab-title").text == "Past sessions"
    names = {h.text.strip() for h in page.select(".explainer-preview .session-card h3")}
    assert {"Table read_only", "Table open", "Table closed"} <= names


def test_htmx_gets_the_result_part(world):
    clock.set_now(MOMENTS["inside"])
    response = world.clients["admin"].htmx_get(page_url(world, user="lea"))
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "<html" not in body and 'id="need-view"' in body
    assert "HX-Request" in response.headers["Vary"]


@pytest.mark.parametrize(("args", "field", "message"), [
    ({"user": "nobody"}, "user", "No user has the username, e-mail or id “nobody”."),
    ({"user": "99999999999999999999"}, "user", "No user has"),
    ({"user": "0"}, "user", "No user has"),
    ({"user": "lea\x00"}, None, None),  # a NUL is cleaned away: Lea is found
    ({"user": "lea", "at": "0001-01-01"}, "at", "Use a year from 1900 to 2999"),
    ({"user": "lea", "at": "9999-12-31 23:59"}, "at", "Use a year from 1900 to 2999"),
    ({"user": "lea", "at": "someday"}, "at", "Write a date as 2026-03-31"),
    ({"user": "lea", "at": "2026-03-29 02:30"}, "at", "does not exist in Europe/Paris"),
    ({"user": "lea", "at": "9" * 5000}, "at", "Write a date"),
    ({"user": "lea", "tab": "nonsense", "at": "2026-03-10"}, None, None),
])
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_bad_input_gives_field_messages_never_a_500(world, args, field, message, htmx):
    client = world.clients["admin"]
    url = page_url(world, **args)
    response = client.htmx_get(url) if htmx else client.get(url)
    page = BeautifulSoup(response.data, "html.parser")
    if field is None:
        assert response.status_code == 200
        assert page.select_one("#need-view")
        return
    assert response.status_code == 422
    assert page.select_one("#need-view") is None
    if htmx:
        assert message in page.select_one('[role="alert"]').text
    else:
        assert message in page.select_one(f"#explain-{field}-error").text
        assert page.select_one(f"#explain-{field}")["aria-invalid"] == "true"


def test_an_inactive_user_is_explained_and_said_to_be_inactive(world):
    clock.set_now(MOMENTS["inside"])
    page = world.clients["admin"].get_page(page_url(world, user="gone"))
    roles = [li.text for li in page.select(".explainer-roles li")]
    assert roles == ["Gone Tester's account is inactive: they cannot sign in, whatever the "
                     "decision below.", "Gone Tester is neither enrolled nor a coach in this "
                     "session."]


def test_a_user_can_be_named_by_id(world):
    clock.set_now(MOMENTS["inside"])
    page = world.clients["admin"].get_page(page_url(world, user=str(world.users["learner"].id)))
    assert page.select_one("#explainer-title").text.startswith("Lea Tester")


def test_the_page_costs_a_fixed_number_of_queries(world):
    """As many queries for a learner in many sessions with many courses as for one in one."""
    clock.set_now(MOMENTS["inside"])
    client = world.clients["admin"]

    def queries(user_key, session_key="read_only"):
        client.get(page_url(world, session_key, user=world.users[user_key].username))
        with QueryCounter(db.engine) as counter:
            client.get_page(page_url(world, session_key, user=world.users[user_key].username))
        return counter.count

    assert queries("ext") == queries("learner")  # enrolled in one session, in five
    assert queries("other") == queries("other", "big")  # coaching one course of two, of four


def test_an_open_after_end_policy_is_named(world):
    explanation = explained(world, "open", "learner", MOMENTS["after access end"])
    assert explanation.needs[0].sentences == (
        "Access window: 2 Mar at 09:00 – 30 Mar 2026 at 19:00; the moment is after its end "
        "(it ended on 30 Mar 2026 at 19:00); after its end the session stays open (after-end "
        "policy): this learner may open it.",)
