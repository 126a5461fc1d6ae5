"""What people type to find things: cleaning a search, matching it in SQL, and
resolving a typed name to the one user, course or class it names.

One home for these, so every list searches the same columns the same way.
"""

from sqlalchemy import func, or_, select

from ..models import Course, User, UserClass

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
    """
    return or_(
        contains(users.username, text),
        *([contains(users.email, text)] if email else []),
        contains(users.first_name + " " + users.last_name, text),
        contains(users.last_name + " " + users.first_name, text),
    )


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
