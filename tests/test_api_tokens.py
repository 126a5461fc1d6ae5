"""API tokens: the admin pages (create shows the secret once, the list shows the last use,
revoke ends the token) and the authorisation matrix of every API endpoint: no, wrong,
revoked and expired tokens and tokens of a former admin get 401, a token without the
view's scope 403, a token with only that scope gets past the guard."""

import hashlib
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from portal.domain import api_tokens
from portal.extensions import db
from portal.models import (
    ApiToken,
    Assignment,
    ClassMembership,
    Enrolment,
    JournalEntry,
    SessionCategory,
    UserClass,
)
from portal.web.guards import public
from tests.api_support import ApiClient, make_token
from tests.helpers import NOW, add_course, enrol, make_session

PEOPLE = ["admin", "coach", "lea"]
NEW = "/admin/api-tokens/new"
LIST = "/admin/api-tokens"
FORM = {"name": "HR system", "scopes": ["sessions:read", "enrolments:write"],
        "expires_on": "2027-01-31"}


def _table(page) -> list[dict[str, str]]:
    rows = []
    for tr in page.select("table.api-tokens tbody tr"):
        rows.append({td.get("data-label", "action"): td.get_text(" ", strip=True)
                     for td in tr.find_all("td")})
    return rows


def _create(client, status=200, **changes):
    return client.post_page(NEW, {**FORM, **changes}, status=status)


@pytest.fixture
def admin_client(client, people):
    client.login("ada")
    return client


# --- the pages --------------------------------------------------------------------------


def test_the_sidebar_leads_to_the_tokens(admin_client):
    page = admin_client.get_page(LIST)
    link = page.find("a", string="API tokens")
    assert link["href"] == LIST and link.get("aria-current") == "page"
    assert "any administrator may revoke any token" in page.get_text(" ").lower()


def test_the_form_offers_each_scope_with_its_description_and_a_default_expiry(admin_client):
    page = admin_client.get_page(NEW)
    boxes = {box["value"]: box.find_parent("label").get_text(" ", strip=True)
             for box in page.select("input[type=checkbox][name=scopes]")}
    assert list(boxes) == list(api_tokens.SCOPES)
    assert boxes["users:write"] == "users:write " + api_tokens.SCOPES["users:write"]
    expires = page.select_one("#expires_on")
    assert expires["value"] == "2027-02-27"  # 90 days after 29 Nov 2026
    assert expires["max"] == "2027-11-30" and expires["min"] == "2026-11-30"


def test_creating_shows_the_secret_once_and_keeps_only_its_hash(admin_client, people):
    response = admin_client.post(NEW, FORM)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = BeautifulSoup(response.data, "html.parser")
    secret = page.select_one("#token-secret")["value"]
    assert secret.startswith("spt_") and len(secret) >= 4 + 43  # 256 random bits
    assert "will not be shown again" in page.get_text(" ")
    assert secret not in response.headers.get("Location", "")
    token = db.session.scalar(select(ApiToken))
    assert token.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in {token.name, token.hint, *token.scopes}
    assert token.owner_id == people["admin"].id
    assert token.scopes == ["sessions:read", "enrolments:write"]
    # The whole of 31 Jan in the admin's zone (Paris, UTC+1).
    assert token.expires_at == NOW.replace(year=2027, month=1, day=31, hour=23)
    listed = admin_client.get(LIST)
    assert secret.encode() not in listed.data and secret[4:].encode() not in listed.data
    entry = db.session.scalar(select(JournalEntry).where(JournalEntry.object_type == "api_token"))
    assert entry.action == "create" and entry.actor_name == "Ada Tester"
    assert secret not in str(entry.after)


def test_the_list_shows_state_and_last_use_after_a_call(admin_client, app, people):
    page = _create(admin_client)
    secret = page.select_one("#token-secret")["value"]
    assert _table(admin_client.get_page(LIST))[0]["Last used"] == "Never"
    api = ApiClient(app.test_client(), secret)
    assert api.get("/api/v1/sessions").status_code == 200
    row = _table(admin_client.get_page(LIST))[0]
    assert row["Last used"] == "29 Nov 2026 at 13:00"  # Paris time
    assert row["Owner"] == "Ada Tester" and row["State"] == "Active"
    assert row["Works until"] == "31 Jan 2027"
    assert row["Scopes"] == "sessions:read, enrolments:write"


def test_revoking_asks_first_then_the_token_gets_401(admin_client, app, people, make_user):
    other = make_user("olga", role="admin", first_name="Olga", last_name="Other")
    secret = make_token(other, name="Payroll")
    token = db.session.scalar(select(ApiToken))
    url = f"/admin/api-tokens/{token.id}/revoke"
    confirm = admin_client.get_page(url)
    assert confirm.h1.get_text() == "Revoke the token “Payroll”?"
    assert "Olga Other created it" in confirm.get_text(" ")
    assert ApiClient(app.test_client(), secret).get("/api/v1/sessions").status_code == 200
    # Any admin may revoke another admin's token.
    response = admin_client.post(url)
    assert response.status_code == 303
    assert ApiClient(app.test_client(), secret).get("/api/v1/sessions").status_code == 401
    assert _table(admin_client.get_page(LIST))[0]["State"].startswith("Revoked")
    assert "already revoked" in admin_client.post_page(url, follow_redirects=True).get_text()
    entries = db.session.scalars(select(JournalEntry.action).where(
        JournalEntry.object_type == "api_token")).all()
    assert entries == ["create", "revoke"]


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"name": "  "}, "name", "Give the token a name"),
    ({"name": "x" * 101}, "name", "At most 100 characters."),
    ({"scopes": []}, "scopes", "Choose at least one thing"),
    ({"scopes": ["root:everything"]}, "scopes", "Choose at least one thing"),
    ({"expires_on": ""}, "expires_on", "Give the last day"),
    ({"expires_on": "tomorrow"}, "expires_on", "Give the last day"),
    ({"expires_on": "2026-11-29"}, "expires_on", "Choose a day after today."),
    ({"expires_on": "2027-12-01"}, "expires_on", "at most 366 days"),
    ({"expires_on": "9999-12-31"}, "expires_on", "at most 366 days"),
    ({"expires_on": "0001-01-01"}, "expires_on", "Choose a day after today."),
    ({"expires_on": "99999-01-01"}, "expires_on", "Give the last day"),
])
def test_bad_input_is_named_and_nothing_is_created(admin_client, changes, field, message):
    page = _create(admin_client, status=422, **changes)
    error = page.select_one(f"#{field}-error")
    assert message in error.get_text()
    assert db.session.scalar(select(ApiToken)) is None


def test_the_forms_need_their_csrf_token(admin_client, people):
    assert admin_client.client.post(NEW, data=FORM).status_code == 400
    secret = make_token(people["admin"])
    token = db.session.scalar(select(ApiToken))
    assert admin_client.client.post(f"/admin/api-tokens/{token.id}/revoke").status_code == 400
    assert db.session.get(ApiToken, token.id).revoked_at is None
    assert secret


def test_only_admins_reach_the_pages(client, people):
    assert client.get(LIST).status_code == 302  # the login page
    client.login("cora")
    for url in (LIST, NEW, "/admin/api-tokens/1/revoke"):
        assert client.get(url).status_code == 404


def test_unknown_tokens_are_404(admin_client):
    assert admin_client.get("/admin/api-tokens/5/revoke").status_code == 404
    assert admin_client.get(f"/admin/api-tokens/{2**40}/revoke").status_code == 404


def test_the_list_takes_the_same_queries_whatever_its_size(admin_client, people,
                                                           count_queries, make_user):
    def queries() -> int:
        admin_client.get_page(LIST)  # warm: the first request of a client loads more
        with count_queries() as counter:
            admin_client.get_page(LIST + "?per_page=100")
        return counter.count

    make_token(people["admin"])
    few = queries()
    for number in range(30):
        owner = make_user(f"owner{number}", role="admin")
        make_token(owner, name=f"Token {number}")
    assert queries() == few
    assert len(_table(admin_client.get_page(LIST + "?per_page=25"))) == 25


# --- the authorisation matrix ----------------------------------------------------------

SKIPPED_RULES = {"/api/v1/openapi.json"}  # the specification is public by design


def seed_world(owner, coach, learner) -> dict[str, object]:
    """One of each object the API speaks of, for URLs that name an existing one; returns
    the value for each URL argument name."""
    session = make_session(coach, "Python basics")
    course = add_course(session, coaches=[coach])
    assignment = Assignment(course_id=course.id, title="Quiz")
    category = SessionCategory(name="Onboarding")
    user_class = UserClass(name="Class A")
    db.session.add_all([assignment, category, user_class])
    db.session.flush()
    db.session.add(ClassMembership(class_id=user_class.id, user_id=learner.id))
    enrol(session, learner)
    enrolment = db.session.scalar(select(Enrolment))
    token_id = db.session.scalar(select(ApiToken.id).where(ApiToken.owner_id == owner.id))
    values = {"session_id": session.id, "course_id": course.id, "user_id": learner.id,
              "learner_id": learner.id, "coach_id": coach.id, "class_id": user_class.id,
              "category_id": category.id, "assignment_id": assignment.id,
              "enrolment_id": enrolment.id, "token_id": token_id or 1,
              "username": learner.username, "code": course.code, "user": learner.username}
    db.session.commit()
    return values


def api_routes(app) -> list[tuple[str, str, object]]:
    """(rule, method, werkzeug rule) of every API endpoint but the specification."""
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.rule in SKIPPED_RULES:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((rule.rule, method, rule))
    return routes


def build_url(rule, values: dict[str, object]) -> str:
    arguments = {}
    for name in rule.arguments:
        converter = type(rule._converters[name]).__name__
        default = 1 if converter == "IntegerConverter" else "lea"
        arguments[name] = values.get(name, default)
    path = rule.rule
    for name, value in arguments.items():
        path = path.replace(f"<{name}>", str(value))
        for kind in ("int", "string", "path"):
            path = path.replace(f"<{kind}:{name}>", str(value))
    return path + REQUIRED_QUERIES.get(rule.rule, "")


# The query a call cannot be made without.
REQUIRED_QUERIES = {"/api/v1/sessions/<int:session_id>/access": "?user=lea"}


class Tokens:
    """Every kind of token the matrix presents, by name."""

    def __init__(self, owner, former_admin, gone_admin):
        every = list(api_tokens.SCOPES)
        self.secrets = {
            "revoked": make_token(owner, name="revoked"),
            "expired": make_token(owner, name="expired", now=NOW - timedelta(days=10), days=5),
            "former admin": make_token(former_admin, name="former"),
            "deactivated admin": make_token(gone_admin, name="gone"),
        }
        revoked = db.session.scalar(select(ApiToken).where(ApiToken.name == "revoked"))
        revoked.revoked_at = NOW - timedelta(hours=1)
        former_admin.role = "teacher"
        gone_admin.active = False
        db.session.commit()
        self.only = {scope: make_token(owner, [scope], name=f"only {scope}") for scope in every}
        self.all_but = {scope: make_token(owner, [s for s in every if s != scope],
                                          name=f"not {scope}") for scope in every}


def _status(app, secret, method, url, *, raw_header=None) -> int:
    client = app.test_client()
    headers = {}
    if raw_header is not None:
        headers["Authorization"] = raw_header
    elif secret is not None:
        headers["Authorization"] = f"Bearer {secret}"
    response = client.open(url, method=method, headers=headers, json={} if method in (
        "POST", "PATCH", "PUT") else None)
    db.session.rollback()
    return response.status_code


def views_without_scope(app) -> list[str]:
    return sorted({f"{rule.endpoint} ({rule.rule})" for _, _, rule in api_routes(app)
                   if getattr(app.view_functions[rule.endpoint], "api_scope", None) is None})


def test_every_api_view_says_its_scope(app):
    assert len(api_routes(app)) >= 5, "the API's endpoints are registered"
    assert views_without_scope(app) == [], "API views without token_required"


def test_the_check_names_a_planted_view_without_token(app):
    app.add_url_rule("/api/v1/planted", "planted", public(lambda: "open"))
    assert views_without_scope(app) == ["planted (/api/v1/planted)"]


def test_the_authorisation_matrix(app, people, make_user):
    app.config["API_RATE_LIMIT"] = "100000 per minute"  # hundreds of calls in one test
    owner = make_user("apiadmin", role="admin", first_name="Api", last_name="Owner")
    tokens = Tokens(owner, make_user("fern", role="admin"), make_user("gone", role="admin"))
    values = seed_world(owner, people["coach"], people["lea"])
    wrong = api_tokens.PREFIX + "x" * 43
    failures, answers = [], {}
    # Reads first: a write allowed below may remove what a later read names.
    for rule_text, method, rule in sorted(api_routes(app), key=lambda r: r[1] != "GET"):
        scope = app.view_functions[rule.endpoint].api_scope
        url = build_url(rule, values)
        expected = {
            "no token": (_status(app, None, method, url), 401),
            "not bearer": (_status(app, None, method, url, raw_header="Basic YTpi"), 401),
            "wrong token": (_status(app, wrong, method, url), 401),
            **{kind: (_status(app, secret, method, url), 401)
               for kind, secret in tokens.secrets.items()},
            "every scope but " + scope: (_status(app, tokens.all_but[scope], method, url), 403),
        }
        for case, (got, want) in expected.items():
            if got != want:
                failures.append(f"{method} {rule_text} [{case}]: {got}, expected {want}")
        allowed = answers[f"{method} {url}"] = _status(app, tokens.only[scope], method, url)
        if allowed in (401, 403) or allowed >= 500:
            failures.append(f"{method} {rule_text} [only {scope}]: {allowed}")
        if method == "GET" and "<" in rule_text and allowed == 404:
            failures.append(f"{method} {url} [only {scope}]: 404 for an existing object "
                            "(tests/test_api_tokens.py seed_world: add its argument)")
    assert failures == []
    # The allowed calls reach the views: every read of an existing object succeeds.
    reads = {call: status for call, status in answers.items() if call.startswith("GET ")}
    assert reads and {call: status for call, status in reads.items() if status != 200} == {}


def test_a_token_acts_for_its_owner_on_everyones_objects(app, people, make_user):
    """Admins see every object: a token reads what another admin's token created, and
    the journal names the token's owner for each change."""
    first = ApiClient(app.test_client(), make_token(make_user("anna", role="admin")))
    second = ApiClient(app.test_client(), make_token(make_user("bert", role="admin"),
                                                     name="LMS"))
    created = first.post("/api/v1/sessions", json={"name": "Shared", "coach": "cora"})
    assert created.status_code == 201, created.json
    url = f"/api/v1/sessions/{created.json['id']}"
    read = second.get(url)
    assert read.status_code == 200
    assert second.patch(url, json={"name": "Shared 2"},
                        headers={"If-Match": read.headers["ETag"]}).status_code == 200
    names = db.session.scalars(select(JournalEntry.actor_name).where(
        JournalEntry.object_type == "session").order_by(JournalEntry.id)).all()
    assert names == ["Anna Tester (API token “HR system”)", "Bert Tester (API token “LMS”)"]
