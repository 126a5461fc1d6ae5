"""Typeahead lookups: <option>s for the <datalist> under a picker input."""

from flask import render_template, request

from ..domain.lookups import search_classes, search_courses, search_users
from ..domain.text_search import clean_search
from ..extensions import db
from . import bp

FILTER_ARGS = ("not_in_session", "coaches")
LARGEST_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL


@bp.route("/lookup/users")
def lookup_users():
    users = search_users(db.session, _query_text(), not_in_session=_session_filter(),
                         coaches_only=request.args.get("coaches") == "1")
    options = [(u.username, f"{u.full_name} · {u.email}") for u in users]
    return render_template("admin/_options.html", options=options)


@bp.route("/lookup/courses")
def lookup_courses():
    courses = search_courses(db.session, _query_text(), not_in_session=_session_filter())
    return render_template("admin/_options.html", options=[(c.code, c.title) for c in courses])


@bp.route("/lookup/classes")
def lookup_classes():
    classes = search_classes(db.session, _query_text())
    return render_template("admin/_options.html", options=[(c.name, "") for c in classes])


def _query_text() -> str:
    """The text typed in the picker: htmx sends it under the input's own name, which
    varies from picker to picker, so take the first non-empty argument that is not a filter."""
    for name, value in request.args.items():
        text = clean_search(value)
        if name not in FILTER_ARGS and text:
            return text
    return ""


def _session_filter() -> int | None:
    """``not_in_session`` as an id; a value no id can have filters nothing (no 500)."""
    session_id = request.args.get("not_in_session", type=int)
    return session_id if session_id is not None and 0 < session_id <= LARGEST_ID else None
