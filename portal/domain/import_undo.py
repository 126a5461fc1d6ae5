"""Undo of an applied import (enrolments or sessions), from the History, for 30 days.

An import is one journal head with one item per change it made; undo reads those
items, reverts what is still as the import left it, and lists what it cannot revert
and why (a later change touched it). The undo is itself journaled, one head naming
the import it undoes, so undoing twice changes nothing.

Each kind of import registers the function that undoes it (``UNDOERS``, keyed by the
head entry's ``object_type``); ``undo_import`` picks it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import aliased

from ..models import Enrolment, EnrolmentSource, JournalEntry, TrainingSession, User
from . import journal
from .dates import format_local
from .enrolment import EnrolmentRequest, How, change_enrolments, in_linked_class
from .journal import Actor
from .language import _, ngettext
from .value_lists import one_of

UNDO_WINDOW = timedelta(days=30)
UNDO_ACTION = "undo"  # the action of an undo's head entry (object_id: the import's head)
ENROLMENT_IMPORT = "enrolments"  # object_type of an enrolment import's head
_MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class NotReverted:
    """One change of the import left as it is: what it was, and why."""

    what: str  # e.g. "Ann Martin in Onboarding 2027"
    why: str  # e.g. "enrolled again by hand on 3 Mar 2027"


@dataclass(frozen=True)
class UndoResult:
    reverted: int
    not_reverted: list[NotReverted] = field(default_factory=list)
    undo_entry_id: int | None = None  # the journal head of the undo; None: nothing done


# object_type of an import's head entry -> undo(db, head, *, by, now, tz) -> UndoResult.
# An undoer writes its own head entry: action "undo", object_id the import's head.
UNDOERS: dict[str, Callable] = {}
# object_type -> plan(db, head, tz) -> UndoPlan: what an undo would do now (the
# confirmation's numbers); kinds without one are counted by their items.
PLANNERS: dict[str, Callable] = {}


class UndoRefused(Exception):
    """The undo cannot be done; the message says why, for the admin."""


@dataclass(frozen=True)
class UndoStatus:
    """Where an import stands: ``undoable`` (until ``deadline``), ``undone`` (when, by
    whom, the undo's entry) or ``too_old``."""

    state: str
    deadline: datetime
    undone_at: datetime | None = None
    undone_by: str = ""
    undo_entry_id: int | None = None


@dataclass(frozen=True)
class UndoPlan:
    """What undoing would do now: ``revert`` changes, and those it would leave (all of
    them; the page shows the first ones). ``exact``: False when only an upper bound is
    known (``revert`` counts the import's changes)."""

    revert: int
    keep: list[NotReverted] = field(default_factory=list)
    exact: bool = True


def is_import_head(entry) -> bool:
    """True for the head entry of an applied import of a kind that can be undone."""
    if entry is None or getattr(entry, "parent_id", None) is not None \
            or entry.object_type not in UNDOERS:
        return False
    if entry.object_type == ENROLMENT_IMPORT:
        return entry.action == "change" and (entry.after or {}).get("how") == "import"
    return entry.action == "apply"


def import_file_name(head) -> str:
    """The name of the file an import head records."""
    return (head.after or {}).get("file") or head.object_label or "a file"


def undo_statuses(db, entries: Iterable, now: datetime) -> dict[int, UndoStatus]:
    """The status of each import head among ``entries`` (a page of the History), in one
    query whatever their number (none when the page has no import)."""
    heads = [e for e in entries if is_import_head(e)]
    if not heads:
        return {}
    # Heads only, after the oldest import: the (parent_id, id) index bounds the scan.
    undos = {row.object_id: row for row in db.execute(
        select(JournalEntry.object_id, JournalEntry.id, JournalEntry.at,
               JournalEntry.actor_name)
        .where(JournalEntry.parent_id.is_(None),
               JournalEntry.id > min(h.id for h in heads),
               JournalEntry.action == UNDO_ACTION,
               JournalEntry.object_type.in_({h.object_type for h in heads}),
               JournalEntry.object_id.in_([h.id for h in heads]))
        .order_by(JournalEntry.id))}
    statuses = {}
    for head in heads:
        deadline = head.at + UNDO_WINDOW
        undo = undos.get(head.id)
        if undo is not None:
            statuses[head.id] = UndoStatus("undone", deadline, undo.at,
                                           undo.actor_name or _("someone"), undo.id)
        else:
            statuses[head.id] = UndoStatus("undoable" if now <= deadline else "too_old",
                                           deadline)
    return statuses


def undo_status(db, head, now: datetime) -> UndoStatus | None:
    """The status of one import head; None when ``head`` is not an import."""
    return undo_statuses(db, [head], now).get(head.id) if head is not None else None


def import_head(db, head_id: int, now: datetime, tz: ZoneInfo) -> JournalEntry:
    """The import head ``head_id`` if it can be undone now; else UndoRefused saying why
    (not an import, already undone, older than the window)."""
    head = db.get(JournalEntry, head_id) if 0 < head_id <= _MAX_ID else None
    if not is_import_head(head):
        raise UndoRefused(_("This History entry is not an import: there is nothing to "
                            "undo."))
    status = undo_status(db, head, now)
    if status.state == "undone":
        raise UndoRefused(_("This import was already undone on %(when)s by %(who)s.",
                            when=format_local(status.undone_at, tz), who=status.undone_by))
    if status.state == "too_old":
        days = UNDO_WINDOW.days
        raise UndoRefused(ngettext(
            "This import is more than %(num)s day old (it could be undone until %(until)s): "
            "it can no longer be undone. Change the enrolments by hand instead.",
            "This import is more than %(num)s days old (it could be undone until %(until)s): "
            "it can no longer be undone. Change the enrolments by hand instead.", days,
            until=format_local(status.deadline, tz)))
    return head


def undo_plan(db, head_id: int, *, now: datetime, tz: ZoneInfo) -> tuple[JournalEntry, UndoPlan]:
    """The import and what undoing it would do now (for the confirmation); UndoRefused
    as ``import_head``."""
    head = import_head(db, head_id, now, tz)
    planner = PLANNERS.get(head.object_type)
    if planner is not None:
        return head, planner(db, head, tz)
    count = db.scalar(select(func.count()).select_from(JournalEntry)
                      .where(JournalEntry.parent_id == head.id))
    return head, UndoPlan(count, exact=False)


def undo_import(db, head_id: int, *, by: Actor, now: datetime,
                tz: ZoneInfo | None = None) -> UndoResult:
    """Undo the import whose journal head is ``head_id``, in the caller's transaction
    (the caller commits): what is still as the import left it goes back, the rest is
    listed with why. UndoRefused (nothing written) when it is not an import, was
    already undone or is older than UNDO_WINDOW."""
    tz = tz or ZoneInfo("UTC")
    if 0 < head_id <= _MAX_ID:
        # Two admins undoing at once: the second waits here, then finds the first's undo.
        db.execute(select(JournalEntry.id).where(JournalEntry.id == head_id)
                   .with_for_update())
    head = import_head(db, head_id, now, tz)
    return UNDOERS[head.object_type](db, head, by=by, now=now, tz=tz)


# --- the enrolment import -----------------------------------------------------------

@dataclass
class _EnrolmentPlan:
    """The pairs to unenrol (the import enrolled them or made them direct), to enrol
    again by origin (individual or import), and the items left as they are."""

    unenrol: set = field(default_factory=set)
    enrol: dict = field(default_factory=lambda: {EnrolmentSource.INDIVIDUAL.value: set(),
                                                 EnrolmentSource.IMPORT.value: set()})
    keep: list = field(default_factory=list)

    @property
    def revert(self) -> int:
        return len(self.unenrol) + sum(len(pairs) for pairs in self.enrol.values())


def _item_rows(db, head: JournalEntry):
    """The import's items, each with the state of its enrolment now and the id of the
    latest journal entry about its (session, learner) written since the import (or
    None): one Core query (rows as plain tuples), the latest entry found through the
    learner's (learner_id, id) index."""
    item, about = JournalEntry, aliased(JournalEntry)
    # "+ 0": the session is checked on the learner's entries, never walked through the
    # session's index (all of a big import's items: quadratic; SQLite picked it).
    latest = (select(func.max(about.id))
              .where(about.learner_id == item.learner_id,
                     about.session_id + 0 == item.session_id,
                     about.id > head.id,
                     or_(about.parent_id.is_(None), about.parent_id != head.id))
              .correlate(item).scalar_subquery())
    return db.connection().execute(
        # Only the "how" of each side: decoding 100,000 JSON values costs seconds.
        select(item.action, item.session_id, item.learner_id,
               item.before["how"].as_string(), item.after["how"].as_string(),
               TrainingSession.id, User.id, Enrolment.id, Enrolment.direct,
               case((item.action == "change",
                     in_linked_class(item.session_id, item.learner_id)), else_=False),
               item.session_label, item.learner_label, latest)
        .outerjoin(TrainingSession, TrainingSession.id == item.session_id)
        .outerjoin(User, User.id == item.learner_id)
        .outerjoin(Enrolment, and_(Enrolment.session_id == item.session_id,
                                   Enrolment.user_id == item.learner_id))
        .where(item.parent_id == head.id, item.object_type == "enrolment")
        .order_by(item.id))


def _enrolment_plan(db, head: JournalEntry, tz: ZoneInfo) -> _EnrolmentPlan:
    """Sort each item of the import: reverted (and how), or left as it is and why."""
    plan, kept = _EnrolmentPlan(), []
    # Plain tuples and no object per row: this loop sees every row of a big import.
    for (action, session_id, user_id, how_before, how_after, session_there, user_there,
         enrolment_id, direct, in_class, session_label, learner_label, later) in \
            _item_rows(db, head):
        why: str | int | None = None
        if session_there is None:
            why = _("the session was deleted")
        elif user_there is None:
            why = _("the account was deleted")
        elif later is not None:
            why = later  # the entry's id: told as a sentence below
        elif action == "add" or (action == "change" and how_after != "class"):
            # The import enrolled them, or made a class-held enrolment direct.
            if enrolment_id is None or not direct:
                why = _("no longer as the import left it")
            elif action == "change" and not in_class:
                why = _("no linked class holds them any more: undoing would unenrol them "
                        "(unenrol them by hand if that is meant)")
            else:
                plan.unenrol.add((session_id, user_id))
        # The import unenrolled them, or took their direct reason (a class keeps them).
        elif (enrolment_id is not None) if action == "remove" \
                else (enrolment_id is None or direct):
            why = _("no longer as the import left it")
        else:
            kind = EnrolmentSource.IMPORT.value if how_before == "import" \
                else EnrolmentSource.INDIVIDUAL.value
            plan.enrol[kind].add((session_id, user_id))
        if why is not None:
            learner = learner_label or _("learner %(id)s", id=user_id)
            kept.append((_("%(learner)s in %(session)s", learner=learner,
                           session=session_label) if session_label else learner, why))
    later_ids = [why for _, why in kept if isinstance(why, int)]
    entries = {e.id: e for e in db.scalars(select(JournalEntry).where(
        one_of(db, JournalEntry.id, later_ids)))} if later_ids else {}
    # "unenrolled (was enrolled by import) by Anne Martin on 3 Mar 2027 at 10:00"
    plan.keep = [NotReverted(what, journal.learner_sentence(entries[why], tz)
                             if isinstance(why, int) else why) for what, why in kept]
    return plan


def plan_enrolment_undo(db, head: JournalEntry, tz: ZoneInfo) -> UndoPlan:
    """What undoing the enrolment import ``head`` would do now."""
    plan = _enrolment_plan(db, head, tz)
    return UndoPlan(plan.revert, plan.keep)


def undo_enrolment_import(db, head: JournalEntry, *, by: Actor, now: datetime,
                          tz: ZoneInfo | None = None) -> UndoResult:
    """Revert an enrolment import: a learner it enrolled (or made direct) loses that
    direct reason (kept if a linked class holds them), a learner it unenrolled (or took
    the direct reason from) gets it back with the same origin; each only if nothing was
    journaled about that learner in that session since. Through the one enrolment write
    path, a fixed number of statements whatever the size; hand-ins and grades are not
    touched. Journal: one ("enrolments", "undo") head, the reverted pairs as its items."""
    tz = tz or ZoneInfo("UTC")
    file_name = import_file_name(head)
    plan = _enrolment_plan(db, head, tz)
    undo = journal.record(
        db, by, now, ENROLMENT_IMPORT, UNDO_ACTION, object_id=head.id,
        object_label=file_name, session_id=head.session_id,
        session_label=head.session_label,
        after={"undoes": head.id, "file": file_name, "reverted": plan.revert,
               "not_reverted": len(plan.keep)})
    if plan.unenrol:
        change_enrolments(db, EnrolmentRequest(
            How(EnrolmentSource.IMPORT.value, file=file_name, undo=True),
            unenrol=plan.unenrol, under=undo.id), by=by, now=now)
    for kind, pairs in plan.enrol.items():
        if pairs:
            change_enrolments(db, EnrolmentRequest(
                How(kind, file=file_name, undo=True), enrol=pairs, under=undo.id),
                by=by, now=now)
    return UndoResult(plan.revert, plan.keep, undo.id)


UNDOERS[ENROLMENT_IMPORT] = undo_enrolment_import
PLANNERS[ENROLMENT_IMPORT] = plan_enrolment_undo
