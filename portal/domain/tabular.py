"""Uploaded tables: a CSV text or the first sheet of an Excel workbook, read the same way.

Every import (enrolments, sessions, accounts) reads its file through ``open_table``: it
gives the records as lists of trimmed-later strings with the number people see beside
each (the CSV's line, the sheet's row), so one reader serves both kinds and error
messages name the place as the file's owner would look for it (``Table.place``).

XLSX is read with python-calamine (a Rust reader, about fifteen times faster than
openpyxl's read-only mode: 0.3 s for 100,000 rows); only the first sheet is read.
Exports are written with openpyxl's write-only mode (``xlsx_bytes``).
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from .language import LANGUAGES, _, speaking

MAX_BYTES = 10 * 1024 * 1024
# A sheet may claim thousands of empty columns; no import reads more than these.
MAX_COLUMNS = 200
SEPARATORS = {",": "comma", ";": "semicolon", "\t": "tab"}

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls (and other Office 97 files)
# A workbook saved with a password is an encrypted package inside an Office 97 container.
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")


@dataclass(frozen=True)
class FileProblem:
    """The whole file is refused; ``message`` says why and how to fix it."""

    message: str


class TableError(Exception):
    """A record cannot be read (broken quotes, a damaged workbook): the whole file is
    refused with this message, which names the place."""


def column_letter(index: int) -> str:
    """Spreadsheet letters of the 0-based column ``index``: 0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@dataclass
class Table:
    """The records of an uploaded table, read once, in order.

    ``records`` yields ``(number, cells)``: ``number`` is the CSV line the record starts
    on, or the sheet's row; ``cells`` are strings ("" for an empty cell), not trimmed.
    Reading may raise TableError.
    """

    kind: str  # "csv" or "xlsx"
    records: Iterator[tuple[int, list[str]]]
    separator: str | None = None  # CSV only
    sheet: str | None = None  # XLSX only: the first sheet's name

    @property
    def separator_name(self) -> str:
        """How the preview names the file's layout: "comma", ..., or "Excel sheet"."""
        return SEPARATORS[self.separator] if self.kind == "csv" else "Excel sheet"

    def place(self, number: int, column: int | None = None) -> str:
        """Where a record (and a 0-based column) is, in the file owner's words:
        "line 12" for a CSV; "row 12, column C of sheet “Learners”" for a workbook."""
        return place_in(self.sheet if self.kind == "xlsx" else None, number, column)


def place_in(sheet: str | None, number: int, column: int | None = None) -> str:
    """``Table.place`` for a file already read: ``sheet`` is None for a CSV. Each place
    is one sentence to translate (the words around the numbers move between languages)."""
    if sheet is None:
        return _("line %(number)s", number=number)
    if column is None:
        return _("row %(number)s of sheet “%(sheet)s”", number=number, sheet=sheet)
    return _("row %(number)s, column %(column)s of sheet “%(sheet)s”", number=number,
             column=column_letter(column), sheet=sheet)


def quote_fix(separator_name: str) -> str:
    """How to fix a CSV row with more values than the header has columns."""
    return {"semicolon": _("put quotes around values that contain a semicolon"),
            "tab": _("put quotes around values that contain a tab")}.get(
        separator_name, _("put quotes around values that contain a comma"))


# --- column names in every language --------------------------------------------------


def header_key(text: str) -> str:
    """A header cell as it is compared: trimmed, any case, either apostrophe."""
    return text.strip().replace("\u2019", "'").casefold()


def column_names(labels: Callable[[], Mapping[str, str]]) -> dict[str, str]:
    """Every name a header may give a column -> that column's machine name.

    ``labels()`` gives each machine name's label in the current language (the names an
    export in that language writes); it is called in each language of LANGUAGES, so a
    file written in any of them is read in every other. The machine names are accepted
    too, as the imports always did.
    """
    names: dict[str, str] = {}
    for code in LANGUAGES:
        with speaking(code):
            shown = labels()
        for machine, label in shown.items():
            names.setdefault(header_key(machine), machine)
            names.setdefault(header_key(label), machine)
    return names


def find_columns(header: list[str], known, place: str,
                 positions: dict[str, int]) -> FileProblem | None:
    """Fill ``positions`` with the 0-based index of each of the ``known`` columns the
    header holds (trimmed, case-insensitive); a FileProblem when one is named twice.
    ``known``: the machine names, or a mapping of every accepted name to its machine
    name (``column_names``); ``positions`` is keyed by machine name."""
    if not isinstance(known, Mapping):
        known = {name: name for name in known}
    written: dict[str, str] = {}
    for index, raw in enumerate(header):
        name = known.get(header_key(raw))
        if name is None:
            continue
        if name in positions:
            return FileProblem(_(
                "The header (%(place)s) names the column “%(name)s” twice (columns "
                "%(first)s and %(second)s). Keep one.", place=place,
                name=written[name],
                first=positions[name] + 1, second=index + 1))
        positions[name] = index
        written[name] = raw.strip().lower()
    return None


def is_workbook(data: bytes) -> bool:
    return data.startswith(_ZIP_MAGIC)


def open_table(data: bytes) -> Table | FileProblem:
    """The table in ``data``: an XLSX workbook (read by its content, whatever its name)
    or a CSV text (UTF-8 with or without BOM; ``,`` ``;`` or tab, whichever the first
    non-blank line holds most)."""
    if len(data) > MAX_BYTES:
        return FileProblem(_(
            "The file is larger than %(size)s MB. "
            "Split it into smaller files and import them one after the other.",
            size=MAX_BYTES // (1024 * 1024)))
    if data.startswith(_OLE_MAGIC) and _ENCRYPTED_PACKAGE in data:
        return FileProblem(_("The workbook is protected by a password, so it cannot be "
                             "read. Open it, remove the password (or save a copy without "
                             "one) and upload that."))
    if data.startswith(_OLE_MAGIC):
        return FileProblem(_("This is an old Excel (.xls) file. Save it as “Excel Workbook "
                             "(.xlsx)” or as “CSV UTF-8” and upload that."))
    if is_workbook(data):
        return _open_workbook(data)
    return _open_csv(data)


# --- CSV --------------------------------------------------------------------------


def _open_csv(data: bytes) -> Table | FileProblem:
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        return FileProblem(_(
            "The file is not UTF-8 text (line %(line)s holds bytes that are not UTF-8). "
            "Save it as “CSV UTF-8” (or as an Excel workbook) and upload it again.",
            line=line))
    if "\x00" in text:
        return FileProblem(_("The file holds NUL bytes: it is neither a CSV text file nor "
                             "an Excel workbook. Export the sheet as “CSV UTF-8” and upload "
                             "that."))
    separator = _detect_separator(text)
    return Table("csv", _csv_records(text, separator), separator=separator)


def _detect_separator(text: str) -> str:
    """The separator the first non-blank line holds most of (a comma when none)."""
    for line in io.StringIO(text, newline=""):
        if line.strip():
            counts = {sep: line.count(sep) for sep in SEPARATORS}
            best = max(counts, key=counts.get)  # first of , ; tab on a tie
            return best if counts[best] else ","
    return ","


def _csv_records(text: str, separator: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator,
                        skipinitialspace=True)
    previous_end = 0
    try:
        for record in reader:
            yield previous_end + 1, record
            previous_end = reader.line_num
    except csv.Error as error:
        raise TableError(_("Line %(line)s cannot be read as CSV (%(error)s). Check its "
                           "quotes and upload the file again.", line=reader.line_num,
                           error=error)) from None


# --- XLSX -------------------------------------------------------------------------


def _open_workbook(data: bytes) -> Table | FileProblem:
    # python-calamine is imported here: only workbook uploads pay for it.
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        if not workbook.sheet_names:
            return FileProblem(_("The workbook has no sheet. Put the table on its first "
                                 "sheet."))
        sheet = workbook.get_sheet_by_index(0)
        merged = sheet.merged_cell_ranges
    except Exception:  # zip, XML and format errors: calamine's have no common base class
        return FileProblem(_("The file looks like an Excel workbook but cannot be opened: "
                             "it is damaged or incomplete, or is another kind of zip file. "
                             "Open it in your spreadsheet program, save it again as “Excel "
                             "Workbook (.xlsx)” or as “CSV UTF-8” and upload that."))
    return Table("xlsx", _sheet_records(sheet, merged), sheet=sheet.name)


def _sheet_records(sheet, merged) -> Iterator[tuple[int, list[str]]]:
    """The sheet's rows, numbered as the sheet numbers them. Calamine gives every row
    from the first one, but starts each at the first column in use: the columns before
    it are put back, so column letters stay those of the sheet."""
    if merged:
        # Only the first cell of a merged range holds the value: the others would be read
        # as empty, silently.
        (top, left), (bottom, right) = merged[0]
        cells = (f"{column_letter(left)}{top + 1}:{column_letter(right)}{bottom + 1}")
        raise TableError(_("Sheet “%(sheet)s” has merged cells (%(cells)s). Unmerge them "
                           "and write the value in every cell, then upload the file again.",
                           sheet=sheet.name, cells=cells))
    if sheet.start is None:  # an empty sheet
        return
    lead = [""] * sheet.start[1]
    number = 0
    try:
        for number, values in enumerate(sheet.iter_rows(), start=1):
            if lead:
                values = lead + values
            end = min(len(values), MAX_COLUMNS)
            while end and values[end - 1] == "":  # calamine gives "" for an empty cell
                end -= 1
            yield number, [value if value.__class__ is str else cell_text(value)
                           for value in values[:end]]
    except Exception as error:  # a cell calamine cannot turn into a value
        raise TableError(_("Row %(number)s of sheet “%(sheet)s” cannot be read "
                           "(%(error)s). Save the workbook again and upload it.",
                           number=number + 1, sheet=sheet.name,
                           error=type(error).__name__)) from None


def cell_text(value) -> str:
    """A sheet cell's value as the import reads it: the text a person typed.

    Whole numbers lose the ".0" a spreadsheet gives them; a date is written ISO
    ("2027-03-31"), a date and time too ("2027-03-31 14:30", seconds only when there are
    some), which every date field of the imports accepts.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        # 15 significant digits, as the spreadsheet shows it: 0.1 + 0.2 reads "0.3".
        return str(int(value)) if value.is_integer() else f"{value:.15g}"
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.strftime("%Y-%m-%d %H:%M:%S" if value.second else "%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M:%S" if value.second else "%H:%M")
    return str(value)


# --- writing a workbook (exports) ---------------------------------------------------


def xlsx_bytes(header: list[str], rows, *, sheet_title: str = "Export") -> bytes:
    """An XLSX workbook of one sheet: ``header`` in bold on row 1, then ``rows``.

    Written in openpyxl's write-only mode (rows go straight to the file). Numbers stay
    numbers; every text is stored as text, so a value such as "=1+1" or "-5 days" is
    never run as a formula.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # control characters XML refuses
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title[:31])
    bold = Font(bold=True)

    def text_cell(value: str) -> WriteOnlyCell:
        cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
        cell.data_type = "s"  # never a formula, whatever it starts with
        return cell

    heading = []
    for name in header:
        cell = text_cell(str(name))
        cell.font = bold
        heading.append(cell)
    sheet.append(heading)
    for row in rows:
        sheet.append([
            value if isinstance(value, int | float | Decimal) and not isinstance(value, bool)
            else text_cell("" if value is None else str(value))
            for value in row
        ])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
