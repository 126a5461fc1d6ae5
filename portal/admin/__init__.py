"""The administration panel: admins only; anyone else gets a 404 (or the login page)."""

from flask import request

from ..web.guards import GuardedBlueprint, admin_required

# Every view registered on the blueprint goes through admin_required, which marks it.
bp = GuardedBlueprint("admin", __name__, url_prefix="/admin", guard=admin_required)


# The sections of the administration, in the order of its navigation.
ADMIN_SECTIONS = (
    ("admin.sessions", "Sessions"),
    ("admin.users", "Users"),
    ("admin.courses", "Courses"),
    ("admin.classes", "Classes"),
    ("admin.categories", "Categories"),
    ("admin.import_enrolments", "Import enrolments"),
    ("admin.history", "History"),
)


@bp.context_processor
def admin_navigation():
    """The sections, and the one the current page belongs to (its endpoint, or the
    section whose endpoint begins the current one: admin.users_edit is under Users)."""
    endpoint = request.endpoint or ""
    current = next((e for e, _ in sorted(ADMIN_SECTIONS, key=lambda s: -len(s[0]))
                    if endpoint.startswith(e)), None)
    return {"admin_sections": ADMIN_SECTIONS, "current_admin_section": current}


from . import (  # noqa: E402,F401
    history,
    imports,
    lookups,
    reference,
    session_courses,
    session_page,
    session_people,
    sessions,
)
