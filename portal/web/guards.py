"""The guards of the views: each one marks the view it guards, so that a test can prove
that no view is left unguarded (tests/test_guards.py).

A view's mark is its ``portal_guard`` attribute: ``"public"`` (anyone, by design),
``"login"`` (a signed-in user), ``"admin"`` (a platform admin; anyone else gets a 404)
or ``"session:<need>"`` (the session gate, portal.web.gate).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable

import flask_login
from flask import Blueprint, Flask, abort
from flask_login import current_user

from ..extensions import login_manager

GUARD = "portal_guard"

# Views that need no mark: Flask's own static files.
EXEMPT_VIEWS = frozenset({"static"})


def mark(view: Callable, guard: str) -> Callable:
    """Set ``view``'s mark to ``guard`` and return it."""
    setattr(view, GUARD, guard)
    return view


def guard_of(view: Callable) -> str | None:
    """The mark of ``view``, or None if no guard marked it."""
    return getattr(view, GUARD, None)


def public(view: Callable) -> Callable:
    """Anyone may open the view, signed in or not (login, health, a calendar by token)."""
    return mark(view, "public")


def login_required(view: Callable) -> Callable:
    """A signed-in user only; anyone else is sent to the login page (flask_login's rule)."""
    return mark(flask_login.login_required(view), "login")


def admin_required(view: Callable) -> Callable:
    """Platform admins only: the login page for visitors, a 404 for anyone else, so
    that nothing hints that the page exists."""

    @functools.wraps(view)
    def guarded(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.is_admin:
            abort(404)
        return view(*args, **kwargs)

    return mark(guarded, "admin")


class GuardedBlueprint(Blueprint):
    """A blueprint that puts ``guard`` around every view it registers, so that a view
    added to it later cannot escape the guard (the admin panel: ``admin_required``)."""

    def __init__(self, *args, guard: Callable[[Callable], Callable], **kwargs):
        super().__init__(*args, **kwargs)
        self.guard = guard
        # One guarded view per function: a view served at two URLs stays one endpoint.
        self._guarded: dict[Callable, Callable] = {}

    def add_url_rule(self, rule, endpoint=None, view_func=None, **options):
        if view_func is not None:
            if view_func not in self._guarded:
                self._guarded[view_func] = self.guard(view_func)
            view_func = self._guarded[view_func]
        super().add_url_rule(rule, endpoint, view_func, **options)


def unguarded_views(app: Flask, exempt: Iterable[str] = EXEMPT_VIEWS) -> list[str]:
    """'endpoint (module.function)' for every view of ``app`` that no guard marked."""
    exempt = set(exempt)
    return [f"{endpoint} ({view.__module__}.{view.__name__})"
            for endpoint, view in sorted(app.view_functions.items())
            if endpoint not in exempt and guard_of(view) is None]
