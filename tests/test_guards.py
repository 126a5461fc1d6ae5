"""Every view has its guard, every session route its gate, and the visits are recorded
by the views that say so (``@records_visit``)."""

import pytest
from flask import Flask

from portal.domain.access import Access, Decision
from portal.domain.visits import counts_as_visit
from portal.web.gate import records_visit, session_gate
from portal.web.guards import (
    EXEMPT_VIEWS,
    GuardedBlueprint,
    admin_required,
    guard_of,
    login_required,
    public,
    unguarded_views,
)

# Routes with a session id in their URL that need no gate: none so far.
UNGATED_SESSION_ROUTES: set[str] = set()


def ungated_session_routes(app: Flask) -> list[str]:
    missing = []
    for rule in app.url_map.iter_rules():
        if "session_id" not in rule.arguments or rule.endpoint in UNGATED_SESSION_ROUTES:
            continue
        view = app.view_functions[rule.endpoint]
        # An API view acts for its token's owner, an active admin (token_required checks
        # it on every call), whom the access decision always lets in, as the admin pages.
        if (guard_of(view) or "").startswith("api:"):
            continue
        if getattr(view, "session_gate_need", None) is None:
            missing.append(f"{rule.rule} -> {view.__module__}.{view.__name__}")
    return missing


# --- every view is marked -------------------------------------------------------------


def test_every_view_has_a_guard(app):
    assert len(app.view_functions) > 40, "the portal's views are registered"
    assert EXEMPT_VIEWS == {"static"}
    assert unguarded_views(app) == []


def test_the_checker_names_a_planted_unmarked_view(app):
    def leak():
        return "secret"

    app.add_url_rule("/leak", "leak", leak)
    app.add_url_rule("/fine", "fine", public(lambda: "fine"))
    assert unguarded_views(app) == [f"leak ({__name__}.leak)"]


@pytest.mark.parametrize(("endpoint", "guard"), [
    ("auth.login", "public"),
    ("main.health", "public"),
    ("learner.calendar_feed", "public"),
    ("learner.my_sessions", "login"),
    ("coach.coaching", "login"),
    ("admin.sessions", "admin"),
    ("admin.session_page", "admin"),  # the admin guard, around the session gate
    ("learner.session_page", "session:view"),
    ("learner.hand_in_work", "session:submit"),
    ("coach.grade_submission", "session:grade"),
    ("coach.session_tracking", "session:track"),
    ("learner.session_calendar", "session:card"),
])
def test_views_carry_the_mark_of_their_guard(app, endpoint, guard):
    assert guard_of(app.view_functions[endpoint]) == guard


def test_every_admin_view_is_marked_admin(app):
    marks = {guard_of(view) for endpoint, view in app.view_functions.items()
             if endpoint.startswith("admin.")}
    assert marks == {"admin"}


# --- every route with a session id is gated ------------------------------------------


def test_every_route_with_a_session_id_is_gated(app):
    session_rules = [r for r in app.url_map.iter_rules() if "session_id" in r.arguments]
    assert session_rules, "the portal has session routes"
    assert ungated_session_routes(app) == []


def test_the_url_map_check_catches_an_ungated_route(app):
    app.add_url_rule("/sessions/<int:session_id>/leak", "leak", lambda session_id: "secret")
    gated = session_gate(need="view")(lambda session_id: "fine")
    app.add_url_rule("/sessions/<int:session_id>/fine", "fine", gated)
    missing = ungated_session_routes(app)
    assert [line.split(" -> ")[0] for line in missing] == ["/sessions/<int:session_id>/leak"]


# --- what the guards let through ---------------------------------------------------


@pytest.fixture
def probes(app):
    """A login-only view, and an admin blueprint whose second view is added after the
    first and served at two URLs: both guarded."""
    app.add_url_rule("/probe/login", "login_probe", login_required(lambda: "signed in"))
    panel = GuardedBlueprint("panel", __name__, url_prefix="/panel", guard=admin_required)
    panel.add_url_rule("/one", "one", lambda: "admin one")

    @panel.route("/two")
    @panel.route("/deux")
    def two():
        return "admin two"

    app.register_blueprint(panel)
    return app


@pytest.mark.parametrize(("who", "url", "status"), [
    (None, "/probe/login", 302),
    ("lea", "/probe/login", 200),
    (None, "/panel/one", 302),
    ("lea", "/panel/one", 404),
    ("lea", "/panel/deux", 404),
    ("ada", "/panel/one", 200),
    ("ada", "/panel/two", 200),
    ("ada", "/panel/deux", 200),
    (None, "/admin/sessions", 302),
    ("lea", "/admin/sessions", 404),  # no hint that the panel exists
    ("ada", "/admin/sessions", 200),
])
def test_guards_let_through_whom_they_say(client, make_user, probes, who, url, status):
    make_user("ada", role="admin")
    make_user("lea")
    if who:
        client.login(who)
    response = client.get(url)
    assert response.status_code == status
    if status == 302:
        assert "/login?next=" in response.headers["Location"]
    assert guard_of(probes.view_functions["panel.two"]) == "admin"


# --- which requests are visits ---------------------------------------------------------

LEARNER = Access(Decision.OPEN, as_learner=Decision.OPEN)
COACH = Access(Decision.READ_ONLY, as_coach=Decision.READ_ONLY)
ADMIN = Access(Decision.OPEN, Decision.OPEN, is_admin=True)


@pytest.mark.parametrize(("access", "need", "is_get", "is_fragment", "counts"), [
    (LEARNER, "view", True, False, True),
    (COACH, "track", True, False, True),
    (LEARNER, "view", True, True, False),  # a fragment is part of a page already seen
    (LEARNER, "submit", False, False, False),  # a POST
    (LEARNER, "card", True, False, False),  # the .ics: must not start a learner's days
    (ADMIN, "view", True, False, False),
])
def test_which_requests_count_as_visits(access, need, is_get, is_fragment, counts):
    assert counts_as_visit(access, need, is_get=is_get, is_fragment=is_fragment) is counts


def test_the_views_that_record_visits_say_so(app):
    recording = sorted(endpoint for endpoint, view in app.view_functions.items()
                       if getattr(view, "records_visit", False))
    assert recording == [
        "coach.grading", "coach.session_tracking", "coach.session_tracking_charts",
        "coach.session_tracking_export", "coach.submission", "coach.submission_cell",
        "coach.submission_file", "learner.course_page", "learner.session_page",
        "learner.submission_file",
    ]


def test_records_visit_must_go_under_the_gate():
    gated = session_gate(need="view")(lambda session_id: "page")
    with pytest.raises(TypeError, match="under @session_gate"):
        records_visit(gated)
