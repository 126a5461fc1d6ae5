"""Excel workbooks beside CSV: the enrolment import reads the first sheet of an .xlsx and
names places as a spreadsheet does (sheet, row, column letter); the History and tracking
exports are offered as CSV and as a workbook holding the same table."""

import csv
import io
import zipfile
from datetime import date, datetime, time

import openpyxl
import pytest
from sqlalchemy import func, select

from portal.domain import journal
from portal.domain.csv_export import neutralise
from portal.domain.csv_import import ParsedFile, read_csv
from portal.domain.tabular import FileProblem, cell_text, column_letter, open_table
from portal.extensions import db
from portal.models import Assignment, ImportUpload
from tests import test_csv_import
from tests.helpers import NOW, add_course, enrol, hand_in, make_session
from tests.test_csv_import import apply_page, counts, enrolments, preview_page, upload

# The CSV import's fixtures: its people and sessions, and the admin's logged-in client.
admin, world = test_csv_import.admin, test_csv_import.world

PEOPLE = ("admin", "coach", "lea", "leo")
IMPORT_URL = "/admin/import"
FILE = [["username", "email", "session", "action"],
        ["ann", "", "Onboarding", "add"],
        ["bob", "", "Leadership", ""],  # already enrolled
        ["dan", "", "onboarding", "ADD"],  # through a class: becomes individual too
        ["", "eve@example.org", "Leadership", "remove"]]  # not enrolled


def workbook(rows, title="Learners", build=None) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    if build is not None:
        build(sheet)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def as_csv(rows) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def table_rows(page) -> list[list[str]]:
    """Every preview table's rows, without their first cell (the line or the place)."""
    return [[td.text for td in tr.select("td")[1:]] for tr in page.select(".table-wrap tbody tr")]


def stored_uploads() -> int:
    return db.session.scalar(select(func.count()).select_from(ImportUpload))


# --- the enrolment import ---------------------------------------------------------------


def test_the_upload_field_takes_csv_and_excel_files(client, world):
    page = client.get_page(IMPORT_URL)
    field = page.select_one("input[type=file][name=file]")
    assert field["accept"] == (".csv,.xlsx,text/csv,"
                               "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert page.select_one(f"label[for={field['id']}]").text.strip() == \
        "CSV or Excel file (.csv, .xlsx)"
    assert "Excel workbook (.xlsx, only its first sheet is read)" in page.select_one(
        ".import-help").text


def test_a_workbook_previews_and_applies_like_the_same_csv(client, world):
    by_csv = preview_page(client, as_csv(FILE))
    by_workbook = preview_page(client, workbook(FILE), name="people.xlsx")
    assert counts(by_workbook) == counts(by_csv) == {
        "In error": 0, "Will be enrolled": 2, "Already enrolled: no change": 1,
        "Will be unenrolled": 0, "Not enrolled: removing changes nothing": 1}
    assert table_rows(by_workbook) == table_rows(by_csv)
    assert "4 rows read from sheet “Learners” of the workbook." in by_workbook.text
    assert [td.text for td in by_workbook.select(".table-wrap tbody tr td:first-child")][:2] \
        == ["Row 2 of sheet “Learners”", "Row 4 of sheet “Learners”"]
    before = enrolments()
    assert stored_uploads() == 2  # both previews wait for their apply
    result = apply_page(client, by_workbook)
    assert result.select_one("#result-added").text == "2"
    assert enrolments() == before - {("Onboarding", "dan", False, "class")} | {
        ("Onboarding", "ann", True, "import"), ("Onboarding", "dan", True, "class")}
    assert stored_uploads() == 1


def test_a_workbook_error_names_the_sheet_row_and_column(client, world):
    rows = [[],  # a gap above the header
            ["session", "username", "action"],
            ["Onboarding", "ann", "add"],
            ["Onboarding", "nobody", "add"],
            [],  # a blank row in the middle is skipped, the numbering kept
            ["Nowhere", "ann", "add"],
            ["Onboarding", "ann", "add"]]  # the same as row 3
    page = preview_page(client, workbook(rows, title="Autumn"), name="autumn.xlsx")
    errors = [[td.text for td in tr.select("td")[:3]]
              for tr in page.select_one("#rows-error").find_parent("section").select("tbody tr")]
    assert errors == [
        ["Row 4 of sheet “Autumn”", "username (B)", "Unknown user: no user has the username "
                                                     "“nobody”."],
        ["Row 6 of sheet “Autumn”", "session (A)", "Unknown session: no session is named "
                                                    "“Nowhere”."],
        ["Row 7 of sheet “Autumn”", "—", "Duplicate row: the same user, session and action "
                                         "(add) as row 3 of sheet “Autumn”."],
    ]


def test_a_workbook_header_without_the_needed_column_names_its_row(client, world):
    response = upload(client, workbook([[], ["who", "session"], ["ann", "Onboarding"]]),
                      name="people.xlsx")
    assert response.status_code == 422
    assert "the header (row 2 of sheet “Learners”) needs a “username” or an “email” column" \
        in response.get_data(as_text=True)


def _merged(sheet):
    sheet.merge_cells("B2:C2")


def _old_xls() -> bytes:
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(2000)


def _protected() -> bytes:
    return _old_xls() + "EncryptedPackage".encode("utf-16-le") + bytes(100)


@pytest.mark.parametrize(("data", "message"), [
    (workbook(FILE)[:900], "looks like an Excel workbook but cannot be opened: it is damaged"),
    (b"PK\x03\x04" + bytes(300), "looks like an Excel workbook but cannot be opened"),
    (_old_xls(), "This is an old Excel (.xls) file. Save it as “Excel Workbook (.xlsx)”"),
    (_protected(), "The workbook is protected by a password"),
    (workbook([]), "The first sheet of the workbook, “Learners”, is empty. It needs a header "
                   "row"),
    (workbook([[None, None], [None]]), "The first sheet of the workbook, “Learners”, is empty"),
    (workbook(FILE[:1]), "The file has a header but no rows: add one row per enrolment"),
    (workbook(FILE, build=_merged), "Sheet “Learners” has merged cells (B2:C2). Unmerge them"),
], ids=["truncated", "not-a-workbook-zip", "old-xls", "password", "empty", "blank-cells",
        "header-only", "merged-cells"])
def test_a_workbook_that_cannot_be_used_is_refused_with_a_clear_message(client, world, data,
                                                                         message):
    before = enrolments()
    response = upload(client, data, name="people.xlsx")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert enrolments() == before
    assert stored_uploads() == 0


def test_a_session_page_reads_a_workbook_too(client, world):
    session = world["onboarding"]
    page = preview_page(client, workbook([["email"], ["ann@example.org"]]),
                        url=f"/admin/sessions/{session.id}/import", name="ann.xlsx")
    assert counts(page)["Will be enrolled"] == 1
    apply_page(client, page, url=f"/admin/sessions/{session.id}/import/apply")
    assert ("Onboarding", "ann", True, "import") in enrolments()


# --- reading sheets (portal.domain.tabular) ---------------------------------------------


@pytest.mark.parametrize(("index", "letters"), [(0, "A"), (2, "C"), (25, "Z"), (26, "AA"),
                                                (51, "AZ"), (701, "ZZ"), (702, "AAA")])
def test_column_letters(index, letters):
    assert column_letter(index) == letters


@pytest.mark.parametrize(("value", "text"), [
    (None, ""), ("  ann ", "  ann "), (True, "TRUE"), (False, "FALSE"),
    (3.0, "3"), (12.5, "12.5"), (0.1 + 0.2, "0.3"), (42, "42"),
    (date(2027, 3, 31), "2027-03-31"), (datetime(2027, 3, 31), "2027-03-31"),
    (datetime(2027, 3, 31, 14, 30), "2027-03-31 14:30"),
    (datetime(2027, 3, 31, 14, 30, 5), "2027-03-31 14:30:05"),
    (time(9, 15), "09:15"),
])
def test_a_cell_is_read_as_the_text_a_person_typed(value, text):
    assert cell_text(value) == text


def test_a_sheet_is_read_with_its_row_numbers_and_without_blank_rows():
    data = workbook([[], ["username", "session", None, None], ["ann", date(2027, 1, 5)],
                     [None, ""], [], ["bob", 7.0, None, "late"]])
    table = open_table(data)
    assert table.sheet == "Learners" and table.separator_name == "Excel sheet"
    assert list(table.records) == [(1, []), (2, ["username", "session"]),
                                   (3, ["ann", "2027-01-05"]), (4, []), (5, []),
                                   (6, ["bob", "7", "", "late"])]
    parsed = read_csv(data, session_required=True)
    assert isinstance(parsed, ParsedFile)
    assert parsed.header_line == 2 and parsed.sheet == "Learners"
    assert [(row.line, row.username, row.session, row.extra_values) for row in parsed.rows] \
        == [(3, "ann", "2027-01-05", 0), (6, "bob", "7", 1)]
    assert parsed.place(6, "session") == "row 6, column B of sheet “Learners”"


def test_a_sheet_with_a_gap_between_its_columns_keeps_their_letters():
    parsed = read_csv(workbook([["username", None, None, "session"], ["ann", None, None, "X"]]),
                      session_required=True)
    assert isinstance(parsed, ParsedFile)
    assert parsed.rows[0].session == "X"
    assert parsed.place(2, "session") == "row 2, column D of sheet “Learners”"


def test_a_formula_is_read_as_the_value_the_spreadsheet_computed():
    data = workbook([["username", "session"], ["=LOWER(\"ANN\")", "=1+1"]])
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    # What a spreadsheet program saves: the formula and its last computed value.
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    sheet = sheet.replace('<c r="A2"><f>LOWER("ANN")</f><v /></c>',
                          '<c r="A2" t="str"><f>LOWER("ANN")</f><v>ann</v></c>')
    sheet = sheet.replace('<c r="B2"><f>1+1</f><v /></c>', '<c r="B2"><f>1+1</f><v>2</v></c>')
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name, content in parts.items():
            target.writestr(name, content)
    parsed = read_csv(out.getvalue(), session_required=True)
    assert isinstance(parsed, ParsedFile)
    assert (parsed.rows[0].username, parsed.rows[0].session) == ("ann", "2")


def test_only_the_first_sheet_is_read():
    def second(sheet):
        sheet.parent.create_sheet("Other").append(["username", "session"])

    assert read_csv(workbook([], build=second), session_required=True) == FileProblem(
        "The first sheet of the workbook, “Learners”, is empty. It needs a header row (for "
        "example username, session, action) and one row per enrolment.")


# --- exports: the same table as CSV and as a workbook --------------------------------------


def csv_table(response) -> list[list[str]]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def sheet_table(response) -> list[list]:
    assert response.status_code == 200
    assert response.mimetype == \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response.headers["Content-Disposition"].endswith('.xlsx"')
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]


def same_table(sheet: list[list], rows: list[list[str]]) -> bool:
    """The workbook holds the CSV's table: the same texts (which the CSV neutralises) and
    the same numbers (which it writes as text)."""
    def same(value, text: str) -> bool:
        if isinstance(value, (int, float)):
            return float(text) == value
        return neutralise("" if value is None else value) == text

    return len(sheet) == len(rows) and all(
        len(cells) == len(texts) and all(map(same, cells, texts))
        for cells, texts in zip(sheet, rows, strict=True))


def export_links(page) -> dict[str, str]:
    return {a.text: a["href"] for a in page.select("a[download]")}


@pytest.fixture
def history_world(client, people):
    by = journal.Actor(people["admin"].id, "Ada Tester", "req-1", "192.0.2.7")
    journal.record(db.session, by, NOW, "category", "create", object_label="=HYPERLINK(1)")
    journal.record(db.session, by, NOW, "user", "update", object_label="lea",
                   before={"timezone": "UTC"}, after={"timezone": "Europe/Paris"})
    db.session.commit()
    client.login("ada")
    return client


def test_the_history_export_is_offered_as_csv_and_excel_with_the_same_table(history_world):
    links = export_links(history_world.get_page("/admin/history"))
    assert list(links) == ["CSV", "with semicolons", "Excel"]
    assert "Export CSV (with semicolons) · Excel" in " ".join(
        history_world.get_page("/admin/history").select_one(".history-tools").text.split())
    rows = csv_table(history_world.get(links["CSV"]))
    sheet = sheet_table(history_world.get(links["Excel"]))
    assert sheet[0] == rows[0] and len(sheet) == len(rows) >= 3
    assert same_table(sheet, rows)
    formula_row = next(row for row in sheet if row[3] == "category.create")
    assert formula_row[4] == "=HYPERLINK(1)"  # text, not a formula
    book = openpyxl.load_workbook(io.BytesIO(history_world.get(links["Excel"]).data))
    kinds = {cell.data_type for row in book.worksheets[0].iter_rows() for cell in row}
    assert kinds <= {"s", "inlineStr"}  # every cell is text: no formula, no number


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_the_history_exports_refuse_bad_filters_alike(history_world, suffix):
    response = history_world.get(f"/admin/history.{suffix}?from=tomorrowish")
    assert response.status_code == 422 and response.mimetype == "text/plain"
    assert "“From”: Write a date as" in response.get_data(as_text=True)


@pytest.fixture
def tracking_world(client, people):
    session = make_session(people["coach"], starts_in=-20, ends_in=-2)
    course = add_course(session, "PY101", "Python basics")
    first = Assignment(course_id=course.id, title="Variables", max_score=20)
    second = Assignment(course_id=course.id, title="Loops", max_score=20)
    db.session.add_all([first, second])
    db.session.commit()
    enrol(session, people["lea"], people["leo"])
    hand_in(session, people["lea"], first, at=NOW, score=15)
    people["leo"].first_name = "=HYPERLINK(\"x\")"
    db.session.commit()
    client.login("ada")
    return f"/coach/sessions/{session.id}/tracking"


def test_the_tracking_export_is_offered_as_csv_and_excel_with_the_same_table(client,
                                                                           tracking_world):
    page = client.get_page(tracking_world)
    assert "Export CSV (with semicolons) · Excel" in " ".join(
        page.select_one(".export-links").text.split())
    links = export_links(page)
    rows = csv_table(client.get(links["CSV"]))
    sheet = sheet_table(client.get(links["Excel"]))
    assert sheet[0] == rows[0] and len(sheet) == len(rows) == 3
    assert same_table(sheet, rows)
    lea = next(row for row in sheet if row[1] == "lea")
    header = sheet[0]
    # Counts and percentages are numbers in the workbook, with the CSV's values.
    assert lea[header.index("Assignments handed in")] == 1
    assert lea[header.index("Average grade (%)")] == 75.0
    assert lea[header.index("Progress (%)")] == 50.0
    assert next(row for row in rows if row[1] == "lea")[header.index("Progress (%)")] == "50.0"
    leo = next(row for row in sheet if row[1] == "leo")
    assert leo[0].startswith("=HYPERLINK")  # text, kept as typed


def test_the_tracking_workbook_has_the_csvs_guard(client, people, tracking_world):
    client.logout()
    client.login("leo")
    for suffix in ("csv", "xlsx"):
        assert client.get(f"{tracking_world}.{suffix}").status_code == \
            client.get(f"{tracking_world}.csv").status_code != 200


@pytest.mark.parametrize("address", ["history", "tracking"])
def test_the_workbook_exports_cost_the_queries_of_the_csv(client, people, history_world,
                                                          tracking_world, count_queries,
                                                          address):
    base = "/admin/history" if address == "history" else tracking_world
    spent = {}
    for suffix in ("csv", "xlsx"):
        with count_queries() as counter:
            response = client.get(f"{base}.{suffix}")
            response.get_data()  # a streamed CSV reads as it is sent
        assert response.status_code == 200
        spent[suffix] = counter.count
    assert spent["xlsx"] == spent["csv"], spent
