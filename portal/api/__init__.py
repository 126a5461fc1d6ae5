"""The JSON API under /api/v1/ (README, "Integrations"): bearer tokens, OpenAPI 3.1,
problem details. Every endpoint calls the domain functions the pages call."""

import time

from flask import Blueprint, current_app

from ..extensions import csrf, limiter
from .core import rate_limit_key

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Tokens, not cookies, authenticate the API: no CSRF token to send.
csrf.exempt(bp)
limiter.limit(lambda: current_app.config["API_RATE_LIMIT"], key_func=rate_limit_key)(bp)


@bp.after_request
def rate_limit_fields(response):
    """The IETF RateLimit fields (draft-ietf-httpapi-ratelimit-headers), next to
    Flask-Limiter's X-RateLimit-* ones (and its Retry-After on a 429)."""
    current = limiter.current_limit
    if current is not None:
        reset = max(0, int(current.reset_at - time.time()))
        response.headers["RateLimit-Policy"] = \
            f'"per-token";q={current.limit.amount};w={current.limit.get_expiry()}'
        response.headers["RateLimit"] = f'"per-token";r={current.remaining};t={reset}'
    if response.status_code != 429:
        response.headers.pop("Retry-After", None)  # only a refused request must wait
    return response


from . import (  # noqa: E402,F401
    categories,
    classes,
    courses,
    docs,
    enrolments,
    journal,
    learner_access,
    session_courses,
    sessions,
    users,
)
