"""Tracking: who opened which session (and course) when.

The gate calls record_access() for every page view a learner or coach makes;
the caller commits, so the event and the enrolment's first/last access land in
one transaction.
"""

from datetime import datetime

from sqlalchemy import func, insert, literal, update

from ..models import AccessEvent, Enrolment, UTCDateTime


def record_access(db_session, user_id: int, session_id: int, course_id: int | None,
                  now: datetime, *, is_learner: bool) -> None:
    """Add one AccessEvent; for a learner also set the enrolment's first and last access.

    Writes only (an INSERT and, for a learner, one UPDATE): no read first, so a
    page view costs no extra round trip beyond the write. The first access is
    what starts a duration-mode learner's N days.
    """
    db_session.execute(
        insert(AccessEvent).values(user_id=user_id, session_id=session_id, course_id=course_id,
                                   at=now)
    )
    if is_learner:
        moment = literal(now, UTCDateTime())
        db_session.execute(
            update(Enrolment)
            .where(Enrolment.session_id == session_id, Enrolment.user_id == user_id)
            .values(first_access_at=func.coalesce(Enrolment.first_access_at, moment),
                    last_access_at=moment)
            .execution_options(synchronize_session=False)
        )
