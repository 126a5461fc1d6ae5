"""Tracking: who opened which session (and course) when.

Which requests count as a visit is decided here (counts_as_visit); the views that
count put ``@records_visit`` (portal.web.gate) under their gate, which calls
record_visit() and commits, so the event and the enrolment's first/last access land
in one transaction.
"""

from datetime import datetime

from sqlalchemy import func, insert, literal, update

from ..models import AccessEvent, Enrolment, UTCDateTime
from .access import Access, Decision


def counts_as_visit(access: Access, need: str, *, is_get: bool, is_fragment: bool) -> bool:
    """A full-page GET by a learner or coach of the session. Not a fragment, not an
    admin without a relation, not the card or its calendar (need "card": downloading
    an .ics is not a visit and must not start a duration-mode learner's days)."""
    return (
        is_get
        and not is_fragment
        and need != "card"
        and not access.is_admin
        and (access.as_learner is not Decision.NONE or access.as_coach is not Decision.NONE)
    )


def record_visit(db_session, user_id: int, session_id: int, course_id: int | None,
                 access: Access, now: datetime) -> None:
    """Add one AccessEvent; for a learner also set the enrolment's first and last access.

    Writes only (an INSERT and, for a learner, one UPDATE): no read first, so a
    page view costs no extra round trip beyond the write. The first access is
    what starts a duration-mode learner's N days.
    """
    db_session.execute(
        insert(AccessEvent).values(user_id=user_id, session_id=session_id, course_id=course_id,
                                   at=now)
    )
    if access.as_learner is not Decision.NONE:
        moment = literal(now, UTCDateTime())
        db_session.execute(
            update(Enrolment)
            .where(Enrolment.session_id == session_id, Enrolment.user_id == user_id)
            .values(first_access_at=func.coalesce(Enrolment.first_access_at, moment),
                    last_access_at=moment)
            .execution_options(synchronize_session=False)
        )
