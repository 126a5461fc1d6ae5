"""Flask glue shared by the blueprints: the gate and other guards, htmx helpers,
security headers, navigation, the viewer's zone and template filters."""

from flask import Flask

from .. import clock
from ..domain.dates import date_range, format_bound, format_local
from ..domain.markdown_text import render_markdown
from ..domain.pagination import PER_PAGE_CHOICES
from .actor import current_actor, install_request_ids
from .downloads import other_csv_style
from .htmx import htmx_redirect, wants_fragment
from .navigation import nav_items, navigation, sidebar
from .security import security_headers
from .zone import viewer_zone

__all__ = ["current_actor", "htmx_redirect", "navigation", "register_web", "viewer_zone",
           "wants_fragment"]


def register_web(app: Flask) -> None:
    app.after_request(security_headers)
    install_request_ids(app)
    # A global, not a context value, so macros imported from _pagination.html see it.
    app.add_template_global(PER_PAGE_CHOICES, "per_page_choices")
    app.add_template_global(other_csv_style, "other_csv_style")

    @app.context_processor
    def template_helpers():
        tz = viewer_zone()
        return {
            "navigation": navigation,
            "nav_items": nav_items,
            "sidebar": sidebar,
            "viewer_zone_name": tz.key,
            "now": clock.now,
        }

    @app.template_global("date_range")
    def date_range_global(start, end):
        return date_range(start, end, viewer_zone())

    app.add_template_filter(render_markdown, "markdown")

    @app.template_filter("local")
    def local_filter(moment, with_time=True):
        """An instant that is not a window bound (enrolled at, last access)."""
        return format_local(moment, viewer_zone(), with_time=with_time)

    # Window bounds read through format_bound: an end at midnight is its last day.
    @app.template_filter("window_start")
    def window_start_filter(moment):
        return format_bound(moment, viewer_zone(), is_end=False) if moment else ""

    @app.template_filter("window_end")
    def window_end_filter(moment):
        return format_bound(moment, viewer_zone(), is_end=True) if moment else ""
