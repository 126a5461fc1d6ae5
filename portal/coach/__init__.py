"""The coach area: coached sessions, grading, and the tracking pages admins share."""

from flask import Blueprint

bp = Blueprint("coach", __name__, url_prefix="/coach")

from . import coaching, grading_pages, tracking_pages  # noqa: E402,F401
