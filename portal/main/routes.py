"""Home page and health check."""

from flask import g, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..access import session_gate
from ..extensions import db
from ..models import SessionCourse
from . import bp


@bp.route("/health")
def health():
    return {"status": "ok"}


@bp.route("/")
def home():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return render_template("main/home.html")


@bp.route("/sessions/<int:session_id>")
@login_required
@session_gate(need="view")
def session_page(session_id: int):
    courses = db.session.scalars(
        select(SessionCourse)
        .where(SessionCourse.session_id == session_id)
        .options(selectinload(SessionCourse.course), selectinload(SessionCourse.coaches))
        .order_by(SessionCourse.position, SessionCourse.id)
    ).all()
    return render_template(
        "main/session.html", training_session=g.training_session, access=g.access, courses=courses
    )
