"""Table downloads: every export is offered as CSV (streamed) and as an Excel workbook.

``table_download`` is the one place that turns a header and rows into a response;
the export's route picks the format from its URL (``/<name>.csv`` or ``/<name>.xlsx``).
"""

from collections.abc import Iterable

from flask import Response, stream_with_context

from ..domain.csv_export import csv_lines
from ..domain.language import _
from ..domain.tabular import xlsx_bytes

FORMATS = ("csv", "xlsx")
_XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def table_download(file_format: str, base_name: str, header: list[str],
                   rows: Iterable[Iterable], *, sheet_title: str | None = None) -> Response:
    """``base_name``.csv (streamed, UTF-8 with BOM) or ``base_name``.xlsx (one sheet).
    Header names may be lazy texts: they are worded here, in the reader's language."""
    header = [str(name) for name in header]
    sheet_title = str(sheet_title) if sheet_title else _("Export")
    disposition = {"Content-Disposition": f'attachment; filename="{base_name}.{file_format}"'}
    if file_format == "xlsx":
        return Response(xlsx_bytes(header, rows, sheet_title=sheet_title),
                        mimetype=_XLSX_TYPE, headers=disposition)
    lines = csv_lines(header, rows)
    # Rows read lazily need the request's database session while streaming; a list does not,
    # and then the response does not hold the request open either.
    body = lines if isinstance(rows, (list, tuple)) else stream_with_context(lines)
    return Response(body, mimetype="text/csv", headers=disposition)
