"""Keyset pagination: a list ordered by a few expressions, the last of them unique (an id),
read page after page from the values of the last row seen. Stable under inserts, and as
fast on the last page as on the first. NULLs are ordered through a sentinel
(``Key.null_as``), so each comparison is a plain one. The API writes these values as its
cursors (portal/api/cursor.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, literal, or_
from sqlalchemy.sql.elements import ColumnElement


@dataclass(frozen=True)
class Key:
    """One ordering expression: ``kind`` is "int", "text" or "instant" (how its values are
    written in a cursor); ``null_as`` stands in for NULL (None: the column is never NULL)."""

    expression: Any
    kind: str
    descending: bool = False
    null_as: Any = None

    @property
    def ordered(self) -> ColumnElement:
        if self.null_as is None:
            return self.expression
        return func.coalesce(self.expression, literal(self.null_as, self.expression.type))

    def order_by(self):
        return self.ordered.desc() if self.descending else self.ordered.asc()


def after(keys: Sequence[Key], values: Sequence) -> ColumnElement[bool]:
    """Rows that come after ``values`` in the order of ``keys``:
    k1 > v1 OR (k1 = v1 AND (k2 > v2 OR (k2 = v2 AND …)))."""
    condition = None
    for key, value in reversed(list(zip(keys, values, strict=True))):
        beyond = key.ordered < value if key.descending else key.ordered > value
        condition = beyond if condition is None else or_(beyond, and_(key.ordered == value,
                                                                      condition))
    return condition


def columns(keys: Sequence[Key]) -> list:
    """The ordering values to select with each row, so the next page can start after it."""
    return [key.ordered.label(f"keyset_{i}") for i, key in enumerate(keys)]


def values_of(keys: Sequence[Key], row) -> list:
    """The ordering values of ``row`` (selected with ``columns(keys)``)."""
    return [getattr(row, f"keyset_{i}") for i in range(len(keys))]


def rows_after(db, stmt, keys: Sequence[Key], after_values: Sequence | None, limit: int
               ) -> list:
    """Up to ``limit`` rows of ``stmt`` in the order of ``keys`` (its own order replaced),
    each with the keyset columns, after ``after_values`` (None: from the first); one
    query, plus the statement's own eager loads."""
    stmt = stmt.order_by(None).add_columns(*columns(keys)) \
        .order_by(*(key.order_by() for key in keys))
    if after_values is not None:
        stmt = stmt.where(after(keys, after_values))
    return db.execute(stmt.limit(limit)).all()
