"""Classes as the administration manages them: the searchable list, members, how many
sessions a class is linked to, and one write function per change of a class itself.

Members join and leave through ``enrolment.add_class_member`` / ``remove_class_member``
(the live link: enrolments follow). Every write records its journal entry in the
caller's transaction and returns what changed; the caller commits.
"""

from datetime import datetime

from sqlalchemy import exists, func, select
from sqlalchemy.sql import Select

from ..models import ClassMembership, SessionClass, User, UserClass
from . import enrolment, journal
from .enrolment import EnrolmentChanges
from .journal import Actor
from .text_search import contains

FIELDS = ("name", "description")


def classes_matching(q: str) -> Select:
    """Rows (class, members, sessions): all classes, or those whose name contains ``q``,
    by name, with their numbers of members and of linked sessions in the same SELECT."""
    members = (select(func.count()).select_from(ClassMembership)
               .where(ClassMembership.class_id == UserClass.id)
               .correlate(UserClass).scalar_subquery())
    sessions = (select(func.count()).select_from(SessionClass)
                .where(SessionClass.class_id == UserClass.id)
                .correlate(UserClass).scalar_subquery())
    stmt = select(UserClass, members.label("members"), sessions.label("sessions"))
    if q:
        stmt = stmt.where(contains(UserClass.name, q))
    return stmt.order_by(UserClass.name)


def members_of(class_id: int) -> Select:
    """The class's members (users), by name: a statement to paginate."""
    return (select(User)
            .join(ClassMembership, ClassMembership.user_id == User.id)
            .where(ClassMembership.class_id == class_id)
            .order_by(User.last_name, User.first_name, User.username))


def is_member(db, class_id: int, user_id: int) -> bool:
    return db.scalar(select(exists().where(
        ClassMembership.class_id == class_id, ClassMembership.user_id == user_id)))


def linked_session_count(db, class_id: int) -> int:
    return db.scalar(
        select(func.count()).select_from(SessionClass).where(SessionClass.class_id == class_id)
    )


def _values(user_class: UserClass) -> dict:
    return {name: getattr(user_class, name) for name in FIELDS}


def create_class(db, name: str, description: str, *, by: Actor, now: datetime) -> UserClass:
    """Add the class (flushed: it has its id) and its ("class", "create") entry."""
    user_class = UserClass(name=name, description=description or "", created_at=now)
    db.add(user_class)
    db.flush()
    journal.record(db, by, now, "class", "create", object_id=user_class.id,
                   object_label=user_class.name, after=_values(user_class))
    return user_class


def update_class(db, user_class: UserClass, name: str, description: str, *, by: Actor,
                 now: datetime) -> tuple[dict, dict]:
    """Rename or describe ``user_class``; returns the change (before, after), flushed.
    No change: no entry."""
    before, after = journal.changes(_values(user_class),
                                    {"name": name, "description": description or ""})
    user_class.name, user_class.description = name, description or ""
    db.flush()
    if after:
        journal.record(db, by, now, "class", "update", object_id=user_class.id,
                       object_label=user_class.name, before=before, after=after)
    return before, after


def delete_class(db, user_class: UserClass, *, by: Actor, now: datetime) -> EnrolmentChanges:
    """Delete a class: first unlink it from every session, so the enrolments only it
    held go too (journaled under the ("class", "delete") entry); returns them."""
    head = journal.record(db, by, now, "class", "delete", object_id=user_class.id,
                          object_label=user_class.name, before=_values(user_class))
    changes = enrolment.unlink_class_everywhere(db, user_class.id, by=by, now=now,
                                                under=head.id)
    db.delete(user_class)  # its memberships go with it (ON DELETE CASCADE)
    db.flush()
    return changes
