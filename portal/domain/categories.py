"""Session categories as the administration manages them: the searchable list, how
many sessions use one, and one write function per change.

Every write records its journal entry (``("category", ...)``) in the caller's
transaction and returns what changed; the caller commits.
"""

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.sql import Select

from ..models import SessionCategory, TrainingSession
from . import journal
from .journal import Actor
from .text_search import contains


def categories_matching(q: str) -> Select:
    """Rows (category, sessions): all categories, or those whose name contains ``q``,
    by name, with their number of sessions in the same SELECT."""
    sessions = (select(func.count()).select_from(TrainingSession)
                .where(TrainingSession.category_id == SessionCategory.id)
                .correlate(SessionCategory).scalar_subquery())
    stmt = select(SessionCategory, sessions.label("sessions"))
    if q:
        stmt = stmt.where(contains(SessionCategory.name, q))
    return stmt.order_by(SessionCategory.name)


def category_session_count(db, category_id: int) -> int:
    return db.scalar(select(func.count()).select_from(TrainingSession)
                     .where(TrainingSession.category_id == category_id))


class CategoryInUse(Exception):
    """``sessions`` sessions use the category: it cannot be deleted."""

    def __init__(self, sessions: int):
        super().__init__("category in use")
        self.sessions = sessions


def create_category(db, name: str, *, by: Actor, now: datetime) -> SessionCategory:
    """Add the category (flushed: it has its id) and its ("category", "create") entry."""
    category = SessionCategory(name=name)
    db.add(category)
    db.flush()
    journal.record(db, by, now, "category", "create", object_id=category.id,
                   object_label=category.name, after={"name": category.name})
    return category


def update_category(db, category: SessionCategory, name: str, *, by: Actor, now: datetime
                    ) -> tuple[dict, dict]:
    """Rename ``category``; returns the change (before, after). Same name: no entry."""
    before, after = journal.changes({"name": category.name}, {"name": name})
    category.name = name
    if after:
        journal.record(db, by, now, "category", "update", object_id=category.id,
                       object_label=name, before=before, after=after)
    return before, after


def delete_category(db, category: SessionCategory, *, by: Actor, now: datetime) -> dict:
    """Delete an unused category; returns the values it had. Raises CategoryInUse
    (nothing written) when sessions use it."""
    sessions = category_session_count(db, category.id)
    if sessions:
        raise CategoryInUse(sessions)
    values = {"name": category.name}
    journal.record(db, by, now, "category", "delete", object_id=category.id,
                   object_label=category.name, before=values)
    db.delete(category)
    db.flush()
    return values
