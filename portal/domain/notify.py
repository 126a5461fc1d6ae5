"""Which messages a change causes, and how each kind is rendered.

A change queues its messages set-based in its own transaction (``queue_welcomes`` is one
INSERT … SELECT, whatever the number of learners); the worker renders each message in
its recipient's zone just before sending it (``render``). Kinds: ``welcome`` (on
enrolment, for sessions that send it).
"""

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from email.utils import parseaddr
from functools import lru_cache
from pathlib import Path

from icalendar import Calendar, Event, vCalAddress
from itsdangerous import BadSignature, Serializer, URLSafeSerializer
from itsdangerous.encoding import base64_encode
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import Integer, String, and_, cast, exists, func, literal, or_, select, true
from sqlalchemy.orm import Session, joinedload

from ..models import (
    Enrolment,
    Job,
    JobStatus,
    MessageStatus,
    NotificationOptOut,
    OutboxMessage,
    SessionCourse,
    SessionCourseCoach,
    Submission,
    TrainingSession,
    User,
)
from . import calendar, dates, grading, journal, language, outbox, password_links
from .access import (
    LearnerFacts,
    SessionRules,
    Window,
    coach_window,
    coach_window_columns,
    learner_window,
)
from .language import _, _l, ngettext
from .value_lists import one_of, pair_rows

WELCOME = "welcome"
REMINDER = "reminder"
COACH_REMINDER = "coach-reminder"
DATES_CHANGED = "dates-changed"
INVITATION_CANCELLED = "invitation-cancelled"
GRADE_RELEASED = "grade-released"
# About the account itself, not a session: it cannot be turned off.
SET_PASSWORD = "set-password"  # noqa: S105 - a message kind, not a password
# What a person can turn off, as their profile names it; a cancelled invitation goes
# with the date changes (both keep their calendar right).
CHOICES = {
    WELCOME: _l("When I am enrolled in a session"),
    REMINDER: _l("Before my access to a session ends"),
    DATES_CHANGED: _l("When a session's dates change (with the updated invitation)"),
    GRADE_RELEASED: _l("When a coach grades my work"),
    COACH_REMINDER: _l("Before my coach access ends, with what is left to grade"),
}
CHOICE_OF = {**{kind: kind for kind in CHOICES}, INVITATION_CANCELLED: DATES_CHANGED}
INVITATIONS = (WELCOME, DATES_CHANGED, INVITATION_CANCELLED)
# Several changes of a session's dates within this time make one message.
GATHER_CHANGES = timedelta(minutes=10)
TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "mail"


@dataclass(frozen=True)
class MailSettings:
    """What messages need to know of the portal: its address for links, the domain of
    its Message-IDs, the sender, the zone of users who chose none."""
    base_url: str = "http://127.0.0.1:5000"
    mail_from: str = "Session portal <portal@localhost>"
    default_zone: str = "UTC"
    secret_key: str = ""

    @property
    def address(self) -> str:
        """The sender's address alone ("portal@example.org" of "Portal <portal@…>")."""
        return parseaddr(self.mail_from)[1]

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2] or "session-portal.invalid"


settings = MailSettings()


def configure(**values) -> None:
    """Set the process's mail settings (create_app does, from its configuration)."""
    global settings
    settings = replace(settings, **values)


_COLUMNS = ["kind", "user_id", "session_id", "idempotency_key", "message_id", "status",
            "tries", "next_try_at", "last_error", "created_at", "to_address", "subject",
            "text_body", "html_body"]


def _queue_from(db: Session, kind: str, chosen, *, user_id, session_id, key_tail,
                now: datetime, due: datetime | None = None) -> None:
    """INSERT … SELECT one message of ``kind`` per row of ``chosen`` (a select whose
    columns are filled in here), keyed ``kind:key_tail``, due at ``due`` (default now);
    keys already queued and recipients who turned the kind off are skipped."""
    key = literal(f"{kind}:") + key_tail
    message_id = literal("<") + func.replace(key, ":", ".") + literal(f"@{settings.domain}>")
    if kind in CHOICE_OF:
        chosen = chosen.where(~exists().where(NotificationOptOut.user_id == user_id,
                                              NotificationOptOut.kind == CHOICE_OF[kind]))
    columns = chosen.with_only_columns(
        literal(kind), user_id, session_id, key, message_id,
        literal(MessageStatus.QUEUED.value), literal(0),
        literal(due or now, OutboxMessage.next_try_at.type), literal(""),
        literal(now, OutboxMessage.created_at.type),
        literal(""), literal(""), literal(""), literal(""), maintain_column_froms=True)
    db.execute(outbox.insert_new(db).from_select(_COLUMNS, columns))


# A change enrolling more learners than this leaves writing their welcome messages to the
# worker (portal.domain.welcome_jobs): it queues one job in its own transaction instead of
# a row per learner. 80,000 rows and their five indexes cost a PostgreSQL import 2 s.
WELCOME_JOB_FROM = 1_000
WELCOME_JOB = "welcome_messages"


def queue_welcomes(db: Session, session_ids: set[int], *, now: datetime,
                   enrolled_at: datetime | None = None, count: int | None = None) -> None:
    """Welcome messages for the enrolments made at ``enrolled_at`` (default: ``now``, the
    change being written) in those of ``session_ids`` that send them, to active learners;
    an enrolment already welcomed is not again.

    ``count``, the enrolments the change made: above WELCOME_JOB_FROM, one job is queued
    instead (same transaction, so a rolled-back change sends nothing); the worker runs it
    soon after, with the same selection and keys, so nothing is sent twice or lost, and a
    learner unenrolled in between gets nothing."""
    if not session_ids:
        return
    if count is not None and count > WELCOME_JOB_FROM:
        if db.scalar(select(exists().where(TrainingSession.id.in_(session_ids),
                                           TrainingSession.welcome_message == true()))):
            db.add(Job(kind=WELCOME_JOB, status=JobStatus.QUEUED.value, owner_id=None,
                       session_id=None, upload_token="", file_name="",
                       params={"session_ids": sorted(session_ids),
                               "enrolled_at": (enrolled_at or now).isoformat()},
                       phase="", rows_done=0, rows_total=count, tries=0, created_at=now,
                       error=""))
        return
    chosen = (
        select(Enrolment.id)
        .join(TrainingSession, TrainingSession.id == Enrolment.session_id)
        .join(User, User.id == Enrolment.user_id)
        .where(Enrolment.session_id.in_(session_ids),
               Enrolment.enrolled_at == (enrolled_at or now),
               TrainingSession.welcome_message == true(), User.active == true())
    )
    _queue_from(db, WELCOME, chosen, user_id=Enrolment.user_id, session_id=Enrolment.session_id,
                key_tail=cast(Enrolment.id, String), now=now)


def queue_set_password_links(db: Session, user_ids: Collection[int], *, now: datetime
                             ) -> None:
    """A set-password message to each of ``user_ids`` (accounts made without a usable
    password), one INSERT … SELECT; the link in it is made when the worker renders it."""
    if not user_ids:
        return
    chosen = select(User.id).where(one_of(db, User.id, set(user_ids)))
    _queue_from(db, SET_PASSWORD, chosen, user_id=User.id, session_id=literal(None, Integer),
                key_tail=cast(User.id, String), now=now)


def queue_reminders(db: Session, *, now: datetime) -> None:
    """Reminders due at ``now``: to each active, not suspended learner whose own access end
    falls within their session's "remind N days before the end", once per learner and end
    (a later end, after a change of dates, an extension or an individual end, is reminded
    again: the key holds the end).

    Set-based: one INSERT … SELECT per distinct (N, extension) among the learners with
    fixed ends, and per distinct (N, duration, extension) in duration mode, with the bounds
    computed here the way ``learner_window`` computes an end:

    - an individual window: its end, or the session's access end when it sets only a start
      (in duration mode too, where it replaces the N days; it never has an extension);
    - fixed dates: the access end plus the extension;
    - duration mode: the first access plus the duration plus the extension."""
    ts, e = TrainingSession, Enrolment
    reminding = (select(e.id).join(ts, ts.id == e.session_id).join(User, User.id == e.user_id)
                 .where(ts.remind_days_before_end.is_not(None), User.active == true(),
                        e.suspended_at.is_(None)))
    has_own_window = or_(e.own_start.is_not(None), e.own_end.is_not(None))
    # Fixed ends: the individual end, else the access end, then moved by the extension
    # (0 with an individual window): now < end + extension <= now + N days.
    fixed_end = func.coalesce(e.own_end, ts.access_end)
    with_fixed_end = or_(ts.duration_days.is_(None), has_own_window)
    combos = db.execute(
        select(ts.remind_days_before_end, e.extension_days).distinct()
        .join(e, e.session_id == ts.id)
        .where(ts.remind_days_before_end.is_not(None), with_fixed_end)).all()
    for days, extension in combos:
        shift = timedelta(days=extension)
        chosen = reminding.where(with_fixed_end, ts.remind_days_before_end == days,
                                 e.extension_days == extension,
                                 fixed_end > now - shift,
                                 fixed_end <= now - shift + timedelta(days=days))
        # Without an extension the key is the end itself; with one, the days are added.
        tail = literal(f":+{extension}d") if extension else literal("")
        _queue_from(db, REMINDER, chosen, user_id=e.user_id, session_id=e.session_id,
                    key_tail=cast(e.id, String) + literal(":") + cast(fixed_end, String) + tail,
                    now=now)
    # Duration mode: the end is first access + duration + extension days.
    combos = db.execute(
        select(ts.remind_days_before_end, ts.duration_days, e.extension_days).distinct()
        .join(e, e.session_id == ts.id)
        .where(ts.remind_days_before_end.is_not(None), ts.duration_days.is_not(None),
               ~has_own_window, e.first_access_at.is_not(None))).all()
    for days, duration, extension in combos:
        length = timedelta(days=duration + extension)
        chosen = reminding.where(
            ts.remind_days_before_end == days, ts.duration_days == duration,
            e.extension_days == extension, ~has_own_window,
            e.first_access_at > now - length,
            e.first_access_at <= now - length + timedelta(days=days))
        _queue_from(db, REMINDER, chosen, user_id=e.user_id, session_id=e.session_id,
                    key_tail=cast(e.id, String) + literal(f":+{duration + extension}d:")
                    + cast(e.first_access_at, String), now=now)


def queue_coach_reminders(db: Session, *, now: datetime) -> None:
    """Coach reminders due at ``now``: to the session coach and each course coach, N days
    before the coach window ends (the worker drops one with nothing left to grade)."""
    ts = TrainingSession
    window = coach_window_columns()
    for (days,) in db.execute(select(ts.coach_remind_days_before_end).distinct()
                              .where(ts.coach_remind_days_before_end.is_not(None))):
        ending = and_(ts.coach_remind_days_before_end == days, window.end > now,
                      window.end <= now + timedelta(days=days))
        tail = literal(":") + cast(window.end, String)
        coaches = (select(ts.id).join(User, User.id == ts.coach_id)
                   .where(ending, User.active == true()))
        _queue_from(db, COACH_REMINDER, coaches, user_id=ts.coach_id, session_id=ts.id,
                    key_tail=cast(ts.id, String) + literal(":") + cast(ts.coach_id, String) + tail,
                    now=now)
        scc = SessionCourseCoach
        course_coaches = (select(scc.user_id).distinct().join(ts, ts.id == scc.session_id)
                          .join(User, User.id == scc.user_id)
                          .where(ending, User.active == true(), scc.user_id != ts.coach_id))
        _queue_from(db, COACH_REMINDER, course_coaches, user_id=scc.user_id,
                    session_id=scc.session_id,
                    key_tail=cast(scc.session_id, String) + literal(":")
                    + cast(scc.user_id, String) + tail, now=now)


def queue_date_changes(db: Session, session: TrainingSession, changed: set[str], *,
                       now: datetime, user_ids: Collection[int] | None = None) -> None:
    """Updated invitations for the learners of a session whose access dates changed (in
    sessions that send invitations, i.e. welcome messages), or for ``user_ids`` alone
    when only their individual dates changed. Due in GATHER_CHANGES: the message is
    written when it is sent, so further changes before then are in it, and a learner
    with one still waiting gets no second."""
    if not session.welcome_message or not changed & {"access_start", "access_end",
                                                     "duration_days"}:
        return
    e = Enrolment
    waiting = exists().where(OutboxMessage.kind == DATES_CHANGED,
                             OutboxMessage.session_id == e.session_id,
                             OutboxMessage.user_id == e.user_id,
                             OutboxMessage.status == MessageStatus.QUEUED.value)
    chosen = (select(e.id).join(User, User.id == e.user_id)
              .where(e.session_id == session.id, User.active == true(), ~waiting))
    if user_ids is not None:
        chosen = chosen.where(e.user_id.in_(sorted(user_ids)))
    _queue_from(db, DATES_CHANGED, chosen, user_id=e.user_id, session_id=e.session_id,
                key_tail=cast(e.id, String) + literal(f":{now.isoformat()}"), now=now,
                due=now + GATHER_CHANGES)


def queue_cancellations(db: Session, removed: Collection[tuple[int, int]], *,
                        now: datetime) -> None:
    """A cancelled invitation (METHOD:CANCEL) to each learner of ``removed`` (session id,
    user id pairs) who was sent an invitation for that session."""
    if not removed:
        return
    source, session_id, user_id = pair_rows(db, removed)
    m = OutboxMessage
    invited = exists().where(m.session_id == session_id, m.user_id == user_id,
                             m.kind.in_((WELCOME, DATES_CHANGED)),
                             m.status == MessageStatus.SENT.value)
    chosen = (select(literal(1)).select_from(source).join(User, User.id == user_id)
              .where(invited, User.active == true()))
    _queue_from(db, INVITATION_CANCELLED, chosen, user_id=user_id, session_id=session_id,
                key_tail=cast(session_id, String) + literal(":") + cast(user_id, String)
                + literal(f":{now.isoformat()}"), now=now)


def queue_grade_released(db: Session, submission_id: int, *, now: datetime) -> None:
    """Tell the learner their hand-in was graded, in sessions that do (first grade only:
    the key is the hand-in)."""
    chosen = (select(Submission.id)
              .join(TrainingSession, TrainingSession.id == Submission.session_id)
              .join(User, User.id == Submission.user_id)
              .where(Submission.id == submission_id,
                     TrainingSession.grade_released_message == true(), User.active == true()))
    _queue_from(db, GRADE_RELEASED, chosen, user_id=Submission.user_id,
                session_id=Submission.session_id, key_tail=cast(Submission.id, String), now=now)


def run_schedule(db: Session, *, now: datetime) -> None:
    """What the worker runs once a minute: the time-based messages due by ``now``."""
    queue_reminders(db, now=now)
    queue_coach_reminders(db, now=now)


# --- rendering, in the worker ------------------------------------------------------

# auto_reload off: the worker's templates are read once per process, not looked up on
# disk for each message (restart the worker after editing one).
_environment = Environment(loader=FileSystemLoader(TEMPLATES), auto_reload=False,
                           autoescape=select_autoescape(["html"]),
                           trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
# The same texts and catalogs as the pages; the language is the recipient's (render).
language.install_in(_environment)


class RecipientGone(Exception):
    """The person or the session a message was for no longer exists."""


class NoLongerDue(Exception):
    """The message no longer concerns its recipient (unenrolled, window over, nothing to grade)."""


# Why a message is not sent. Kept with the message in English (it is rendered in its
# recipient's language, and read in the outbox by an admin who may speak another);
# REASONS gives the outbox each one in its reader's language.
GONE = "the recipient or the session no longer exists"
PERSON_GONE = "the recipient no longer exists"
INACTIVE = "the recipient's account is no longer active"
TURNED_OFF = "the recipient turned these messages off"
UNENROLLED = "the learner is no longer enrolled"
SUSPENDED = "the learner is suspended"
ENROLLED_AGAIN = "the learner is enrolled again"
GRADE_GONE = "the hand-in or its grade no longer exists"
ACCESS_OVER = "the learner's access has no end any more, or has ended"
COACH_WINDOW_OVER = "the coach window has no end any more, or has ended"
NOTHING_TO_GRADE = "nothing is left to grade"
REASONS = {
    GONE: _l("The recipient or the session no longer exists."),
    PERSON_GONE: _l("The recipient no longer exists."),
    INACTIVE: _l("The recipient's account is no longer active."),
    TURNED_OFF: _l("The recipient turned these messages off."),
    UNENROLLED: _l("The learner is no longer enrolled."),
    SUSPENDED: _l("The learner is suspended."),
    ENROLLED_AGAIN: _l("The learner is enrolled again."),
    GRADE_GONE: _l("The hand-in or its grade no longer exists."),
    ACCESS_OVER: _l("The learner's access has no end any more, or has ended."),
    COACH_WINDOW_OVER: _l("The coach window has no end any more, or has ended."),
    NOTHING_TO_GRADE: _l("Nothing is left to grade."),
}


class RenderCache:
    """What rendering a batch of messages reads, read once for the batch: its people,
    sessions, enrolments, opt-outs and invitations sent (a few queries, not a few per
    message), and each session's courses."""

    def __init__(self):
        self.courses: dict[int, list] = {}
        self.enrolments: dict[tuple[int, int], Enrolment] | None = None
        self.opt_outs: set[tuple[int, str]] | None = None
        self.invitations: dict[tuple[int, int], int] | None = None
        self.invitation_shapes: dict[tuple, str | None] = {}
        self.loaded: list = []

    def prepare(self, db: Session, messages: list[OutboxMessage]) -> None:
        user_ids = {m.user_id for m in messages if m.user_id is not None}
        session_ids = {m.session_id for m in messages if m.session_id is not None}
        if not user_ids or not session_ids:
            return
        # Held here, so they stay in the session's identity map (it keeps objects only while
        # something refers to them) and db.get() finds them without a query.
        self.loaded = [
            *db.scalars(select(User).where(User.id.in_(user_ids))),
            *db.scalars(select(TrainingSession).where(TrainingSession.id.in_(session_ids))
                        .options(joinedload(TrainingSession.coach)))]
        self.enrolments = {(e.session_id, e.user_id): e for e in db.scalars(
            select(Enrolment).where(Enrolment.user_id.in_(user_ids),
                                    Enrolment.session_id.in_(session_ids)))}
        self.opt_outs = set(db.execute(select(NotificationOptOut.user_id, NotificationOptOut.kind)
                                       .where(NotificationOptOut.user_id.in_(user_ids))).all())
        m = OutboxMessage
        self.invitations = {(sid, uid): n for sid, uid, n in db.execute(
            select(m.session_id, m.user_id, func.count())
            .where(m.user_id.in_(user_ids), m.session_id.in_(session_ids),
                   m.kind.in_(INVITATIONS), m.status == MessageStatus.SENT.value)
            .group_by(m.session_id, m.user_id))}

    def enrolment(self, db: Session, session_id: int, user_id: int) -> Enrolment | None:
        if self.enrolments is not None:
            return self.enrolments.get((session_id, user_id))
        return db.scalars(select(Enrolment).where(
            Enrolment.session_id == session_id, Enrolment.user_id == user_id)).first()

    def opted_out(self, db: Session, user_id: int, kind: str) -> bool:
        if self.opt_outs is not None:
            return (user_id, kind) in self.opt_outs
        return db.get(NotificationOptOut, (user_id, kind)) is not None

    def invitations_sent(self, db: Session, message: OutboxMessage) -> int:
        """How many invitations this person was sent for this session before: the
        SEQUENCE of the next one (0 for the first), so calendars apply updates in order."""
        if self.invitations is not None:
            return self.invitations.get((message.session_id, message.user_id), 0)
        m = OutboxMessage
        return db.scalar(select(func.count()).where(
            m.session_id == message.session_id, m.user_id == message.user_id,
            m.kind.in_(INVITATIONS), m.status == MessageStatus.SENT.value,
            m.id != message.id)) or 0

    def session_courses(self, db: Session, session_id: int) -> list:
        if session_id not in self.courses:
            self.courses[session_id] = [c.course for c in db.scalars(
                select(SessionCourse).where(SessionCourse.session_id == session_id)
                .order_by(SessionCourse.position, SessionCourse.id)
                .options(joinedload(SessionCourse.course)))]
        return self.courses[session_id]


def render(db: Session, message: OutboxMessage, *, now: datetime,
           cache: RenderCache | None = None) -> None:
    """Fill in the message for its recipient (their address, language, zone and the
    session as it is now) and keep it: retries send exactly this."""
    cache = cache or RenderCache()
    user = db.get(User, message.user_id) if message.user_id else None
    with language.speaking(user.language if user is not None else None):
        _render_for(db, message, user, now, cache)


def _render_for(db: Session, message: OutboxMessage, user: User | None, now: datetime,
                cache: RenderCache) -> None:
    if message.kind == SET_PASSWORD:
        return _render_set_password(message, user, now)
    session = db.get(TrainingSession, message.session_id) if message.session_id else None
    if user is None or session is None:
        raise RecipientGone(GONE)
    if not user.active:
        raise NoLongerDue(INACTIVE)
    if cache.opted_out(db, user.id, CHOICE_OF.get(message.kind, message.kind)):
        raise NoLongerDue(TURNED_OFF)
    renderers = {WELCOME: _welcome, REMINDER: _reminder, COACH_REMINDER: _coach_reminder,
                 DATES_CHANGED: _dates_changed, INVITATION_CANCELLED: _invitation_cancelled,
                 GRADE_RELEASED: _grade_released}
    if message.kind not in renderers:
        raise ValueError(f"unknown message kind {message.kind!r}")
    base = {"user": user, "session": session, "portal_url": settings.base_url,
            "language_code": language.current_code(),
            "url": f"{settings.base_url.rstrip('/')}/sessions/{session.id}",
            "unsubscribe_url": unsubscribe_url(user.id, message.kind)}
    subject, template, context = renderers[message.kind](db, message, user, session, now, cache)
    context = {**base, **context}
    message.to_address = user.email
    message.subject = subject
    message.text_body = _environment.get_template(f"{template}.txt").render(context)
    message.html_body = _environment.get_template(f"{template}.html").render(context)
    if message.kind in INVITATIONS:
        sequence = cache.invitations_sent(db, message)
        method = "CANCEL" if message.kind == INVITATION_CANCELLED else "REQUEST"
        message.ics = _invitation(session, user, context.get("window"), base["url"], now,
                                  method=method, sequence=sequence,
                                  shapes=cache.invitation_shapes)
    message.rendered_at = now


def _render_set_password(message: OutboxMessage, user: User | None, now: datetime) -> None:
    """The account's set-password link, made now: its lifetime starts when it is sent."""
    if user is None:
        raise RecipientGone(PERSON_GONE)
    if not user.active:
        raise NoLongerDue(INACTIVE)
    token = password_links.make_token(user, secret_key=settings.secret_key, now=now)
    context = {"user": user, "portal_url": settings.base_url,
               "language_code": language.current_code(),
               "url": f"{settings.base_url.rstrip('/')}/set-password/{token}",
               "lifetime": password_links.lifetime_text(),
               "expires": dates.format_local(password_links.expires_at(now), _zone(user)),
               "zone": _zone(user).key}
    message.to_address = user.email
    message.subject = _("Choose your password for the session portal")
    message.text_body = _environment.get_template("set_password.txt").render(context)
    message.html_body = _environment.get_template("set_password.html").render(context)
    message.rendered_at = now


def _learner_window(db: Session, user: User, session: TrainingSession, now: datetime,
                    cache: RenderCache, *, unless_suspended: bool = False):
    enrolment = cache.enrolment(db, session.id, user.id)
    if enrolment is None:
        raise NoLongerDue(UNENROLLED)
    facts = LearnerFacts.of(enrolment)
    if unless_suspended and facts.suspended:
        raise NoLongerDue(SUSPENDED)
    return learner_window(SessionRules.of(session), facts, now)


def _zone(user: User):
    return dates.zone(user.timezone or settings.default_zone)


def _access_text(session: TrainingSession, window, zone) -> str:
    if session.duration_days and window.end is None:
        return ngettext("%(num)s day from your first visit", "%(num)s days from your first visit",
                        session.duration_days)
    return dates.date_range(window.start, window.end, zone)


def _welcome(db: Session, message, user: User, session: TrainingSession,
             now: datetime, cache):
    zone = _zone(user)
    window = _learner_window(db, user, session, now, cache)
    return _("Welcome to %(name)s", name=session.name), "welcome", {
        "window": window, "access": _access_text(session, window, zone), "zone": zone.key,
        "courses": cache.session_courses(db, session.id), "coach": session.coach}


def _dates_changed(db: Session, message, user: User, session: TrainingSession,
                   now: datetime, cache):
    zone = _zone(user)
    window = _learner_window(db, user, session, now, cache)
    return _("%(name)s: new dates", name=session.name), "dates_changed", {
        "window": window, "access": _access_text(session, window, zone), "zone": zone.key}


def _invitation_cancelled(db: Session, message, user: User, session: TrainingSession,
                          now: datetime, cache):
    if cache.enrolment(db, session.id, user.id) is not None:
        raise NoLongerDue(ENROLLED_AGAIN)
    return (_("%(name)s: you are no longer enrolled", name=session.name),
            "invitation_cancelled", {})


def _grade_released(db: Session, message, user: User, session: TrainingSession,
                    now: datetime, cache):
    submission = db.get(Submission, int(message.idempotency_key.rpartition(":")[2]))
    if submission is None or submission.grade is None:
        raise NoLongerDue(GRADE_GONE)
    course = submission.assignment.course
    url = f"{settings.base_url.rstrip('/')}/sessions/{session.id}/courses/{course.id}"
    return _("%(name)s: your work was graded", name=session.name), "grade_released", {
        "assignment": submission.assignment, "course": course, "course_url": url}


def _reminder(db: Session, message, user: User, session: TrainingSession,
              now: datetime, cache):
    window = _learner_window(db, user, session, now, cache, unless_suspended=True)
    if window.end is None or window.end <= now:
        raise NoLongerDue(ACCESS_OVER)
    zone = _zone(user)
    return _("%(name)s: your access ends soon", name=session.name), "reminder", {
        "last_day": dates.format_bound(window.end, zone, is_end=True),
        "left": dates.humanize_delta(window.end - now), "zone": zone.key}


def _coach_reminder(db: Session, message, user: User, session: TrainingSession,
                    now: datetime, cache):
    window = coach_window(SessionRules.of(session))
    if window.end is None or window.end <= now:
        raise NoLongerDue(COACH_WINDOW_OVER)
    to_grade = _hand_ins_to_grade(db, session, user.id)
    if to_grade == 0:
        raise NoLongerDue(NOTHING_TO_GRADE)
    zone = _zone(user)
    subject = ngettext("%(name)s: %(num)s hand-in to grade", "%(name)s: %(num)s hand-ins to grade",
                       to_grade, name=session.name)
    return subject, "coach_reminder", {
        "to_grade": to_grade, "zone": zone.key,
        "last_day": dates.format_bound(window.end, zone, is_end=True),
        "left": dates.humanize_delta(window.end - now)}


def _hand_ins_to_grade(db: Session, session: TrainingSession, user_id: int) -> int:
    """Hand-ins without a grade, from learners still enrolled, in the courses ``user_id``
    coaches in the session (all its courses for the session coach)."""
    courses = select(SessionCourse.course_id).where(SessionCourse.session_id == session.id)
    if session.coach_id != user_id:
        courses = select(SessionCourseCoach.course_id).where(
            SessionCourseCoach.session_id == session.id, SessionCourseCoach.user_id == user_id)
    return grading.count_to_grade(db, session.id, courses)


def _invitation(session: TrainingSession, user: User, window, url: str, now: datetime, *,
                method: str, sequence: int, shapes: dict | None = None) -> str | None:
    """An iCalendar invitation for the learner's access window (METHOD:REQUEST), or its
    cancellation (METHOD:CANCEL), with the UID of their calendar feed, so their calendar
    keeps one event and applies each update (SEQUENCE) in order.

    The invitations of a batch differ only in the person: with ``shapes`` (a dict kept
    for the batch) the file is written once per session, window, method, sequence and
    second (DTSTAMP has no finer unit) for a stand-in person, and each person's UID and
    ATTENDEE lines are put in its place: the same text, icalendar run once per batch."""
    full = (session, user.id, user.email, user.full_name, window, url, now)
    if shapes is None:
        return _full_invitation(*full, method=method, sequence=sequence)
    # The language too: the event's texts are the recipient's.
    key = (session.id, session.name, window, url, now.replace(microsecond=0), method, sequence,
           language.current_code())
    if key not in shapes:
        shapes[key] = _full_invitation(session, _STAND_IN_ID, _STAND_IN_EMAIL, _STAND_IN_NAME,
                                       window, url, now, method=method, sequence=sequence)
    shape = shapes[key]
    if shape is None:
        return None
    stand_in, own = _STAND_IN_LINE, _attendee_line(user.email, user.full_name)
    uid = next((line for line in shape.split("\r\n") if line.startswith("UID:")), "")
    own_uid = uid.replace(f"-{_STAND_IN_ID}@", f"-{user.id}@")
    if (shape.count(stand_in) != 1 or uid.count(f"-{_STAND_IN_ID}@") != 1
            or shape.count(uid) != 1 or len(own_uid) > 75):
        return _full_invitation(*full, method=method, sequence=sequence)
    return shape.replace(stand_in, own).replace(uid + "\r\n", own_uid + "\r\n")


# The person a batch's invitations are first written for; an id no one has.
_STAND_IN_ID = 987654321987654321
_STAND_IN_EMAIL = "stand-in@invitation.invalid"
_STAND_IN_NAME = "Stand-in"


def _attendee(email: str, full_name: str) -> vCalAddress:
    attendee = vCalAddress(f"mailto:{email}")
    attendee.params["cn"] = full_name
    attendee.params["partstat"] = "NEEDS-ACTION"
    return attendee


def _attendee_line(email: str, full_name: str) -> str:
    """The ATTENDEE content line of a person, folded and CRLF-ended, written by icalendar
    as it writes the property in a whole file (Component.content_line)."""
    attendee = _attendee(email, full_name)
    return Event().content_line("ATTENDEE", attendee).to_ical().decode() + "\r\n"


_STAND_IN_LINE = _attendee_line(_STAND_IN_EMAIL, _STAND_IN_NAME)


def _full_invitation(session: TrainingSession, user_id: int, email: str, full_name: str,
                     window, url: str, now: datetime, *, method: str,
                     sequence: int) -> str | None:
    if method == "CANCEL":
        window = Window(now, None) if window is None else window
    entry = calendar.CalendarEntry(session.id, user_id, session.name, window, url)
    event = calendar.entry_event(entry, now)
    if event is None:
        return None
    organizer = vCalAddress(f"mailto:{settings.address}")
    organizer.params["cn"] = _("Session portal")
    event.add("organizer", organizer)
    event.add("attendee", _attendee(email, full_name))
    event.add("sequence", sequence)
    if method == "CANCEL":
        event.add("status", "CANCELLED")
    invitation = Calendar()
    invitation.add("prodid", calendar.PRODID)
    invitation.add("version", "2.0")
    invitation.add("method", method)
    invitation.add_component(event)
    return invitation.to_ical().decode()


# --- opting out --------------------------------------------------------------------

_UNSUBSCRIBE_SALT = "unsubscribe"


class _ShortTokens(URLSafeSerializer):
    """URLSafeSerializer without its try at compressing a short payload: a person and a
    kind gain a few characters from zlib at best, and the try costs more than all the rest
    of writing a message's unsubscribe link. Both kinds of token read the same (loads
    inflates a compressed one), so links sent before stay good."""

    def dump_payload(self, obj) -> bytes:
        json = Serializer.dump_payload(self, obj)  # the JSON, before URL-safe encoding
        if len(json) >= 64:
            return super().dump_payload(obj)
        return base64_encode(json)


def unsubscribe_token(user_id: int, kind: str) -> str:
    """A signed token naming a person and a kind of message: the unsubscribe link needs no
    login (RFC 8058), and nobody can forge one for someone else."""
    return _token(settings.secret_key, user_id, CHOICE_OF.get(kind, kind))


@lru_cache(maxsize=256)  # a message's body and its List-Unsubscribe header need the same one
def _token(secret_key: str, user_id: int, choice: str) -> str:
    return _ShortTokens(secret_key, salt=_UNSUBSCRIBE_SALT).dumps([user_id, choice])


def read_unsubscribe_token(token: str) -> tuple[int, str] | None:
    """(user id, kind) of a token made by unsubscribe_token, or None if it is not one."""
    try:
        user_id, kind = URLSafeSerializer(settings.secret_key, salt=_UNSUBSCRIBE_SALT).loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(user_id, int) or kind not in CHOICES:
        return None
    return user_id, kind


def unsubscribe_url(user_id: int, kind: str) -> str:
    return f"{settings.base_url.rstrip('/')}/unsubscribe/{unsubscribe_token(user_id, kind)}"


def list_headers(message: OutboxMessage) -> dict[str, str]:
    """The one-click unsubscribe headers (RFC 2369, RFC 8058) of a message to a person."""
    if message.user_id is None:
        return {}
    return {"List-Unsubscribe": f"<{unsubscribe_url(message.user_id, message.kind)}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def opted_out_kinds(db: Session, user_id: int) -> set[str]:
    return set(db.scalars(select(NotificationOptOut.kind).where(
        NotificationOptOut.user_id == user_id)))


def set_choices(db: Session, user: User, wanted: set[str], *, by, now: datetime) -> set[str]:
    """Save which kinds ``user`` gets (``wanted``; the others are turned off), journaled.
    Returns the kinds whose choice changed."""
    off_before = opted_out_kinds(db, user.id)
    off_after = set(CHOICES) - wanted
    changed = off_before ^ off_after
    if not changed:
        return set()
    for kind in off_after - off_before:
        db.add(NotificationOptOut(user_id=user.id, kind=kind, created_at=now))
    for kind in off_before - off_after:
        db.delete(db.get(NotificationOptOut, (user.id, kind)))
    journal.record(db, by, now, "notifications", "update", object_id=user.id,
                   object_label=user.full_name,
                   before={"off": sorted(off_before)}, after={"off": sorted(off_after)})
    return changed


def turn_off(db: Session, user_id: int, kind: str, *, request_id: str | None,
             address: str | None, now: datetime) -> User | None:
    """Turn ``kind`` off for the person of an unsubscribe link (journaled as theirs: the
    signed link speaks for them). None when the person no longer exists."""
    user = db.get(User, user_id)
    if user is None:
        return None
    wanted = set(CHOICES) - opted_out_kinds(db, user_id) - {kind}
    by = journal.Actor(user.id, user.full_name, request_id, address)
    set_choices(db, user, wanted, by=by, now=now)
    return user
