"""Typeahead lookups: <option>s for the <datalist> under a picker input."""

from flask import render_template, request
from sqlalchemy import exists, or_, select

from ..extensions import db
from ..models import Course, Enrolment, SessionCourse, User, UserClass
from . import bp

LIMIT = 15


def like(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, with LIKE's wildcards escaped."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


def search_users(db_session, text: str, *, limit: int = LIMIT, not_in_session: int | None = None):
    """Active users matching ``text`` by username, e-mail or name; optionally only those
    not enrolled in ``not_in_session``."""
    pattern = like(text)
    stmt = select(User).where(User.active.is_(True))
    if not_in_session is not None:
        stmt = stmt.where(~exists().where(Enrolment.session_id == not_in_session,
                                          Enrolment.user_id == User.id))
    if text:
        stmt = stmt.where(or_(
            User.username.like(pattern, escape="\\"),
            User.email.like(pattern, escape="\\"),
            (User.first_name + " " + User.last_name).ilike(pattern, escape="\\"),
        ))
    return db_session.scalars(stmt.order_by(User.last_name, User.first_name).limit(limit)).all()


@bp.route("/lookup/users")
def lookup_users():
    users = search_users(db.session, _query_text(),
                         not_in_session=request.args.get("not_in_session", type=int))
    options = [(u.username, f"{u.full_name} · {u.email}") for u in users]
    return render_template("admin/_options.html", options=options)


@bp.route("/lookup/courses")
def lookup_courses():
    pattern = like(_query_text())
    stmt = select(Course).where(or_(Course.code.ilike(pattern, escape="\\"),
                                    Course.title.ilike(pattern, escape="\\")))
    not_in_session = request.args.get("not_in_session", type=int)
    if not_in_session is not None:  # only the courses the session does not have yet
        stmt = stmt.where(~exists().where(SessionCourse.session_id == not_in_session,
                                          SessionCourse.course_id == Course.id))
    courses = db.session.scalars(stmt.order_by(Course.code).limit(LIMIT)).all()
    return render_template("admin/_options.html", options=[(c.code, c.title) for c in courses])


@bp.route("/lookup/classes")
def lookup_classes():
    pattern = like(_query_text())
    classes = db.session.scalars(
        select(UserClass).where(UserClass.name.ilike(pattern, escape="\\"))
        .order_by(UserClass.name).limit(LIMIT)
    ).all()
    return render_template("admin/_options.html", options=[(c.name, "") for c in classes])


FILTER_ARGS = ("not_in_session",)


def _query_text() -> str:
    """The text typed in the picker: htmx sends it under the input's own name, which
    varies from picker to picker, so take the first non-empty argument that is not a filter."""
    for name, value in request.args.items():
        if name not in FILTER_ARGS and value.strip():
            return value.strip()[:100]
    return ""
