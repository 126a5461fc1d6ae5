"""Random input into every list page and every form, as admin, coach and learner: never a
500 (issue 12, point 9). Bounded: 200 GET examples per role and 500 form posts, the
file in well under a minute.

GET routes come from ``app.url_map`` (path ids drawn from real, absent and huge ids, query
arguments from the names the views read); forms from the table FORMS below. Runs on
PostgreSQL too when DATABASE_URL is set.
"""

import io
import re
import string
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.extensions import db
from portal.models import (
    Assignment,
    ClassMembership,
    SessionCategory,
    Submission,
    TrainingSession,
    UserClass,
)
from tests.conftest import PortalClient
from tests.helpers import NOW, add_course, enrol, make_session

PEOPLE = ("admin", "coach", "ted", "lea", "sam")
FUZZ = settings(max_examples=200, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])

# Texts known to have broken pages: NUL, line breaks, huge numbers, far dates, unicode.
NASTY = st.sampled_from([
    "", " ", "\x00", "a\x00b", "line\nbreak", "\r\n", "\t", "9" * 20, "9" * 309,
    str(2**63), str(-(2**63) - 1), "-1", "0", "1e309", "nan", "inf", "1.5", "9999-12-31",
    "0001-01-01", "9999-12-31 23:59", "0100-01-01", "2026-02-30", "2026-13-01 25:61",
    "%", "_", "\\", "'; --", "<script>x</script>", "=1+1", "x;=1+1", "Zoë 🎓 名前",
    "\u202e\u200b", "a" * 5000, "1:2", "1:" + "9" * 20, "desc", "asc", "ungraded",
])
TEXT = st.one_of(NASTY, st.text(max_size=40))
DATES = st.one_of(
    st.sampled_from(["9999-12-31", "0001-01-01", "9999-12-31 23:59", "0100-01-01 00:00",
                     "0001-01-01T00:00:00", "2026-03-29 02:30"]),
    st.dates().map(str),
    st.datetimes().map(lambda d: d.strftime("%Y-%m-%d %H:%M")),
)
NUMBERS = st.one_of(
    st.sampled_from(["9" * 309, str(2**63), str(2**31), "-1", "0", "1e309", "nan", "0x10"]),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)
_DATE_NAMES = ("from", "to", "_start", "_end")
_NUMBER_NAMES = ("_id", "score", "_days", "page", "category", "session", "course",
                 "learner", "version", "coaches")


def value_of(name: str):
    """Random text for the input ``name``, weighted to what it holds (a date, a number)."""
    if name.endswith(_DATE_NAMES):
        return st.one_of(DATES, DATES, TEXT)
    if name.endswith(_NUMBER_NAMES):
        return st.one_of(NUMBERS, NUMBERS, TEXT)
    return TEXT


QUERY_NAMES = ("q", "page", "per_page", "sort", "dir", "status", "category", "from", "to",
               "tab", "session", "not_in_session", "edit", "charts", "course", "learner",
               "who", "what", "action", "ungraded", "coaches", "next", "add_course",
               "add_learner", "username", "class_name", "user", "at")
SKIPPED_GETS = {"static"}


@pytest.fixture
def world(people):
    """One session with a course, an assignment, a hand-in, a class and a category, and
    clients logged in as admin (Ada), course coach (Ted) and learner (Lea)."""
    session = make_session(people["coach"], "Fuzzed", starts_in=-5, ends_in=10,
                           description="**hi**")
    course = add_course(session, coaches=[people["ted"]])
    essay = Assignment(course_id=course.id, title="Essay", max_score=20)
    team = UserClass(name="Team")
    category = SessionCategory(name="Cat")
    db.session.add_all([essay, team, category])
    db.session.commit()
    db.session.add(ClassMembership(class_id=team.id, user_id=people["sam"].id))
    enrol(session, people["lea"])
    submission = Submission(session_id=session.id, assignment_id=essay.id,
                            user_id=people["lea"].id, answer="mine",
                            submitted_at=NOW - timedelta(days=1))
    db.session.add(submission)
    db.session.commit()
    ids = {"session_id": session.id, "course_id": course.id, "assignment_id": essay.id,
           "submission_id": submission.id, "class_id": team.id, "category_id": category.id,
           "user_id": people["sam"].id}
    return {"ids": ids}


class Fuzzer:
    """A browser-like client of one person that keeps its CSRF token (one request each)."""

    def __init__(self, app, username=None):
        self.portal = PortalClient(app.test_client())
        if username:
            assert self.portal.login(username).status_code == 302
        self.token = self.portal.csrf_token()

    def get(self, url, query, htmx):
        headers = {"HX-Request": "true"} if htmx else {}
        return self.portal.client.get(url, query_string=query, headers=headers)

    def post(self, url, data, htmx):
        headers = {"HX-Request": "true", "X-CSRFToken": self.token} if htmx else {}
        if not htmx:
            data = {**data, "csrf_token": self.token}
        return self.portal.client.post(url, data=data, headers=headers)


@pytest.fixture
def fuzzers(app, world):
    return {"admin": Fuzzer(app, "ada"), "coach": Fuzzer(app, "ted"),
            "learner": Fuzzer(app, "lea"), "anonymous": Fuzzer(app)}


_PART = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


def path_values(rule, ids):
    """A strategy of paths for ``rule``: each id a real one, an absent one or a huge one."""
    parts = _PART.findall(rule.rule)

    def value(converter, name):
        if converter == "int":
            return st.sampled_from([ids.get(name, 1), 0, 987654, 2**31, 2**63 - 1, 10**30])
        if name == "row_key":
            return st.sampled_from(["name", "description", "category", "coach", "policy",
                                    "display", "access", "coach_window", "nope"])
        return st.text(alphabet=string.ascii_letters + string.digits + "-_.%", max_size=50)

    def build(values):
        it = iter(values)
        return _PART.sub(lambda m: str(next(it)), rule.rule)

    return st.tuples(*(value(c, n) for c, n in parts)).map(build)


def get_rules(app):
    return sorted((r for r in app.url_map.iter_rules()
                   if "GET" in r.methods and r.endpoint not in SKIPPED_GETS),
                  key=lambda r: r.rule)


@pytest.mark.parametrize("role", ["admin", "coach", "learner"])
def test_every_get_route_with_random_arguments(app, world, fuzzers, role):
    rules = get_rules(app)
    fuzzer = fuzzers[role]

    @FUZZ
    @given(data=st.data())
    def check(data):
        rule = data.draw(st.sampled_from(rules), label="rule")
        path = data.draw(path_values(rule, world["ids"]), label="path")
        names = data.draw(st.sets(st.sampled_from(QUERY_NAMES), max_size=6), label="names")
        query = data.draw(st.fixed_dictionaries({n: value_of(n) for n in names}),
                          label="query")
        response = fuzzer.get(path, query, data.draw(st.booleans(), label="htmx"))
        assert response.status_code < 500, (path, query, response.data[:300])

    check()


def _session_actions(ids):
    big = "9" * 20
    return st.sampled_from([
        "save", "save_anyway", "enter", "add_course", "add_learner", "add_class",
        f"remove_course:{ids['course_id']}", f"add_course_coach:{ids['course_id']}",
        f"remove_course_coach:{ids['course_id']}:{big}", f"remove_learner:{big}",
        f"remove_class:{big}", f"add_course_coach:{big}", "nonsense:x",
    ])


SESSION_INPUTS = ("name", "description", "category_id", "coach", "after_end_policy",
                  "duration_days", "display_start", "display_end", "access_start",
                  "access_end", "coach_start", "coach_end")


def forms(ids):
    """(role, url, fields, extra): the forms of the portal, each field fuzzed;
    ``extra`` are strategies for fields needing their own values."""
    s, c, a = ids["session_id"], ids["course_id"], ids["assignment_id"]
    sub, cls, cat, user = ids["submission_id"], ids["class_id"], ids["category_id"], \
        ids["user_id"]
    session_ids = {"course_id": st.sampled_from([str(c), "9" * 20, "-3", "x"]),
                   "learner_id": st.sampled_from([str(user), "9" * 20, "0"]),
                   "class_id": st.sampled_from([str(cls), "9" * 20]),
                   "course_coach": st.sampled_from([f"{c}:{user}", f"{c}:{'9' * 20}",
                                                    "9" * 20 + ":1", ":"]),
                   "action": _session_actions(ids)}
    user_fields = ("username", "first_name", "last_name", "email", "role", "timezone",
                   "active", "password")
    row = {"confirm": st.sampled_from(["1", "0"])}  # and ``version``, drawn when posting
    return [
        ("anonymous", "/login", ("username", "password", "next"), {}),
        ("admin", "/admin/sessions/new",
         (*SESSION_INPUTS, "add_course", "add_learner", "add_class", f"add_coach_{c}"),
         session_ids),
        *[("admin", f"/admin/sessions/{s}/details/{key}", fields, row)
          for key, fields in (("name", ("name",)), ("description", ("description",)),
                              ("category", ("category_id",)), ("coach", ("coach",)),
                              ("policy", ("after_end_policy",)),
                              ("display", ("display_start", "display_end")),
                              ("access", ("access_start", "access_end", "duration_days")),
                              ("coach_window", ("coach_start", "coach_end")))],
        ("admin", f"/admin/sessions/{s}/copy", ("name",), {}),
        ("admin", f"/admin/sessions/{s}/courses", ("add_course",), {}),
        ("admin", f"/admin/sessions/{s}/courses/{c}/coaches", (f"add_coach_{c}", "username"),
         {}),
        ("admin", f"/admin/sessions/{s}/courses/{c}/move", ("direction",), {}),
        ("admin", f"/admin/sessions/{s}/learners", ("add_learner",), {}),
        ("admin", f"/admin/sessions/{s}/classes", ("add_class",), {}),
        ("admin", "/admin/users/new", user_fields, {}),
        ("admin", f"/admin/users/{user}", user_fields, {}),
        ("admin", "/admin/courses/new", ("code", "title", "description"), {}),
        ("admin", f"/admin/courses/{c}", ("code", "title", "description"), {}),
        ("admin", f"/admin/courses/{c}/assignments/new",
         ("title", "instructions", "max_score"), {}),
        ("admin", f"/admin/courses/{c}/assignments/{a}",
         ("title", "instructions", "max_score"), {}),
        ("admin", "/admin/classes/new", ("name", "description"), {}),
        ("admin", f"/admin/classes/{cls}", ("name", "description"), {}),
        ("admin", f"/admin/classes/{cls}/members", ("username",), {}),
        ("admin", "/admin/categories/new", ("name",), {}),
        ("admin", f"/admin/categories/{cat}", ("name",), {}),
        ("admin", "/admin/import", (), {"file": _upload()}),
        ("admin", f"/admin/sessions/{s}/import", (), {"file": _upload()}),
        ("admin", "/admin/import/apply", ("token", "signature", "valid_rows_only"), {}),
        ("learner", f"/sessions/{s}/courses/{c}/assignments/{a}/hand-in",
         (f"a{a}-answer",), {f"a{a}-attachment": _upload()}),
        ("coach", f"/coach/sessions/{s}/courses/{c}/submissions/{sub}",
         (f"s{sub}-score", f"s{sub}-feedback", "ungraded", "page", "per_page"), {}),
        ("learner", "/profile/timezone", ("timezone",), {}),
        ("learner", "/profile/password",
         ("current_password", "new_password", "confirm_password"), {}),
    ]


def _upload():
    """A file field: random bytes or text lines (NUL, separators, huge and far values)."""
    cells = st.one_of(TEXT, NUMBERS, DATES)
    lines = st.lists(st.lists(cells, max_size=4).map(",".join), max_size=5)
    header = st.sampled_from(["username,session", "email;session;action", "", "\ufeffa\tb"])
    content = st.one_of(
        st.binary(max_size=200),
        st.tuples(header, lines).map(lambda t: "\n".join([t[0], *t[1]]).encode("utf-8",
                                                                                "replace")),
    )
    name = st.sampled_from(["import.csv", "x.txt", "notes.pdf", "a\x00.csv", "", "..\\e.csv"])
    return st.tuples(content, name).map(lambda t: (io.BytesIO(t[0]), t[1]))


def test_every_form_with_random_input(app, world, fuzzers):
    table = forms(world["ids"])
    session_id = world["ids"]["session_id"]

    @settings(FUZZ, max_examples=500)
    @given(data=st.data())
    def check(data):
        role, url, fields, extra = data.draw(st.sampled_from(table), label="form")
        values = data.draw(st.fixed_dictionaries({}, optional={f: value_of(f)
                                                               for f in fields}),
                           label="fields")
        values.update(data.draw(st.fixed_dictionaries({}, optional=extra), label="extra"))
        if "/details/" in url:  # mostly the current version, else the edit is a conflict
            current = str(db.session.get(TrainingSession, session_id).version)
            values["version"] = data.draw(st.sampled_from([current] * 4 + ["0", "9" * 20]),
                                          label="version")
        response = fuzzers[role].post(url, values, data.draw(st.booleans(), label="htmx"))
        assert response.status_code < 500, (url, values, response.data[:300])

    check()
