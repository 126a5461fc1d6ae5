"""Undo of an applied import (enrolments or sessions), from the History, for 30 days.

An import is one journal head with one item per change it made; undo reads those
items, reverts what is still as the import left it, and lists what it cannot revert
and why (a later change touched it). The undo is itself journaled, one head naming
the import it undoes, so undoing twice changes nothing.

Each kind of import registers the function that undoes it (``UNDOERS``, keyed by the
head entry's ``object_type``); ``undo_import`` picks it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

UNDO_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class NotReverted:
    """One change of the import left as it is: what it was, and why."""

    what: str  # e.g. "Ann Martin in Onboarding 2027"
    why: str  # e.g. "enrolled again by hand on 3 Mar 2027"


@dataclass(frozen=True)
class UndoResult:
    reverted: int
    not_reverted: list[NotReverted] = field(default_factory=list)
    undo_entry_id: int | None = None  # the journal head of the undo; None: nothing done


# object_type of an import's head entry -> undo(db, head, *, by, now) -> UndoResult
UNDOERS: dict[str, Callable] = {}
