"""htmx helpers: which requests want a fragment, and redirects htmx follows."""

from flask import Response, redirect, request


def is_htmx() -> bool:
    """True for any request htmx made (including a history restore)."""
    return request.headers.get("HX-Request") == "true"


def wants_fragment() -> bool:
    """True for an htmx request that swaps part of a page.

    A history restore (Back after a pushed URL) asks for the whole page.
    """
    return is_htmx() and request.headers.get("HX-History-Restore-Request") != "true"


def htmx_redirect(url: str):
    """Send the browser to ``url``: a 303 for plain forms, HX-Redirect for htmx.

    htmx follows an ordinary redirect inside fetch and would swap the whole next
    page into the target; HX-Redirect makes it navigate instead.
    """
    if is_htmx():
        return Response("", 200, {"HX-Redirect": url})
    return redirect(url, 303)
