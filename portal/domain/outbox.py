"""The outbox: queueing messages with the change that causes them, and the states a
message goes through on its way out (queued → sending → sent, or back to queued for a
retry, or failed for good).

Queueing is part of the caller's transaction: a change rolled back queues nothing. The
worker (portal/worker.py) claims due messages in short transactions of its own, so any
number of workers can run against PostgreSQL without sending a message twice: a claim is
an UPDATE that only takes rows still due (the database serialises two workers' claims of
one row, and the second finds it no longer due); on PostgreSQL the candidate rows are read
with FOR UPDATE SKIP LOCKED, so workers do not even wait for each other.
"""

import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.charset import QP, Charset
from email.generator import BytesGenerator
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import Compat32
from email.utils import format_datetime, make_msgid
from io import BytesIO

from sqlalchemy import and_, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..models import MessageStatus, OutboxMessage
from .claims import claim_ids

# A claim lasts this long: a worker killed while sending leaves its messages in
# "sending", and they are due again once their claim has run out.
CLAIM_LEASE = timedelta(minutes=5)
# Temporary failures are retried after 1, 2, 4, … minutes, at most 6 hours apart; after
# MAX_TRIES the message is failed and shown to admins.
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=6)
MAX_TRIES = 12
ERROR_MAX = 500


@dataclass(frozen=True)
class NewMessage:
    """A message to queue, already rendered for its recipient."""
    kind: str
    idempotency_key: str
    to_address: str
    subject: str
    text_body: str
    html_body: str = ""
    ics: str | None = None
    user_id: int | None = None
    session_id: int | None = None


def message_id(domain: str) -> str:
    """A new RFC 5322 Message-ID, fixed when a message is queued."""
    return make_msgid(domain=domain or "session-portal.invalid")


def queue(db: Session, messages: Iterable[NewMessage], *, now: datetime,
          domain: str = "") -> int:
    """Queue ``messages``, rendered already, in the caller's transaction; a message whose
    idempotency key is already in the outbox is left out. Returns how many were new."""
    rows = [{
        "kind": m.kind, "idempotency_key": m.idempotency_key, "to_address": m.to_address,
        "subject": m.subject, "text_body": m.text_body, "html_body": m.html_body,
        "ics": m.ics, "user_id": m.user_id, "session_id": m.session_id,
        "message_id": message_id(domain), "status": MessageStatus.QUEUED.value, "tries": 0,
        "next_try_at": now, "last_error": "", "created_at": now, "rendered_at": now,
    } for m in messages]
    if not rows:
        return 0
    return len(db.execute(insert_new(db).returning(OutboxMessage.id), rows).all())


def insert_new(db: Session):
    """INSERT into the outbox that skips a message whose idempotency key is there already
    (both supported databases have ON CONFLICT DO NOTHING)."""
    insert = postgresql.insert if db.get_bind().dialect.name == "postgresql" else sqlite.insert
    return insert(OutboxMessage).on_conflict_do_nothing(index_elements=["idempotency_key"])


def _due(now: datetime):
    return or_(
        and_(OutboxMessage.status == MessageStatus.QUEUED.value, OutboxMessage.next_try_at <= now),
        # A worker died holding these: their claim has run out.
        and_(OutboxMessage.status == MessageStatus.SENDING.value,
             OutboxMessage.claimed_until <= now),
    )


def claim_due(db: Session, *, now: datetime, limit: int) -> list[OutboxMessage]:
    """Claim up to ``limit`` due messages for this worker and commit the claim."""
    claimed = claim_ids(db, OutboxMessage, _due(now),
                        (OutboxMessage.next_try_at, OutboxMessage.id), limit,
                        {"status": MessageStatus.SENDING.value,
                         "claimed_until": now + CLAIM_LEASE,
                         "tries": OutboxMessage.tries + 1})
    if not claimed:
        db.rollback()
        return []
    db.commit()
    return list(db.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(claimed))
                           .order_by(OutboxMessage.id)))


def retry_delay(tries: int) -> timedelta:
    """How long to wait before the next try after ``tries`` failed ones."""
    return min(FIRST_RETRY * (2 ** max(0, tries - 1)), LONGEST_RETRY)


def mark_sent(db: Session, message: OutboxMessage, *, now: datetime) -> None:
    message.status = MessageStatus.SENT.value
    message.sent_at = now
    message.claimed_until = None
    message.last_error = ""


def mark_failed_for_now(db: Session, message: OutboxMessage, error: str, *, now: datetime) -> None:
    """A temporary failure: try again later, or give up after MAX_TRIES."""
    message.last_error = error[:ERROR_MAX]
    message.claimed_until = None
    if message.tries >= MAX_TRIES:
        message.status = MessageStatus.FAILED.value
        return
    message.status = MessageStatus.QUEUED.value
    message.next_try_at = now + retry_delay(message.tries)


def mark_failed(db: Session, message: OutboxMessage, error: str) -> None:
    """A permanent failure (the server refused the message or its address for good)."""
    message.status = MessageStatus.FAILED.value
    message.last_error = error[:ERROR_MAX]
    message.claimed_until = None


def mark_cancelled(db: Session, message: OutboxMessage, reason: str) -> None:
    """Not sent: the message no longer concerns its recipient."""
    message.status = MessageStatus.CANCELLED.value
    message.last_error = reason[:ERROR_MAX]
    message.claimed_until = None


# UTF-8 bodies as quoted-printable, not base64: the same for mail programs, and a message
# saved as .eml (the demo's, a server's queue) stays readable as text.
_READABLE_UTF8 = Charset("utf-8")
_READABLE_UTF8.body_encoding = QP


class _Headers(Compat32):
    """The classic policy, with a short cut for what most headers are: a line of ASCII
    that needs no folding is written as it is (the classic folding builds a Header object
    for each, a fifth of the cost of writing a message out)."""

    def fold_binary(self, name, value):
        if (isinstance(value, str) and value.isascii() and len(name) + len(value) < 76
                and "\n" not in value and "\r" not in value and "  " not in value
                and value == value.strip()):
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


_POLICY = _Headers()
_WIRE = _POLICY.clone(linesep="\r\n")


def _boundaries() -> tuple[str, str]:
    """The two part boundaries of a message, which cannot occur in its parts: every body
    is quoted-printable, where "=" is always written "=3D", so "=_" never appears in one.
    (Left to itself, the generator draws one and compiles a regular expression to check
    it, for each boundary of each message.) Random as the standard library's own: unique,
    not secret."""
    token = f"{random.getrandbits(96):024x}"  # noqa: S311 - not a secret
    return f"=_a{token}", f"=_m{token}"


def as_email(message: OutboxMessage, *, mail_from: str,
             headers: dict[str, str] | None = None) -> Message:
    """The message as it goes out: plain text, an HTML alternative, the invitation.

    Built with the standard library's classic MIME classes: the same MIME as the modern
    EmailMessage API, at a third of its cost, which is most of what a worker spends on a
    message besides sending it."""
    inner, outer = _boundaries()
    body = MIMEMultipart("alternative", boundary=inner, policy=_POLICY)
    body.attach(MIMEText(message.text_body, "plain", _READABLE_UTF8, policy=_POLICY))
    if message.html_body:
        body.attach(MIMEText(message.html_body, "html", _READABLE_UTF8, policy=_POLICY))
    email = body
    if message.ics:
        email = MIMEMultipart("mixed", boundary=outer, policy=_POLICY)
        email.attach(body)
        invitation = MIMEText(message.ics, "calendar", _READABLE_UTF8, policy=_POLICY)
        invitation.set_param("method", _ics_method(message.ics))
        invitation.add_header("Content-Disposition", "attachment", filename="invitation.ics")
        email.attach(invitation)
    email["From"] = mail_from
    email["To"] = message.to_address
    email["Subject"] = message.subject if message.subject.isascii() else Header(
        message.subject, "utf-8")
    email["Message-ID"] = message.message_id
    email["Date"] = format_datetime(message.created_at)
    for name, value in (headers or {}).items():
        email[name] = value
    return email


def wire_bytes(email: Message) -> bytes:
    """The message as SMTP carries it (CRLF line ends), written once, by the caller."""
    out = BytesIO()
    BytesGenerator(out, policy=_WIRE).flatten(email, linesep="\r\n")
    return out.getvalue()


def _ics_method(ics: str) -> str:
    for line in ics.splitlines():
        if line.startswith("METHOD:"):
            return line.partition(":")[2].strip()
    return "PUBLISH"
