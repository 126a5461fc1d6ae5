"""Who is acting in this request, for the journal: the signed-in user, the request
id (taken from a proxy's X-Request-ID when it looks like one, else made here) and
the client address."""

import logging
import re
import uuid

from flask import Flask, g, request
from flask_login import current_user

from ..domain.journal import Actor

_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
log = logging.getLogger("portal.request")


def request_id() -> str:
    if "request_id" not in g:
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
    return g.request_id


def current_actor() -> Actor:
    """The signed-in user as the journal names them, with this request's id."""
    if current_user and current_user.is_authenticated:
        return Actor(current_user.id, current_user.full_name, request_id(), request.remote_addr)
    return Actor(None, "Someone not logged in", request_id(), request.remote_addr)


def install_request_ids(app: Flask) -> None:
    @app.after_request
    def tag_response(response):
        response.headers["X-Request-ID"] = request_id()
        log.info("%s %s %s %s", request_id(), request.method, request.path,
                 response.status_code)
        return response
