"""The journal: an append-only record of every change a person (or a program) made.

No foreign keys on purpose: an entry outlives the user, session or course it names,
so it keeps their names as written at the time (``actor_name``, ``object_label``,
``session_label``, ``learner_label``) and their ids as plain numbers.
"""

from datetime import datetime

from sqlalchemy import JSON, Index, Integer, String, event, text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigId, UTCDateTime


class JournalEntry(Base):
    """One change. A bulk change is a head entry (``parent_id`` None) that carries the
    counts, and one item entry per (session, learner) it touched, pointing at the head."""

    __tablename__ = "journal_entry"
    __table_args__ = (
        # A bulk change's items, in order.
        Index("ix_journal_entry_parent_id_id", "parent_id", "id"),
        # The History page and the API's journal: heads only, newest first. Partial: after
        # a big import its 100,000 items are the newest entries, and PostgreSQL, reading
        # the primary key backwards, stepped over all of them to find 25 heads (140-200 ms).
        # With the kind: History filtered by kind checks it in the index, not the row.
        Index("ix_journal_entry_heads", "id", "object_type",
              postgresql_where=text("parent_id IS NULL"), sqlite_where=text("parent_id IS NULL")),
        # A session's History tab and a learner's history in a session.
        Index("ix_journal_entry_session_id_id", "session_id", "id"),
        Index("ix_journal_entry_learner_id_id", "learner_id", "id"),
        Index("ix_journal_entry_actor_id_id", "actor_id", "id"),
        Index("ix_journal_entry_at", "at"),
        # The journal's records of users (the names they had), which a search for a
        # person reads (domain/history.py); partial, so that the items of a big import
        # cost it nothing.
        Index("ix_journal_entry_user_entries", "learner_id",
              postgresql_where=text("object_type = 'user'"),
              sqlite_where=text("object_type = 'user'")),
        # Entries by an actor that is no user (failed logins, the portal), which a search
        # for an actor reads by their recorded name; partial for the same reason.
        Index("ix_journal_entry_unnamed_actor", "id",
              postgresql_where=text("actor_id IS NULL"), sqlite_where=text("actor_id IS NULL")),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_name: Mapped[str] = mapped_column(String(200), default="")
    request_id: Mapped[str | None] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(String(64))
    # What happened, to what: ("session", "update"), ("enrolment", "add"), ...
    # The vocabulary is portal.domain.journal.ACTIONS.
    object_type: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int | None] = mapped_column(Integer)
    object_label: Mapped[str] = mapped_column(String(300), default="")
    session_id: Mapped[int | None] = mapped_column(Integer)
    session_label: Mapped[str] = mapped_column(String(200), default="")
    # The learner (or other user) the change concerns, when there is one.
    learner_id: Mapped[int | None] = mapped_column(Integer)
    learner_label: Mapped[str] = mapped_column(String(200), default="")
    # The head of the bulk change this item belongs to. Not a foreign key either: a
    # head is always written first, entries are never deleted, and a 100,000-row
    # import would pay a key check per item.
    parent_id: Mapped[int | None] = mapped_column(BigId)
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)

    def __repr__(self) -> str:
        return f"<JournalEntry {self.id} {self.object_type}.{self.action}>"


@event.listens_for(JournalEntry, "before_update")
def _refuse_update(mapper, connection, target):
    raise RuntimeError("journal entries are never edited")


@event.listens_for(JournalEntry, "before_delete")
def _refuse_delete(mapper, connection, target):
    raise RuntimeError("journal entries are never deleted")
