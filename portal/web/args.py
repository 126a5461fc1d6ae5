"""Reading the query string the same way on every page."""

from flask import request

from ..domain.text_search import SEARCH_MAX, clean_search


def search_arg(name: str = "q", limit: int = SEARCH_MAX) -> str:
    """The search typed in field ``name``: control characters dropped, trimmed, cut."""
    return clean_search(request.args.get(name), limit)
