"""CSV output that spreadsheets open safely, whichever separator they split on."""

import re
from collections.abc import Iterable

# A spreadsheet set to `,` `;` or tab (French and German Excel split on `;`) starts a new
# cell after any of them, so a formula may start there too, not only at the cell's start.
_SEPARATORS = ",;\t"
_FORMULA_AT_CELL_START = re.compile(r"(^|[,;\t])( *)(?=[=+\-@\t\r])")


def neutralise(value) -> str:
    """A cell a spreadsheet will not run as a formula: a quote goes before every risky
    start (=, +, -, @, tab, CR) at the start of the text or after a separator."""
    text = "" if value is None else str(value)
    return _FORMULA_AT_CELL_START.sub(lambda m: m.group(1) + m.group(2) + "'", text)


def _quoted(text: str) -> str:
    if any(sep in text for sep in _SEPARATORS) or any(c in text for c in '"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _line(cells: Iterable) -> str:
    return ",".join(_quoted(neutralise(cell)) for cell in cells) + "\r\n"


def csv_lines(header: list[str], rows: Iterable[Iterable]) -> Iterable[str]:
    """The CSV text, line by line, for a streamed response. UTF-8 BOM first for Excel.
    Every cell containing `,` `;` tab, a quote or a line break is quoted."""
    yield "\ufeff" + ",".join(_quoted(name) for name in header) + "\r\n"
    for row in rows:
        yield _line(row)
