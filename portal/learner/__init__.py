"""The learner area: My sessions, a session and its courses, hand-in, profile, calendars."""

from flask import Blueprint

bp = Blueprint("learner", __name__)

from . import profile, sessions  # noqa: E402,F401
