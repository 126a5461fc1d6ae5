"""CSV import of enrolments: reading, preview, apply, the two pages, limits, speed, fuzzing."""

import io
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from portal.domain import csv_import
from portal.domain.csv_import import (
    FileProblem,
    ImportRefused,
    ParsedFile,
    RowKind,
    apply,
    preview,
    read_csv,
)
from portal.domain.enrolment import link_class
from portal.domain.journal import SYSTEM
from portal.extensions import db
from portal.models import (
    ClassMembership,
    Enrolment,
    ImportUpload,
    TrainingSession,
    User,
    UserClass,
)
from tests.helpers import NOW, enrol, make_session

BY = {"by": SYSTEM, "now": NOW, "file_name": "people.csv"}  # who, when, which file
IMPORT_URL = "/admin/import"
APPLY_URL = "/admin/import/apply"


@pytest.fixture
def admin(client, make_user, frozen_now):
    user = make_user("root", role="admin")
    client.login("root")
    return user


@pytest.fixture
def world(admin, make_user):
    """ann and eve free; bob enrolled in Leadership; dan in Onboarding through the Red team
    class only; cid deactivated."""
    coach = make_user("cora", role="teacher")
    people = {name: make_user(name) for name in ("ann", "bob", "dan", "eve")}
    people["cid"] = make_user("cid", active=False)
    onboarding = make_session(coach, "Onboarding")
    leadership = make_session(coach, "Leadership")
    red = UserClass(name="Red team")
    db.session.add(red)
    db.session.flush()
    db.session.add(ClassMembership(class_id=red.id, user_id=people["dan"].id, added_at=NOW))
    link_class(db.session, onboarding.id, red.id, by=SYSTEM, now=NOW)
    db.session.commit()
    enrol(leadership, people["bob"], source="individual", direct=True)
    return {"onboarding": onboarding, "leadership": leadership, "red": red, **people}


# --- helpers ---------------------------------------------------------------------


def upload(client, data, url=IMPORT_URL, htmx=False, name="people.csv"):
    if isinstance(data, str):
        data = data.encode()
    return client.post(url, {"file": (io.BytesIO(data), name)}, htmx=htmx)


def preview_page(client, data, url=IMPORT_URL, status=200, **kwargs) -> BeautifulSoup:
    response = upload(client, data, url, **kwargs)
    assert response.status_code == status, (response.status_code, response.data[:800])
    return BeautifulSoup(response.data, "html.parser")


def apply_page(client, page, url=APPLY_URL, valid_only=False, status=200, htmx=False):
    form = {"token": page.select_one("input[name=token]")["value"],
            "signature": page.select_one("input[name=signature]")["value"]}
    if valid_only:
        form["valid_rows_only"] = "y"
    response = client.post(url, form, htmx=htmx)
    assert response.status_code == status, (response.status_code, response.data[:800])
    return BeautifulSoup(response.data, "html.parser")


def counts(page) -> dict[str, int]:
    return {row.th.text: int(row.td.text.replace(",", ""))
            for row in page.select("table.import-counts tr")}


def error_rows(page) -> list[tuple[int, str, str]]:
    section = page.select_one("#rows-error")
    if section is None:
        return []
    table = section.find_parent("section").select("tbody tr")
    return [(int(tr.select("td")[0].text), tr.select("td")[1].text, tr.select("td")[2].text)
            for tr in table]


def enrolments() -> set[tuple[str, str, bool, str]]:
    rows = db.session.execute(
        select(TrainingSession.name, User.username, Enrolment.direct, Enrolment.source)
        .join(TrainingSession, TrainingSession.id == Enrolment.session_id)
        .join(User, User.id == Enrolment.user_id)
    )
    return {tuple(row) for row in rows}


def parse(text, session_required=True) -> ParsedFile:
    parsed = read_csv(text.encode() if isinstance(text, str) else text,
                      session_required=session_required)
    assert isinstance(parsed, ParsedFile), parsed
    return parsed


BEFORE = {("Leadership", "bob", True, "individual"), ("Onboarding", "dan", False, "class")}


# --- the whole flow ----------------------------------------------------------------


def test_preview_then_apply_on_the_global_page(client, world):
    text = ("username,email,session,action\n"
            "ann,,Onboarding,add\n"
            "bob,,Leadership,\n"  # already enrolled
            "dan,,onboarding,ADD\n"  # through a class: becomes individual too, no new row
            ",eve@example.org,Leadership,remove\n")  # not enrolled
    page = preview_page(client, text)
    assert page.select_one("h2").text == "Preview of people.csv"
    assert counts(page) == {"In error": 0, "Will be enrolled": 2,
                            "Already enrolled: no change": 1, "Will be unenrolled": 0,
                            "Not enrolled: removing changes nothing": 1}
    assert enrolments() == BEFORE  # a preview writes nothing
    result = apply_page(client, page)
    assert result.select_one("#result-added").text == "2"
    assert result.select_one("#result-unchanged").text == "2"
    assert result.select_one("#result-skipped").text == "0"
    assert "already enrolled through a class" in result.text
    assert enrolments() == BEFORE - {("Onboarding", "dan", False, "class")} | {
        ("Onboarding", "ann", True, "import"), ("Onboarding", "dan", True, "class")}
    assert db.session.scalar(select(func.count()).select_from(ImportUpload)) == 0


def test_the_admin_menu_links_the_import_page(client, world):
    page = client.get_page(IMPORT_URL)
    link = page.select_one("aside.sidebar a[aria-current=page]")
    assert link.text == "Import enrolments"
    assert page.select_one("input[type=file][name=file]") is not None


def test_reapplying_the_same_file_changes_nothing(client, world):
    text = ("email;session;action\n"
            "ann@example.org;Onboarding;add\nbob@example.org;Leadership;remove\n")
    apply_page(client, preview_page(client, text))
    after = enrolments()
    assert after == {("Onboarding", "dan", False, "class"), ("Onboarding", "ann", True, "import")}
    again = preview_page(client, text)
    assert counts(again)["Already enrolled: no change"] == 1
    assert counts(again)["Not enrolled: removing changes nothing"] == 1
    assert again.select_one("input[name=token]") is None
    assert "Nothing to apply" in again.text
    # The same at the level of the functions: a second apply writes nothing.
    outcome = apply(db.session, preview(db.session, parse(text)), **BY, valid_rows_only=False)
    assert (outcome.added, outcome.removed, outcome.unchanged) == (0, 0, 2)
    assert enrolments() == after


# --- rows in error --------------------------------------------------------------------


U, E, S = "username", "email", "session"
ROW_ERRORS = {
    "unknown user": ("username,session\nzed,Onboarding",
                     [(2, U, "Unknown user: no user has the username “zed”.")]),
    "unknown e-mail": ("email,session\nzed@example.org,Onboarding",
                       [(2, E, "Unknown user: no user has the e-mail “zed@example.org”.")]),
    "unknown session": ("username,session\nann,Nowhere",
                        [(2, S, "Unknown session: no session is named “Nowhere”.")]),
    "deactivated": ("username,session\ncid,Onboarding", [(2, U, "User cid is deactivated")]),
    "duplicate": ("username,session\nann,Onboarding\nANN , onboarding ",
                  [(3, "—", "Duplicate row: the same user, session and action (add) as line 2.")]),
    "duplicate by e-mail": ("username,email,session\nann,,Onboarding\n,ann@example.org,Onboarding",
                            [(3, "—", "Duplicate row")]),
    "conflict": ("username,session,action\nann,Onboarding,add\nann,Onboarding,remove",
                 [(2, "action", "Conflicting row: line 3 removes"),
                  (3, "action", "Conflicting row: line 2 adds")]),
    "bad action": ("username,session,action\nann,Onboarding,enrol",
                   [(2, "action", "“enrol” is not an action")]),
    "empty user": ("username,session\n,Onboarding",
                   [(2, U, "Empty value: give the learner's username.")]),
    "empty user, both columns": ("username,email,session\n ,  ,Onboarding",
                                 [(2, "username or email", "Empty value")]),
    "empty session": ("username,session\nann,", [(2, S, "Empty value: name the session.")]),
    "extra value": ("username,session\nann,Onboarding,oops",
                    [(2, "—", "Has 1 more value than the header has columns")]),
    "two problems": ("username,session\nzed,Nowhere", [(2, "username, session", "Unknown user")]),
}


@pytest.mark.parametrize(("text", "expected"), ROW_ERRORS.values(), ids=ROW_ERRORS.keys())
def test_each_row_error_names_line_column_and_reason(client, world, text, expected):
    page = preview_page(client, text)
    found = error_rows(page)
    assert len(found) == len(expected)
    for (line, column, reason), (want_line, want_column, want_reason) in zip(
            found, expected, strict=True):
        assert (line, column) == (want_line, want_column)
        assert want_reason in reason
    assert counts(page)["In error"] == len(expected)


def test_blank_lines_and_quoted_newlines_keep_file_line_numbers(client, world):
    text = ('username,session\n\n"ann",Onboarding\n\n , \n"bob\nsmith",Onboarding\n'
            'zed,Onboarding\n')
    page = preview_page(client, text)
    assert [(line, column) for line, column, _ in error_rows(page)] == [(6, "username"),
                                                                         (8, "username")]
    assert counts(page)["Will be enrolled"] == 1


def test_username_wins_over_email_when_both_are_given(world):
    result = preview(db.session, parse("username,email,session\nann,bob@example.org,Onboarding"))
    assert result.rows[0].user_id == world["ann"].id


def test_names_differing_only_in_case_are_ambiguous(world):
    make_session(world["ann"], "ONBOARDING")
    result = preview(db.session, parse("username,session\neve,onboarding\n"))
    assert "differ only in case" in result.rows[0].message


def test_non_ascii_session_names_match_case_insensitively(world):
    session = make_session(world["ann"], "Été 2026")
    result = preview(db.session, parse("username,session\neve,ÉTÉ 2026\n"))
    assert (result.rows[0].kind, result.rows[0].session_id) == (RowKind.ADD, session.id)


# --- whole-file problems ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"\n \n\n", "The file is empty."),
        (b"username,session,action\n", "The file has a header but no rows"),
        (b"\xef\xbb\xbfusername;session\n;\n", "The file has a header but no rows"),
        (b"name,session\nann,Onboarding\n", "Missing column: the header (line 1) needs a "
                                             "“username” or an “email” column"),
        (b"username,action\nann,add\n", "Missing column: the header (line 1) needs a “session”"),
        (b"username,session,Username\nann,x,y\n", "names the column “username” twice"),
        ("username,session\nann,Onboarding\nbjörn,Onboarding\n".encode("latin-1"),
         "The file is not UTF-8 text (line 3"),
        (b"PK\x03\x04\x14\x00\x00\x00\x08\x00", "Excel workbook but cannot be opened"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00", "old Excel (.xls) file"),
        (b"id\x00name\n", "holds NUL bytes"),
        (b'username,session\n"' + b"x" * 140_000 + b'",Onboarding\n',
         "Line 2 cannot be read as CSV"),
    ],
)
def test_file_problems_reject_the_upload_with_422(client, world, data, message):
    page = preview_page(client, data, status=422)
    assert message in page.select_one("#file-error").text
    assert db.session.scalar(select(func.count()).select_from(ImportUpload)) == 0


def test_no_file_chosen_is_a_form_error(client, world):
    response = client.post(IMPORT_URL, {})
    assert response.status_code == 422
    assert "Choose a CSV file" in response.get_data(as_text=True)


def test_a_file_over_10_mb_is_refused(client, world):
    data = b"username,session\n" + b"ann,Onboarding\n" * (10 * 1024 * 1024 // 15 + 1)
    assert len(data) > 10 * 1024 * 1024
    page = preview_page(client, data, status=422)
    assert "larger than 10 MB" in page.select_one("#file-error").text


def test_a_file_over_the_request_limit_gets_413_not_500(client, world):
    response = upload(client, b"x" * (13 * 1024 * 1024))
    assert response.status_code == 413


def test_too_many_rows_are_refused(client, world, monkeypatch):
    monkeypatch.setattr(csv_import, "MAX_ROWS", 3)
    text = "username,session\n" + "ann,Onboarding\n" * 3
    assert counts(preview_page(client, text))["In error"] == 2  # duplicates, but readable
    page = preview_page(client, text + "bob,Onboarding\n", status=422)
    assert "more than 3 rows" in page.select_one("#file-error").text


# --- separators, encodings, headers -----------------------------------------------------------


@pytest.mark.parametrize("separator", [",", ";", "\t"])
@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_separators_bom_and_header_spelling(client, world, separator, bom):
    header = separator.join([" UserName ", "SESSION", "Action  "])
    lines = [header, separator.join(["ann", " Onboarding ", "Add"]),
             separator.join(['"eve"', '"Leadership"', ""])]
    data = bom + ("\r\n".join(lines) + "\r\n").encode()
    page = preview_page(client, data)
    name = {",": "comma", ";": "semicolon", "\t": "tab"}[separator]
    assert f"separated by {name}s" in page.text
    assert counts(page)["Will be enrolled"] == 2
    apply_page(client, page)
    assert {("Onboarding", "ann", True, "import"), ("Leadership", "eve", True, "import")} <= \
        enrolments()


def test_unknown_columns_are_ignored_and_named(client, world):
    page = preview_page(client, "username,Comment,session\nann,hello,Onboarding\n")
    assert "Columns ignored: Comment." in page.text
    assert counts(page)["Will be enrolled"] == 1


# --- removal and the class rule ---------------------------------------------------------


def test_remove_keeps_learners_a_linked_class_holds(client, world):
    enrol(world["onboarding"], world["ann"], direct=True)
    db.session.execute(Enrolment.__table__.update()
                       .where(Enrolment.user_id == world["dan"].id).values(direct=True))
    db.session.commit()
    text = "username,session,action\nann,Onboarding,remove\ndan,Onboarding,remove\n"
    page = preview_page(client, text)
    assert counts(page)["Will be unenrolled"] == 2
    assert "1 of the learners to unenrol stay enrolled through a class" in page.text
    result = apply_page(client, page)
    assert result.select_one("#result-removed").text == "1"
    assert result.select_one("#result-kept").text == "1"
    assert enrolments() == {("Leadership", "bob", True, "individual"),
                            ("Onboarding", "dan", False, "class")}
    # dan is now enrolled only through the class: removing again changes nothing.
    again = preview(db.session, parse(text))
    assert [row.kind for row in again.rows] == [RowKind.NOT_ENROLLED, RowKind.NOT_ENROLLED]
    assert "Enrolled only through a class" in again.rows[1].message


# --- all or nothing ------------------------------------------------------------------------


def test_an_error_row_means_nothing_is_written_unless_valid_rows_only(client, world):
    text = "username,session\nann,Onboarding\nzed,Onboarding\neve,Leadership\n"
    page = preview_page(client, text)
    assert counts(page)["In error"] == 1 and counts(page)["Will be enrolled"] == 2
    assert page.select_one("input[name=valid_rows_only]") is not None
    refused = apply_page(client, page, status=422)
    assert "Nothing was written: 1 row in error" in refused.text
    assert enrolments() == BEFORE
    result = apply_page(client, refused, valid_only=True)
    assert result.select_one("#result-added").text == "2"
    assert result.select_one("#result-skipped").text == "1"
    assert {("Onboarding", "ann", True, "import"), ("Leadership", "eve", True, "import")} <= \
        enrolments()


def test_apply_refuses_a_preview_with_errors(world):
    result = preview(db.session, parse("username,session\nann,Onboarding\nzed,Onboarding\n"))
    with pytest.raises(ImportRefused):
        apply(db.session, result, **BY, valid_rows_only=False)
    assert enrolments() == BEFORE


def test_a_change_between_preview_and_apply_is_caught(client, world):
    page = preview_page(client, "username,session\nann,Onboarding\neve,Onboarding\n")
    world["eve"].active = False
    db.session.commit()
    changed = apply_page(client, page, status=409)
    assert "Something changed since the preview" in changed.text
    assert counts(changed)["In error"] == 1
    assert enrolments() == BEFORE
    result = apply_page(client, changed, valid_only=True)
    assert result.select_one("#result-added").text == "1"


def test_an_applied_upload_cannot_be_applied_twice(client, world):
    page = preview_page(client, "username,session\nann,Onboarding\n")
    apply_page(client, page)
    gone = apply_page(client, page, status=404)
    assert "no longer waiting" in gone.text


# --- who may apply -----------------------------------------------------------------------


def test_another_admin_cannot_apply_your_upload(client, world, make_user):
    page = preview_page(client, "username,session\nann,Onboarding\n")
    make_user("ada", role="admin")
    client.logout()
    client.login("ada")
    apply_page(client, page, status=404)
    assert enrolments() == BEFORE


def test_a_learner_cannot_reach_the_import(client, world):
    client.logout()
    client.login("ann")
    assert client.get(IMPORT_URL).status_code == 404


def test_old_uploads_are_purged_and_expired_ones_refused(client, world, frozen_now):
    page = preview_page(client, "username,session\nann,Onboarding\n")
    frozen_now(NOW + timedelta(hours=25))
    apply_page(client, page, status=404)
    preview_page(client, "username,session\neve,Onboarding\n")
    tokens = db.session.scalars(select(ImportUpload.token)).all()
    assert tokens == [db.session.scalar(select(ImportUpload.token)
                                        .order_by(ImportUpload.id.desc()))]
    assert page.select_one("input[name=token]")["value"] not in tokens


# --- the session page -----------------------------------------------------------------------


def test_session_page_rows_belong_to_that_session(client, world):
    url = f"/admin/sessions/{world['leadership'].id}/import"
    page = client.get_page(url)
    assert "Import learners into “Leadership”" in page.select_one("h1").text
    page = preview_page(client, "username,email\nann,\n,eve@example.org\nbob,\n", url=url)
    assert counts(page)["Will be enrolled"] == 2
    assert counts(page)["Already enrolled: no change"] == 1
    result = apply_page(client, page, url=url + "/apply")
    assert result.select_one("#result-added").text == "2"
    assert {("Leadership", "ann", True, "import"), ("Leadership", "eve", True, "import")} <= \
        enrolments()


def test_session_page_row_naming_another_session_is_an_error(client, world):
    url = f"/admin/sessions/{world['leadership'].id}/import"
    text = "username,session\nann,leadership\neve,Onboarding\ndan,\n"
    page = preview_page(client, text, url=url)
    assert error_rows(page) == [(3, "session", "“Onboarding” belongs to another session; use "
                                 "Import enrolments in the admin menu for other sessions.")]
    assert counts(page)["Will be enrolled"] == 2  # an empty cell means this session


def test_session_upload_cannot_be_applied_elsewhere(client, world):
    url = f"/admin/sessions/{world['leadership'].id}/import"
    page = preview_page(client, "username\nann\n", url=url)
    apply_page(client, page, url=APPLY_URL, status=404)
    apply_page(client, page, url=f"/admin/sessions/{world['onboarding'].id}/import/apply",
               status=404)
    assert enrolments() == BEFORE


def test_session_import_of_an_unknown_session_is_404(client, world):
    assert client.get("/admin/sessions/9999/import").status_code == 404


# --- htmx -------------------------------------------------------------------------------------


def test_htmx_gets_fragments(client, world):
    response = upload(client, "username,session\nann,Onboarding\n", htmx=True)
    assert response.status_code == 200
    assert b"<html" not in response.data
    page = BeautifulSoup(response.data, "html.parser")
    root = page.find(True)
    assert (root.name, root["id"]) == ("section", "import-area")
    assert page.select_one("form")["data-hx-target"] == "#import-area"
    bad = upload(client, b"", htmx=True)
    assert bad.status_code == 422 and b"<html" not in bad.data
    assert b"The file is empty." in bad.data
    result = apply_page(client, page, htmx=True)
    assert result.find(True)["id"] == "import-area"
    assert result.select_one("#result-added").text == "1"


def test_upload_form_posts_multipart_through_htmx(client, world):
    form = client.get_page(IMPORT_URL).select_one("#import-area form")
    assert form["enctype"] == "multipart/form-data"
    assert form["data-hx-post"] == IMPORT_URL


# --- speed ---------------------------------------------------------------------------------


def _big_world(make_user, n):
    coach = make_user("coach", role="teacher")
    sessions = [make_session(coach, f"S{i}") for i in range(3)]
    db.session.execute(User.__table__.insert(), [
        {"username": f"u{i}", "email": f"u{i}@example.org", "first_name": "", "last_name": "",
         "password_hash": "", "role": "learner", "active": True, "created_at": NOW}
        for i in range(n)
    ])
    db.session.commit()
    return sessions


def _file(n):
    return "username;session;action\n" + "\n".join(f"u{i};S{i % 3};add" for i in range(n))


def test_preview_and_apply_use_a_fixed_number_of_queries(app, make_user, count_queries):
    _big_world(make_user, 1000)
    observed = []
    for n in (50, 500):
        removals = "username;session;action\n" + "\n".join(
            f"u{i};S{i % 3};remove" for i in range(n // 2))
        with count_queries() as counter:
            for text in (_file(n), removals):
                apply(db.session, preview(db.session, parse(text)), **BY, valid_rows_only=False)
        observed.append(counter.count)
        assert db.session.scalar(select(func.count()).select_from(Enrolment)) == n - n // 2
        db.session.rollback()
    assert observed[0] == observed[1], observed
    # Two applies; each also queues its welcome and cancelled-invitation messages (one
    # INSERT … SELECT each, whatever the number of rows) and looks once at whether its
    # sessions keep a span of learners' individual dates.
    assert observed[0] <= 16


def test_the_routes_use_the_same_queries_for_50_and_500_rows(client, admin, make_user,
                                                              count_queries):
    _big_world(make_user, 600)
    observed = []
    for n in (50, 500):
        with count_queries() as counter:
            page = preview_page(client, _file(n))
            apply_page(client, page)
        observed.append(counter.count)
        db.session.execute(Enrolment.__table__.delete())
        db.session.commit()
    assert observed[0] == observed[1], observed


# --- fuzzing --------------------------------------------------------------------------------

HEADER_POOL = ["username", "email", "session", "action", " Username ", "EMAIL", "Session",
               "junk", "", "user name", "action"]
CELL_POOL = ["ann", "ANN ", "bob", "cid", "dan", "eve@example.org", "zed", "", "Onboarding",
             "onboarding", "Leadership", "Nowhere", "add", "remove", "REMOVE", "drop"]
cells = st.one_of(st.sampled_from(CELL_POOL),
                  st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12),
                  st.sampled_from(['"', '""', 'a"b', "x\ny", "\r", ",", ";", "\t", "é", "💥"]))


@st.composite
def csv_files(draw):
    separator = draw(st.sampled_from([",", ";", "\t"]))
    header = draw(st.lists(st.sampled_from(HEADER_POOL), min_size=0, max_size=5))
    rows = draw(st.lists(st.lists(cells, max_size=6), max_size=8))

    def render(cell):
        if draw(st.booleans()):
            return '"' + cell.replace('"', '""') + '"'
        return cell

    lines = [separator.join(render(c) for c in header)]
    lines += [separator.join(render(c) for c in row) for row in rows]
    ending = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = ending.join(lines) + draw(st.sampled_from(["", ending, ending * 3]))
    bom = draw(st.sampled_from([b"", b"\xef\xbb\xbf"]))
    return bom + text.encode()


def _snapshot():
    return sorted(tuple(row) for row in db.session.execute(
        select(Enrolment.session_id, Enrolment.user_id, Enrolment.direct, Enrolment.source)
    ))


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.one_of(st.binary(max_size=600), csv_files()))
def test_any_upload_gets_a_page_never_a_500(client, world, data):
    before = _snapshot()
    for url in (IMPORT_URL, f"/admin/sessions/{world['onboarding'].id}/import"):
        response = upload(client, data, url=url)
        assert response.status_code in (200, 422), response.data[:500]
    assert _snapshot() == before


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=csv_files(), valid_only=st.booleans(), on_session=st.booleans())
def test_apply_writes_all_or_nothing(world, data, valid_only, on_session):
    fixed = world["onboarding"] if on_session else None
    parsed = read_csv(data, session_required=fixed is None)
    if isinstance(parsed, FileProblem):
        return
    before = _snapshot()
    result = preview(db.session, parsed, fixed)
    try:
        if result.error_count and not valid_only:
            with pytest.raises(ImportRefused):
                apply(db.session, result, **BY, valid_rows_only=valid_only)
            assert _snapshot() == before
            return
        outcome = apply(db.session, result, **BY, valid_rows_only=valid_only)
        after = {(s, u): d for s, u, d, _ in _snapshot()}
        for row in result.rows:
            pair = (row.session_id, row.user_id)
            if row.kind is RowKind.ADD:
                assert after[pair] is True
            elif row.kind is RowKind.REMOVE:
                assert after.get(pair, False) is False
        assert outcome.skipped_errors == result.error_count
        # Applying the same file again changes nothing.
        again = preview(db.session, read_csv(data, session_required=fixed is None), fixed)
        assert again.change_count == 0
    finally:
        db.session.rollback()
