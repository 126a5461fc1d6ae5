"""Coaching: the sessions the user coaches, in Current / Past / Upcoming tabs."""

from flask import render_template, request
from flask_login import current_user

from .. import clock
from ..domain.coached_sessions import TAB_LABELS
from ..domain.coached_sessions import coaching as coaching_for
from ..domain.pagination import read_page_args
from ..extensions import db
from ..web import wants_fragment
from ..web.guards import login_required
from ..web.zone import viewer_zone
from . import bp


@bp.route("/")
@login_required
def coaching():
    page, _ = read_page_args(request.args)
    result = coaching_for(db.session, current_user.id, clock.now(), viewer_zone(),
                          request.args.get("tab"), page)
    context = {"result": result, "tab_labels": TAB_LABELS}
    template = "coach/_tabs.html" if wants_fragment() else "coach/coaching.html"
    return render_template(template, **context), {"Vary": "HX-Request"}
