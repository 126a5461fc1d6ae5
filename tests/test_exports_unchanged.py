"""The exports people download keep their exact bytes: the session list's CSV and every
tracking CSV, in each language, each CSV convention (the reader's own, ``?separator=comma``
and ``?separator=semicolon``) and two viewer zones, on the demo data plus a few hard cells
(a formula-like name, quotes and separators inside cells, a wall time that happens twice, a
negative day count); the workbooks keep their cells.

The expected files were written by the exports as they were before they were made fast
(tests/exports_unchanged.json: the English files in full, the others by their SHA-256, to
keep it small); a change of wording on purpose rewrites it with
``UPDATE_EXPORTS=1 pytest tests/test_exports_unchanged.py``.
"""

import hashlib
import io
import json
import os
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from portal.domain.csv_export import COMMAS, SEMICOLONS, _quoted, cell_text, csv_lines, neutralise
from portal.domain.dates import InputValues, day_start, input_value
from portal.extensions import db
from portal.models import Enrolment, TrainingSession, User
from tests.crawl import PASSWORDS

EXPECTED = Path(__file__).with_name("exports_unchanged.json")
LANGUAGES = ("en", "fr", "es")
SEPARATORS = ("", "?separator=comma", "?separator=semicolon")
ZONES = ("Europe/Paris", "America/New_York")


@pytest.fixture
def demo(runner, frozen_now):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    # Cells that exercise the quoting, the formula guard and the date rules.
    session = db.session.scalars(select(TrainingSession).order_by(TrainingSession.id)).first()
    session.name = '=HYPERLINK("x"), a; b'
    session.code = "-5"
    session.description = 'Line one\nline two, "quoted"\t+tab'
    # 02:30 happens twice in Paris on 25 Oct 2026: the export writes its offset.
    session.display_end = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    session.coach_start = datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # just after a skip
    learner = db.session.scalar(
        select(User).join(Enrolment, Enrolment.user_id == User.id)
        .where(Enrolment.session_id == session.id).order_by(User.id).limit(1))
    learner.first_name, learner.last_name = "@Ann; \"Bo\"", "+Smith, Jr"
    db.session.commit()


def _as_viewer(username: str, code: str, zone: str) -> None:
    user = db.session.scalar(select(User).where(User.username == username))
    user.language, user.timezone = code, zone
    db.session.commit()


def _downloads(client) -> dict[str, str]:
    """Every CSV the admin and the coach download, keyed by who, language, zone and URL."""
    sessions = db.session.scalars(select(TrainingSession.id)
                                  .order_by(TrainingSession.id)).all()
    out = {}
    for username, urls in (
            ("admin", ["/admin/sessions.csv", "/admin/sessions.csv?sort=learners&dir=desc",
                       *(f"/coach/sessions/{i}/tracking.csv" for i in sessions),
                       f"/coach/sessions/{sessions[0]}/tracking.csv?sort=grade&dir=desc"]),
            ("coach", [f"/coach/sessions/{i}/tracking.csv" for i in sessions])):
        client.logout()
        client.login(username, PASSWORDS[username])
        for code in LANGUAGES:
            for zone in ZONES:
                _as_viewer(username, code, zone)
                for url in urls:
                    for separator in SEPARATORS:
                        if separator and "?" in url:
                            separator = "&" + separator[1:]
                        response = client.get(url + separator)
                        if response.status_code != 200:  # the coach's window is closed
                            assert response.status_code in (403, 404), url
                            continue
                        key = f"{username} {code} {zone} {url}{separator}"
                        text = response.get_data(as_text=True)
                        full = code == "en" and zone == ZONES[0] and not separator
                        out[key] = text if full else hashlib.sha256(
                            response.data).hexdigest()
    return out


def _workbooks(client) -> dict[str, list]:
    first = db.session.scalars(select(TrainingSession.id).order_by(TrainingSession.id)).first()
    out = {}
    client.logout()
    client.login("admin", PASSWORDS["admin"])
    for code in LANGUAGES:
        _as_viewer("admin", code, ZONES[0])
        for url in ("/admin/sessions.xlsx", f"/coach/sessions/{first}/tracking.xlsx"):
            sheet = load_workbook(io.BytesIO(client.get(url).data), read_only=True).active
            out[f"admin {code} {url}"] = [[str(cell) if cell is not None else None
                                           for cell in row]
                                          for row in sheet.iter_rows(values_only=True)]
    return out


def test_every_csv_and_workbook_keeps_its_exact_content(demo, client):
    got = {"csv": _downloads(client), "xlsx": _workbooks(client)}
    if os.environ.get("UPDATE_EXPORTS"):
        EXPECTED.write_text(json.dumps(got, ensure_ascii=False, indent=0, sort_keys=True))
    expected = json.loads(EXPECTED.read_text())
    assert sorted(got["csv"]) == sorted(expected["csv"])
    for key, text in got["csv"].items():
        assert text == expected["csv"][key], key
    assert got["xlsx"] == expected["xlsx"]
    assert len(got["csv"]) > 300


def _one_cell_at_a_time(header, rows, style) -> str:
    """The CSV as it was written before: every cell quoted and guarded on its own."""
    separator = style.separator
    lines = ["\ufeff" + separator.join(_quoted(name) for name in header)]
    lines += [separator.join(_quoted(neutralise(cell_text(cell, style))) for cell in row)
              for row in rows]
    return "\r\n".join(lines) + "\r\n"


@pytest.mark.parametrize("style", [COMMAS, SEMICOLONS])
def test_csv_written_a_column_at_a_time_is_the_csv_written_a_cell_at_a_time(style):
    rng = random.Random(2026)
    pieces = ["a", "Zoë", " ", ",", ";", "\t", '"', "\r", "\n", "=", "+", "-", "@", "'",
              "\x00", "1", "x y"]

    def cell():
        kind = rng.random()
        if kind < 0.1:
            return rng.choice([None, 0, -3, 12, 2.5, -0.5, Decimal("87.5"), True, ""])
        if kind < 0.5:  # most cells of an export need nothing
            return f"Session {rng.randrange(10**5):05d}"
        return "".join(rng.choice(pieces) for _ in range(rng.randrange(6)))

    for width in (1, 3, 13):
        rows = [[cell() for _ in range(width)] for _ in range(1200)]
        rows.insert(7, [])  # rows of other lengths are written too
        rows.insert(9, (cell() for _ in range(width + 2)))
        rows = [list(row) for row in rows]
        header = ["name", "a,b", 'say "x"']
        assert "".join(csv_lines(header, rows, style)) == _one_cell_at_a_time(header, rows,
                                                                              style)


@pytest.mark.parametrize("style", [COMMAS, SEMICOLONS])
@pytest.mark.parametrize("hard", [" =x", "  +1", "=x", "+1", "-1", "@x", "a,b", "a;b", 'a"b',
                                  "a\nb", "a\rb", "\tx", "x\t", " x", "'=x", "-", 12, -3,
                                  2.5, Decimal("-0.5"), None])
def test_one_hard_cell_in_a_column_of_plain_ones_is_still_guarded(style, hard):
    rng = random.Random(str(hard))
    rows = [[f"Session {rng.randrange(10**5):05d}" for _ in range(4)] for _ in range(1100)]
    rows[rng.randrange(1100)][rng.randrange(4)] = hard
    assert "".join(csv_lines(["h"] * 4, rows, style)) == _one_cell_at_a_time(["h"] * 4, rows,
                                                                           style)


@pytest.mark.parametrize("zone", ["Europe/Paris", "America/Santiago", "America/Havana",
                                  "Australia/Lord_Howe", "Pacific/Apia", "Asia/Kolkata", "UTC"])
def test_the_exports_date_cells_are_the_forms_values(zone):
    """dates.InputValues (each date once, the day's part once) writes input_value's text
    for every instant: midnights and other times, near the clock changes and far from
    them, given aware or naive UTC as the database keeps it."""
    tz, rng = ZoneInfo(zone), random.Random(zone)
    moments = []
    for _ in range(3000):
        moment = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(
            minutes=rng.randrange(3 * 366 * 24 * 4) * 15, seconds=rng.choice((0, 0, 7)))
        if rng.random() < 0.4:  # a day's first instant in the zone
            moment = day_start(moment.astimezone(tz).date(), tz)
        moments.append(moment)
    moments += [datetime(1, 1, 1, tzinfo=UTC), datetime(999, 6, 1, 12, tzinfo=UTC),
                datetime(9999, 12, 31, 23, tzinfo=UTC)]
    for is_end in (False, True):
        naive = [moment.replace(tzinfo=None) for moment in moments]
        texts = InputValues(tz).texts(moments + naive + [None], is_end=is_end)
        assert texts[None] == ""
        for moment, raw in zip(moments, naive, strict=True):
            expected = input_value(moment, tz, is_end=is_end)
            assert texts[moment] == texts[raw] == expected, (moment, is_end)
