"""Pages of a list: one COUNT query and one SELECT, whatever the size of the list."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, inspect, select
from sqlalchemy.sql import Select

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
             total: int | None = None) -> Page:
    """Run ``stmt`` for one page. A page past the end shows the last page. ``total``: the
    number of rows when the database keeps it already (no COUNT query then)."""
    if total is None:
        total = db_session.scalar(
            select(func.count()).select_from(stmt.order_by(None).subquery())
        )
    pages = max(1, -(-total // per_page))
    page = min(page, pages)
    offset = (page - 1) * per_page
    limited = _keys_first(stmt, per_page, offset) if scalars and offset else None
    if limited is None:
        limited = stmt.limit(per_page).offset(offset)
    result = db_session.scalars(limited) if scalars else db_session.execute(limited)
    return Page(list(result.all()), total, page, per_page)


def _keys_first(stmt: Select, limit: int, offset: int) -> Select | None:
    """``stmt``'s page read in two steps in one query: the primary keys of the page (the
    rows skipped are read from an index in the list's order where there is one, not from
    the table), then only the page's own rows. None when ``stmt`` is not a list of one
    entity with a one-column key."""
    described = stmt.column_descriptions
    entity = described[0]["entity"] if len(described) == 1 else None
    if entity is None or described[0]["expr"] is not entity:
        return None
    keys = inspect(entity).primary_key
    if len(keys) != 1:
        return None
    page_keys = stmt.with_only_columns(keys[0]).limit(limit).offset(offset).subquery("page_keys")
    return stmt.join(page_keys, keys[0] == page_keys.c[keys[0].name])


def link_args(values: dict, defaults: dict) -> dict:
    """Query arguments for a link: ``values`` without the empty ones and those at
    their default, so a shared URL carries only what was chosen."""
    return {k: v for k, v in values.items() if v not in ("", None) and defaults.get(k) != v}
