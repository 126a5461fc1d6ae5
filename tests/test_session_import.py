"""Sessions by file: the import page, its preview, the all-or-nothing apply, the journal
and the undo of an import."""

import io
from datetime import UTC, datetime

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from portal.domain import journal
from portal.domain.dates import zone
from portal.domain.import_undo import UNDOERS
from portal.domain.journal import SYSTEM
from portal.domain.session_import import (
    HEAD_TYPE,
    Kind,
    apply_import,
    preview,
    read_sessions_file,
)
from portal.domain.tabular import xlsx_bytes
from portal.extensions import db
from portal.models import (
    ClassMembership,
    Enrolment,
    JournalEntry,
    SessionCategory,
    SessionCourseCoach,
    TrainingSession,
    UserClass,
)
from tests.helpers import NOW, add_course, make_session

PARIS = "Europe/Paris"
URL, APPLY_URL = "/admin/sessions/import", "/admin/sessions/import/apply"
HEADER = ("name,code,category,session_coach,timezone,access_start,access_end,"
          "after_end_policy,welcome_message,courses,classes\n")
NEW_ROW = ('Spring onboarding,ONB-26S,Spring 2027,cora,America/New_York,2027-03-01,'
           '2027-03-31,open,yes,"PY101 (cora, ted); WEB2",Red team\n')
# Autumn as it is (its dates in Paris time, the importer's zone).
AUTUMN_ROW = "Autumn,AUT-26,,cora,,2026-11-28 13:00,2026-12-09 13:00,,,PY101 (cora),\n"


@pytest.fixture
def world(client, make_user, frozen_now):
    """root (admin) logged in; cora and ted teach; lea is in the Red team; courses PY101
    and WEB2; the session Autumn (coach cora, code AUT-26) has PY101 coached by cora."""
    make_user("root", role="admin")
    cora, ted = make_user("cora", role="teacher"), make_user("ted", role="teacher")
    lea = make_user("lea")
    autumn = make_session(cora, "Autumn", code="AUT-26")
    add_course(autumn, "PY101", coaches=[cora])
    add_course(make_session(cora, "Elsewhere"), "WEB2", title="Web")
    red = UserClass(name="Red team")
    db.session.add(red)
    db.session.flush()
    db.session.add(ClassMembership(class_id=red.id, user_id=lea.id, added_at=NOW))
    db.session.commit()
    client.login("root")
    return {"autumn": autumn, "cora": cora, "ted": ted, "lea": lea, "red": red}


def upload(client, data, *, name="sessions.csv", htmx=False, status=200) -> BeautifulSoup:
    if isinstance(data, str):
        data = data.encode()
    response = client.post(URL, {"file": (io.BytesIO(data), name)}, htmx=htmx)
    assert response.status_code == status, (response.status_code, response.data[:800])
    return BeautifulSoup(response.data, "html.parser")


def apply_page(client, page, status=200, htmx=False) -> BeautifulSoup:
    form = {"token": page.select_one("input[name=token]")["value"],
            "signature": page.select_one("input[name=signature]")["value"]}
    response = client.post(APPLY_URL, form, htmx=htmx)
    assert response.status_code == status, (response.status_code, response.data[:800])
    return BeautifulSoup(response.data, "html.parser")


def counts(page) -> dict[str, int]:
    return {row.th.text: int(row.td.text.replace(",", ""))
            for row in page.select("table.import-counts tr")}


def errors(page) -> list[tuple[str, str, str]]:
    table = page.select_one("#rows-error").find_parent("section")
    return [tuple(td.text for td in (tr.select("td")[0], tr.select("td")[1],
                                     tr.select("td")[3])) for tr in table.select("tbody tr")]


def changes(page) -> list[tuple[str, str, str]]:
    return [tuple(td.text for td in tr.select("td")) for tr in page.select("#rows-update tr")
            if tr.select("td")]


def session(name: str) -> TrainingSession:
    db.session.expire_all()
    return db.session.scalar(select(TrainingSession).where(TrainingSession.name == name))


def test_a_new_session_is_previewed_then_created_whole(client, world):
    page = upload(client, HEADER + NEW_ROW)
    assert counts(page) == {"In error": 0, "Sessions to create": 1, "Sessions to update": 0,
                            "Unchanged": 0}
    assert "Spring 2027" in page.select_one("#categories-to-create").text
    assert session("Spring onboarding") is None  # nothing written by the preview
    result = apply_page(client, page)
    assert result.select_one("#result-created").text == "1"
    spring = session("Spring onboarding")
    assert spring.code == "ONB-26S" and spring.category.name == "Spring 2027"
    assert spring.coach.username == "cora" and spring.after_end_policy == "open"
    assert spring.welcome_message is True
    # Read in the row's zone; the end written as a day includes that whole day.
    assert spring.access_start == datetime(2027, 3, 1, 5, tzinfo=UTC)
    assert spring.access_end == datetime(2027, 4, 1, 4, tzinfo=UTC)
    assert [c.course.code for c in spring.courses] == ["PY101", "WEB2"]
    coaches = db.session.scalars(select(SessionCourseCoach.user_id).where(
        SessionCourseCoach.session_id == spring.id)).all()
    assert sorted(coaches) == sorted([world["cora"].id, world["ted"].id])
    assert db.session.scalar(select(Enrolment.user_id).where(
        Enrolment.session_id == spring.id)) == world["lea"].id  # the class's member


def test_the_same_file_again_has_nothing_to_change(client, world):
    apply_page(client, upload(client, HEADER + NEW_ROW))
    page = upload(client, HEADER + NEW_ROW)
    assert "Nothing to change" in page.select_one("#nothing-to-change").text
    assert page.select_one("input[name=token]") is None
    assert counts(page)["Unchanged"] == 1


def test_an_update_lists_each_changed_field_old_to_new(client, world):
    text = ("code,name,access_end,session_coach,courses\n"
            "AUT-26,Autumn term,2026-12-20,ted,PY101 (cora); WEB2 (ted)\n")
    page = upload(client, text)
    assert counts(page)["Sessions to update"] == 1
    assert changes(page) == [("name", "Autumn", "Autumn term"),
                             ("session coach", "cora", "ted"),
                             ("access end", "2026-12-09 13:00", "2026-12-20"),
                             ("courses", "(not in the session)", "add WEB2 with ted")]
    apply_page(client, page)
    autumn = session("Autumn term")
    assert autumn.id == world["autumn"].id and autumn.coach.username == "ted"
    assert autumn.access_end == datetime(2026, 12, 20, 23, tzinfo=UTC)
    assert autumn.access_start == world["autumn"].access_start  # not in the file: kept


@pytest.mark.parametrize("line, column, message", [
    ("Autumn,AUT-26,,nobody,,,,,,,", "session_coach", "No active user has the username"),
    ("X,,,cora,Mars/Olympus,,,,,,", "timezone", "Unknown time zone “Mars/Olympus”"),
    ("X,,,cora,,2027-02-30,,,,,", "access_start", "Write a date as"),
    ("X,,,cora,,2027-03-02,2027-03-01,,,,", "access_end", "The end must be after the start"),
    ("X,,,cora,,,,sometimes,,,", "after_end_policy", "Write read_only, open or closed"),
    ("X,,,cora,,,,,perhaps,,", "welcome_message", "“perhaps” is not yes or no"),
    ("X,,,cora,,,,,,NOPE1,", "courses", "no course has the code “NOPE1”"),
    ("X,,,cora,,,,,,PY101 (lea),", "courses", "Only a teacher or an administrator can coach"),
    ("X,,,cora,,,,,,,Blue team", "classes", "no class is named “Blue team”"),
    ("Autumn,AUT-26,,cora,,,,,,WEB2,", "courses", "leaves out the session's course(s) PY101"),
    (",,,cora,,,,,,,", "name", "Give the session a name"),
])
def test_errors_name_the_line_the_column_and_the_fix(client, world, line, column, message):
    page = upload(client, HEADER + line + "\n", status=422)
    assert counts(page)["In error"] == 1
    assert page.select_one("input[name=token]") is None  # all or nothing: no apply
    place, got_column, got_message = errors(page)[0]
    assert (place, got_column) == ("line 2", column)
    assert message in got_message


def test_a_code_or_a_name_twice_is_an_error_on_both_lines(client, world):
    text = HEADER + "A,K1,,cora,,,,,,,\nB,K1,,cora,,,,,,,\nC,,,cora,,,,,,,\nc,,,cora,,,,,,,\n"
    page = upload(client, text, status=422)
    found = errors(page)
    assert ("line 2", "code") in [(p, c) for p, c, _ in found]
    assert ("line 3", "code") in [(p, c) for p, c, _ in found]
    assert ("line 4", "name") in [(p, c) for p, c, _ in found]
    assert any("also on line 5" in m for p, _, m in found if p == "line 4")


def test_a_workbook_error_names_the_sheet_row_and_column(client, world):
    data = xlsx_bytes(["name", "session_coach", "access_start"],
                      [["X", "cora", "soon"]], sheet_title="Term")
    page = upload(client, data, name="term.xlsx", status=422)
    assert errors(page)[0][:2] == ("row 2, column C of sheet “Term”", "access_start")


def test_htmx_gets_the_preview_fragment_with_422_for_errors(client, world):
    page = upload(client, HEADER + ",,,cora,,,,,,,\n", htmx=True, status=422)
    assert page.select_one("#import-area") is not None and page.select_one("nav") is None


def test_a_file_without_a_name_column_is_refused_as_a_whole(client, world):
    page = upload(client, "title,coach\nX,cora\n", status=422)
    assert "needs a “name” column" in page.text


def test_the_import_page_is_reached_from_the_sessions_list(client, world):
    link = client.get_page("/admin/sessions").find("a", string="Import sessions")
    page = client.get_page(link["href"])
    assert page.select_one("h1").text == "Import sessions"
    assert page.select_one("input[type=file]") is not None


def test_a_change_since_the_preview_is_caught_and_nothing_written(client, world):
    page = upload(client, HEADER + NEW_ROW)
    make_session(world["cora"], "Spring onboarding")  # someone took the name meanwhile
    result = apply_page(client, page, status=409)
    assert "Something changed since the preview" in result.text
    assert db.session.scalar(select(func.count()).select_from(SessionCategory)) == 0


def test_the_journal_has_one_head_naming_the_file_and_one_item_per_session(client, world):
    text = HEADER + NEW_ROW + AUTUMN_ROW.replace(",cora,", ",ted,")
    apply_page(client, upload(client, text, name="term.csv"))
    head = db.session.scalar(select(JournalEntry).where(JournalEntry.object_type == HEAD_TYPE))
    items = db.session.scalars(select(JournalEntry).where(JournalEntry.parent_id == head.id)
                               .order_by(JournalEntry.id)).all()
    assert [(i.action, i.object_label) for i in items] == [("create", "Spring onboarding"),
                                                         ("update", "Autumn")]
    tz = zone(PARIS)
    assert journal.sentence(head, tz) == ("Root Tester imported sessions from term.csv: "
                                          "1 created, 1 updated, 1 category created")
    assert journal.sentence(items[1], tz) == (
        "Root Tester changed Autumn by import: the session coach from Cora Tester (cora) "
        "to Ted Tester (ted)")
    history = client.get_page("/admin/history").text
    assert "imported sessions from term.csv" in history


# --- undo ----------------------------------------------------------------------------


def _import(text: str):
    parsed = read_sessions_file(text.encode())
    result = preview(db.session, parsed, tz=zone(PARIS))
    assert result.error_count == 0, result.errors
    outcome = apply_import(db.session, result, file_name="t.csv", by=SYSTEM, now=NOW)
    db.session.commit()
    return db.session.get(JournalEntry, outcome.head_id)


def test_undo_deletes_the_created_and_restores_the_updated(world):
    old_end = world["autumn"].access_end
    head = _import(HEADER + NEW_ROW + AUTUMN_ROW.replace(",cora,", ",ted,")
                   .replace("2026-12-09 13:00", "2026-12-20"))
    result = UNDOERS[HEAD_TYPE](db.session, head, by=SYSTEM, now=NOW)
    db.session.commit()
    assert result.not_reverted == [] and result.undo_entry_id is not None
    assert session("Spring onboarding") is None
    autumn = session("Autumn")
    assert (autumn.coach.username, autumn.access_end) == ("cora", old_end)
    undo = db.session.get(JournalEntry, result.undo_entry_id)
    assert undo.after["undoes"] == head.id
    again = UNDOERS[HEAD_TYPE](db.session, head, by=SYSTEM, now=NOW)
    assert (again.reverted, again.undo_entry_id) == (0, None)  # twice: nothing


def test_undo_leaves_what_was_changed_again_and_says_by_whom(world, make_user):
    head = _import(HEADER + AUTUMN_ROW.replace(",cora,", ",ted,")
                   .replace("2026-12-09 13:00", "2026-12-20"))
    from portal.domain.sessions import update_session
    autumn = session("Autumn")
    admin = journal.Actor(None, "Ann Admin")
    update_session(db.session, autumn, {"coach_id": world["cora"].id},
                   expected_version=autumn.version, by=admin, now=NOW)
    db.session.commit()
    result = UNDOERS[HEAD_TYPE](db.session, head, by=SYSTEM, now=NOW)
    db.session.commit()
    assert [n.what for n in result.not_reverted] == ["the session coach of Autumn"]
    assert "by Ann Admin" in result.not_reverted[0].why
    assert session("Autumn").access_end == world["autumn"].access_end  # reverted


def test_undo_keeps_a_created_session_used_since(world):
    head = _import(HEADER + NEW_ROW)
    spring = session("Spring onboarding")
    from portal.domain.enrolment import enrol_users
    enrol_users(db.session, spring.id, [world["ted"].id], by=journal.Actor(None, "Bo"),
                now=NOW)
    db.session.commit()
    result = UNDOERS[HEAD_TYPE](db.session, head, by=SYSTEM, now=NOW)
    assert session("Spring onboarding") is not None
    assert result.not_reverted[0].what == "Spring onboarding"


def test_preview_kinds_are_sorted_in_one_pass(world):
    parsed = read_sessions_file((HEADER + NEW_ROW + AUTUMN_ROW).encode())
    kinds = [row.kind for row in preview(db.session, parsed, tz=zone(PARIS)).rows]
    assert kinds == [Kind.CREATE, Kind.UNCHANGED]


def test_the_history_undo_reaches_this_import(world):
    from portal.domain import import_undo
    head = _import(HEADER + NEW_ROW)
    assert import_undo.is_import_head(head)
    result = import_undo.undo_import(db.session, head.id, by=SYSTEM, now=NOW)
    db.session.commit()
    assert result.reverted == 1 and session("Spring onboarding") is None
    with pytest.raises(import_undo.UndoRefused):
        import_undo.undo_import(db.session, head.id, by=SYSTEM, now=NOW)
