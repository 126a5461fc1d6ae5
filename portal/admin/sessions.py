"""Sessions in the admin panel: list, create, view, copy, delete, export."""

from types import SimpleNamespace

from flask import Response, flash, g, render_template, request, url_for
from sqlalchemy import select

from .. import clock
from ..domain.csv_export import csv_lines
from ..domain.dates import DateInputError, parse_local
from ..domain.session_list import (
    STATUS_LABELS,
    SessionFilters,
    row_status,
    session_list_page,
    session_list_statement,
)
from ..domain.sessions import (
    SessionPlan,
    coach_window_warning,
    copy_name,
    copy_session,
    create_session,
    delete_session,
    deletion_impact,
    name_taken,
    window_order_errors,
)
from ..domain.timeline import session_timeline
from ..extensions import db
from ..models import (
    SessionCategory,
)
from ..web import htmx_redirect, wants_fragment
from ..web.gate import session_gate
from ..web.zone import viewer_zone
from . import bp
from .session_forms import (
    DATE_FIELDS,
    DATE_HINT,
    DURATION_WITH_DATES,
    NAME_TAKEN,
    Draft,
    SessionForm,
    find_user,
    unknown_user_message,
)


@bp.route("/")
@bp.route("/sessions")
def sessions():
    now, tz = clock.now(), viewer_zone()
    filters = SessionFilters.from_args(request.args)
    page = session_list_page(db.session, filters, now, tz)
    context = {
        "filters": filters,
        "page": page,
        "statuses": {row.id: row_status(row, now) for row in page.items},
        "status_labels": STATUS_LABELS,
    }
    if wants_fragment():
        return render_template("admin/sessions/_results.html", **context)
    categories = db.session.execute(select(SessionCategory.id, SessionCategory.name)
                            .order_by(SessionCategory.name)).all()
    return render_template("admin/sessions/list.html", categories=categories, **context)


@bp.route("/sessions.csv")
def sessions_export():
    now, tz = clock.now(), viewer_zone()
    filters = SessionFilters.from_args(request.args)
    rows = db.session.execute(session_list_statement(filters, now, tz))

    def cells():
        for row in rows:
            yield [row.name, row.category or "", _iso(row.display_start, tz),
                   _iso(row.display_end, tz), _iso(row.access_start, tz),
                   _iso(row.access_end, tz), row.n_courses, row.n_learners,
                   STATUS_LABELS[row_status(row, now)]]

    header = ["Session name", "Category", "Display start", "Display end", "Access start",
              "Access end", "Courses", "Learners", "Status"]
    stamp = now.astimezone(tz).strftime("%Y-%m-%d")
    return Response(
        csv_lines(header, cells()),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="sessions-{stamp}.csv"'},
    )


def _iso(moment, tz) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M") if moment else ""


@bp.route("/sessions/new", methods=["GET", "POST"])
def session_new():
    tz = viewer_zone()
    form = SessionForm()
    form.load_categories(db.session)
    draft = Draft.from_form(request.form) if request.method == "POST" else Draft()
    action = request.form.get("action", "save")
    warning = None
    times = None  # the dates as read on a save, reused for the timeline
    status = 200
    if action == "enter" and not draft.apply_typed(db.session, request.form):
        action = "save"  # Enter with no picker typed in submits the form
    if request.method == "POST" and action == "enter":
        status = 422 if draft.errors else 200
    elif request.method == "POST" and action not in ("save", "save_anyway"):
        draft.apply(db.session, action, request.form)
        status = 422 if draft.errors else 200
    elif request.method == "POST":
        valid = form.validate()
        times, date_errors = _read_dates(form, tz)
        for name, message in date_errors.items():
            getattr(form, name).errors = [*getattr(form, name).errors, message]
        coach = find_user(db.session, form.coach.data or "")
        if form.coach.data and coach is None:
            form.coach.errors = [*form.coach.errors, unknown_user_message(form.coach.data)]
        if form.name.data and name_taken(db.session, form.name.data.strip()):
            form.name.errors = [*form.name.errors, NAME_TAKEN]
        if form.duration_days.data and (times.get("access_start") or times.get("access_end")):
            form.duration_days.errors = [*form.duration_days.errors, DURATION_WITH_DATES]
        has_errors = not valid or any(getattr(form, n).errors for n in form._fields)
        draft.load(db.session)  # before saving: drops what was deleted since it was picked
        if not has_errors:
            warning = coach_window_warning(times)
            if warning is None or action == "save_anyway":
                session = create_session(db.session, _plan(form, times, coach, draft), clock.now())
                db.session.commit()
                flash(f"Session “{session.name}” created.", "success")
                return htmx_redirect(url_for("admin.session_page", session_id=session.id))
        status = 422
    if times is None:  # not a save: the draft and the dates are not read yet
        draft.load(db.session)
        times, _ = _parse_dates({name: getattr(form, name).data for name in DATE_FIELDS}, tz)
    timeline = session_timeline(SimpleNamespace(**times), clock.now(), tz)
    template = "admin/sessions/_form.html" if wants_fragment() else "admin/sessions/new.html"
    return render_template(template, form=form, draft=draft, warning=warning, timeline=timeline,
                           date_hint=DATE_HINT, zone=tz.key), status


def _parse_dates(raw, tz) -> tuple[dict, dict]:
    """Each date field of ``raw`` read in ``tz``: the UTC values (None when empty or
    unreadable) and the errors by field."""
    times, errors = {}, {}
    for name in DATE_FIELDS:
        try:
            times[name] = parse_local(raw.get(name) or "", tz, is_end=name.endswith("_end"))
        except DateInputError as error:
            errors[name] = str(error)
            times[name] = None
    return times, errors


def _read_dates(form: SessionForm, tz) -> tuple[dict, dict]:
    times, errors = _parse_dates({name: getattr(form, name).data for name in DATE_FIELDS}, tz)
    for name, message in window_order_errors(times).items():
        errors.setdefault(name, message)
    return times, errors


def _plan(form: SessionForm, times: dict, coach, draft: Draft) -> SessionPlan:
    coaches: dict[int, list[int]] = {}
    for course_id, user_id in draft.coach_pairs:
        coaches.setdefault(course_id, []).append(user_id)
    return SessionPlan(
        fields={
            "name": form.name.data.strip(),
            "description": form.description.data or "",
            "category_id": form.category_id.data or None,
            "coach_id": coach.id,
            "after_end_policy": form.after_end_policy.data,
            "duration_days": form.duration_days.data or None,
            **times,
        },
        course_ids=draft.course_ids,
        course_coaches=coaches,
        learner_ids=draft.learner_ids,
        class_ids=draft.class_ids,
    )


def _preview_timeline(raw, tz):
    """Timeline of the dates typed so far; unreadable dates are left out."""
    times, _ = _parse_dates(raw, tz)
    return session_timeline(SimpleNamespace(**times), clock.now(), tz)


@bp.route("/sessions/timeline")
def timeline_preview():
    """The timeline picture for the dates typed in the form (htmx refreshes it)."""
    return render_template("partials/_timeline.html",
                           timeline=_preview_timeline(request.args, viewer_zone()))


@bp.route("/sessions/<int:session_id>/copy", methods=["GET", "POST"])
@session_gate(need="view")
def session_copy(session_id: int):
    source = g.training_session
    name = (request.form.get("name") or "").strip() if request.method == "POST" else \
        copy_name(db.session, source.name)
    error = None
    if request.method == "POST":
        if not name:
            error = "Give the copy a name."
        elif len(name) > 200:
            error = "At most 200 characters."
        elif name_taken(db.session, name):
            error = NAME_TAKEN
        else:
            copy = copy_session(db.session, source, name, clock.now())
            db.session.commit()
            flash(f"“{copy.name}” created from “{source.name}”, without learners.", "success")
            return htmx_redirect(url_for("admin.session_page", session_id=copy.id))
    status = 422 if error else 200
    return render_template("admin/sessions/copy.html", source=source, name=name,
                           error=error), status


@bp.route("/sessions/<int:session_id>/delete", methods=["GET", "POST"])
@session_gate(need="view")
def session_delete(session_id: int):
    session = g.training_session
    if request.method == "POST":
        name = session.name
        delete_session(db.session, session.id)
        db.session.commit()
        flash(f"Session “{name}” deleted.", "success")
        return htmx_redirect(url_for("admin.sessions"))
    return render_template("admin/sessions/delete.html", training_session=session,
                           impact=deletion_impact(db.session, session.id))
