"""The date gate answers by role and date (that every session route is gated: test_guards)."""

from datetime import timedelta

import pytest
from bs4 import BeautifulSoup

from portal.web.gate import session_gate
from tests.helpers import NOW, add_course, enrol, make_session


def test_unknown_need_is_refused():
    with pytest.raises(ValueError, match="unknown need"):
        session_gate(need="peek")


# Who the `people` fixture creates (see conftest.CAST).
PEOPLE = ("admin", "coach", "teacher", "learner", "stranger")


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


@pytest.mark.parametrize(("starts_in", "ends_in", "policy", "tab"),
                         [(3, 10, "read_only", "upcoming"), (-20, -2, "closed", "past")])
@pytest.mark.parametrize("htmx", [False, True])
def test_the_locked_page_leads_a_learner_back_to_my_sessions(client, people, frozen_now,
                                                             starts_in, ends_in, policy, tab,
                                                             htmx):
    session = make_session(people["coach"], starts_in=starts_in, ends_in=ends_in, policy=policy)
    enrol(session, people["learner"])
    frozen_now(NOW)
    client.login("lea")
    url = f"/sessions/{session.id}"
    response = client.htmx_get(url) if htmx else client.get(url)
    assert response.status_code == 403
    page = BeautifulSoup(response.data, "html.parser")
    back = page.select_one(".locked a.back")
    assert (back.text, back["href"]) == ("Back to My sessions", f"/my-sessions?tab={tab}")
    if not htmx:
        assert page.select_one("nav.breadcrumb a").text == "My sessions"
        assert [h.text for h in page.select("h1")] == ["Onboarding"]


def test_the_locked_page_leads_a_coach_back_to_coaching(client, people, frozen_now):
    session = make_session(people["coach"], starts_in=10, ends_in=20)  # coaches from day 3
    response = page_for(client, "cora", session, frozen_now)
    assert response.status_code == 403
    back = BeautifulSoup(response.data, "html.parser").select_one(".locked a.back")
    assert (back.text, back["href"]) == ("Back to Coaching", "/coach/")


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


HUGE = "9" * 30  # more than any database id


@pytest.mark.parametrize("address", [
    f"/sessions/{HUGE}",
    "/sessions/{id}/courses/" + HUGE,
    "/sessions/{id}/submissions/" + HUGE + "/file",
    "/coach/sessions/{id}/courses/" + HUGE + "/grading",
    "/admin/sessions/" + HUGE,
    "/calendar/%00.ics",
    "/calendar/" + "x" * 65 + ".ics",
])
def test_absurd_ids_and_tokens_are_not_found(client, people, address):
    session = make_session(people["coach"])
    client.login("ada")
    assert client.get(address.format(id=session.id)).status_code == 404


def test_absurd_query_arguments_are_ignored(client, people):
    session = make_session(people["coach"])
    client.login("ada")
    for address in (f"/coach/sessions/{session.id}/tracking?q=%00&page={HUGE}&course={HUGE}",
                    f"/coach/sessions/{session.id}/tracking.csv?q=a%00b&sort=%00&dir=x"):
        assert client.get(address).status_code == 200
