"""The administration panel: admins only; anyone else gets a 404 (or the login page)."""

from ..web.guards import GuardedBlueprint, admin_required

# Every view registered on the blueprint goes through admin_required, which marks it.
bp = GuardedBlueprint("admin", __name__, url_prefix="/admin", guard=admin_required)


from . import (  # noqa: E402,F401
    api_tokens,
    dashboard,
    due_dates,
    explainer,
    history,
    import_jobs,
    imports,
    learner_dates,
    lookups,
    outbox,
    reference,
    session_courses,
    session_imports,
    session_page,
    session_people,
    sessions,
)
