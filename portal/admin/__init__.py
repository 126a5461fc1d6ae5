"""The administration panel: admins only; anyone else gets a 404 (or the login page)."""

from flask import Blueprint, abort
from flask_login import current_user

from ..extensions import login_manager

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def admins_only():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current_user.is_admin:
        abort(404)  # no hint that the panel exists


@bp.app_context_processor
def admin_endpoints():
    from flask import current_app

    return {"admin_endpoints": current_app.view_functions}


from . import (  # noqa: E402,F401
    imports,
    lookups,
    reference,
    session_courses,
    session_page,
    session_people,
    sessions,
)
