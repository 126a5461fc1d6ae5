"""What the admin pickers and forms look up while a person types: users, courses and
classes matching a few letters, and whether a unique value is already taken."""

from sqlalchemy import exists, or_, select

from ..models import Course, Enrolment, SessionCourse, User, UserClass
from .sessions import COACH_ROLES
from .text_search import contains, user_matches

LIMIT = 15  # suggestions under a picker


def search_users(db, text: str, *, limit: int = LIMIT, not_in_session: int | None = None,
                 coaches_only: bool = False) -> list[User]:
    """Active users whose username, e-mail or name contains ``text``, by name;
    optionally only those not enrolled in ``not_in_session``, or only those whose role
    can coach (the coach pickers)."""
    stmt = select(User).where(User.active.is_(True))
    if coaches_only:
        stmt = stmt.where(User.role.in_(COACH_ROLES))
    if not_in_session is not None:
        stmt = stmt.where(~exists().where(Enrolment.session_id == not_in_session,
                                          Enrolment.user_id == User.id))
    if text:
        stmt = stmt.where(user_matches(text))
    return list(db.scalars(stmt.order_by(User.last_name, User.first_name).limit(limit)))


def search_courses(db, text: str, *, limit: int = LIMIT, not_in_session: int | None = None
                   ) -> list[Course]:
    """Courses whose code or title contains ``text``, by code; optionally only those
    the session ``not_in_session`` does not have yet."""
    stmt = select(Course)
    if text:
        stmt = stmt.where(or_(contains(Course.code, text), contains(Course.title, text)))
    if not_in_session is not None:
        stmt = stmt.where(~exists().where(SessionCourse.session_id == not_in_session,
                                          SessionCourse.course_id == Course.id))
    return list(db.scalars(stmt.order_by(Course.code).limit(limit)))


def search_classes(db, text: str, *, limit: int = LIMIT) -> list[UserClass]:
    """Classes whose name contains ``text``, by name."""
    stmt = select(UserClass)
    if text:
        stmt = stmt.where(contains(UserClass.name, text))
    return list(db.scalars(stmt.order_by(UserClass.name).limit(limit)))


def is_taken(db, column, value, *, other_than: int | None = None) -> bool:
    """Whether a row other than the one with id ``other_than`` has ``value`` in the
    unique ``column`` (a model attribute, e.g. ``User.email``)."""
    condition = [column == value]
    if other_than is not None:
        condition.append(column.class_.id != other_than)
    return bool(db.scalar(select(exists().where(*condition))))
