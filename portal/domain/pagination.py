"""Pages of a list: one COUNT query and one SELECT, whatever the size of the list."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, inspect, select
from sqlalchemy.sql import Select, operators
from sqlalchemy.sql.elements import UnaryExpression

PER_PAGE_CHOICES = (25, 50, 100)


@dataclass(frozen=True)
class Page:
    items: list[Any]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def first_index(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.total else 0

    @property
    def last_index(self) -> int:
        return min(self.total, self.page * self.per_page)

    def window(self, around: int = 2) -> list[int | None]:
        """Page numbers to link, with None for a gap: [1, None, 4, 5, 6, None, 20]."""
        wanted = {1, self.pages} | set(range(self.page - around, self.page + around + 1))
        numbers = sorted(n for n in wanted if 1 <= n <= self.pages)
        out: list[int | None] = []
        for n in numbers:
            if out and n - out[-1] > 1:
                out.append(None)
            out.append(n)
        return out


def read_page_args(args, default_per_page: int = 25) -> tuple[int, int]:
    """page and per_page from query arguments, clamped to sane values."""
    try:
        page = max(1, int(args.get("page", 1)))
    except (TypeError, ValueError):
        page = 1
    try:
        per_page = int(args.get("per_page", default_per_page))
    except (TypeError, ValueError):
        per_page = default_per_page
    if per_page not in PER_PAGE_CHOICES:
        per_page = default_per_page
    return page, per_page


def paginate(db_session, stmt: Select, page: int, per_page: int, *, scalars: bool = True,
             total: int | None = None, key=None, counted: Select | None = None,
             keys_first: bool = False) -> Page:
    """Run ``stmt`` for one page. A page past the end shows the last page.

    ``total``: the number of rows when the database keeps it already (no COUNT then).
    ``counted``: a statement with the same rows as ``stmt`` but only the tables its
    conditions need, to count them (joins made only to show more columns cost a count
    over a big table every row's lookups). ``key``: the column that identifies a row of
    a ``scalars=False`` statement (one of a single entity finds its own), which deep
    pages read first (_keys_first). ``keys_first``: the first page too, for a list whose
    conditions an index covers (many matching rows are then ranked in the index, and only
    the page's rows are read from the table).
    """
    if total is None:
        total = db_session.scalar(
            select(func.count()).select_from((counted if counted is not None else stmt)
                                             .order_by(None).subquery())
        )
    pages = max(1, -(-total // per_page))
    page = min(page, pages)
    start, end = (page - 1) * per_page, min(total, page * per_page)
    if key is None and scalars:
        key = _entity_key(stmt)
    backwards = _reversed_order(stmt) if start > total - end else None
    if backwards is not None:
        # A page in the second half is read from the end, in the reverse order: the last
        # page skips nothing, whatever the length of the list.
        stmt_from_end = stmt.order_by(None).order_by(*backwards)
        if key is not None:
            limited = _keys_first(stmt, key, end - start, total - end, keys_from=stmt_from_end)
        else:
            limited = stmt_from_end.limit(end - start).offset(total - end)
    elif (start or keys_first) and key is not None:
        limited = _keys_first(stmt, key, per_page, start)
    else:
        limited = stmt.limit(per_page).offset(start)
    result = db_session.scalars(limited) if scalars else db_session.execute(limited)
    items = list(result.all())
    if backwards is not None and key is None:
        items.reverse()
    return Page(items, total, page, per_page)


def _reversed_order(stmt: Select) -> list | None:
    """``stmt``'s ORDER BY with every direction turned (NULLs then come in the exact
    reverse order too, on both databases), or None when it has no order or one this
    does not know how to turn."""
    clauses = stmt._order_by_clauses  # noqa: SLF001 - no public accessor for a Select's order
    turned = []
    for clause in clauses:
        if isinstance(clause, UnaryExpression) and clause.modifier is operators.desc_op:
            turned.append(clause.element.asc())
        elif isinstance(clause, UnaryExpression) and clause.modifier is operators.asc_op:
            turned.append(clause.element.desc())
        elif isinstance(clause, UnaryExpression):
            return None  # NULLS FIRST / LAST, or another modifier
        else:
            turned.append(clause.desc())
    return turned or None


def _entity_key(stmt: Select):
    """The primary key column of the one entity ``stmt`` lists, or None."""
    described = stmt.column_descriptions
    entity = described[0]["entity"] if len(described) == 1 else None
    if entity is None or described[0]["expr"] is not entity:
        return None
    keys = inspect(entity).primary_key
    return keys[0] if len(keys) == 1 else None


def _keys_first(stmt: Select, key, limit: int, offset: int, *,
                keys_from: Select | None = None) -> Select:
    """``stmt``'s page read in two steps in one query: the keys of the page (the rows
    skipped are read from an index in the list's order where there is one, not from the
    table), then only the page's own rows, in ``stmt``'s order. ``keys_from``: the same
    rows in another order to find the keys in (the reverse one)."""
    page_keys = (keys_from if keys_from is not None else stmt).with_only_columns(key) \
        .limit(limit).offset(offset).subquery("page_keys")
    return stmt.join(page_keys, key == page_keys.c[key.name])


def link_args(values: dict, defaults: dict) -> dict:
    """Query arguments for a link: ``values`` without the empty ones and those at
    their default, so a shared URL carries only what was chosen."""
    return {k: v for k, v in values.items() if v not in ("", None) and defaults.get(k) != v}
