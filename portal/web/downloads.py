"""Table downloads: every export is offered as CSV (streamed) and as an Excel workbook.

``table_download`` is the one place that turns a header and rows into a response;
the export's route picks the format from its URL (``/<name>.csv`` or ``/<name>.xlsx``).
"""

from collections.abc import Iterable

from flask import Response, request, stream_with_context

from ..domain.csv_export import csv_lines, other_style, style_for
from ..domain.language import _, _l, current_code
from ..domain.tabular import xlsx_bytes

FORMATS = ("csv", "xlsx")
_STYLE_LABELS = {"comma": _l("with commas"), "semicolon": _l("with semicolons")}


def other_csv_style() -> tuple[str, str]:
    """For the export links: the CSV convention the reader's language does not use, as
    ``?separator=`` names it, and its label ("with commas")."""
    other = other_style(current_code())
    return other.name, str(_STYLE_LABELS[other.name])
_XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def table_download(file_format: str, base_name: str, header: list[str],
                   rows: Iterable[Iterable], *, sheet_title: str | None = None) -> Response:
    """``base_name``.csv (streamed, UTF-8 with BOM; `;` and decimal commas for a French
    or Spanish reader, `,` and points otherwise, or as ``?separator=`` asks) or
    ``base_name``.xlsx (one sheet). Header names may be lazy texts: they are worded here,
    in the reader's language."""
    header = [str(name) for name in header]
    sheet_title = str(sheet_title) if sheet_title else _("Export")
    disposition = {"Content-Disposition": f'attachment; filename="{base_name}.{file_format}"'}
    if file_format == "xlsx":
        return Response(xlsx_bytes(header, rows, sheet_title=sheet_title),
                        mimetype=_XLSX_TYPE, headers=disposition)
    # ?separator=comma|semicolon, else the convention of the reader's language.
    lines = csv_lines(header, rows, style_for(current_code(), request.args.get("separator")))
    # Rows read lazily need the request's database session while streaming; a list does not,
    # and then the response does not hold the request open either.
    body = lines if isinstance(rows, (list, tuple)) else stream_with_context(lines)
    return Response(body, mimetype="text/csv", headers=disposition)
