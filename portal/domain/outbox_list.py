"""The admin's view of the outbox: messages by status, kind, recipient and session, one
message as it was sent, and sending a failed one again."""

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import Job, JobStatus, MessageStatus, OutboxMessage, TrainingSession, User
from . import journal
from .journal import Actor
from .language import _l
from .notify import REASONS, WELCOME_JOB
from .pagination import Page, link_args, paginate, read_page_args
from .text_search import among, clean_search, contains, user_matches

KIND_LABELS = {
    "welcome": _l("Welcome on enrolment"),
    "reminder": _l("Reminder before the end"),
    "coach-reminder": _l("Coach reminder"),
    "dates-changed": _l("New dates (updated invitation)"),
    "invitation-cancelled": _l("Invitation cancelled"),
    "grade-released": _l("Work graded"),
    "set-password": _l("Set-password link"),
}
STATUS_LABELS = {
    MessageStatus.QUEUED.value: _l("Queued"),
    MessageStatus.SENDING.value: _l("Sending"),
    MessageStatus.SENT.value: _l("Sent"),
    MessageStatus.FAILED.value: _l("Failed"),
    MessageStatus.CANCELLED.value: _l("Not sent"),
}
RETRYABLE = (MessageStatus.FAILED.value, MessageStatus.CANCELLED.value)
_DEFAULTS = {"page": 1, "per_page": 25}


@dataclass(frozen=True)
class OutboxFilters:
    status: str = ""
    kind: str = ""
    recipient: str = ""
    session: str = ""  # a session id (from a session's page) or part of its name
    page: int = 1
    per_page: int = 25

    @classmethod
    def from_args(cls, args) -> "OutboxFilters":
        """Read the filters; unknown choices are ignored."""
        page, per_page = read_page_args(args)
        status, kind = args.get("status", ""), args.get("kind", "")
        return cls(status=status if status in STATUS_LABELS else "",
                   kind=kind if kind in KIND_LABELS else "",
                   recipient=clean_search(args.get("recipient")),
                   session=clean_search(args.get("session")), page=page, per_page=per_page)

    def args(self, **changes) -> dict:
        f = replace(self, **changes)
        return link_args({"status": f.status, "kind": f.kind, "recipient": f.recipient,
                          "session": f.session, "page": f.page, "per_page": f.per_page},
                         _DEFAULTS)

    @property
    def any(self) -> bool:
        return bool(self.status or self.kind or self.recipient or self.session)


@dataclass(frozen=True)
class OutboxRow:
    id: int
    kind: str
    status: str
    to_address: str
    recipient: str | None
    session_id: int | None
    session_name: str | None
    subject: str
    tries: int
    created_at: datetime
    sent_at: datetime | None
    next_try_at: datetime
    last_error: str

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)


def reason_text(stored: str) -> str | None:
    """Why the worker did not send a message (notify's reasons, kept in English), in the
    reader's language; None for another text."""
    reason = REASONS.get(stored)
    return str(reason) if reason is not None else None


def _statement(filters: OutboxFilters, *, counting: bool = False):
    """The messages the filters choose, newest first; ``counting``: only their ids, with
    only the tables the filters need."""
    m = OutboxMessage
    if counting:
        stmt = select(m.id)
        if filters.session and not _session_id(filters):
            stmt = stmt.outerjoin(TrainingSession, TrainingSession.id == m.session_id)
    else:
        name = func.trim(func.coalesce(User.first_name, "") + " "
                         + func.coalesce(User.last_name, ""))
        stmt = (select(m.id, m.kind, m.status,
                       func.coalesce(func.nullif(m.to_address, ""), User.email), name,
                       m.session_id, TrainingSession.name, m.subject, m.tries, m.created_at,
                       m.sent_at, m.next_try_at, m.last_error)
                .outerjoin(User, User.id == m.user_id)
                .outerjoin(TrainingSession, TrainingSession.id == m.session_id)
                .order_by(m.created_at.desc(), m.id.desc()))
    if filters.status:
        stmt = stmt.where(m.status == filters.status)
    if filters.kind:
        stmt = stmt.where(m.kind == filters.kind)
    if filters.recipient:
        stmt = stmt.where(_to_recipient(filters.recipient))
    if _session_id(filters):
        stmt = stmt.where(m.session_id == _session_id(filters))
    elif filters.session:
        stmt = stmt.where(contains(TrainingSession.name, filters.session))
    return stmt


def _to_recipient(typed: str):
    """Messages to a person whose name, username or e-mail contains ``typed`` (found
    through the user search's index, then the messages by person), and messages whose
    person is gone (deleted: the message keeps its address) whose address contains it."""
    m = OutboxMessage
    # among: on PostgreSQL both sides of the OR are read through the user_id index (a
    # count for a name among 200,000 messages: 35 ms as IN, 6 ms so).
    return among(m.user_id, select(User.id).where(user_matches(typed)).scalar_subquery()) \
        | (m.user_id.is_(None) & contains(m.to_address, typed))


def _session_id(filters: OutboxFilters) -> int | None:
    """The session filter as a session's id (a link from a session's page), or None."""
    session = filters.session
    return int(session) if session.isdigit() and len(session) < 10 else None


def outbox_page(db: Session, filters: OutboxFilters) -> Page:
    """One page of messages, newest first: two queries whatever the outbox holds."""
    page = paginate(db, _statement(filters), filters.page, filters.per_page, scalars=False,
                    key=OutboxMessage.id, counted=_statement(filters, counting=True),
                    # A person's messages are found by id, then only the page's joined.
                    keys_first=bool(filters.recipient))
    return replace(page, items=[OutboxRow(*row) for row in page.items])


def welcomes_being_written(db: Session) -> int:
    """How many enrolments' welcome messages the worker is still to write (the jobs of big
    enrolments, portal.domain.welcome_jobs): one query."""
    return db.scalar(select(func.coalesce(func.sum(Job.rows_total), 0)).where(
        Job.kind == WELCOME_JOB,
        Job.status.in_((JobStatus.QUEUED.value, JobStatus.RUNNING.value)))) or 0


def session_counts(db: Session, session_id: int) -> dict[str, int]:
    """How many of a session's messages are in each status (one query)."""
    rows = db.execute(select(OutboxMessage.status, func.count()).where(
        OutboxMessage.session_id == session_id).group_by(OutboxMessage.status))
    return {status: count for status, count in rows}


def send_again(db: Session, message: OutboxMessage, *, by: Actor, now: datetime) -> bool:
    """Queue a failed (or not sent) message for a try now, as rendered; journaled.
    False when the message is not one to send again."""
    if message.status not in RETRYABLE:
        return False
    before = {"status": message.status, "last_error": message.last_error}
    message.status = MessageStatus.QUEUED.value
    message.next_try_at = now
    message.claimed_until = None
    journal.record(db, by, now, "outbox_message", "retry", object_id=message.id,
                   object_label=message.subject or str(KIND_LABELS.get(message.kind,
                                                                       message.kind)),
                   session_id=message.session_id, learner_id=message.user_id,
                   before=before, after={"status": message.status})
    return True
