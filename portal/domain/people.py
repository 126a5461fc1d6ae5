"""The people of a session as its admin page shows them: one page of learners
(searchable), the linked classes, the classes each shown learner is in, how each is
enrolled, their individual dates and suspension in words, and a learner's history in
the session.

Reads only; a fixed number of queries whatever the number of learners.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager

from ..models import (
    ClassMembership,
    Enrolment,
    EnrolmentSource,
    JournalEntry,
    SessionClass,
    TrainingSession,
    User,
    UserClass,
)
from .access import LearnerFacts, SessionRules
from .language import _, _l
from .learner_dates import dates_words, suspension_words
from .pagination import Page, paginate
from .text_search import user_matches

# A page number beyond any list (the offset must stay within a 64-bit integer).
PAGE_MAX = 1_000_000


@dataclass(frozen=True)
class SessionPeople:
    learners: Page  # of Enrolment, each with its user loaded
    classes: list[UserClass]
    via_class: dict[int, list[str]] = field(default_factory=dict)  # user id -> class names


def session_people(db, session_id: int, q: str, page_number: int, per_page: int
                   ) -> SessionPeople:
    """Linked classes and one page of learners (matching ``q`` when given), in three
    queries (two for a search), one more when classes are linked."""
    learners = learners_page(db, session_id, q, page_number, per_page)
    classes = linked_classes(db, session_id)
    via_class = {}
    if classes:
        via_class = class_names_by_learner(db, session_id, [e.user_id for e in learners.items])
    return SessionPeople(learners, classes, via_class)


def learners_page(db, session_id: int, q: str, page_number: int, per_page: int) -> Page:
    """One page of the session's enrolments by learner name, their users loaded."""
    stmt = (
        select(Enrolment).join(User, User.id == Enrolment.user_id)
        .where(Enrolment.session_id == session_id)
        .options(contains_eager(Enrolment.user))
        .order_by(User.last_name, User.first_name, User.id)
    )
    page_number = min(page_number, PAGE_MAX)
    if not q:
        # The session's learner count is kept exact by the database (models/learner_count).
        total = db.scalar(select(TrainingSession.learner_count)
                          .where(TrainingSession.id == session_id)) or 0
        return paginate(db, stmt, page_number, per_page, total=total)
    stmt = stmt.where(Enrolment.id.in_(_matching_enrolments(session_id, q)))
    return _search_page(db, stmt, page_number, per_page)


def _matching_enrolments(session_id: int, q: str):
    """Ids of the session's enrolments whose learner matches the search ``q``.

    The session's learners are read first (a MATERIALIZED CTE), then searched: a
    substring search cannot use an index, and PostgreSQL, guessing that few users
    match, would otherwise test every user of the platform before joining (35 ms at
    50,000 users, against 10 ms for the 5,000 learners of a big session).
    """
    learners = (
        select(Enrolment.id, User.username, User.email, User.first_name, User.last_name)
        .join(User, User.id == Enrolment.user_id)
        .where(Enrolment.session_id == session_id)
        .cte("session_learners").prefix_with("MATERIALIZED")
    )
    return select(learners.c.id).where(user_matches(q, users=learners.c))


def _search_page(db, stmt, page_number: int, per_page: int) -> Page:
    """A page of search results and their number in ONE query (count(*) OVER ()): the
    search reads every learner of the session, better once than for a count and again
    for the page. A page past the end has no row to carry the number: paginate then
    shows the last page, as for a list."""
    rows = db.execute(
        stmt.add_columns(func.count().over().label("total"))
        .limit(per_page).offset((page_number - 1) * per_page)
    ).all()
    if rows:
        return Page([row[0] for row in rows], rows[0].total, page_number, per_page)
    if page_number > 1:
        return paginate(db, stmt, page_number, per_page)
    return Page([], 0, 1, per_page)


def linked_classes(db, session_id: int) -> list[UserClass]:
    return list(db.scalars(
        select(UserClass).join(SessionClass, SessionClass.class_id == UserClass.id)
        .where(SessionClass.session_id == session_id).order_by(UserClass.name)
    ))


def class_names_by_learner(db, session_id: int, user_ids: list[int]) -> dict[int, list[str]]:
    """For each of ``user_ids``, the names of the session's linked classes they are in."""
    found: dict[int, list[str]] = {}
    if not user_ids:
        return found
    rows = db.execute(
        select(ClassMembership.user_id, UserClass.name)
        .join(UserClass, UserClass.id == ClassMembership.class_id)
        .join(SessionClass, SessionClass.class_id == UserClass.id)
        .where(SessionClass.session_id == session_id, ClassMembership.user_id.in_(user_ids))
        .order_by(UserClass.name)
    )
    for user_id, name in rows:
        found.setdefault(user_id, []).append(name)
    return found


def how_enrolled(enrolment_row: Enrolment, class_names: list[str]) -> str:
    """'Individual', 'Import', 'Class Red team', or both: 'Individual · class Red team'
    (in the reader's language; each combination is one text)."""
    classes = ", ".join(class_names)
    if enrolment_row.direct:
        by_import = enrolment_row.source == EnrolmentSource.IMPORT
        if not class_names:
            return _("Import") if by_import else _("Individual")
        return (_("Import · class %(classes)s", classes=classes) if by_import
                else _("Individual · class %(classes)s", classes=classes))
    if class_names:
        return _("Class %(classes)s", classes=classes)
    return str(SOURCE_WORDS.get(enrolment_row.source, enrolment_row.source.capitalize()))


# How an enrolment came, for one that is neither direct nor through a linked class now.
SOURCE_WORDS = {EnrolmentSource.INDIVIDUAL: _l("Individual"),
                EnrolmentSource.IMPORT: _l("Import"), EnrolmentSource.CLASS: _l("Class")}


@dataclass(frozen=True)
class LearnerAccess:
    """What applies to one learner alone, in words ('' for none): their individual dates
    ('until 20 Jul 2027 — extended by 5 days: medical leave') and their suspension
    ('Suspended: unpaid fees')."""

    dates: str = ""
    suspension: str = ""


def access_words(session: TrainingSession, enrolments: Iterable[Enrolment], now: datetime,
                 tz: ZoneInfo) -> dict[int, LearnerAccess]:
    """The LearnerAccess of each of ``enrolments``, by user id. Reads only the loaded
    enrolments: no query."""
    rules = SessionRules.of(session)
    return {
        e.user_id: LearnerAccess(
            dates_words(rules, LearnerFacts.of(e), e.dates_reason, now, tz),
            suspension_words(e.suspension_reason) if e.suspended_at is not None else "")
        for e in enrolments
    }


# The most learners one request may name (ticked in the list): a few pages' worth.
MAX_NAMED = 1000


def enrolled_learners(db, session_id: int, user_ids: Iterable[int]) -> list[Enrolment]:
    """The session's enrolments of ``user_ids`` (users loaded), by learner name, in one
    query; ids that are not learners of the session are left out."""
    wanted = set(user_ids)
    if not wanted:
        return []
    return list(db.scalars(
        select(Enrolment).join(User, User.id == Enrolment.user_id)
        .where(Enrolment.session_id == session_id, Enrolment.user_id.in_(wanted))
        .options(contains_eager(Enrolment.user))
        .order_by(User.last_name, User.first_name, User.id)
    ))


def linked_class(db, session_id: int, class_id: int) -> UserClass | None:
    """The class ``class_id`` when it is linked to the session."""
    return db.scalar(
        select(UserClass).join(SessionClass, SessionClass.class_id == UserClass.id)
        .where(SessionClass.session_id == session_id, UserClass.id == class_id)
    )


def learner_history(db, session_id: int, user_id: int) -> list[JournalEntry]:
    """The journal entries about this learner in this session, oldest first (one query):
    how they were enrolled, moved and unenrolled, their hand-ins and grades."""
    return list(db.scalars(
        select(JournalEntry)
        .where(JournalEntry.session_id == session_id, JournalEntry.learner_id == user_id)
        .order_by(JournalEntry.id)
    ))
