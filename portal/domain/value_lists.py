"""Lists of values sent to SQL as ONE parameter, whatever their length.

SQLite and PostgreSQL cap the parameters of a statement, so an IN list of 100,000
values would need chunks (a query per chunk). One JSON text (SQLite's json_each) or
one array per column (PostgreSQL's unnest) keeps a bulk lookup or write a single
statement, and its SQL the same for every size, so statement caches stay warm.
"""

from __future__ import annotations

import json
from collections.abc import Collection

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Integer,
    String,
    Text,
    bindparam,
    cast,
    column,
    func,
    select,
    values,
)


def _dialect(db) -> str:
    return db.connection().dialect.name


def one_of(db, target, items: Collection) -> ColumnElement[bool]:
    """SQL: ``target IN items``, the items sent as one parameter (ints or strings)."""
    ordered = list(items)
    dialect = _dialect(db)
    if dialect == "sqlite":
        elements = func.json_each(bindparam(None, json.dumps(ordered), type_=String))
        return target.in_(select(elements.table_valued("value").c.value))
    if dialect == "postgresql":
        numbers = bool(ordered) and isinstance(ordered[0], int)
        kind = Integer if numbers else Text
        array = cast(bindparam(None, ordered, type_=ARRAY(kind)), ARRAY(kind))
        return target.in_(select(func.unnest(array)))
    return target.in_(ordered)


def pair_rows(db, pairs: Collection[tuple[int, int]]):
    """A FROM item listing integer ``pairs`` (session id, user id), sent as one parameter.

    Returns the item and its two columns, to select or join on. A bulk write that
    selects from it should ORDER BY the user column: it then reaches the user table and
    the indexes in order, which halves its time at 100,000 pairs (SQLite).
    """
    ordered = list(pairs)  # of tuples, which JSON writes as arrays
    dialect = _dialect(db)
    if dialect == "sqlite":
        source = func.json_each(bindparam(None, json.dumps(ordered), type_=String)) \
            .table_valued("value")
        return (source, func.json_extract(source.c.value, "$[0]"),
                func.json_extract(source.c.value, "$[1]"))
    if dialect == "postgresql":
        arrays = [cast(bindparam(None, [pair[i] for pair in ordered], type_=ARRAY(Integer)),
                       ARRAY(Integer)) for i in (0, 1)]
        source = func.unnest(*arrays).table_valued("s", "u").render_derived()
        return source, source.c.s, source.c.u
    source = values(column("s", Integer), column("u", Integer), name="pairs").data(ordered)
    return source, source.c.s, source.c.u
