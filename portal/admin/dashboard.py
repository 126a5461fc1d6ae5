"""The administration's home page: this week's sessions, those that need attention,
counts by status and recent imports."""

from flask import render_template

from .. import clock
from ..domain.dashboard import LIMIT, dashboard
from ..domain.session_list import STATUS_LABELS, STATUSES
from ..extensions import db
from ..web.zone import viewer_zone
from . import bp


@bp.route("/", endpoint="dashboard")
def dashboard_page():
    board = dashboard(db.session, clock.now(), viewer_zone())
    return render_template("admin/dashboard.html", board=board, limit=LIMIT,
                           status_names={key: STATUS_LABELS[s] for key, s in STATUSES.items()})
