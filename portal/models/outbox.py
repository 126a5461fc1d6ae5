"""The outbox: messages written with the change that causes them, delivered by the worker."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigId, UTCDateTime


class MessageStatus(StrEnum):
    QUEUED = "queued"    # waiting for its next try (next_try_at)
    SENDING = "sending"  # claimed by a worker until claimed_until
    SENT = "sent"
    FAILED = "failed"    # refused for good (5xx, invalid address): shown to admins
    CANCELLED = "cancelled"  # no longer concerns its recipient (unenrolled, window over)


class OutboxMessage(Base):
    """One e-mail to one person. A change queues it set-based (kind, recipient, session
    and the facts of the change in ``payload``: a 100,000-row import queues its welcome
    messages with one INSERT … SELECT); the worker renders it in the recipient's zone just
    before its first try and keeps what it rendered, so a retry sends the same message and
    admins see exactly what went out."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        # The worker's query: due rows of one status, oldest first.
        Index("ix_outbox_message_due", "status", "next_try_at"),
        # The admin's Outbox: newest first (read backwards for its last pages).
        Index("ix_outbox_message_created_at_id", "created_at", "id"),
        # A person's messages of a session (the invitation SEQUENCE, waiting date changes).
        Index("ix_outbox_message_session_user", "session_id", "user_id"),
        CheckConstraint("status IN ('queued', 'sending', 'sent', 'failed', 'cancelled')",
                        name="status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    # A message to someone deleted later is kept for the record (no cascade).
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True)
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("training_session.id", ondelete="SET NULL"))
    # What makes a message unique ("welcome:<enrolment id>"): queueing it twice adds nothing.
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    # Fixed when queued; a retry after a crash sends the same id, so mail programs see one message.
    message_id: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict | None] = mapped_column(JSON)
    # Empty until rendered (rendered_at).
    to_address: Mapped[str] = mapped_column(String(320), default="")
    subject: Mapped[str] = mapped_column(String(300), default="")
    text_body: Mapped[str] = mapped_column(Text, default="")
    html_body: Mapped[str] = mapped_column(Text, default="")
    rendered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # An iCalendar attachment (invitation), if any.
    ics: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default=MessageStatus.QUEUED.value)
    tries: Mapped[int] = mapped_column(Integer, default=0)
    next_try_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.kind} {self.status}>"
