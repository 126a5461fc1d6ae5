"""Pages and their downloads agree, on the demo data: every figure a tracking page shows
is the figure its CSV and workbook hold (percentages rounded once, in
portal/domain/figures.py; "—" on the page is an empty cell in the file), and the
session list and History show what their downloads say."""

import csv
import io
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from bs4 import BeautifulSoup
from openpyxl import load_workbook
from sqlalchemy import select

from portal.domain.dates import date_range, format_local, parse_local
from portal.extensions import db
from portal.models import TrainingSession, User
from tests.crawl import PASSWORDS

NONE = "—"
PARIS = ZoneInfo("Europe/Paris")


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
            handed_in, late = (text_row[column[name]]
                               for name in ("Assignments handed in", "Late hand-ins"))
            assert page["handed-in"].startswith(f"{handed_in} of")
            assert (f"{late} late" in page["handed-in"]) == (late != "0"), page
            assert page["courses-visited"].startswith(
                f"{text_row[column['Courses visited']]} of")
            for name, cell in (("First access (Europe/Paris)", "first-access"),
                               ("Last access (Europe/Paris)", "last-access")):
                moment = text_row[column[name]]
                assert page[cell] == (format_local(datetime.fromisoformat(moment).replace(
                    tzinfo=PARIS), PARIS) if moment else NONE)
            suspended = text_row[column["Suspended"]] == "yes"
            assert page["access-until"] == ("Suspended" if suspended
                                            else text_row[column["Access until"]])
            compared += 1
    assert compared > 20  # the demo's learners, in several sessions


def test_the_session_list_shows_what_its_download_says(demo, client):
    """Name, category, display and access dates (or the duration), number of courses: each
    row of the page and of the file, the file's dates read back as the import reads them
    and written as the page writes them."""
    client.login("admin", PASSWORDS["admin"])
    page = BeautifulSoup(client.get("/admin/sessions?per_page=100").data, "html.parser")
    shown = [[" ".join(td.text.split()) for td in tr.select("td")][:5]
             for tr in page.select("#results tbody tr")]
    rows = read_csv(client.get("/admin/sessions.csv"))
    column = {name: rows[0].index(name) for name in rows[0]}
    assert len(shown) == len(rows) - 1 == 12

    def dates(row, start, end):
        tz = ZoneInfo(row[column["timezone"]])
        return date_range(parse_local(row[column[start]], tz, is_end=False),
                          parse_local(row[column[end]], tz, is_end=True), tz)

    for row, cells in zip(rows[1:], shown, strict=True):
        duration = row[column["duration_days"]]
        access = (f"{duration} days per learner" if duration
                  else dates(row, "access_start", "access_end"))
        courses = row[column["courses"]]
        assert cells == [row[column["name"]], row[column["category"]] or NONE,
                         dates(row, "display_start", "display_end"), access,
                         str(len(courses.split(";")) if courses else 0)], row


def test_history_shows_the_sentences_its_download_holds(demo, client):
    client.login("admin", PASSWORDS["admin"])
    page = BeautifulSoup(client.get("/admin/history?per_page=100").data, "html.parser")
    shown = [(li.select_one("time").text,
              " ".join(li.select_one(".history-sentence").text.split()))
             for li in page.select("ol.history > li.history-entry")]
    assert len(shown) > 50
    rows = read_csv(client.get("/admin/history.csv"))
    when, sentence = rows[0].index("When"), rows[0].index("Sentence")
    assert [(row[when], " ".join(row[sentence].split()))
            for row in rows[1:len(shown) + 1]] == shown
