"""Typeahead lookups: <option>s for the <datalist> under a picker input."""

from flask import render_template, request
from sqlalchemy import or_, select

from ..extensions import db
from ..models import Course, User, UserClass
from . import bp

LIMIT = 15


def like(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, with LIKE's wildcards escaped."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


def search_users(db_session, text: str, *, limit: int = LIMIT):
    pattern = like(text)
    stmt = select(User).where(User.active.is_(True))
    if text:
        stmt = stmt.where(or_(
            User.username.like(pattern, escape="\\"),
            User.email.like(pattern, escape="\\"),
            (User.first_name + " " + User.last_name).ilike(pattern, escape="\\"),
        ))
    return db_session.scalars(stmt.order_by(User.last_name, User.first_name).limit(limit)).all()


@bp.route("/lookup/users")
def lookup_users():
    users = search_users(db.session, _query_text())
    options = [(u.username, f"{u.full_name} · {u.email}") for u in users]
    return render_template("admin/_options.html", options=options)


@bp.route("/lookup/courses")
def lookup_courses():
    pattern = like(_query_text())
    courses = db.session.scalars(
        select(Course)
        .where(or_(Course.code.ilike(pattern, escape="\\"),
                   Course.title.ilike(pattern, escape="\\")))
        .order_by(Course.code).limit(LIMIT)
    ).all()
    return render_template("admin/_options.html", options=[(c.code, c.title) for c in courses])


@bp.route("/lookup/classes")
def lookup_classes():
    pattern = like(_query_text())
    classes = db.session.scalars(
        select(UserClass).where(UserClass.name.ilike(pattern, escape="\\"))
        .order_by(UserClass.name).limit(LIMIT)
    ).all()
    return render_template("admin/_options.html", options=[(c.name, "") for c in classes])


def _query_text() -> str:
    """The text typed in the picker: the first non-empty query argument."""
    for value in request.args.values():
        if value.strip():
            return value.strip()[:100]
    return ""
