"""Enrolment rules as plain functions: individual, class (live link), removal.

Every function takes the database session and works set-based (one statement per
step, never a query per learner). Callers commit. An enrolment exists while the
learner has a reason to be enrolled: ``direct`` (individual or import) or
membership of a class linked to the session.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, exists, insert, literal, select, update

from ..models import (
    ClassMembership,
    Enrolment,
    EnrolmentSource,
    SessionClass,
    UserClass,
    UTCDateTime,
)


def _in_linked_class(session_id_col, user_id_col, *, except_class_id=None):
    """SQL: the user is a member of some class linked to the session."""
    conditions = [
        SessionClass.session_id == session_id_col,
        ClassMembership.class_id == SessionClass.class_id,
        ClassMembership.user_id == user_id_col,
    ]
    if except_class_id is not None:
        conditions.append(SessionClass.class_id != except_class_id)
    return exists().where(*conditions)


def enrol_users(db, session_id: int, user_ids, source: str, now: datetime) -> int:
    """Enrol ``user_ids`` directly (individually or by import). Returns how many were new.

    Learners already there through a class become direct too, so unlinking the class
    later keeps them.
    """
    user_ids = set(user_ids)
    if not user_ids:
        return 0
    existing = set(db.scalars(
        select(Enrolment.user_id).where(
            Enrolment.session_id == session_id, Enrolment.user_id.in_(user_ids)
        )
    ))
    if existing:
        db.execute(
            update(Enrolment)
            .where(Enrolment.session_id == session_id, Enrolment.user_id.in_(existing),
                   Enrolment.direct.is_(False))
            .values(direct=True)
        )
    new = sorted(user_ids - existing)
    if new:
        db.execute(insert(Enrolment), [
            {"session_id": session_id, "user_id": uid, "source": source, "direct": True,
             "enrolled_at": now, "extension_days": 0}
            for uid in new
        ])
    return len(new)


@dataclass(frozen=True)
class Removal:
    removed: bool
    kept_by_classes: tuple[str, ...] = ()


def unenrol_user(db, session_id: int, user_id: int) -> Removal:
    """Remove a direct enrolment. A learner still in a linked class stays enrolled
    through it; the answer names those classes so the admin can unlink them instead."""
    classes = tuple(db.scalars(
        select(UserClass.name)
        .join(SessionClass, SessionClass.class_id == UserClass.id)
        .join(ClassMembership, ClassMembership.class_id == UserClass.id)
        .where(SessionClass.session_id == session_id, ClassMembership.user_id == user_id)
        .order_by(UserClass.name)
    ))
    if classes:
        db.execute(
            update(Enrolment)
            .where(Enrolment.session_id == session_id, Enrolment.user_id == user_id)
            .values(direct=False)
        )
        return Removal(False, classes)
    result = db.execute(
        delete(Enrolment).where(Enrolment.session_id == session_id, Enrolment.user_id == user_id)
    )
    return Removal(result.rowcount > 0)


def link_class(db, session_id: int, class_id: int, now: datetime) -> int:
    """Link a class to a session and enrol its members. Returns how many were new."""
    already = db.scalar(select(exists().where(
        SessionClass.session_id == session_id, SessionClass.class_id == class_id
    )))
    if not already:
        db.add(SessionClass(session_id=session_id, class_id=class_id, linked_at=now))
        db.flush()
    return _enrol_missing_members(db, session_id=session_id, class_id=class_id, now=now)


def _enrol_missing_members(db, *, class_id: int, now: datetime, session_id: int | None = None,
                           user_id: int | None = None) -> int:
    """Enrol members of ``class_id`` in the sessions it is linked to, where missing."""
    chosen = select(
        SessionClass.session_id,
        ClassMembership.user_id,
        literal(EnrolmentSource.CLASS.value),
        literal(False),
        literal(now, UTCDateTime),
        literal(0),
    ).join(ClassMembership, ClassMembership.class_id == SessionClass.class_id).where(
        SessionClass.class_id == class_id,
        ~exists().where(
            Enrolment.session_id == SessionClass.session_id,
            Enrolment.user_id == ClassMembership.user_id,
        ),
    )
    if session_id is not None:
        chosen = chosen.where(SessionClass.session_id == session_id)
    if user_id is not None:
        chosen = chosen.where(ClassMembership.user_id == user_id)
    result = db.execute(
        insert(Enrolment).from_select(
            ["session_id", "user_id", "source", "direct", "enrolled_at", "extension_days"], chosen
        ).execution_options(preserve_rowcount=True)  # INSERT counts are dropped otherwise
    )
    return max(result.rowcount or 0, 0)


def _drop_class_enrolments(db, class_id: int, *conditions) -> int:
    """Delete the enrolments matching ``conditions`` that only ``class_id`` held:
    not direct, and through no other class linked to their session."""
    result = db.execute(
        delete(Enrolment).where(
            *conditions,
            Enrolment.direct.is_(False),
            ~_in_linked_class(Enrolment.session_id, Enrolment.user_id, except_class_id=class_id),
        ).execution_options(synchronize_session=False)
    )
    return result.rowcount


def unlink_class(db, session_id: int, class_id: int) -> int:
    """Unlink a class; unenrol its members who have no other reason to stay. Returns how many."""
    removed = _drop_class_enrolments(
        db, class_id,
        Enrolment.session_id == session_id,
        Enrolment.user_id.in_(
            select(ClassMembership.user_id).where(ClassMembership.class_id == class_id)
        ),
    )
    db.execute(delete(SessionClass).where(
        SessionClass.session_id == session_id, SessionClass.class_id == class_id
    ))
    return removed


def add_class_member(db, class_id: int, user_id: int, now: datetime) -> int:
    """Add a member to a class and enrol them wherever the class is linked."""
    already = db.scalar(select(exists().where(
        ClassMembership.class_id == class_id, ClassMembership.user_id == user_id
    )))
    if not already:
        db.add(ClassMembership(class_id=class_id, user_id=user_id, added_at=now))
        db.flush()
    return _enrol_missing_members(db, class_id=class_id, user_id=user_id, now=now)


def remove_class_member(db, class_id: int, user_id: int) -> int:
    """Remove a member from a class and unenrol them from the sessions the class
    brought them to, unless enrolled there another way. Returns how many unenrolled."""
    removed = _drop_class_enrolments(
        db, class_id,
        Enrolment.user_id == user_id,
        Enrolment.session_id.in_(
            select(SessionClass.session_id).where(SessionClass.class_id == class_id)
        ),
    )
    db.execute(delete(ClassMembership).where(
        ClassMembership.class_id == class_id, ClassMembership.user_id == user_id
    ))
    return removed


def delete_class(db, class_id: int) -> None:
    """Delete a class: unlink it from every session first, so its enrolments follow."""
    for session_id in db.scalars(
        select(SessionClass.session_id).where(SessionClass.class_id == class_id)
    ).all():
        unlink_class(db, session_id, class_id)
    db.execute(delete(UserClass).where(UserClass.id == class_id))


__all__ = [
    "Removal", "add_class_member", "delete_class", "enrol_users", "link_class",
    "remove_class_member", "unenrol_user", "unlink_class",
]
