"""Assignment due dates: when a learner's work is due, in words, and whether it came late.

A due date belongs to an assignment inside one session (``AssignmentDue``): a fixed
moment, or N days after each learner's own access start. A learner's due moment comes
from their own window (``access.learner_window``) and facts: an extension moves every
due date of theirs by the same days. A due moment is read like a window end: a due date
typed as a day alone is due at the end of that day, and work handed in at or after the
due moment is late. Handing in late is allowed while the learner's window is open: the
access decision alone says who may hand in (``portal.domain.hand_in``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, insert, select

from ..models import Assignment, AssignmentDue, Course, Enrolment, TrainingSession
from . import journal
from .access import (
    LearnerFacts,
    SessionRules,
    learner_fact_columns,
    learner_facts_of,
    learner_window,
)
from .dates import (
    DateInputError,
    bound_day,
    days_text,
    format_bound,
    humanize_delta,
    input_value,
    parse_local,
    shifted,
    to_local,
)
from .journal import Actor
from .language import gettext as _
from .language import lazy_gettext as _l
from .language import ngettext

MAX_DUE_DAYS = 3650
FIXED, RELATIVE, NO_DUE = "fixed", "relative", "none"
KINDS = (NO_DUE, FIXED, RELATIVE)
KIND_UNKNOWN = _l("Choose no due date, a date and time, or a number of days.")
DATE_MISSING = _l("Write the due date, e.g. 2026-12-03 or 2026-12-03 17:00.")
DAYS_RANGE = _l("Write a whole number of days from 1 to %(max)s.", max=MAX_DUE_DAYS)
_DAYS = re.compile(r"\d{1,6}", re.ASCII)


@dataclass(frozen=True)
class DueRule:
    """When an assignment is due in a session: ``due_at`` (fixed) or ``due_days``
    after each learner's access start (relative), never both."""

    assignment_id: int
    due_at: datetime | None = None
    due_days: int | None = None

    @property
    def kind(self) -> str:
        return FIXED if self.due_at is not None else RELATIVE

    def journal_value(self):
        return self.due_at.isoformat() if self.due_at is not None else self.due_days


# --- the rules: a learner's due moment, and its words -----------------------------


def learner_due(rule: DueRule | None, rules: SessionRules, facts: LearnerFacts,
                now: datetime) -> datetime | None:
    """The moment ``rule`` makes the work of the learner with ``facts`` due.

    Fixed: the due moment, moved later by the learner's extension. Relative: the
    learner's own access start (``learner_window``: individual start, first access in
    duration mode, else the session's) plus the days, plus the extension. None when there
    is no rule, or for a relative rule when the learner's window has no start (a session
    with fixed dates and no access start): "N days after" nothing is no moment.
    """
    if rule is None:
        return None
    extension = timedelta(days=facts.extension_days or 0)
    if rule.due_at is not None:
        return shifted(rule.due_at, extension)
    start = learner_window(rules, facts, now).start
    if start is None:
        return None
    return shifted(start, timedelta(days=rule.due_days) + extension)


def is_late(submitted_at: datetime | None, due: datetime | None) -> bool:
    """Handed in at or after the due moment (which is exclusive, like a window end)."""
    return submitted_at is not None and due is not None and submitted_at >= due


def late_words(submitted_at: datetime, due: datetime) -> str:
    """'2 days late', '3 hours late'."""
    return _("%(delta)s late", delta=humanize_delta(submitted_at - due))


def due_text(due: datetime, tz: ZoneInfo) -> str:
    """The due moment as a date: '3 Dec 2026' (due by the end of that day),
    '3 Dec 2026 at 17:00'."""
    return format_bound(due, tz, is_end=True)


def due_words(due: datetime, now: datetime, tz: ZoneInfo) -> str:
    """How far the due moment is, counted in the viewer's calendar days: 'due in 3 days',
    'due tomorrow', 'due today', 'due today at 17:00', 'due yesterday', 'was due 5 days
    ago'. A due date given as a day alone is due by the end of that day."""
    whole_day = bound_day(due, tz, is_end=True)
    local = to_local(due, tz)
    day = whole_day if whole_day is not None else local.date()
    days = (day - to_local(now, tz).date()).days
    at = None if whole_day is not None else local.strftime("%H:%M")
    if due > now:
        if days <= 0:
            return _("due today at %(time)s", time=at) if at else _("due today")
        if days == 1:
            return _("due tomorrow at %(time)s", time=at) if at else _("due tomorrow")
        return ngettext("due in %(num)s day", "due in %(num)s days", days)
    if days >= 0:
        return _("was due today at %(time)s", time=at) if at else _("was due today")
    if days == -1:
        return _("due yesterday")
    return ngettext("was due %(num)s day ago", "was due %(num)s days ago", -days)


def rule_words(rule: DueRule, tz: ZoneInfo) -> str:
    """The rule as staff read it: 'Due 3 Dec 2026 at 17:00', 'Due 7 days after each
    learner's access start'."""
    if rule.due_at is not None:
        return _("Due %(due)s", due=due_text(rule.due_at, tz))
    return _("Due %(days)s after each learner's access start", days=days_text(rule.due_days))



@dataclass(frozen=True)
class LearnerDue:
    """One learner's due date of one assignment, as their course page shows it."""

    due: datetime | None
    text: str  # 'Due 3 Dec 2026 at 17:00', or why there is no date yet
    words: str  # 'due in 3 days'; '' when handed in or without a date
    late: str  # 'Handed in 2 days late'; '' when on time or not handed in


def learner_due_view(rule: DueRule | None, rules: SessionRules, facts: LearnerFacts,
                     submitted_at: datetime | None, now: datetime, tz: ZoneInfo
                     ) -> LearnerDue | None:
    """What a learner reads about the due date of one assignment; None without a rule."""
    if rule is None:
        return None
    due = learner_due(rule, rules, facts, now)
    if due is None:
        return LearnerDue(None, _("Due %(days)s after your access starts",
                                  days=days_text(rule.due_days)), "", "")
    late = (_("Handed in %(late)s", late=late_words(submitted_at, due))
            if is_late(submitted_at, due) else "")
    words = due_words(due, now, tz) if submitted_at is None else ""
    return LearnerDue(due, _("Due %(due)s", due=due_text(due, tz)), words, late)


# --- reading ----------------------------------------------------------------------


def _rule_of(row) -> DueRule:
    return DueRule(row.assignment_id, row.due_at, row.due_days)


def session_due_rules(db_session, session_id: int, course_id: int | None = None
                      ) -> dict[int, DueRule]:
    """assignment id -> its due rule in the session (in one course), in one query."""
    stmt = select(AssignmentDue.assignment_id, AssignmentDue.due_at, AssignmentDue.due_days) \
        .where(AssignmentDue.session_id == session_id)
    if course_id is not None:
        stmt = stmt.where(AssignmentDue.course_id == course_id)
    return {row.assignment_id: _rule_of(row) for row in db_session.execute(stmt)}


def learner_facts_by_user(db_session, session_id: int, user_ids: Iterable[int]
                          ) -> dict[int, LearnerFacts]:
    """user id -> the facts of their enrolment in the session, for ``user_ids``, in one
    query (none for an empty list)."""
    user_ids = list(user_ids)
    if not user_ids:
        return {}
    rows = db_session.execute(
        select(Enrolment.user_id, *learner_fact_columns())
        .where(Enrolment.session_id == session_id, Enrolment.user_id.in_(user_ids)))
    return {row.user_id: learner_facts_of(row) for row in rows}


def dues_of(due_rules: Mapping[int, DueRule], rules: SessionRules,
            facts: Mapping[int, LearnerFacts], now: datetime
            ) -> dict[tuple[int, int], datetime | None]:
    """(user id, assignment id) -> the learner's due moment, for every learner of
    ``facts`` and every rule of ``due_rules``."""
    return {(user_id, assignment_id): learner_due(rule, rules, learner, now)
            for user_id, learner in facts.items()
            for assignment_id, rule in due_rules.items()}


def learner_dues(db_session, session: TrainingSession, course_id: int | None,
                 user_ids: Iterable[int], now: datetime
                 ) -> tuple[dict[tuple[int, int], datetime | None], dict[int, LearnerFacts]]:
    """The due moments of a page of learners (and their facts), in two queries."""
    due_rules = session_due_rules(db_session, session.id, course_id)
    facts = learner_facts_by_user(db_session, session.id, user_ids)
    return dues_of(due_rules, SessionRules.of(session), facts, now), facts


# --- the admin's form -------------------------------------------------------------


@dataclass(frozen=True)
class TypedDue:
    """One assignment's due date as typed in the form (kept to show it back)."""

    kind: str = NO_DUE
    at: str = ""
    days: str = ""


def field_names(assignment_id: int) -> tuple[str, str, str]:
    return f"kind_{assignment_id}", f"at_{assignment_id}", f"days_{assignment_id}"


def typed_of(rules: Mapping[int, DueRule], assignment_ids: Iterable[int], tz: ZoneInfo
             ) -> dict[int, TypedDue]:
    """The form's values for the rules in place."""
    typed = {}
    for assignment_id in assignment_ids:
        rule = rules.get(assignment_id)
        if rule is None:
            typed[assignment_id] = TypedDue()
        elif rule.due_at is not None:
            typed[assignment_id] = TypedDue(FIXED, input_value(rule.due_at, tz, is_end=True))
        else:
            typed[assignment_id] = TypedDue(RELATIVE, days=str(rule.due_days))
    return typed


def read_due_form(form: Mapping, assignment_ids: Iterable[int], tz: ZoneInfo
                  ) -> tuple[dict[int, TypedDue], dict[int, DueRule | None], dict[str, str]]:
    """Read the due-date form: what was typed (per assignment), the rules it gives
    (None: no due date) and the field errors (field name -> message; empty when it
    reads). A fixed date is read in ``tz``; a day alone is due by the end of that day."""
    typed, values, errors = {}, {}, {}
    for assignment_id in assignment_ids:
        kind_name, at_name, days_name = field_names(assignment_id)
        entry = TypedDue(str(form.get(kind_name, NO_DUE) or NO_DUE)[:20],
                         str(form.get(at_name, "") or "")[:100].strip(),
                         str(form.get(days_name, "") or "")[:20].strip())
        typed[assignment_id] = entry
        if entry.kind == NO_DUE:
            values[assignment_id] = None
        elif entry.kind == FIXED:
            try:
                due_at = parse_local(entry.at, tz, is_end=True)
            except DateInputError as error:
                errors[at_name] = str(error)
                continue
            if due_at is None:
                errors[at_name] = str(DATE_MISSING)
                continue
            values[assignment_id] = DueRule(assignment_id, due_at=due_at)
        elif entry.kind == RELATIVE:
            days = int(entry.days) if _DAYS.fullmatch(entry.days) else None
            if days is None or not 1 <= days <= MAX_DUE_DAYS:
                errors[days_name] = str(DAYS_RANGE)
                continue
            values[assignment_id] = DueRule(assignment_id, due_days=days)
        else:
            errors[kind_name] = str(KIND_UNKNOWN)
    return typed, values, errors


def due_warnings(session: TrainingSession, values: Mapping[int, DueRule | None],
                 titles: Mapping[int, str], tz: ZoneInfo) -> list[str]:
    """Due dates that read but make little sense against the session's dates: they are
    saved, and the admin is told. A fixed due date outside the access window (no hand-in
    can be late after the window closes; every one is late before it opens); a relative
    one past a duration-mode session's days."""
    notes = []
    for assignment_id, rule in values.items():
        if rule is None:
            continue
        title = titles.get(assignment_id, "")
        if rule.due_at is not None and session.access_end is not None \
                and rule.due_at > session.access_end:
            notes.append(_("“%(title)s” is due after the access window ends (%(end)s): no "
                           "hand-in can be late.", title=title,
                           end=format_bound(session.access_end, tz, is_end=True)))
        elif rule.due_at is not None and session.access_start is not None \
                and rule.due_at <= session.access_start:
            notes.append(_("“%(title)s” is due before the access window opens (%(start)s): "
                           "every hand-in will be late.", title=title,
                           start=format_bound(session.access_start, tz, is_end=False)))
        elif rule.due_days is not None and session.duration_days is not None \
                and rule.due_days > session.duration_days:
            notes.append(_("“%(title)s” is due after each learner's %(days)s of access: no "
                           "hand-in can be late, unless the learner gets an extension.",
                           title=title, days=days_text(session.duration_days)))
    return notes


# --- writing ----------------------------------------------------------------------


@dataclass(frozen=True)
class DueDatesSaved:
    """What saving a course's due dates changed (assignment title -> value; a value is
    an ISO 8601 UTC instant, a number of days, or None for no due date)."""

    before: dict
    after: dict

    @property
    def changed(self) -> int:
        return len(self.after)


def set_due_dates(db_session, session_id: int, course_id: int,
                  values: Mapping[int, DueRule | None], *, by: Actor, now: datetime
                  ) -> DueDatesSaved:
    """Replace the due dates of the course's assignments in the session with ``values``
    (assignment id -> rule, None: no due date; assignments of other courses are ignored)
    and journal it (("assignment_due", "update"), one entry for the course). Writes
    nothing, and journals nothing, when nothing changes. The caller commits."""
    assignments = list(db_session.execute(
        select(Assignment.id, Assignment.title).where(Assignment.course_id == course_id)
        .order_by(Assignment.position, Assignment.id)))
    existing = session_due_rules(db_session, session_id, course_id)
    before, after, changed_ids, rows = {}, {}, [], []
    for assignment in assignments:
        if assignment.id not in values:
            continue
        new, old = values[assignment.id], existing.get(assignment.id)
        if new is not None and not (new.due_at is None) ^ (new.due_days is None):
            raise ValueError("a due date is fixed or relative")
        if new is not None and new.due_days is not None \
                and not 0 <= new.due_days <= MAX_DUE_DAYS:
            raise ValueError("due days out of range")
        old_value = old.journal_value() if old else None
        new_value = new.journal_value() if new else None
        if old_value == new_value:
            continue
        before[assignment.title], after[assignment.title] = old_value, new_value
        changed_ids.append(assignment.id)
        if new is not None:
            rows.append({"session_id": session_id, "assignment_id": assignment.id,
                         "course_id": course_id, "due_at": new.due_at,
                         "due_days": new.due_days})
    if not changed_ids:
        return DueDatesSaved({}, {})
    db_session.execute(delete(AssignmentDue).where(
        AssignmentDue.session_id == session_id, AssignmentDue.assignment_id.in_(changed_ids)))
    if rows:
        db_session.execute(insert(AssignmentDue), rows)
    session = db_session.get(TrainingSession, session_id)
    course = db_session.get(Course, course_id)
    journal.record(db_session, by, now, "assignment_due", "update",
                   object_id=course_id, object_label=course.title if course else "",
                   session_id=session_id, session_label=session.name if session else "",
                   before=before, after=after)
    return DueDatesSaved(before, after)


def course_due_views(db_session, session: TrainingSession, course_id: int, user_id: int, *,
                     as_learner: bool, submitted: Mapping[int, datetime | None],
                     now: datetime, tz: ZoneInfo) -> dict[int, LearnerDue]:
    """assignment id -> what the viewer reads about its due date on the course page, in
    two queries at most: a learner their own due date (``submitted``: assignment id ->
    when they handed it in, if they did), anyone else the rule."""
    due_rules = session_due_rules(db_session, session.id, course_id)
    if not due_rules:
        return {}
    facts = learner_facts_by_user(db_session, session.id, [user_id]).get(user_id) \
        if as_learner else None
    if facts is None:
        return {aid: LearnerDue(None, rule_words(rule, tz), "", "")
                for aid, rule in due_rules.items()}
    rules = SessionRules.of(session)
    return {aid: learner_due_view(rule, rules, facts, submitted.get(aid), now, tz)
            for aid, rule in due_rules.items()}
