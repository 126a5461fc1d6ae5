"""The viewer's time zone: the signed-in user's, else the portal's configured one."""

from zoneinfo import ZoneInfo

from flask import current_app
from flask_login import current_user

from ..domain.dates import zone


def viewer_zone() -> ZoneInfo:
    """The zone of the signed-in user, else the portal's configured zone."""
    name = None
    if current_user and current_user.is_authenticated:
        name = current_user.timezone
    return zone(name or current_app.config["PORTAL_TIMEZONE"])
