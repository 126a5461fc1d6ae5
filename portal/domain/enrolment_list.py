"""The learners of one session as the API lists them: keyset pages in the order of the
session page's learner list (by name), each with how they are enrolled and their
individual dates. Reads only; two queries a page whatever the number of learners: the
page's enrolments with their users, then the linked classes each of them is in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select

from ..models import Enrolment, User
from . import keyset
from .keyset import Key
from .people import _matching_enrolments, class_names_by_learner

# The session page's order (domain/people.py learners_page); the id makes it total.
ORDER = (Key(User.last_name, "text"), Key(User.first_name, "text"), Key(User.id, "int"))

_COLUMNS = (
    Enrolment.user_id, User.username, User.first_name, User.last_name, User.email,
    Enrolment.source, Enrolment.direct, Enrolment.enrolled_at, Enrolment.first_access_at,
    Enrolment.last_access_at, Enrolment.extension_days, Enrolment.own_start,
    Enrolment.own_end, Enrolment.dates_reason, Enrolment.suspended_at,
    Enrolment.suspension_reason,
)


@dataclass(frozen=True)
class LearnerPage:
    rows: list  # the columns above and the keyset values (keyset.values_of(ORDER, row))
    classes: dict[int, list[str]] = field(default_factory=dict)  # user id -> class names
    more: bool = False  # rows follow the last one


def _learners(session_id: int):
    return (select(*_COLUMNS).join(User, User.id == Enrolment.user_id)
            .where(Enrolment.session_id == session_id))


def learners_after(db, session_id: int, q: str, after: Sequence | None, limit: int
                   ) -> LearnerPage:
    """``limit`` learners of the session after the keyset values ``after`` (None: from the
    first), those matching the search ``q`` only when given."""
    stmt = _learners(session_id).add_columns(*keyset.columns(ORDER))
    if q:
        stmt = stmt.where(Enrolment.id.in_(_matching_enrolments(session_id, q)))
    if after is not None:
        # The bound on the first key alone is implied by the keyset condition, but only
        # it is a range the name index can start from: in a big session, PostgreSQL reads
        # the users by name and would otherwise test every one before the cursor (75 ms
        # deep into 5,000 learners, as fast as the first page with the bound).
        stmt = stmt.where(User.last_name >= after[0], keyset.after(ORDER, after))
    rows = db.execute(stmt.order_by(*(key.order_by() for key in ORDER))
                      .limit(limit + 1)).all()
    more, rows = len(rows) > limit, rows[:limit]
    return LearnerPage(rows, class_names_by_learner(db, session_id,
                                                    [row.user_id for row in rows]), more)


def learner(db, session_id: int, user_id: int) -> LearnerPage:
    """The one enrolment of ``user_id`` in the session (no row when not enrolled)."""
    rows = db.execute(_learners(session_id).where(Enrolment.user_id == user_id)).all()
    classes = class_names_by_learner(db, session_id, [user_id]) if rows else {}
    return LearnerPage(rows, classes)
