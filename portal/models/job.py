"""Background jobs: long work (a big import's preview or apply) run by the worker.

The state lives in the database, so any app server can show a job's progress and any
worker can run it; a worker claims a job with a lease, and a job whose worker died is
claimed again once the lease has run out.
"""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigId, UTCDateTime


class JobStatus(StrEnum):
    QUEUED = "queued"    # waiting for a worker
    RUNNING = "running"  # claimed by a worker until claimed_until
    DONE = "done"        # its result is in ``result``
    FAILED = "failed"    # nothing it did was kept; ``error`` says why


class Job(Base):
    """One piece of background work (started by an admin, or by a change too big to finish
    in its request), with its progress and result."""

    __tablename__ = "job"
    __table_args__ = (
        # The workers' claim: queued jobs oldest first, and running ones whose lease ran out.
        Index("ix_job_due", "status", "claimed_until"),
        # An admin's jobs, newest first (the import page's list).
        Index("ix_job_owner_created", "owner_id", "created_at"),
        CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name="status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(10), default=JobStatus.QUEUED.value)
    # The admin who started it; None for the portal's own work (the welcome messages of a
    # big enrolment, portal.domain.welcome_jobs), which no page lists.
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    # The session whose page started it (None: the global import page).
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("training_session.id", ondelete="CASCADE"), index=True)
    # The kept upload it works on (ImportUpload.token). No foreign key: the apply deletes
    # the upload in its own transaction, and a cascade onto this row would lock it against
    # the progress written meanwhile on another connection.
    upload_token: Mapped[str] = mapped_column(String(64), default="")
    file_name: Mapped[str] = mapped_column(String(255), default="")
    # What the kind needs besides the upload (the preview's signature, "valid rows only").
    params: Mapped[dict | None] = mapped_column(JSON)
    phase: Mapped[str] = mapped_column(String(20), default="")
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    tries: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str] = mapped_column(String(1000), default="")
    # What the page shows once done: small and fixed in size whatever the file's size.
    result: Mapped[dict | None] = mapped_column(JSON)

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.kind} {self.status}>"
