"""Enrolment: the one write path of every enrolment change.

An enrolment exists while the learner has a reason to be enrolled: ``direct``
(individually or by import) or membership of a class linked to the session (the live
link: derived from the links and memberships, never stored on the enrolment).

``change_enrolments`` makes every change (individual add and remove, class link and
unlink, class membership, a class's unlinking before it is deleted, CSV import):
set-based, one statement per step whatever the number of learners, journaled in the
caller's transaction (the caller commits). It returns exactly which (session, user)
pairs were added, removed or changed, and how. The named functions below build its
requests.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import (
    JSON,
    BigInteger,
    Integer,
    String,
    delete,
    exists,
    func,
    insert,
    literal,
    null,
    select,
    update,
)

from ..models import (
    ClassMembership,
    Enrolment,
    EnrolmentSource,
    JournalEntry,
    SessionClass,
    TrainingSession,
    User,
    UserClass,
    UTCDateTime,
)
from . import journal, notify
from .access import (
    SessionRules,
    learner_fact_columns,
    learner_facts_of,
    learner_window,
    learners_span_of,
)
from .journal import Actor
from .value_lists import pair_rows

Pair = tuple[int, int]  # (session id, user id)

ENROLMENT = Enrolment.__table__
SESSION_CLASS = SessionClass.__table__
MEMBERSHIP = ClassMembership.__table__


@dataclass(frozen=True)
class How:
    """How an enrolment is held, or how a change was made: individually, by import
    (of ``file``), or through a class (``class_id``, ``class_name``); ``undo``: by
    undoing the import of ``file`` (the enrolment keeps the origin ``kind``)."""

    kind: str  # an EnrolmentSource value
    class_id: int | None = None
    class_name: str = ""
    file: str = ""
    undo: bool = False

    def journal(self) -> dict:
        """As the journal records it: {'how': 'import', 'file': 'people.csv'}."""
        values = {"how": self.kind}
        if self.class_name:
            values["class"] = self.class_name
        if self.file:
            values["file"] = self.file
        if self.undo:
            values["undo"] = True
        return values


INDIVIDUALLY = How(EnrolmentSource.INDIVIDUAL.value)
THROUGH_A_CLASS = How(EnrolmentSource.CLASS.value)
BY_IMPORT = How(EnrolmentSource.IMPORT.value)


@dataclass(frozen=True)
class ClassChange:
    """A class starts (``joining``) or stops reaching enrolments: it is linked to or
    unlinked from ``session_id``; ``user_id`` joins or leaves it; or, with neither and
    not joining, it is unlinked from every session (before the class is deleted)."""

    class_id: int
    joining: bool
    session_id: int | None = None
    user_id: int | None = None

    def __post_init__(self):
        named = (self.session_id is not None) + (self.user_id is not None)
        if named > 1 or (named == 0 and self.joining):
            raise ValueError("a class change names a session or a member, not both")


@dataclass(frozen=True)
class EnrolmentRequest:
    """What to change. ``enrol`` / ``unenrol``: pairs given or taken their direct reason,
    ``how`` individually or by import; ``classes``: a change of a class's links or
    members. ``under``: a journal entry (a session created, a class deleted) to file
    the items under, instead of a head entry of their own."""

    how: How = INDIVIDUALLY
    enrol: Collection[Pair] = ()
    unenrol: Collection[Pair] = ()
    classes: ClassChange | None = None
    under: int | None = None


@dataclass(frozen=True)
class PairGroup:
    """Pairs changed the same way: ``action`` add (``after``: how they are held now),
    remove (``before``: how they were held) or change (both)."""

    action: str
    before: How | None
    after: How | None
    pairs: tuple[Pair, ...]


@dataclass(frozen=True)
class EnrolmentChanges:
    """What a change did: its pairs by group, and how many class links or memberships
    it added or removed."""

    groups: tuple[PairGroup, ...] = ()
    class_rows: int = 0

    def pairs(self, action: str) -> list[Pair]:
        return [pair for group in self.groups if group.action == action for pair in group.pairs]

    @property
    def added(self) -> list[Pair]:
        return self.pairs("add")

    @property
    def removed(self) -> list[Pair]:
        return self.pairs("remove")

    @property
    def changed(self) -> list[Pair]:
        return self.pairs("change")

    @property
    def made_direct(self) -> list[Pair]:
        """Changed pairs now held directly (they were held by a class only)."""
        return [pair for group in self.groups if group.action == "change"
                and group.after.kind != THROUGH_A_CLASS.kind for pair in group.pairs]

    @property
    def kept_by_class(self) -> list[Pair]:
        """Changed pairs no longer direct, kept by a linked class."""
        return [pair for group in self.groups if group.action == "change"
                and group.after.kind == THROUGH_A_CLASS.kind for pair in group.pairs]

    def __bool__(self) -> bool:
        return bool(self.groups or self.class_rows)


# --- the one write path -------------------------------------------------------------


def change_enrolments(db, request: EnrolmentRequest, *, by: Actor, now: datetime
                      ) -> EnrolmentChanges:
    """Make ``request``'s change and journal it; nothing is journaled when nothing changed.

    A class change comes first (its link or membership, then the enrolments it brings or
    takes away), then removals, then additions. Statements run on the session's
    connection (the caller's transaction) as Core statements: ORM objects of enrolments
    already loaded are not updated.
    """
    if request.how.kind == THROUGH_A_CLASS.kind and (request.enrol or request.unenrol):
        raise ValueError("direct enrolments are individual or by import")
    db.flush()
    groups: list[PairGroup] = []
    class_rows, class_how = 0, None
    if request.classes is not None:
        class_how = _class_how(db, request.classes.class_id)
        class_rows = _class_change(db, request.classes, class_how, now, groups)
    if request.unenrol:
        _take_direct(db, set(request.unenrol), groups)
    if request.enrol:
        _give_direct(db, set(request.enrol), request.how, now, groups)
    changes = EnrolmentChanges(tuple(g for g in groups if g.pairs), class_rows)
    if changes:
        _journal(db, request, changes, class_how, by=by, now=now)
        notify.queue_welcomes(db, {session_id for session_id, _ in changes.added}, now=now,
                              count=len(changes.added))
        notify.queue_cancellations(db, changes.removed, now=now)
        refresh_learners_span(db, {session_id for group in changes.groups
                                   for session_id, _ in group.pairs}, now)
    return changes


def _class_how(db, class_id: int) -> How:
    user_class = db.get(UserClass, class_id)
    return How(THROUGH_A_CLASS.kind, class_id, user_class.name if user_class else "")


def _class_change(db, change: ClassChange, how: How, now: datetime,
                  groups: list[PairGroup]) -> int:
    """The link or membership, and the enrolments that follow it; returns how many
    class rows (links, memberships) were added or removed."""
    connection = db.connection()
    if change.joining:
        added = connection.execute(_class_row_insert(change, now)).all()
        pairs = _rows(connection.execute(_enrol_members(change, now)))
        groups.append(PairGroup("add", None, how, pairs))
        return len(added)
    pairs = _rows(connection.execute(_drop_class_enrolments(change)))
    groups.append(PairGroup("remove", how, None, pairs))
    return len(connection.execute(_class_row_delete(change)).all())


def _class_row_insert(change: ClassChange, now: datetime):
    """INSERT the link or membership unless it exists, RETURNING it when new."""
    if change.session_id is not None:
        table, other, stamp = SESSION_CLASS, "session_id", "linked_at"
        other_id = change.session_id
    else:
        table, other, stamp = MEMBERSHIP, "user_id", "added_at"
        other_id = change.user_id
    chosen = select(literal(change.class_id, Integer), literal(other_id, Integer),
                    literal(now, UTCDateTime)).where(~exists().where(
                        table.c.class_id == change.class_id, table.c[other] == other_id))
    return insert(table).from_select(["class_id", other, stamp], chosen) \
        .returning(table.c.class_id)


def _class_row_delete(change: ClassChange):
    if change.user_id is not None:
        return delete(MEMBERSHIP).where(MEMBERSHIP.c.class_id == change.class_id,
                                        MEMBERSHIP.c.user_id == change.user_id) \
            .returning(MEMBERSHIP.c.class_id)
    stmt = delete(SESSION_CLASS).where(SESSION_CLASS.c.class_id == change.class_id)
    if change.session_id is not None:
        stmt = stmt.where(SESSION_CLASS.c.session_id == change.session_id)
    return stmt.returning(SESSION_CLASS.c.class_id)


def _reached(change: ClassChange):
    """(sessions linked to the class, its members), narrowed to the change's session
    or member: the pairs the class reaches."""
    sessions = select(SESSION_CLASS.c.session_id).where(
        SESSION_CLASS.c.class_id == change.class_id)
    members = select(MEMBERSHIP.c.user_id).where(MEMBERSHIP.c.class_id == change.class_id)
    if change.session_id is not None:
        sessions = sessions.where(SESSION_CLASS.c.session_id == change.session_id)
    if change.user_id is not None:
        members = members.where(MEMBERSHIP.c.user_id == change.user_id)
    return sessions, members


def _enrol_members(change: ClassChange, now: datetime):
    """INSERT ... SELECT the pairs the class reaches that are not enrolled yet."""
    link, member = SESSION_CLASS, MEMBERSHIP
    chosen = select(
        link.c.session_id, member.c.user_id, literal(EnrolmentSource.CLASS.value),
        literal(False), literal(now, UTCDateTime), literal(0),
    ).join(member, member.c.class_id == link.c.class_id).where(
        link.c.class_id == change.class_id,
        ~exists().where(ENROLMENT.c.session_id == link.c.session_id,
                        ENROLMENT.c.user_id == member.c.user_id),
    )
    if change.session_id is not None:
        chosen = chosen.where(link.c.session_id == change.session_id)
    if change.user_id is not None:
        chosen = chosen.where(member.c.user_id == change.user_id)
    return insert(ENROLMENT).from_select(
        ["session_id", "user_id", "source", "direct", "enrolled_at", "extension_days"], chosen,
    ).returning(ENROLMENT.c.session_id, ENROLMENT.c.user_id)


def _held_only_by_class(change: ClassChange) -> list:
    """The enrolments the class reaches that only it holds: not direct, and through no
    other class linked to their session (the conditions, for a DELETE or a count)."""
    sessions, members = _reached(change)
    conditions = [
        ENROLMENT.c.session_id.in_(sessions),
        ENROLMENT.c.user_id.in_(members),
        ENROLMENT.c.direct.is_(False),
        ~in_linked_class(ENROLMENT.c.session_id, ENROLMENT.c.user_id,
                         except_class_id=change.class_id),
    ]
    if change.session_id is not None:
        conditions.append(ENROLMENT.c.session_id == change.session_id)
    if change.user_id is not None:
        conditions.append(ENROLMENT.c.user_id == change.user_id)
    return conditions


def _drop_class_enrolments(change: ClassChange):
    """DELETE the enrolments only the class holds."""
    return delete(ENROLMENT).where(*_held_only_by_class(change)).returning(
        ENROLMENT.c.session_id, ENROLMENT.c.user_id)


def unlink_impact(db, session_id: int, class_id: int) -> int:
    """How many learners unlinking the class from the session would unenrol (the rule
    of ``unlink_class``, counted without writing)."""
    change = ClassChange(class_id, False, session_id=session_id)
    return db.scalar(select(func.count()).select_from(ENROLMENT)
                     .where(*_held_only_by_class(change)))


def _enrolment_ids(db, pairs: Collection[Pair]):
    """SQL: the ids of the enrolments of ``pairs`` (through the unique index)."""
    source, session_id, user_id = pair_rows(db, pairs)
    return select(ENROLMENT.c.id).select_from(source).join(
        ENROLMENT, (ENROLMENT.c.session_id == session_id) & (ENROLMENT.c.user_id == user_id))


def _take_direct(db, pairs: set[Pair], groups: list[PairGroup]) -> None:
    """Take the direct reason from ``pairs``: delete the enrolments no linked class
    holds, then make the others class-held. The second statement runs only for pairs
    the first did not delete."""
    connection = db.connection()
    deleted = connection.execute(
        delete(ENROLMENT).where(
            ENROLMENT.c.id.in_(_enrolment_ids(db, pairs)),
            ~in_linked_class(ENROLMENT.c.session_id, ENROLMENT.c.user_id),
        ).returning(ENROLMENT.c.session_id, ENROLMENT.c.user_id, ENROLMENT.c.source,
                    ENROLMENT.c.direct)
    ).all()
    for how, held in _by_how(deleted).items():
        groups.append(PairGroup("remove", how, None, held))
    rest = pairs.difference((row[0], row[1]) for row in deleted)
    if not rest:
        return
    kept = connection.execute(
        update(ENROLMENT).where(ENROLMENT.c.id.in_(_enrolment_ids(db, rest)),
                                ENROLMENT.c.direct.is_(True))
        .values(direct=False)
        .returning(ENROLMENT.c.session_id, ENROLMENT.c.user_id, ENROLMENT.c.source,
                   ENROLMENT.c.direct)
    ).all()
    # RETURNING gives the new values: these were direct.
    for how, held in _by_how((s, u, source, True) for s, u, source, _ in kept).items():
        groups.append(PairGroup("change", how, THROUGH_A_CLASS, held))


def _give_direct(db, pairs: set[Pair], how: How, now: datetime,
                 groups: list[PairGroup]) -> None:
    """Give ``pairs`` a direct reason: enrol those not enrolled, then make direct those
    held by a class only. The second statement runs only for pairs not just enrolled."""
    connection = db.connection()
    source, session_id, user_id = pair_rows(db, pairs)
    chosen = select(session_id, user_id, literal(how.kind), literal(True),
                    literal(now, UTCDateTime), literal(0)).select_from(source).where(
        ~exists().where(ENROLMENT.c.session_id == session_id,
                        ENROLMENT.c.user_id == user_id)).order_by(user_id)
    added = _rows(connection.execute(insert(ENROLMENT).from_select(
        ["session_id", "user_id", "source", "direct", "enrolled_at", "extension_days"], chosen,
    ).returning(ENROLMENT.c.session_id, ENROLMENT.c.user_id)))
    groups.append(PairGroup("add", None, how, added))
    rest = pairs.difference(added)
    if not rest:
        return
    made_direct = _rows(connection.execute(
        update(ENROLMENT).where(ENROLMENT.c.id.in_(_enrolment_ids(db, rest)),
                                ENROLMENT.c.direct.is_(False))
        .values(direct=True).returning(ENROLMENT.c.session_id, ENROLMENT.c.user_id)
    ))
    groups.append(PairGroup("change", THROUGH_A_CLASS, how, made_direct))


def _rows(result) -> tuple[Pair, ...]:
    return tuple([(session_id, user_id) for session_id, user_id in result])


def _by_how(rows: Iterable) -> dict[How, tuple[Pair, ...]]:
    """Pairs of (session id, user id, source, direct) rows by how they were held."""
    found: dict[How, list[Pair]] = {}
    for session_id, user_id, source, direct in rows:
        if not direct:
            how = THROUGH_A_CLASS
        elif source == EnrolmentSource.IMPORT.value:
            how = BY_IMPORT
        else:
            how = INDIVIDUALLY
        found.setdefault(how, []).append((session_id, user_id))
    return {how: tuple(pairs) for how, pairs in found.items()}


def in_linked_class(session_id_col, user_id_col, *, except_class_id=None):
    """SQL: the user is a member of some class linked to the session."""
    conditions = [
        SessionClass.session_id == session_id_col,
        ClassMembership.class_id == SessionClass.class_id,
        ClassMembership.user_id == user_id_col,
    ]
    if except_class_id is not None:
        conditions.append(SessionClass.class_id != except_class_id)
    return exists().where(*conditions)


# --- the journal of a change ----------------------------------------------------------


def _journal(db, request: EnrolmentRequest, changes: EnrolmentChanges, class_how: How | None,
             *, by: Actor, now: datetime) -> None:
    """A head entry with the counts (none for one individual pair, or when ``under``
    is given), then one item per pair, one INSERT ... SELECT per group."""
    parent_id = request.under
    if parent_id is None:
        head = _head(db, request, changes, class_how, by=by, now=now)
        parent_id = head.id if head is not None else None
    for group in changes.groups:
        _record_items(db, group, parent_id, by=by, now=now)


def _head(db, request: EnrolmentRequest, changes: EnrolmentChanges, class_how: How | None,
          *, by: Actor, now: datetime) -> JournalEntry | None:
    change = request.classes
    counts = {"added": len(changes.added), "removed": len(changes.removed),
              "changed": len(changes.changed)}
    if change is not None and (change.session_id is not None or change.user_id is not None):
        counted = {"after": {"added": counts["added"]}} if change.joining \
            else {"before": {"removed": counts["removed"]}}
        if change.session_id is not None:  # a class linked to / unlinked from a session
            session = db.get(TrainingSession, change.session_id)
            kind, about = "session_class", {"session_id": change.session_id,
                                            "session_label": session.name if session else ""}
        else:  # a member added to / removed from a class
            user = db.get(User, change.user_id)
            kind, about = "class_member", {"learner_id": change.user_id,
                                           "learner_label": user.full_name if user else ""}
        return journal.record(db, by, now, kind, "add" if change.joining else "remove",
                              object_id=change.class_id, object_label=class_how.class_name,
                              **about, **counted)
    how = class_how or request.how
    pairs = [pair for group in changes.groups for pair in group.pairs]
    if how == INDIVIDUALLY and len(pairs) == 1:
        return None  # one learner added or removed: the item says it all
    sessions = {session_id for session_id, _ in pairs}
    where: dict = {}
    if len(sessions) == 1:
        session = db.get(TrainingSession, next(iter(sessions)))
        where = {"session_id": session.id, "session_label": session.name} if session else {}
    elif sessions:
        counts["sessions"] = len(sessions)
    return journal.record(db, by, now, "enrolments", "change", **where,
                          after={**counts, **how.journal()})


def _learner_label(users):
    name = func.trim(users.c.first_name + " " + users.c.last_name)
    return func.coalesce(func.substr(func.coalesce(func.nullif(name, ""), users.c.username),
                                     1, 200), "")


def _record_items(db, group: PairGroup, parent_id: int | None, *, by: Actor,
                  now: datetime) -> None:
    """One journal item per pair of ``group``, with the session's and learner's names
    of now, in one INSERT ... SELECT (the pairs sent back as one parameter)."""
    if ("enrolment", group.action) not in journal.ACTIONS:
        raise ValueError(f"unknown journal action enrolment.{group.action}")
    source, session_id, user_id = pair_rows(db, group.pairs)
    sessions, users = TrainingSession.__table__, User.__table__
    entry = JournalEntry.__table__

    def json_value(how: How | None):
        return literal(journal.jsonable(how.journal()), JSON) if how is not None else null()

    chosen = select(
        literal(now, UTCDateTime), literal(by.user_id, Integer), literal(by.name[:200], String),
        literal(by.request_id, String), literal(by.address, String), literal("enrolment"),
        literal(group.action), literal(""), session_id,
        func.coalesce(sessions.c.name, ""), user_id, _learner_label(users),
        literal(parent_id, BigInteger), json_value(group.before), json_value(group.after),
    ).select_from(source) \
        .outerjoin(sessions, sessions.c.id == session_id) \
        .outerjoin(users, users.c.id == user_id) \
        .order_by(user_id)  # the user table and the indexes in order (see pair_rows)
    db.connection().execute(insert(entry).from_select(
        ["at", "actor_id", "actor_name", "request_id", "address", "object_type", "action",
         "object_label", "session_id", "session_label", "learner_id", "learner_label",
         "parent_id", "before", "after"], chosen))


# --- the named changes --------------------------------------------------------------


def enrol_users(db, session_id: int, user_ids: Iterable[int],
                source: str = EnrolmentSource.INDIVIDUAL.value, *, by: Actor, now: datetime,
                under: int | None = None) -> EnrolmentChanges:
    """Enrol ``user_ids`` directly (individually or by import). Learners already there
    through a class become direct too, so unlinking the class later keeps them."""
    return change_enrolments(db, EnrolmentRequest(
        How(source), enrol={(session_id, uid) for uid in user_ids}, under=under),
        by=by, now=now)


class ClassRef(NamedTuple):
    id: int
    name: str


@dataclass(frozen=True)
class Removal:
    """An individual removal: ``removed`` when the enrolment went; otherwise the linked
    classes that keep the learner enrolled (``kept_by``, their names first)."""

    removed: bool
    kept_by_classes: tuple[str, ...] = ()
    kept_by: tuple[ClassRef, ...] = field(default=(), compare=False)
    changes: EnrolmentChanges = field(default_factory=EnrolmentChanges, compare=False)


def unenrol_user(db, session_id: int, user_id: int, *, by: Actor, now: datetime) -> Removal:
    """Remove a direct enrolment. A learner still in a linked class stays enrolled
    through it; the answer names those classes so the admin can unlink them instead."""
    changes = change_enrolments(db, EnrolmentRequest(unenrol={(session_id, user_id)}),
                                by=by, now=now)
    kept = () if changes.removed else classes_holding(db, session_id, user_id)
    return Removal(bool(changes.removed), tuple(c.name for c in kept), kept, changes)


def classes_holding(db, session_id: int, user_id: int) -> tuple[ClassRef, ...]:
    """The classes linked to the session that the user is a member of, by name."""
    return tuple(ClassRef(*row) for row in db.execute(
        select(UserClass.id, UserClass.name)
        .join(SessionClass, SessionClass.class_id == UserClass.id)
        .join(ClassMembership, ClassMembership.class_id == UserClass.id)
        .where(SessionClass.session_id == session_id, ClassMembership.user_id == user_id)
        .order_by(UserClass.name)
    ))


def link_class(db, session_id: int, class_id: int, *, by: Actor, now: datetime,
               under: int | None = None) -> EnrolmentChanges:
    """Link a class to a session and enrol its members who are not enrolled yet."""
    return change_enrolments(db, EnrolmentRequest(
        classes=ClassChange(class_id, True, session_id=session_id), under=under),
        by=by, now=now)


def unlink_class(db, session_id: int, class_id: int, *, by: Actor, now: datetime
                 ) -> EnrolmentChanges:
    """Unlink a class; unenrol its members who have no other reason to stay."""
    return change_enrolments(db, EnrolmentRequest(
        classes=ClassChange(class_id, False, session_id=session_id)), by=by, now=now)


def add_class_member(db, class_id: int, user_id: int, *, by: Actor, now: datetime
                     ) -> EnrolmentChanges:
    """Add a member to a class and enrol them wherever the class is linked."""
    return change_enrolments(db, EnrolmentRequest(
        classes=ClassChange(class_id, True, user_id=user_id)), by=by, now=now)


def remove_class_member(db, class_id: int, user_id: int, *, by: Actor, now: datetime
                        ) -> EnrolmentChanges:
    """Remove a member from a class and unenrol them from the sessions the class
    brought them to, unless enrolled there another way."""
    return change_enrolments(db, EnrolmentRequest(
        classes=ClassChange(class_id, False, user_id=user_id)), by=by, now=now)


def unlink_class_everywhere(db, class_id: int, *, by: Actor, now: datetime,
                            under: int | None = None) -> EnrolmentChanges:
    """Unlink a class from every session (before it is deleted): its enrolments follow."""
    return change_enrolments(db, EnrolmentRequest(
        classes=ClassChange(class_id, False), under=under), by=by, now=now)


def apply_import(db, file_name: str, enrol: Collection[Pair], unenrol: Collection[Pair], *,
                 by: Actor, now: datetime) -> EnrolmentChanges:
    """The adds and removes of a CSV import, across sessions, journaled under one head."""
    return change_enrolments(db, EnrolmentRequest(
        How(EnrolmentSource.IMPORT.value, file=file_name), enrol=enrol, unenrol=unenrol),
        by=by, now=now)


# --- individual dates and suspensions ---------------------------------------------

_DATE_FIELDS = ("extension_days", "own_start", "own_end", "dates_reason")


def learner_enrolment(db, session_id: int, user_id: int) -> Enrolment | None:
    """The enrolment of ``user_id`` in ``session_id``, if they are a learner there."""
    return db.scalar(select(Enrolment).where(Enrolment.session_id == session_id,
                                             Enrolment.user_id == user_id))


def class_learner_ids(db, session_id: int, class_id: int) -> list[int]:
    """The learners of the session who are members of ``class_id`` (linked to it)."""
    return list(db.scalars(
        select(Enrolment.user_id)
        .join(ClassMembership, ClassMembership.user_id == Enrolment.user_id)
        .join(SessionClass, (SessionClass.class_id == ClassMembership.class_id)
              & (SessionClass.session_id == Enrolment.session_id))
        .where(Enrolment.session_id == session_id, ClassMembership.class_id == class_id)
        .order_by(Enrolment.user_id)
    ))


def _enrolled_rows(db, session_id: int, user_ids: Iterable[int], fields: Iterable[str]):
    """The session's enrolments of ``user_ids`` (id, the learner's name and ``fields``)."""
    wanted = sorted(set(user_ids))
    if not wanted:
        return []
    return db.execute(
        select(Enrolment.user_id, User.first_name, User.last_name, User.username,
               *(getattr(Enrolment, name) for name in fields))
        .join(User, User.id == Enrolment.user_id)
        .where(Enrolment.session_id == session_id, Enrolment.user_id.in_(wanted))
        .order_by(Enrolment.user_id)
    ).all()


def _learner_change(db, session: TrainingSession, action: str, rows, after: dict,
                    fields: Iterable[str], *, by: Actor, now: datetime) -> list[int]:
    """Write ``after`` to the enrolments of ``rows`` whose values differ, journaled (a head
    entry when several change, one item each); returns the user ids changed."""
    items = []
    for row in rows:
        before = {name: getattr(row, name) for name in fields}
        was, now_is = journal.changes(before, after)
        if was or now_is:
            name = f"{row.first_name} {row.last_name}".strip() or row.username
            items.append({"learner_id": row.user_id, "learner_label": name,
                          "session_id": session.id, "session_label": session.name,
                          "before": was, "after": now_is})
    changed = [item["learner_id"] for item in items]
    if not changed:
        return []
    db.execute(update(Enrolment)
               .where(Enrolment.session_id == session.id, Enrolment.user_id.in_(changed))
               .values(**after))
    parent_id = None
    if len(changed) > 1:
        head_after = {"count": len(changed)}
        if action == "suspend":
            head_after["suspension_reason"] = after["suspension_reason"]
        parent_id = journal.record(db, by, now, "enrolments", action, session_id=session.id,
                                   session_label=session.name, after=head_after).id
    journal.record_items(db, by, now, "enrolment", action, items, parent_id=parent_id)
    return changed


def _plain_enrolment():
    """An enrolment of the session in question with no individual dates."""
    return exists().where(Enrolment.session_id == TrainingSession.id,
                          Enrolment.extension_days == 0, Enrolment.own_start.is_(None),
                          Enrolment.own_end.is_(None))


def refresh_learners_span(db, session_ids: Iterable[int], now: datetime) -> None:
    """Keep each session's learners span (what its admin-list status comes from when every
    learner has individual dates, see the model) after its learners or dates changed.

    One query to find the sessions concerned; the windows are then computed by
    ``access.learner_window`` for those sessions only (fixed dates: ``now`` is unused)."""
    ids = sorted(set(session_ids))
    if not ids:
        return
    ts = TrainingSession
    every_learner_own = ts.duration_days.is_(None) & (ts.learner_count > 0) & ~_plain_enrolment()
    rows = db.execute(select(TrainingSession.id, TrainingSession.learners_span,
                             every_learner_own.label("spanned"))
                      .where(TrainingSession.id.in_(ids))).all()
    for row in rows:
        if not row.spanned and not row.learners_span:
            continue  # the usual case: a learner with the session's dates, and no span kept
        values = {"learners_span": False, "learners_start": None, "learners_end": None}
        if row.spanned:
            facts = db.execute(select(*learner_fact_columns())
                               .where(Enrolment.session_id == row.id)).all()
            rules = SessionRules.of(db.get(TrainingSession, row.id))
            span = learners_span_of(learner_window(rules, learner_facts_of(f), now)
                                    for f in facts)
            values = {"learners_span": True, "learners_start": span.start,
                      "learners_end": span.end}
        # A Core UPDATE: not an edit of the session, so its version (which an open
        # session form checks) and its "updated" time stay as they are.
        db.execute(update(TrainingSession).where(TrainingSession.id == row.id).values(**values))
        loaded = db.identity_map.get(db.identity_key(TrainingSession, row.id))
        if loaded is not None:
            db.expire(loaded, list(values))


def change_learner_dates(db, session: TrainingSession, user_ids: Iterable[int], change, *,
                         by: Actor, now: datetime) -> list[int]:
    """Give the learners ``user_ids`` of ``session`` the individual dates ``change``
    (a learner_dates.DatesChange; its REMOVAL takes them away), journaled, and queue an
    updated invitation for each learner whose dates changed. Returns their user ids;
    ids that are not learners of the session are left out."""
    rows = _enrolled_rows(db, session.id, user_ids, _DATE_FIELDS)
    changed = _learner_change(db, session, "dates", rows, change.values, _DATE_FIELDS,
                              by=by, now=now)
    if changed:
        refresh_learners_span(db, [session.id], now)
        notify.queue_date_changes(db, session, {"access_end"}, now=now, user_ids=changed)
    return changed


def change_suspension(db, session: TrainingSession, user_ids: Iterable[int],
                      reason: str | None, *, by: Actor, now: datetime) -> list[int]:
    """Suspend the learners ``user_ids`` of ``session`` with ``reason``, or lift their
    suspension (``reason`` None), journaled; returns the user ids whose state changed
    (suspending someone suspended again changes only the reason)."""
    fields = ("suspended_at", "suspension_reason")
    rows = _enrolled_rows(db, session.id, user_ids, fields)
    if reason is None:
        rows = [row for row in rows if row.suspended_at is not None]
        after = {"suspended_at": None, "suspension_reason": None}
        return _learner_change(db, session, "lift", rows, after, fields, by=by, now=now)
    # The moment of a suspension is kept when only its reason changes.
    changed = []
    for suspended in (False, True):
        chosen = [row for row in rows if (row.suspended_at is not None) is suspended]
        after = {"suspension_reason": reason} if suspended \
            else {"suspended_at": now, "suspension_reason": reason}
        changed += _learner_change(db, session, "suspend", chosen, after, list(after),
                                   by=by, now=now)
    return changed


__all__ = [
    "BY_IMPORT", "INDIVIDUALLY", "THROUGH_A_CLASS", "ClassChange", "ClassRef",
    "EnrolmentChanges", "EnrolmentRequest", "How", "PairGroup", "Removal",
    "add_class_member", "apply_import", "change_enrolments", "change_learner_dates",
    "change_suspension", "class_learner_ids", "classes_holding",
    "enrol_users", "in_linked_class", "link_class", "remove_class_member", "unenrol_user",
    "unlink_class", "unlink_class_everywhere", "unlink_impact",
]
