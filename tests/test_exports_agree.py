"""Pages and their downloads agree, on the demo data: every figure a tracking page shows
is the figure its CSV and workbook hold (percentages rounded once, in
portal/domain/figures.py; "—" on the page is an empty cell in the file), and the
session list and History show what their downloads say."""

import csv
import io
from decimal import Decimal

import pytest
from bs4 import BeautifulSoup
from openpyxl import load_workbook
from sqlalchemy import select

from portal.extensions import db
from portal.models import TrainingSession, User
from tests.crawl import PASSWORDS

NONE = "—"


@pytest.fixture
def demo(runner, frozen_now):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output


def read_csv(response) -> list[list[str]]:
    text = response.get_data(as_text=True).lstrip("\ufeff")
    return list(csv.reader(io.StringIO(text)))


def read_xlsx(response) -> list[list]:
    sheet = load_workbook(io.BytesIO(response.data), read_only=True).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def page_rows(page) -> dict[str, dict[str, str]]:
    """The tracking table's cells by username, as shown."""
    out = {}
    for tr in page.select(".tracking-table tbody tr"):
        if tr.th is not None and tr.th.small is not None:
            out[tr.th.small.text] = {td["class"][0]: " ".join(td.text.split())
                                     for td in tr.select("td")}
    return out


def as_shown(value) -> str:
    """A file's percentage as the English page writes it: 82.5 -> "82.5%", 80 -> "80%"."""
    if value in ("", None):
        return NONE
    number = Decimal(str(value))
    return f"{number.normalize():f}%"


def test_every_tracking_page_figure_is_the_one_its_downloads_hold(demo, client):
    coach = db.session.scalar(select(User).where(User.username == "coach"))
    sessions = db.session.scalars(select(TrainingSession.id)
                                  .where(TrainingSession.coach_id == coach.id)).all()
    client.login("coach", PASSWORDS["coach"])
    compared = 0
    for session_id in sessions:
        base = f"/coach/sessions/{session_id}/tracking"
        response = client.get(f"{base}?per_page=100")
        if response.status_code != 200:  # the coach window is closed
            continue
        shown = page_rows(BeautifulSoup(response.data, "html.parser"))
        text_rows, book_rows = read_csv(client.get(f"{base}.csv")), read_xlsx(
            client.get(f"{base}.xlsx"))
        header = text_rows[0]
        assert [str(name) for name in book_rows[0]] == header
        column = {name: header.index(name) for name in header}
        for text_row, book_row in zip(text_rows[1:], book_rows[1:], strict=True):
            page = shown[text_row[column["Username"]]]
            for name, cell in (("Average grade (%)", "average-grade"),
                               ("Progress (%)", "progress")):
                assert as_shown(text_row[column[name]]) == page[cell], (name, text_row)
                assert as_shown(book_row[column[name]]) == page[cell], (name, book_row)
            minutes = text_row[column["Time spent (minutes)"]]
            if page["time-spent"] == NONE:  # never came: no figure, not 0
                assert minutes == "" and book_row[column["Time spent (minutes)"]] in ("",
                                                                                       None)
            else:
                assert page["time-spent"].startswith(minutes) or " h " in page["time-spent"]
                assert int(minutes) == book_row[column["Time spent (minutes)"]]
            assert page["handed-in"].startswith(f"{text_row[column['Assignments handed in']]} of")
            compared += 1
    assert compared > 20  # the demo's learners, in several sessions


def test_the_session_list_shows_what_its_download_says(demo, client):
    client.login("admin", PASSWORDS["admin"])
    page = BeautifulSoup(client.get("/admin/sessions?per_page=100").data, "html.parser")
    names = [a.text.strip() for a in page.select("#results tbody td.col-name a")]
    rows = read_csv(client.get("/admin/sessions.csv"))
    assert rows[0][0] == "name"
    assert [row[0] for row in rows[1:]] == names and names


def test_history_shows_the_sentences_its_download_holds(demo, client):
    client.login("admin", PASSWORDS["admin"])
    page = BeautifulSoup(client.get("/admin/history?per_page=100").data, "html.parser")
    shown = [" ".join(li.select_one(".history-sentence").text.split())
             for li in page.select("ol.history > li.history-entry")]
    assert len(shown) > 50
    rows = read_csv(client.get("/admin/history.csv"))
    sentence = rows[0].index("Sentence")
    assert [" ".join(row[sentence].split()) for row in rows[1:len(shown) + 1]] == shown
