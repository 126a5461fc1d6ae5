"""The date gate: every session route is gated, and the gate answers by role and date."""

from datetime import timedelta

import pytest
from flask import Flask

from portal.web.gate import session_gate
from tests.helpers import NOW, add_course, enrol, make_session

# Routes with a session id in their URL that need no gate: none so far.
UNGATED_SESSION_ROUTES: set[str] = set()


def ungated_session_routes(app: Flask) -> list[str]:
    missing = []
    for rule in app.url_map.iter_rules():
        if "session_id" not in rule.arguments or rule.endpoint in UNGATED_SESSION_ROUTES:
            continue
        view = app.view_functions[rule.endpoint]
        if getattr(view, "session_gate_need", None) is None:
            missing.append(f"{rule.rule} -> {view.__module__}.{view.__name__}")
    return missing


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


def test_unknown_need_is_refused():
    with pytest.raises(ValueError, match="unknown need"):
        session_gate(need="peek")


@pytest.fixture
def people(make_user):
    return {
        "admin": make_user("ada", role="admin"),
        "coach": make_user("cora", role="teacher"),
        "teacher": make_user("ted", role="teacher"),
        "learner": make_user("lea"),
        "stranger": make_user("sam"),
    }


def page_for(client, username, session, frozen_now, at=NOW):
    frozen_now(at)
    client.login(username)
    return client.get(f"/sessions/{session.id}")


@pytest.mark.parametrize(
    ("who", "offset_days", "status", "text"),
    [
        ("learner", -3, 403, "This session opens on"),
        ("learner", 1, 200, "Python basics"),
        ("learner", 12, 200, "You can still read it"),
        ("coach", -3, 200, "Python basics"),  # coach window opens a week earlier
        ("coach", 12, 200, "Python basics"),
        ("teacher", 12, 200, "Python basics"),  # course coach
        ("admin", -30, 200, "Python basics"),
        ("stranger", 1, 404, "Not found"),
    ],
)
def test_session_page_by_role_and_date(client, people, frozen_now, who, offset_days, status,
                                        text):
    session = make_session(people["coach"], starts_in=0, ends_in=10)
    add_course(session, coaches=[people["teacher"]])
    enrol(session, people["learner"])
    response = page_for(client, people[who].username, session, frozen_now,
                        at=NOW + timedelta(days=offset_days))
    assert response.status_code == status
    assert text in response.get_data(as_text=True)


def test_locked_page_gives_opening_time_in_viewer_zone(client, people, frozen_now):
    session = make_session(people["coach"], starts_in=3, ends_in=10)
    enrol(session, people["learner"])
    response = page_for(client, "lea", session, frozen_now)
    body = response.get_data(as_text=True)
    assert response.status_code == 403
    # NOW + 3 days = 2 Dec 12:00 UTC = 13:00 in Paris, the portal's zone in tests.
    assert "This session opens on <strong>2 Dec 2026 at 13:00</strong> (in 3 days)" in body
    assert "Europe/Paris" in body


def test_locked_fragment_for_htmx(client, people, frozen_now):
    session = make_session(people["coach"], starts_in=3, ends_in=10)
    enrol(session, people["learner"])
    frozen_now(NOW)
    client.login("lea")
    response = client.htmx_get(f"/sessions/{session.id}")
    assert response.status_code == 403
    body = response.get_data(as_text=True)
    assert "<html" not in body and "This session opens on" in body
    assert "HX-Request" in response.headers["Vary"]


def test_closed_session_is_locked_for_learner(client, people, frozen_now):
    session = make_session(people["coach"], starts_in=-20, ends_in=-2, policy="closed")
    enrol(session, people["learner"])
    response = page_for(client, "lea", session, frozen_now)
    assert response.status_code == 403
    assert "has ended on" in response.get_data(as_text=True)


def test_course_coach_of_another_session_gets_404(client, people, frozen_now):
    mine = make_session(people["coach"], name="Mine")
    add_course(mine, coaches=[people["teacher"]])
    other = make_session(people["coach"], name="Other")
    add_course(other, code="JS101", title="JavaScript")
    assert page_for(client, "ted", other, frozen_now).status_code == 404


def test_missing_session_is_404_and_anonymous_is_sent_to_login(client, people):
    assert client.get("/sessions/999").status_code == 302
    client.login("ada")
    assert client.get("/sessions/999").status_code == 404


def test_anonymous_visitor_is_sent_to_login(client, people, frozen_now):
    session = make_session(people["coach"])
    response = client.get(f"/sessions/{session.id}")
    assert response.status_code == 302
    assert "/login?next=" in response.headers["Location"]


@pytest.mark.parametrize(
    ("who", "offset_days", "policy", "status"),
    [
        ("learner", -3, "read_only", 200),  # not yet open: the card is still theirs
        ("learner", 1, "read_only", 200),
        ("learner", 12, "closed", 200),  # closed: still listed in Past
        ("coach", -30, "read_only", 200),
        ("stranger", 1, "read_only", 404),
    ],
)
def test_card_need_lets_any_relation_through_in_any_window(app, client, people, frozen_now,
                                                           who, offset_days, policy, status):
    gated = session_gate(need="card")(lambda session_id: "the card")
    app.add_url_rule("/sessions/<int:session_id>/card-probe", "card_probe", gated)
    session = make_session(people["coach"], starts_in=0, ends_in=10, policy=policy)
    enrol(session, people["learner"])
    frozen_now(NOW + timedelta(days=offset_days))
    client.login(people[who].username)
    response = client.get(f"/sessions/{session.id}/card-probe")
    assert response.status_code == status
    assert (response.get_data(as_text=True) == "the card") == (status == 200)
