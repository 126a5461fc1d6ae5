"""What every endpoint of the JSON API shares: the specification, bearer tokens and
scopes, errors as RFC 9457 problem details, versions as ETags.

- ``spec`` (spectree) validates each request and response against pydantic models and
  generates the OpenAPI 3.1 document from the same models, so the document describes
  exactly what is checked.
- ``token_required(scope)`` is the API's guard: it marks the view (tests/test_guards.py),
  reads ``Authorization: Bearer``, answers 401 for a missing, wrong, revoked or expired
  token and 403 for a missing scope. Browser cookies never count: API views read the
  token's owner from ``g.api_user``, never ``current_user``.
- ``ApiError`` raised anywhere in a view becomes a problem response naming the fields.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from typing import Any

from flask import Response, g, json, request
from flask_limiter.util import get_remote_address
from pydantic import BaseModel, ConfigDict, Field
from spectree import SecurityScheme, SpecTree
from spectree.models import SecuritySchemeData

from .. import clock
from ..domain import api_tokens
from ..domain.sessions import VersionConflict
from ..extensions import db
from ..web.actor import request_id
from ..web.guards import mark

PROBLEM_TYPE = "application/problem+json"
VALIDATION_FAILED = "The request has invalid fields."


class FieldProblem(BaseModel):
    field: str = Field(description="The field in error: a JSON path such as `windows.access.end`"
                                   ", or a query parameter's name.")
    message: str


class Problem(BaseModel):
    """An error, as RFC 9457 problem details."""

    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    errors: list[FieldProblem] | None = None


# The errors every endpoint may answer, as spectree's Response arguments (HTTP_401=Problem…).
ERRORS = {f"HTTP_{code}": Problem for code in (401, 403, 404, 422, 429)}


class ApiError(Exception):
    """An answer other than success: ``status``, a title, and per-field messages."""

    def __init__(self, status: int, title: str, detail: str | None = None, *,
                 errors: dict[str, str] | None = None, headers: dict | None = None):
        super().__init__(detail or title)
        self.status, self.title, self.detail = status, title, detail
        self.errors = errors or {}
        self.headers = headers or {}


def problem(status: int, title: str, detail: str | None = None, *,
            errors: dict[str, str] | None = None, headers: dict | None = None) -> Response:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = [{"field": name, "message": message} for name, message in errors.items()]
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_TYPE)
    response.headers.update(headers or {})
    return response


def not_found(what: str = "object") -> ApiError:
    """404 for anything the token may not see or that does not exist: never a hint."""
    return ApiError(404, "Not found", f"No {what} at this address.")


def field_errors(errors: dict[str, str], detail: str = VALIDATION_FAILED) -> ApiError:
    return ApiError(422, "Unprocessable content", detail, errors=errors)


def _pydantic_field(location: tuple) -> str:
    """A JSON path as the API's messages write it: ``items[3].user``."""
    path = ""
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "body"


def _problem_on_invalid_request(req, resp, error, instance, model_adapter) -> None:
    """spectree's hook: its 422 for a request that breaks the models becomes a problem
    document naming each field (the response object is changed in place)."""
    if error is None or resp is None:
        return
    errors: dict[str, str] = {}
    for item in model_adapter.validation_errors(error):
        location = tuple(item.get("loc", ()))
        errors.setdefault(_pydantic_field(location), item.get("msg", "Invalid value."))
    replacement = problem(422, "Unprocessable content", VALIDATION_FAILED, errors=errors)
    resp.set_data(replacement.get_data())
    resp.mimetype = PROBLEM_TYPE


spec = SpecTree(
    "flask",
    mode="strict",
    title="Session portal API",
    version="1",
    description=(
        "Sessions, enrolments, users, courses, classes, categories, learners' individual "
        "dates, the journal and the access decision of the session portal, on the same rules "
        "as its pages. Authenticate with `Authorization: Bearer <token>` (tokens are created "
        "by administrators under Administration → API tokens). Instants are ISO 8601 in UTC. "
        "Errors are RFC 9457 problem details. Lists are cursor-paginated: follow `next`."),
    path="api/v1/spec",  # spectree's own pages are not served: see portal/api/docs.py
    security_schemes=[SecurityScheme(name="bearer", data=SecuritySchemeData(
        type="http", scheme="bearer", description="An API token: `spt_…`"))],
    security={"bearer": []},
    before=_problem_on_invalid_request,
    validation_error_status=422,
    validation_error_model=Problem,
    naming_strategy=lambda model: model.__name__,
    nested_naming_strategy=lambda _parent, child: child,
)


def endpoint(**options) -> Callable:
    """``spec.validate`` with the view's name as the operation's id."""
    def decorator(view):
        return spec.validate(operation_id=view.__name__, **options)(view)
    return decorator


# --- tokens --------------------------------------------------------------------------------


def bearer_secret() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    return secret.strip() if scheme.lower() == "bearer" and secret.strip() else None


def rate_limit_key() -> str:
    """Requests are counted per token (a digest: the secret is never kept in the limiter's
    store), else per address for requests without one."""
    secret = bearer_secret()
    if secret:
        return "api-token:" + hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()
    return "api-address:" + (get_remote_address() or "")


def _unauthorized(detail: str) -> ApiError:
    return ApiError(401, "Unauthorized", detail, headers={
        "WWW-Authenticate": 'Bearer realm="session portal", error="invalid_token"'})


def token_required(scope: str) -> Callable:
    """Guard an API view: a valid token with ``scope``; sets ``g.api_token``, ``g.api_user``
    and ``g.api_actor`` (who the journal names)."""
    if scope not in api_tokens.SCOPES:
        raise ValueError(f"unknown scope {scope!r}")

    def decorator(view):
        @functools.wraps(view)
        def guarded(*args, **kwargs):
            secret = bearer_secret()
            if secret is None:
                raise _unauthorized("Send the token as `Authorization: Bearer <token>`.")
            token, refusal = api_tokens.authenticate(db.session, secret, clock.now())
            if token is None:
                db.session.rollback()
                raise _unauthorized(refusal)
            db.session.commit()  # the last use, noted at most once a minute
            if scope not in token.scopes:
                raise ApiError(403, "Forbidden", f"The token lacks the scope {scope}.", headers={
                    "WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{scope}"'})
            g.api_token, g.api_user = token, token.owner
            g.api_actor = api_tokens.token_actor(token, request_id(), request.remote_addr)
            return view(*args, **kwargs)

        guarded.api_scope = scope
        return mark(guarded, f"api:{scope}")

    return decorator


def actor():
    return g.api_actor


# --- versions ---------------------------------------------------------------------------------


def etag_of(version: int) -> str:
    return f'"v{version}"'


def expected_version(current: int) -> int:
    """The version named by ``If-Match`` (required on changes): 428 without it, 412 when it
    is not the current one; the pages' optimistic locking, as HTTP says it."""
    header = request.headers.get("If-Match")
    if not header:
        raise ApiError(428, "Precondition required",
                       "Send If-Match with the ETag of the version you changed.")
    if header.strip() == "*":
        return current
    tags = [tag.strip().removeprefix("W/") for tag in header.split(",")]
    if etag_of(current) not in tags:
        raise ApiError(412, "Precondition failed",
                       "The object changed since you read it: read it again, then retry.",
                       headers={"ETag": etag_of(current)})
    return current


def version_conflict() -> ApiError:
    return ApiError(412, "Precondition failed",
                    "Someone changed the object at the same moment: read it again, then retry.")


__all__ = ["ERRORS", "ApiError", "FieldProblem", "Problem", "VersionConflict", "actor",
           "endpoint", "etag_of",
           "expected_version", "field_errors", "not_found", "problem", "rate_limit_key",
           "spec", "token_required", "version_conflict"]
