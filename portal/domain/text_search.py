"""What people type to find things: cleaning a search, matching it in SQL, and
resolving a typed name to the one user, course or class it names.

One home for these, so every list searches the same columns the same way.
"""

from sqlalchemy import String, and_, func, literal_column, or_, select, table, true
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from ..models import Course, User, UserClass
from ..models.user_search import FTS_TABLE, SEARCH_FIELDS

SEARCH_MAX = 100  # characters of a search that are used

# Control characters (NUL among them: PostgreSQL refuses it in text) never belong in
# a search; they are dropped rather than answered with an error.
_CONTROL = dict.fromkeys(range(32))


def clean_search(text: str | None, limit: int = SEARCH_MAX) -> str:
    """``text`` as a search: control characters dropped, trimmed, at most ``limit``."""
    return (text or "").translate(_CONTROL).strip()[:limit]


def like_pattern(text: str) -> str:
    """A LIKE pattern (escape ``\\``) matching lower-cased ``text`` anywhere."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def contains(column, text: str):
    """SQL: ``column`` contains ``text``, ignoring case, wildcards taken literally."""
    return func.lower(column).like(like_pattern(text), escape="\\")


def user_matches(text: str, users=User, *, email: bool = True):
    """SQL: a user whose username, e-mail or name (either order) contains ``text``.

    ``users``: the User entity, or anything with the same column attributes (the
    ``.c`` of a subquery of users). ``email=False`` leaves the e-mail out, for lists
    whose users share one mail domain ("le" would find every "@example.org").
    Over the User entity, the search index narrows the users first (_indexed).
    """
    matches = or_(
        contains(users.username, text),
        *([contains(users.email, text)] if email else []),
        contains(users.first_name + " " + users.last_name, text),
        contains(users.last_name + " " + users.first_name, text),
    )
    return and_(_indexed(text), matches) if users is User else matches


# The search index (models/user_search.py) reads trigrams: shorter searches scan.
INDEXED_FROM = 3


class _index_hit(FunctionElement):  # noqa: N801 - reads as the SQL it becomes
    """``_index_hit(sqlite_condition, postgresql_condition)``: whichever suits the
    database the statement is compiled for (the two index kinds differ). Untyped: as a
    Boolean, SQLite would compare it with 1, which keeps its index from being used."""

    inherit_cache = True
    name = "index_hit"


@compiles(_index_hit, "sqlite")
def _index_hit_sqlite(element, compiler, **kw):
    return compiler.process(element.clauses.clauses[0], **kw)


@compiles(_index_hit)
def _index_hit_default(element, compiler, **kw):
    return compiler.process(element.clauses.clauses[1], **kw)


def _indexed(text: str):
    """SQL: users whose search text contains ``text`` (a superset of the matches, which
    the index finds without reading every user); always true below INDEXED_FROM."""
    lowered = text.lower()
    if len(lowered) < INDEXED_FROM:
        return true()
    phrase = '"' + lowered.replace('"', '""') + '"'  # FTS5: the text taken literally
    in_fts = User.id.in_(
        select(literal_column("rowid")).select_from(table(FTS_TABLE))
        .where(literal_column(FTS_TABLE).match(phrase)))
    # The same expression as the GIN index's, separators as literals so that it matches.
    space = literal_column("' '", String)
    joined = getattr(User, SEARCH_FIELDS[0])
    for name in SEARCH_FIELDS[1:]:
        joined = joined.concat(space).concat(getattr(User, name))
    in_trigrams = func.lower(joined).like(like_pattern(text), escape="\\")
    return _index_hit(in_fts, in_trigrams)


def find_user(db, text: str, *, active_only: bool = True) -> User | None:
    """The user whose username or e-mail is ``text`` (ignoring case), as typed in a
    picker or a class's member field; inactive users only when ``active_only`` is off."""
    name = User.normalise_username(clean_search(text, 254))
    if not name:
        return None
    stmt = select(User).where(or_(User.username == name, User.email == name))
    if active_only:
        stmt = stmt.where(User.active.is_(True))
    return db.scalar(stmt)


def find_course(db, text: str) -> Course | None:
    """The course whose code is ``text``, ignoring case."""
    code = clean_search(text)
    if not code:
        return None
    return db.scalar(select(Course).where(func.lower(Course.code) == code.lower()))


def find_class(db, text: str) -> UserClass | None:
    """The class whose name is ``text``, ignoring case."""
    name = clean_search(text, 200)
    if not name:
        return None
    return db.scalar(select(UserClass).where(func.lower(UserClass.name) == name.lower()))


class among(FunctionElement):  # noqa: N801 - reads as the SQL it becomes
    """``among(column, ids)``: ``column`` is one of the ids ``ids`` selects. PostgreSQL
    gets ``column = ANY(ARRAY(ids))``: the ids are read once, then found through the
    column's index (also beside an OR, as a bitmap); ``IN (ids)`` beside an OR is tested
    against every row of the table there (the journal, the outbox). Untyped, as a
    condition for SQLite."""

    inherit_cache = True
    name = "among"


@compiles(among, "postgresql")
def _among_postgresql(element, compiler, **kw):
    column, ids = element.clauses.clauses
    ids = compiler.process(ids.element, **kw)  # the SELECT itself, not as a scalar
    return f"{compiler.process(column, **kw)} = ANY(ARRAY({ids}))"


@compiles(among)
def _among_default(element, compiler, **kw):
    column, ids = element.clauses.clauses
    return f"{compiler.process(column, **kw)} IN ({compiler.process(ids.element, **kw)})"
