"""Claiming queued rows for one worker among several: outbox messages and jobs alike.

On PostgreSQL the candidates are read FOR UPDATE SKIP LOCKED, so two workers never wait
for each other nor take the same row; on SQLite one worker runs. The UPDATE checks the
``due`` condition again row by row, so a row another worker took meanwhile is skipped.
"""

from sqlalchemy import select, update
from sqlalchemy.orm import Session


def claim_ids(db: Session, model, due, order_by, limit: int, values: dict) -> list[int]:
    """The ids of up to ``limit`` rows of ``model`` matching ``due`` (in ``order_by``
    order) now set to ``values``; the caller commits the claim."""
    candidates = select(model.id).where(due).order_by(*order_by).limit(limit)
    if db.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    ids = list(db.scalars(candidates))
    if not ids:
        return []
    return list(db.scalars(
        update(model).where(model.id.in_(ids), due).values(**values)
        .returning(model.id).execution_options(synchronize_session=False)))
