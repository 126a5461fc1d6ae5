"""The session list's export is the sessions import's file: export → import changes
nothing, and an edited cell changes that field only."""

import csv
import io

import pytest
from bs4 import BeautifulSoup
from openpyxl import load_workbook
from sqlalchemy import select

from portal.domain import session_import
from portal.domain.tabular import xlsx_bytes
from portal.extensions import db
from portal.models import TrainingSession
from tests.helpers import make_session

IMPORT_URL, APPLY_URL = "/admin/sessions/import", "/admin/sessions/import/apply"
COLUMNS = [c.key for c in TrainingSession.__table__.columns
           if c.key not in ("version", "updated_at", "learner_count")]


@pytest.fixture
def demo(client, runner, frozen_now):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    client.login("admin", "demo-admin-2026")


def exported(client, file_format: str, query: str = "") -> bytes:
    response = client.get(f"/admin/sessions.{file_format}{query}")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    return response.data


def table(data: bytes) -> list[list[str]]:
    """The export's rows as text cells, whichever the format."""
    if data.startswith(b"PK"):
        sheet = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
        return [["" if v is None else str(v) for v in row]
                for row in sheet.iter_rows(values_only=True)]
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def upload(client, data: bytes, name: str, status=200) -> BeautifulSoup:
    response = client.post(IMPORT_URL, {"file": (io.BytesIO(data), name)})
    assert response.status_code == status, response.data[:800]
    return BeautifulSoup(response.data, "html.parser")


def snapshot() -> dict[int, dict]:
    db.session.expire_all()
    return {s.id: {c: getattr(s, c) for c in COLUMNS}
            for s in db.session.scalars(select(TrainingSession))}


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_the_demo_exported_and_imported_again_has_nothing_to_change(client, demo,
                                                                    file_format):
    data = exported(client, file_format)
    rows = table(data)
    assert rows[0] == list(session_import.COLUMNS)
    assert len(rows) - 1 == len(snapshot())
    page = upload(client, data, f"sessions.{file_format}")
    assert "Nothing to change" in page.select_one("#nothing-to-change").text
    assert page.select_one("#rows-error") is None


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_one_edited_cell_changes_that_field_only(client, demo, file_format):
    rows = table(exported(client, file_format))
    header = rows[0]
    # A fixed-date session: its access end moves to the last day of 2027.
    index = next(i for i, r in enumerate(rows[1:], 1) if r[header.index("access_end")]
                 and not r[header.index("duration_days")])
    name = rows[index][0]
    rows[index][header.index("access_end")] = "2027-12-31"
    before = snapshot()
    if file_format == "csv":
        out = io.StringIO()
        csv.writer(out).writerows(rows)
        data = out.getvalue().encode()
    else:
        data = xlsx_bytes(header, rows[1:])
    page = upload(client, data, f"edited.{file_format}")
    changed = [[td.text for td in tr.select("td")] for tr in page.select("#rows-update tr")
               if tr.select("td")]
    assert [c[0] for c in changed] == ["access end"] and changed[0][2] == "2027-12-31"
    form = {"token": page.select_one("input[name=token]")["value"],
            "signature": page.select_one("input[name=signature]")["value"]}
    assert client.post(APPLY_URL, form).status_code == 200
    after = snapshot()
    target = next(i for i, v in before.items() if v["name"] == name)
    assert {i: {c for c in COLUMNS if before[i][c] != after[i][c]} for i in before} == {
        i: ({"access_end"} if i == target else set()) for i in before}


def test_the_export_keeps_the_lists_filters_and_order(client, demo):
    query = "?q=cohort&sort=name&dir=desc"
    listed = [a.text for a in client.get_page("/admin/sessions" + query + "&per_page=100")
              .select("tbody td:first-child a")]
    assert len(listed) > 1
    for file_format in ("csv", "xlsx"):
        assert [r[0] for r in table(exported(client, file_format, query))[1:]] == listed


def test_the_export_costs_the_same_queries_whatever_the_number_of_sessions(
        client, demo, make_user, count_queries):
    coach = make_user("extra.coach", role="teacher")

    def queries() -> int:
        with count_queries() as counter:
            exported(client, "csv")
        return counter.count

    first = queries()
    for n in range(15):
        make_session(coach, f"Extra {n}")
    assert queries() == first


def test_a_duration_session_exports_its_duration_and_no_access_dates(client, demo):
    rows = table(exported(client, "csv"))
    header = rows[0]
    durations = [r for r in rows[1:] if r[header.index("duration_days")]]
    assert durations
    for row in durations:
        assert row[header.index("access_start")] == row[header.index("access_end")] == ""
        assert int(row[header.index("duration_days")]) > 0


def test_cells_a_spreadsheet_would_run_come_back_as_they_were(client, demo, make_user):
    coach = make_user("eq.coach", role="teacher")
    make_session(coach, "=SUM(1;2)", description="-5 days, +1 hour; @team")
    data = exported(client, "csv", "?q=SUM")
    assert table(data)[1][0] == "'=SUM(1;2)"  # neutralised for the spreadsheet
    page = upload(client, data, "sessions.csv")
    assert "Nothing to change" in page.select_one("#nothing-to-change").text
