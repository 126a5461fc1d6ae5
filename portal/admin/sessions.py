"""Sessions in the admin panel: list, create, view, copy, delete, export."""

from types import SimpleNamespace

from flask import flash, g, render_template, request, url_for

from .. import clock
from ..domain.dates import format_bound
from ..domain.journal import shift_words
from ..domain.language import _, _l
from ..domain.session_export import EXPORT_HEADER, export_rows
from ..domain.session_form import (
    WINDOW_FIELDS,
    category_choices,
    read_date_shift,
    read_dates,
    validate_copy,
    validate_session_values,
)
from ..domain.session_list import (
    STATUS_LABELS,
    STATUSES,
    SessionFilters,
    row_status,
    session_list_page,
)
from ..domain.sessions import (
    DATE_LABELS,
    copy_name,
    copy_session,
    copy_source,
    create_session,
    delete_session,
    deletion_impact,
    shift_reference,
)
from ..domain.timeline import session_timeline
from ..extensions import db
from ..web import current_actor, htmx_redirect, wants_fragment
from ..web.downloads import table_download
from ..web.gate import session_gate
from ..web.zone import viewer_zone
from . import bp
from .session_forms import DATE_HINT, CopyForm, Draft, SessionForm

# The list's columns (sort key, heading) and the filter bar's status menu.
LIST_COLUMNS = (("name", _l("Session name")), ("category", _l("Category")),
                ("display", _l("Display")), ("access", _l("Access")), ("courses", _l("Courses")),
                ("learners", _l("Learners")), ("status", _l("Status")))
# What the table's caption says it is sorted by: a column, or the dates of the status
# (the dashboard's "see all" links sort by those).
SORT_LABELS = {**dict(LIST_COLUMNS), "starts": _l("Start"), "ends": _l("End")}
STATUS_OPTIONS = tuple((key, STATUS_LABELS[status]) for key, status in STATUSES.items())


@bp.route("/sessions")
def sessions():
    """The list; with htmx only its results, 422 when a date was refused (the page says
    why beside the dates either way, and lists the sessions without those dates)."""
    now, tz = clock.now(), viewer_zone()
    filters = SessionFilters.from_args(request.args, tz)
    page = session_list_page(db.session, filters, now, tz)
    context = {
        "filters": filters,
        "page": page,
        "statuses": {row.id: row_status(row, now) for row in page.items},
        "status_labels": STATUS_LABELS,
        "columns": LIST_COLUMNS,
        "sort_labels": SORT_LABELS,
    }
    if wants_fragment():
        return render_template("admin/sessions/_results.html", oob=True, **context), (
            422 if filters.errors else 200)
    return render_template("admin/sessions/list.html", categories=category_choices(db.session),
                           status_options=STATUS_OPTIONS, date_hint=DATE_HINT, **context)


@bp.route("/sessions.<any(csv, xlsx):file_format>")
def sessions_export(file_format: str):
    """The filtered list (all pages) as the table the sessions import reads back."""
    now, tz = clock.now(), viewer_zone()
    filters = SessionFilters.from_args(request.args, tz)  # refused dates: not applied
    stamp = now.astimezone(tz).strftime("%Y-%m-%d")
    return table_download(file_format, f"sessions-{stamp}", list(EXPORT_HEADER),
                          export_rows(db.session, filters, now, tz), sheet_title="Sessions")


@bp.route("/sessions/new", methods=["GET", "POST"])
def session_new():
    """The create form; its buttons add or remove chosen items (action=...) or save."""
    tz = viewer_zone()
    form = SessionForm()
    form.load_categories(db.session)
    draft = Draft.from_form(request.form) if request.method == "POST" else Draft()
    action = request.form.get("action", "save")
    if action == "enter" and not draft.apply_typed(db.session, request.form):
        action = "save"  # Enter with no picker typed in submits the form
    warning, status = None, 200
    if request.method == "POST" and action in ("save", "save_anyway"):
        checked = validate_session_values(db.session, form.raw(), tz=tz)
        form.show_errors(checked.errors)
        draft.load(db.session)  # before saving: drops what was deleted since it was picked
        if checked.ok and (checked.warning is None or action == "save_anyway"):
            return _create(draft, checked.values)
        warning, status = checked.warning, 422
    else:
        if request.method == "POST" and action != "enter":
            draft.apply(db.session, action, request.form)
        status = 422 if draft.errors else 200
        draft.load(db.session)
    return _form_page(form, draft, warning, tz), status


def _create(draft: Draft, values: dict):
    session = create_session(db.session, draft.plan(values), by=current_actor(),
                             now=clock.now())
    db.session.commit()
    flash(_("Session “%(name)s” created.", name=session.name), "success")
    return htmx_redirect(url_for("admin.session_page", session_id=session.id))


def _form_page(form: SessionForm, draft: Draft, warning: str | None, tz):
    """The create form (the fragment for htmx), its timeline drawn from the dates typed."""
    times = read_dates(form.raw(), tz)
    timeline = session_timeline(SimpleNamespace(**times), clock.now(), tz)
    template = "admin/sessions/_form.html" if wants_fragment() else "admin/sessions/new.html"
    return render_template(template, form=form, draft=draft, warning=warning, timeline=timeline,
                           date_hint=DATE_HINT, zone=tz.key, window_fields=WINDOW_FIELDS)


@bp.route("/sessions/timeline")
def timeline_preview():
    """The timeline picture for the dates typed in the form (htmx refreshes it)."""
    times = read_dates(request.args, viewer_zone())
    return render_template("partials/_timeline.html", timeline=session_timeline(
        SimpleNamespace(**times), clock.now(), viewer_zone()))


@bp.route("/sessions/<int:session_id>/copy", methods=["GET", "POST"])
@session_gate(need="view")
def session_copy(session_id: int):
    """The copy form; the copy's dates move by the new start typed, its ticks choose
    the course coaches, learners and class links to take along."""
    source = g.training_session
    form = CopyForm(name=copy_name(db.session, source.name))
    reference = shift_reference(source)
    form.measure_from(DATE_LABELS[reference[0]] if reference else None)
    if request.method == "GET":
        return _copy_page(source, form, reference)
    plan, errors = validate_copy(db.session, form.raw(), tz=viewer_zone(), source=source)
    if errors:
        form.show_errors(errors)
        return _copy_page(source, form, reference), 422
    copy = copy_session(db.session, source, plan, by=current_actor(), now=clock.now())
    db.session.commit()
    flash(_("“%(copy)s” created from “%(source)s”.", copy=copy.name, source=source.name),
          "success")
    return htmx_redirect(url_for("admin.session_page", session_id=copy.id))


@bp.route("/sessions/<int:session_id>/copy/timeline")
@session_gate(need="view")
def session_copy_preview(session_id: int):
    """The copy's dates for the new start typed (htmx refreshes them as the admin types)."""
    return render_template("admin/sessions/_copy_preview.html",
                           **_copy_preview(g.training_session, request.args.get("new_start")))


def _copy_preview(source, new_start: str | None) -> dict:
    tz = viewer_zone()
    shift, dates, error = read_date_shift(new_start, tz, source)
    return {"timeline": session_timeline(SimpleNamespace(**dates), clock.now(), tz),
            "shift_text": shift_words(shift.minutes) if shift else None,
            "preview_error": error}


def _copy_page(source, form, reference):
    tz = viewer_zone()
    measured_from = (DATE_LABELS[reference[0]], format_bound(
        reference[1], tz, is_end=reference[0].endswith("_end"))) if reference else None
    return render_template(
        "admin/sessions/copy.html", source=source, form=form, measured_from=measured_from,
        what=copy_source(db.session, source.id), date_hint=DATE_HINT, zone=tz.key,
        **_copy_preview(source, form.new_start.data if "new_start" in form else None))


@bp.route("/sessions/<int:session_id>/delete", methods=["GET", "POST"])
@session_gate(need="view")
def session_delete(session_id: int):
    session = g.training_session
    if request.method == "POST":
        name = session.name
        delete_session(db.session, session, by=current_actor(), now=clock.now())
        db.session.commit()
        flash(_("Session “%(name)s” deleted.", name=name), "success")
        return htmx_redirect(url_for("admin.sessions"))
    return render_template("admin/sessions/delete.html", training_session=session,
                           impact=deletion_impact(db.session, session.id))
