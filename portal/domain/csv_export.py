"""CSV output that spreadsheets open safely, whichever separator they split on, and read
as numbers in the reader's convention.

French and Spanish spreadsheet programs split a CSV on ``;`` and read ``87,5`` as a number
("87.5" stays text there); English ones split on ``,`` and read ``87.5``. A download is
written in the convention of the reader's language unless they ask for the other.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from itertools import islice


@dataclass(frozen=True)
class CsvStyle:
    name: str  # as the download's ?separator= names it
    separator: str
    decimal: str


COMMAS = CsvStyle("comma", ",", ".")
SEMICOLONS = CsvStyle("semicolon", ";", ",")
STYLES = {style.name: style for style in (COMMAS, SEMICOLONS)}
_LANGUAGE_STYLES = {"fr": SEMICOLONS, "es": SEMICOLONS}


def style_for(language_code: str, asked: str | None = None) -> CsvStyle:
    """The style ``asked`` for (a name of STYLES), else the language's own."""
    return STYLES.get(asked or "") or _LANGUAGE_STYLES.get(language_code, COMMAS)


def other_style(language_code: str) -> CsvStyle:
    """The convention the language does not use: the export links offer it too."""
    return SEMICOLONS if style_for(language_code) is COMMAS else COMMAS

# A spreadsheet set to `,` `;` or tab (French and German Excel split on `;`) starts a new
# cell after any of them, so a formula may start there too, not only at the cell's start.
_SEPARATORS = ",;\t"
_FORMULA_AT_CELL_START = re.compile(r"(^|[,;\t])( *)(?=[=+\-@\t\r])")


def cell_text(value, style: CsvStyle = COMMAS) -> str:
    """A number with the style's decimal mark ("87,5"); anything else as text."""
    if isinstance(value, float | Decimal) and not isinstance(value, bool):
        return str(value).replace(".", style.decimal)
    return "" if value is None else str(value)


def neutralise(value) -> str:
    """A cell a spreadsheet will not run as a formula: a quote goes before every risky
    start (=, +, -, @, tab, CR) at the start of the text or after a separator."""
    text = "" if value is None else str(value)
    return _FORMULA_AT_CELL_START.sub(lambda m: m.group(1) + m.group(2) + "'", text)


def _quoted(text: str) -> str:
    if any(sep in text for sep in _SEPARATORS) or any(c in text for c in '"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


# A cell that _quoted or neutralise would change.
_CELL_NEEDS_CARE = re.compile(r'[,;\t"\r\n]|^ *[=+\-@]')
# In a column's cells each put after a NUL: a character that needs quotes, and a cell that
# starts like a formula or with a space (which may come before one). Two scans with no
# alternative to try at each character are three times faster than _CELL_NEEDS_CARE's.
_QUOTED_CHARACTER = re.compile(r'[,;\t"\r\n]')
_CAREFUL_START = re.compile(r"\x00[ =+\-@]")
# Rows written together: a streamed response pays per piece, not per line.
LINES_PER_PIECE = 500


def csv_lines(header: list[str], rows: Iterable[Iterable],
              style: CsvStyle = COMMAS) -> Iterable[str]:
    """The CSV text, a few hundred lines per piece, for a streamed response. UTF-8 BOM
    first for Excel. Every cell containing `,` `;` tab, a quote or a line break is quoted."""
    separator = style.separator
    yield "\ufeff" + separator.join(_quoted(name) for name in header) + "\r\n"
    rows = iter(rows)
    while piece := list(islice(rows, LINES_PER_PIECE)):
        yield _lines(piece, style)


def _lines(rows: list, style: CsvStyle) -> str:
    """The lines of ``rows``, worked out a column at a time: most columns hold no cell
    that needs quotes or the formula guard (one scan of the column tells), and only the
    cells of the others are looked at one by one (a 10,000-row export has 250,000)."""
    rows = list(map(tuple, rows))
    if len(set(map(len, rows))) != 1:  # rows of different lengths: cell by cell
        return "".join(style.separator.join(_cell(cell, style) for cell in row) + "\r\n"
                       for row in rows)
    columns = []
    for column in zip(*rows, strict=True):
        if set(map(type, column)) != {str}:
            column = [cell if cell.__class__ is str else cell_text(cell, style)
                      for cell in column]
        joined = "\x00" + "\x00".join(column)
        if _QUOTED_CHARACTER.search(joined) or _CAREFUL_START.search(joined):
            column = [_guarded(cell) if _CELL_NEEDS_CARE.search(cell) else cell
                      for cell in column]
        columns.append(column)
    if not columns:
        return "\r\n" * len(rows)
    return "\r\n".join(map(style.separator.join, zip(*columns, strict=True))) + "\r\n"


_NEEDS_QUOTES = re.compile(r'[,;\t"\r\n]')


def _guarded(text: str) -> str:
    """_quoted(neutralise(text)), with one scan for each instead of a substitution and
    six."""
    if _FORMULA_AT_CELL_START.search(text):
        text = neutralise(text)
    if _NEEDS_QUOTES.search(text):
        return '"' + text.replace('"', '""') + '"'
    return text


def _cell(value, style: CsvStyle) -> str:
    return _quoted(neutralise(cell_text(value, style)))
