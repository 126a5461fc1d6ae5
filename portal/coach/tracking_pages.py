"""Tracking of a session, for admins (any session), its session coach (all of it) and its
course coaches (their courses): the learners' table, three charts, the CSV and Excel export."""

from flask import g, render_template, request, url_for
from flask_login import current_user

from .. import clock
from ..domain import figures
from ..domain.access import sees_whole_tracking
from ..domain.language import _
from ..domain.pagination import PER_PAGE_CHOICES
from ..domain.tracking_charts import CHART_COUNT, tracking_charts
from ..domain.tracking_table import (
    COLUMNS,
    TrackingFilters,
    export_table,
    scope_text,
    tracking_page,
    tracking_scope,
)
from ..extensions import db
from ..web import wants_fragment
from ..web.downloads import table_download
from ..web.gate import records_visit, session_gate
from ..web.zone import viewer_zone
from . import bp


def _scope(session_id: int, filters: TrackingFilters):
    """Admins and the session coach see every course; a course coach only theirs."""
    sees_all = sees_whole_tracking(current_user, g.training_session, g.access)
    return tracking_scope(db.session, session_id, current_user.id, sees_all=sees_all,
                          course_id=filters.course)


def _table_context(session_id: int, filters: TrackingFilters) -> dict:
    """What the table (and the page around it) shows for ``filters``."""
    scope = _scope(session_id, filters)
    page = tracking_page(db.session, session_id, scope, filters, session=g.training_session,
                         now=clock.now(), tz=viewer_zone())

    def page_url(number: int, per: int | None = None) -> str:
        return url_for("coach.session_tracking", session_id=session_id,
                       **filters.args(page=number, per_page=per or page.per_page))

    return {
        "training_session": g.training_session,
        "access": g.access,
        "filters": filters,
        "scope": scope,
        "scope_text": scope_text(scope),
        "page": page,
        "page_url": page_url,
        "per_page_choices": PER_PAGE_CHOICES,
        "columns": COLUMNS,
        "percent": figures.share_text,  # rounded as the downloads round them
    }


@bp.route("/sessions/<int:session_id>/tracking")
@session_gate(need="track")
@records_visit
def session_tracking(session_id: int):
    context = _table_context(session_id, TrackingFilters.from_args(request.args))
    if wants_fragment():
        return render_template("coach/_tracking_results.html", **context), {"Vary": "HX-Request"}
    # The charts read every hand-in of the scope: the table comes first and htmx fetches
    # the charts right after; without JavaScript, "Show the charts" asks for them inline.
    charts = _charts(session_id, context["scope"]) if request.args.get("charts") == "1" \
        else None
    return (render_template("coach/tracking.html", charts=charts, chart_count=CHART_COUNT,
                            **context),
            {"Vary": "HX-Request"})


def _charts(session_id: int, scope):
    session = g.training_session
    return tracking_charts(db.session, session_id, scope, session.access_start,
                           session.access_end, clock.now(), viewer_zone())


@bp.route("/sessions/<int:session_id>/tracking/charts")
@session_gate(need="track")
@records_visit
def session_tracking_charts(session_id: int):
    """The three charts of the tracking page, for htmx to load after the table."""
    filters = TrackingFilters.from_args(request.args)
    charts = _charts(session_id, _scope(session_id, filters))
    return render_template("coach/_charts.html", charts=charts), {"Vary": "HX-Request"}


@bp.route("/sessions/<int:session_id>/tracking.<any(csv, xlsx):file_format>")
@session_gate(need="track")
@records_visit
def session_tracking_export(session_id: int, file_format: str):
    """The table as CSV or as an Excel workbook: every learner matching the search, in the
    order shown."""
    filters = TrackingFilters.from_args(request.args)
    scope = _scope(session_id, filters)
    tz, now = viewer_zone(), clock.now()
    header, rows = export_table(db.session, g.training_session, scope, filters, now, tz)
    stamp = now.astimezone(tz).strftime("%Y-%m-%d")
    return table_download(file_format, f"tracking-{session_id}-{stamp}", header, rows,
                          sheet_title=_("Tracking"))
