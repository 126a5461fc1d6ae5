"""A session's Access tab: why the gate answers what it answers to one user at one moment,
and My sessions as that user would see it then (read only)."""

from flask import current_app, g, render_template, request

from .. import clock
from ..domain.dates import zone
from ..domain.explainer import explain, read_query
from ..domain.my_sessions import TAB_LABELS, tab_page
from ..extensions import db
from ..web import wants_fragment
from ..web.gate import session_gate
from ..web.zone import viewer_zone
from . import bp


@bp.route("/sessions/<int:session_id>/access")
@session_gate(need="view")
def session_access(session_id: int):
    """The form and, once a user is picked, the explanation; with htmx only the result
    part (422 when a field does not read)."""
    session, tz, fragment = g.training_session, viewer_zone(), wants_fragment()
    query = read_query(db.session, request.args, tz, clock.now())
    context = {"training_session": session, "query": query, "session_tab": "access",
               "zone": tz.key, "tab_labels": TAB_LABELS, "fragment": fragment}
    if query.ready:
        user_tz = zone(query.user.timezone or current_app.config["PORTAL_TIMEZONE"])
        context["explanation"] = explain(db.session, session, query.user, query.at, tz, user_tz)
        context["preview_page"] = tab_page(db.session, query.user, query.at, user_tz, query.tab)
    template = ("admin/session/_explainer_result.html" if fragment
                else "admin/session/explainer.html")
    status = 422 if query.errors else 200
    return render_template(template, **context), status, {"Vary": "HX-Request"}
