"""The access explainer: for one user, one session and one moment, what the date gate
answers to each need, which window decided it, and why, in sentences.

Nothing here decides anything: the relation comes from the gate's loader
(``access.relation_for``), the answer from ``access.decide`` / ``allows`` /
``role_missing``, the windows from ``learner_window`` / ``coach_window`` and the
My sessions tab from ``my_sessions.place``. This module only puts them into words.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import exists, select

from ..models import (
    Course,
    Enrolment,
    SessionCourse,
    SessionCourseCoach,
    TrainingSession,
    User,
)
from .access import (
    Access,
    Decision,
    Outcome,
    Relation,
    SessionRules,
    Status,
    Window,
    WindowKind,
    coach_window,
    decide,
    gate_outcome,
    learner_window,
    learner_window_kind,
    relation_for,
)
from .dates import (
    FIRST_YEAR,
    LAST_YEAR,
    YEAR_OUT_OF_RANGE,
    DateInputError,
    date_range,
    days_text,
    ended_text,
    format_bound,
    format_local,
    humanize_delta,
    opens_text,
    parse_local,
    window_words,
)
from .language import gettext as _
from .language import lazy_gettext as _l
from .my_sessions import TAB_LABELS, TABS, place, read_tab
from .text_search import clean_search, find_user

# The needs of the gate an admin asks about, with the words for each.
NEED_LABELS = {"view": _l("View the session"), "submit": _l("Hand in work"),
               "grade": _l("Grade"), "track": _l("See tracking")}
# What each may do, by who ("coaches" or "this learner") and need.
_MAY = {
    "coaches": {"view": _l("coaches may open it"), "submit": _l("coaches may hand in work"),
                "grade": _l("coaches may grade"), "track": _l("coaches may see tracking")},
    "this learner": {"view": _l("this learner may open it"),
                     "submit": _l("this learner may hand in work"),
                     "grade": _l("this learner may grade"),
                     "track": _l("this learner may see tracking")},
}
_MAY_AFTER_END = {
    "coaches": {
        "view": _l("after its end the session stays open (after-end policy): coaches may "
                   "open it"),
        "submit": _l("after its end the session stays open (after-end policy): coaches may "
                     "hand in work"),
        "grade": _l("after its end the session stays open (after-end policy): coaches may "
                    "grade"),
        "track": _l("after its end the session stays open (after-end policy): coaches may "
                    "see tracking")},
    "this learner": {
        "view": _l("after its end the session stays open (after-end policy): this learner "
                   "may open it"),
        "submit": _l("after its end the session stays open (after-end policy): this learner "
                     "may hand in work"),
        "grade": _l("after its end the session stays open (after-end policy): this learner "
                    "may grade"),
        "track": _l("after its end the session stays open (after-end policy): this learner "
                    "may see tracking")},
}
_READ_ONLY = {
    "view": _l("after its end the session is read only (after-end policy): may read it but "
               "change nothing"),
    "submit": _l("after its end the session is read only (after-end policy): nothing can be "
                 "handed in"),
    "grade": _l("after its end the session is read only (after-end policy): no grade can be "
                "changed"),
    "track": _l("after its end the session is read only (after-end policy): may still see "
                "tracking")}
_ROLE_OF_NEED = {"submit": "learner", "grade": "coach", "track": "coach", "view": "any"}
LARGEST_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL
MOMENT_YEAR_OUT_OF_RANGE = _l("Use a year from %(first)s to %(last)s; leave it empty for now.",
                              first=FIRST_YEAR, last=LAST_YEAR)


@dataclass(frozen=True)
class Span:
    """A window as the explainer shows it: in the admin's zone and in the user's."""

    kind: str  # display, access, coach, extended, individual, duration, suspension
    label: str
    in_admin_zone: str
    in_user_zone: str
    status: Status | None  # where the moment falls in it; None for a suspension


@dataclass(frozen=True)
class NeedAnswer:
    need: str
    label: str
    outcome: Outcome
    outcome_text: str
    decision: Decision  # the part of the decision this need reads
    window: Span | None  # the window that applied; None for admins and strangers
    sentences: tuple[str, ...]


@dataclass(frozen=True)
class Listing:
    """Whether the session is in the user's My sessions at the moment, and why."""

    listed: bool
    tab: str | None
    sentences: tuple[str, ...]


@dataclass(frozen=True)
class Explanation:
    user: User
    at: datetime
    at_in_admin_zone: str
    at_in_user_zone: str
    admin_zone: str
    user_zone: str
    access: Access
    roles: tuple[str, ...]
    needs: tuple[NeedAnswer, ...]
    windows: tuple[Span, ...]
    listing: Listing
    course_notes: tuple[str, ...]


@dataclass(frozen=True)
class _Enrolment:
    """The words of an enrolment the decision's facts leave out."""

    dates_reason: str | None
    suspended_at: datetime | None
    suspension_reason: str | None


class _Words:
    """Formats windows and moments in the admin's zone and the user's."""

    def __init__(self, admin_tz: ZoneInfo, user_tz: ZoneInfo, at: datetime):
        self.admin_tz, self.user_tz, self.at = admin_tz, user_tz, at

    def span(self, kind: str, label: str, window: Window) -> Span:
        return Span(kind, label, date_range(window.start, window.end, self.admin_tz),
                    date_range(window.start, window.end, self.user_tz), window.status(self.at))

    def position(self, window: Window) -> str:
        status = window.status(self.at)
        if status is Status.UPCOMING:
            return _("the moment is before it (it %(opens)s)",
                     opens=opens_text(window.start, self.admin_tz))
        if status is Status.PAST:
            return _("the moment is after its end (it %(ended)s)",
                     ended=ended_text(window.end, self.admin_tz))
        return _("the moment is inside it")

    def words(self, window: Window) -> str:
        return window_words(window.start, window.end, self.admin_tz)


def explain(db, session: TrainingSession, user: User, at: datetime, admin_tz: ZoneInfo,
            user_tz: ZoneInfo) -> Explanation:
    """Why the gate answers what it answers to ``user`` in ``session`` at ``at``
    (session level: no course; course coaches get a note per course)."""
    relation = relation_for(db, user, session, None)
    rules = SessionRules.of(session)
    access = decide(relation, rules, at)
    words = _Words(admin_tz, user_tz, at)
    enrolment = _enrolment_words(db, session, user) if relation.learner is not None else None
    learner_span = _learner_span(words, rules, relation, enrolment)
    coach_span = _coach_span(words, rules) if relation.is_coach else None
    needs = tuple(_answer(need, words, rules, relation, access, learner_span, coach_span,
                          enrolment) for need in NEED_LABELS)
    windows = [words.span("display", _("Display window"),
                          Window(session.display_start, session.display_end)),
               words.span("access", _("Access window"), rules.access),
               coach_span or _coach_span(words, rules)]
    if learner_span is not None and learner_span.kind != "access":
        windows.append(learner_span)
    return Explanation(
        user=user, at=at,
        at_in_admin_zone=format_local(at, admin_tz), at_in_user_zone=format_local(at, user_tz),
        admin_zone=admin_tz.key, user_zone=user_tz.key, access=access,
        roles=_roles(session, user, relation),
        needs=needs, windows=tuple(windows),
        listing=_listing(words, session, rules, relation, user, needs[0]),
        course_notes=_course_notes(db, session, user, relation, at),
    )


# --- the parts --------------------------------------------------------------------


def _enrolment_words(db, session: TrainingSession, user: User) -> _Enrolment:
    row = db.execute(select(Enrolment.dates_reason, Enrolment.suspended_at,
                            Enrolment.suspension_reason)
                     .where(Enrolment.session_id == session.id,
                            Enrolment.user_id == user.id)).one_or_none()
    if row is None:  # removed since the relation was read
        return _Enrolment(None, None, None)
    return _Enrolment(row.dates_reason, row.suspended_at, row.suspension_reason)


def _learner_span(words: _Words, rules: SessionRules, relation: Relation,
                  enrolment: _Enrolment | None) -> Span | None:
    facts = relation.learner
    if facts is None:
        return None
    window = learner_window(rules, facts, words.at)
    kind = learner_window_kind(rules, facts)
    reason = enrolment.dates_reason if enrolment else None
    if kind is WindowKind.INDIVIDUAL:
        label = _("Individual window")
    elif kind is WindowKind.EXTENDED:
        label = _("Access window extended by %(days)s", days=days_text(facts.extension_days))
    elif kind is WindowKind.DURATION and facts.extension_days:
        label = _("Duration: %(days)s plus %(extra)s from the first visit",
                  days=days_text(rules.duration_days), extra=days_text(facts.extension_days))
    elif kind is WindowKind.DURATION:
        label = _("Duration: %(days)s from the first visit", days=days_text(rules.duration_days))
    else:
        label = _("Access window")
        reason = None
    if reason and kind is not WindowKind.DURATION:
        label = _("%(window)s (%(reason)s)", window=label, reason=reason)
    elif reason and facts.extension_days:
        label = _("Duration: %(days)s plus %(extra)s (%(reason)s) from the first visit",
                  days=days_text(rules.duration_days), extra=days_text(facts.extension_days),
                  reason=reason)
    return words.span(kind.value, label, window)


def _coach_span(words: _Words, rules: SessionRules) -> Span:
    label = _("Coach window") if rules.coach is not None else (
        _("Coach window (unset: the access window applies)"))
    return words.span("coach", label, coach_window(rules))



def _window_of(span: Span, rules: SessionRules, relation: Relation, at: datetime) -> Window:
    if span.kind == "coach":
        return coach_window(rules)
    return learner_window(rules, relation.learner, at)


def _answer(need: str, words: _Words, rules: SessionRules, relation: Relation, access: Access,
            learner_span: Span | None, coach_span: Span | None,
            enrolment: _Enrolment | None) -> NeedAnswer:
    outcome = gate_outcome(access, need)
    label = NEED_LABELS[need]
    if access.is_admin:
        if outcome is Outcome.NOT_FOUND:
            return NeedAnswer(need, label, outcome, _("Not found (404)"), Decision.NONE, None, (
                _("Admins may do everything but hand in work: that is for learners, and the "
                  "gate reads no enrolment for an admin."),))
        return NeedAnswer(need, label, outcome, _("Allowed"), Decision.OPEN, None,
                          (_("Admins may do everything, at any moment."),))
    if outcome is Outcome.NOT_FOUND:
        return NeedAnswer(need, label, outcome, _("Not found (404)"), access.as_coach
                          if _ROLE_OF_NEED[need] == "coach" else access.as_learner, None,
                          (_no_role(need),))
    parts = []  # (role, its decision, its window)
    if coach_span is not None and need != "submit":
        parts.append(("coach", access.as_coach, coach_span))
    if learner_span is not None and need in ("view", "submit"):
        parts.append(("learner", access.as_learner, learner_span))
    sentences = [_part_sentence(role, decision, span, need, words, rules, relation, enrolment)
                 for role, decision, span in parts]
    applied = parts[0]
    if len(parts) == 2:
        coach, learner = parts
        applied = coach if coach[1] is access.decision else learner
        sentences.append(_("Both roles: the more generous answer wins (as coach: %(coach)s; as "
                           "learner: %(learner)s).", coach=_decision_words(coach[1]),
                           learner=_decision_words(learner[1])))
    role, decision, span = applied
    window = _window_of(span, rules, relation, words.at)
    if role == "learner" and decision is Decision.SUSPENDED:
        span, window = _suspension_span(enrolment, words), None
    text = _outcome_text(outcome, decision, window, words)
    return NeedAnswer(need, label, outcome, text, decision, span, tuple(sentences))


def _suspension_span(enrolment: _Enrolment, words: _Words) -> Span:
    since = enrolment.suspended_at
    label = (_("Suspension (%(reason)s)", reason=enrolment.suspension_reason)
             if enrolment.suspension_reason else _("Suspension"))
    return Span("suspension", label, _since(since, words.admin_tz),
                _since(since, words.user_tz), None)


def _since(moment: datetime | None, tz: ZoneInfo) -> str:
    return (_("Since %(moment)s", moment=format_local(moment, tz)) if moment is not None
            else _("Suspended"))


def _no_role(need: str) -> str:
    if need == "submit":
        return _("Not enrolled as a learner: only learners hand in work, others get Not found.")
    if need in ("grade", "track"):
        return _("Not a coach of this session: only coaches and admins may, others get Not "
                 "found.")
    return _("Not enrolled and not a coach of this session: its pages answer Not found, "
             "with no hint that the session exists.")


def _part_sentence(role: str, decision: Decision, span: Span, need: str, words: _Words,
                   rules: SessionRules, relation: Relation, enrolment: _Enrolment | None) -> str:
    if role == "learner" and decision is Decision.SUSPENDED:
        if enrolment and enrolment.suspended_at:
            state = _("Suspended since %(moment)s",
                      moment=format_local(enrolment.suspended_at, words.admin_tz))
        else:
            state = _("Suspended")
        if enrolment and enrolment.suspension_reason:
            state = _("%(state)s (%(reason)s)", state=state, reason=enrolment.suspension_reason)
        return _("%(state)s: a suspended learner opens nothing inside the session; they keep "
                 "their hand-ins and grades.", state=state)
    window = _window_of(span, rules, relation, words.at)
    who = "coaches" if role == "coach" else "this learner"
    ended = window.status(words.at) is Status.PAST
    sentence = _("%(window)s: %(dates)s; %(position)s; %(consequence)s.", window=span.label,
                 dates=words.words(window), position=words.position(window),
                 consequence=_consequence(decision, need, who, ended))
    if span.kind == "duration" and relation.learner.first_access_at is None:
        sentence = _("%(sentence)s Not visited yet: opening the session at this moment starts "
                     "the days.", sentence=sentence)
    return sentence


def _consequence(decision: Decision, need: str, who: str, ended: bool) -> str:
    coaches = who == "coaches"
    if decision is Decision.NOT_YET:
        return (_("coaches get the locked page that says when it opens") if coaches
                else _("this learner gets the locked page that says when it opens"))
    if decision is Decision.CLOSED:
        return (_("after its end the session is closed (after-end policy): coaches get the "
                  "locked page") if coaches
                else _("after its end the session is closed (after-end policy): this learner "
                       "gets the locked page"))
    if decision is Decision.READ_ONLY:
        return str(_READ_ONLY[need])
    if ended:  # open after the end: the after-end policy is open
        return str(_MAY_AFTER_END[who][need])
    return str(_MAY[who][need])


def _decision_words(decision: Decision) -> str:
    return str({
        Decision.OPEN: _l("open"), Decision.NOT_YET: _l("not yet"), Decision.CLOSED: _l("closed"),
        Decision.READ_ONLY: _l("read only"), Decision.SUSPENDED: _l("suspended"),
        Decision.NONE: _l("none"),
    }.get(decision, decision.value.replace("_", " ")))


def _outcome_text(outcome: Outcome, decision: Decision, window: Window | None,
                  words: _Words) -> str:
    if outcome is Outcome.ALLOWED:
        return _("Allowed, read only") if decision is Decision.READ_ONLY else _("Allowed")
    if window is not None and decision is Decision.NOT_YET:
        return _("Locked page (403): not open yet: opens on %(start)s (in %(wait)s)",
                 start=format_bound(window.start, words.admin_tz, is_end=False),
                 wait=humanize_delta(window.start - words.at))
    if window is not None and decision is Decision.CLOSED:
        return _("Locked page (403): ended, closed: ended on %(end)s",
                 end=format_bound(window.end, words.admin_tz, is_end=True))
    if window is not None and decision is Decision.READ_ONLY:
        return _("Locked page (403): ended, read only: ended on %(end)s",
                 end=format_bound(window.end, words.admin_tz, is_end=True))
    return {
        Decision.NOT_YET: _("Locked page (403): not open yet"),
        Decision.CLOSED: _("Locked page (403): ended, closed"),
        Decision.READ_ONLY: _("Locked page (403): ended, read only"),
        Decision.SUSPENDED: _("Locked page (403): suspended"),
    }.get(decision) or _("Locked page (403): not available")


def _roles(session: TrainingSession, user: User, relation: Relation) -> tuple[str, ...]:
    name = user.full_name
    roles = []
    if not user.active:
        roles.append(_("%(name)s's account is inactive: they cannot sign in, whatever the "
                       "decision below.", name=name))
    if relation.is_admin:
        roles.append(_("%(name)s is a platform admin. Admins may do everything (but hand in "
                       "work).", name=name))
        return tuple(roles)
    if session.coach_id == user.id:
        roles.append(_("%(name)s is the session coach.", name=name))
    elif relation.is_coach:
        roles.append(_("%(name)s is a course coach in this session.", name=name))
    if relation.learner is not None:
        roles.append(_("%(name)s is enrolled as a learner (suspended).", name=name)
                     if relation.learner.suspended
                     else _("%(name)s is enrolled as a learner.", name=name))
    if not roles or (not user.active and len(roles) == 1):
        roles.append(_("%(name)s is neither enrolled nor a coach in this session.", name=name))
    return tuple(roles)


def _listing(words: _Words, session: TrainingSession, rules: SessionRules, relation: Relation,
             user: User, view: NeedAnswer) -> Listing:
    display = Window(session.display_start, session.display_end)
    head = _("Display window: %(dates)s; %(position)s", dates=words.words(display),
             position=words.position(display))
    if relation.learner is None:
        sentence = _("%(head)s. My sessions lists only the sessions a user is enrolled in as a "
                     "learner: this session is not in %(name)s's.", head=head,
                     name=user.full_name)
        if relation.is_coach:
            sentence = _("%(sentence)s Coaches find it under Coaching.", sentence=sentence)
        return Listing(False, None, (sentence,))
    status = display.status(words.at)
    opening = _("A learner who opens its address at this moment gets %(what)s.",
                what=_gets(view))
    if status is Status.UPCOMING:
        return Listing(False, None, (_("%(head)s: the session is not listed in My sessions "
                                       "until then.", head=head), opening))
    if status is Status.PAST:
        return Listing(False, None, (_("%(head)s: the session is no longer listed in My "
                                       "sessions.", head=head), opening))
    _first, tab_status, _last = place(rules, relation.learner, words.at)
    tab = next(name for name, value in TABS.items() if value is tab_status)
    return Listing(True, tab, (_("%(head)s: the session is listed in My sessions, under "
                                 "%(tab)s.", head=head, tab=TAB_LABELS[tab]),))


def _gets(view: NeedAnswer) -> str:
    if view.outcome is Outcome.ALLOWED:
        return (_("the session, read only") if view.decision is Decision.READ_ONLY
                else _("the session"))
    if view.outcome is Outcome.LOCKED:
        return _("the %(locked_page)s",
                 locked_page=view.outcome_text[0].lower() + view.outcome_text[1:])
    return _("Not found (404)")


def _course_notes(db, session: TrainingSession, user: User, relation: Relation,
                  at: datetime) -> tuple[str, ...]:
    """Course coaches are coaches only on the pages of their courses: at the session
    level they count as coaches; on the other courses' pages, the gate reads their
    relation for that course (the same loader, one query for all those courses)."""
    if relation.is_admin or not relation.is_coach or session.coach_id == user.id:
        return ()
    rows = db.execute(
        select(Course.id, Course.code, exists().where(
            SessionCourseCoach.session_id == session.id,
            SessionCourseCoach.course_id == Course.id,
            SessionCourseCoach.user_id == user.id).label("coached"))
        .join(SessionCourse, SessionCourse.course_id == Course.id)
        .where(SessionCourse.session_id == session.id)
        .order_by(SessionCourse.position, SessionCourse.id)
    ).all()
    mine = [row.code for row in rows if row.coached]
    others = [row for row in rows if not row.coached]
    notes = [_("Course coaches are judged per course: %(name)s coaches %(courses)s; on those "
               "courses' pages the answers above hold.", name=user.full_name,
               courses=", ".join(mine))]
    if others:
        rules = SessionRules.of(session)
        other_access = decide(relation_for(db, user, session, others[0].id), rules, at)
        answers = "; ".join(_("%(need)s: %(answer)s", need=str(NEED_LABELS[need]).lower(),
                              answer=_short(gate_outcome(other_access, need)))
                            for need in NEED_LABELS)
        notes.append(_("On the pages of %(courses)s they are not a coach: %(answers)s.",
                       courses=", ".join(row.code for row in others), answers=answers))
    return tuple(notes)


def _short(outcome: Outcome) -> str:
    return {Outcome.ALLOWED: _("allowed"), Outcome.LOCKED: _("locked page (403)"),
            Outcome.NOT_FOUND: _("not found (404)")}[outcome]


# --- reading the form -------------------------------------------------------------


@dataclass(frozen=True)
class ExplainerQuery:
    """The explainer's form as read: who, when, which My sessions tab, and the messages
    of the fields that do not read (by field name)."""

    typed_user: str
    typed_at: str
    tab: str
    user: User | None
    at: datetime | None
    errors: Mapping[str, str]

    @property
    def ready(self) -> bool:
        return self.user is not None and self.at is not None and not self.errors


def read_query(db, args: Mapping[str, str], tz: ZoneInfo, now: datetime) -> ExplainerQuery:
    """``user`` (username, e-mail or id), ``at`` (a moment in ``tz``; empty: ``now``)
    and ``tab``; an empty user is no error (the form is shown to be filled)."""
    typed_user = clean_search(args.get("user", ""), 254)
    typed_at = (args.get("at") or "").strip()[:40]
    errors = {}
    user = find_person(db, typed_user) if typed_user else None
    if typed_user and user is None:
        errors["user"] = _("No user has the username, e-mail or id “%(typed)s”.",
                           typed=typed_user)
    at = now
    try:
        at = parse_local(typed_at, tz, is_end=False) or now
    except DateInputError as error:
        errors["at"] = (str(MOMENT_YEAR_OUT_OF_RANGE) if str(error) == str(YEAR_OUT_OF_RANGE)
                        else str(error))
        at = None
    return ExplainerQuery(typed_user, typed_at, read_tab(args.get("tab")), user, at, errors)


def find_person(db, typed: str) -> User | None:
    """The user whose username or e-mail is ``typed``, else whose id it is; inactive
    users too (an admin may ask why one cannot get in)."""
    user = find_user(db, typed, active_only=False)
    if user is None and typed.isascii() and typed.isdigit() and 0 < int(typed) <= LARGEST_ID:
        user = db.get(User, int(typed))
    return user
