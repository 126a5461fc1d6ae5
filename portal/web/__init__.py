"""Flask glue shared by the blueprints: the gate and other guards, htmx helpers,
security headers, navigation, the viewer's zone and template filters."""

from flask import Flask

from .. import clock
from ..domain.dates import date_range, format_local
from ..domain.markdown_text import render_markdown
from ..domain.pagination import PER_PAGE_CHOICES
from .actor import current_actor, install_request_ids
from .htmx import htmx_redirect, wants_fragment
from .navigation import current_area, nav_items, navigation
from .security import security_headers
from .zone import viewer_zone

__all__ = ["current_actor", "htmx_redirect", "navigation", "register_web", "viewer_zone",
           "wants_fragment"]


def register_web(app: Flask) -> None:
    app.after_request(security_headers)
    install_request_ids(app)
    # A global, not a context value, so macros imported from _pagination.html see it.
    app.add_template_global(PER_PAGE_CHOICES, "per_page_choices")

    @app.context_processor
    def template_helpers():
        tz = viewer_zone()
        return {
            "navigation": navigation,
            "nav_items": nav_items,
            "current_area": current_area,
            "viewer_zone_name": tz.key,
            "now": clock.now,
        }

    @app.template_global("date_range")
    def date_range_global(start, end):
        return date_range(start, end, viewer_zone())

    app.add_template_filter(render_markdown, "markdown")

    @app.template_filter("local")
    def local_filter(moment, with_time=True):
        return format_local(moment, viewer_zone(), with_time=with_time)
