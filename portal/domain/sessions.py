"""Sessions: create, update, copy and delete, and their courses and course coaches.

Every write takes ``by`` (who acts) and ``now``, records its journal entry in the
caller's transaction and returns what changed; callers commit. The values come
checked by ``session_form.validate_session_values``.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.sql import Select

from ..models import (
    Assignment,
    Course,
    Enrolment,
    EnrolmentSource,
    Grade,
    PlatformRole,
    SessionCategory,
    SessionClass,
    SessionCourse,
    SessionCourseCoach,
    Submission,
    TrainingSession,
    User,
    UserClass,
)
from . import enrolment, journal, notify
from .journal import Actor
from .language import gettext as _
from .language import lazy_gettext as _l
from .users import label as user_label

# The columns an admin edits, in the order the journal lists them.
SESSION_COLUMNS = ("name", "description", "category_id", "coach_id", "after_end_policy",
                   "duration_days", "display_start", "display_end", "access_start",
                   "access_end", "coach_start", "coach_end", "welcome_message",
                   "remind_days_before_end", "coach_remind_days_before_end",
                   "grade_released_message")
# What a copy takes from its source (all but the name).
COPIED_COLUMNS = SESSION_COLUMNS[1:]


class VersionConflict(Exception):
    """The session was changed by someone else since the form was opened."""


def name_taken(db, name: str, *, except_id: int | None = None) -> bool:
    """Whether another session has this name, ignoring case."""
    # Both sides lowered by the database: SQLite's lower() leaves non-ASCII letters alone,
    # so Python's lower() would miss an exact duplicate such as "Ò" (then a 500 on insert).
    stmt = select(TrainingSession.id).where(func.lower(TrainingSession.name) == func.lower(name))
    if except_id is not None:
        stmt = stmt.where(TrainingSession.id != except_id)
    return db.scalar(stmt.limit(1)) is not None


def load_session(db, session_id: int) -> TrainingSession | None:
    """The session with what its admin page shows (category, coach, courses and their
    coaches), in one query: a session has a handful of courses and coaches, so one
    joined row per course coach costs less than a round trip per relationship."""
    courses = joinedload(TrainingSession.courses)
    return db.execute(
        select(TrainingSession).where(TrainingSession.id == session_id)
        .options(
            courses.joinedload(SessionCourse.course),
            courses.joinedload(SessionCourse.coaches).joinedload(SessionCourseCoach.user),
            joinedload(TrainingSession.category),
            joinedload(TrainingSession.coach),
        )
        .execution_options(populate_existing=True)
    ).unique().scalar_one_or_none()


def _values(session: TrainingSession) -> dict:
    return {name: getattr(session, name) for name in SESSION_COLUMNS}


def _readable(db, values: dict) -> dict:
    """``values`` with the coach's and the category's names beside their ids, so the
    journal reads names (found in the identity map when the page loaded them)."""
    out = dict(values)
    if "coach_id" in values:
        coach = db.get(User, values["coach_id"]) if values["coach_id"] else None
        out["coach"] = user_label(coach) if coach else None
    if "category_id" in values:
        category = db.get(SessionCategory, values["category_id"]) \
            if values["category_id"] else None
        out["category"] = category.name if category else None
    return out


def _about(session: TrainingSession, label: str | None = None) -> dict:
    label = label or session.name
    return {"object_id": session.id, "object_label": label, "session_id": session.id,
            "session_label": label}


def course_label(course: Course) -> str:
    """How the journal names a course: its code and title."""
    return f"{course.code} {course.title}"


def _about_course(session: TrainingSession, course: Course) -> dict:
    return {"object_id": course.id, "object_label": course_label(course),
            "session_id": session.id, "session_label": session.name}


def _by_id(db, model, ids) -> dict:
    ids = set(ids)
    return {row.id: row for row in db.scalars(select(model).where(model.id.in_(ids)))} \
        if ids else {}


@dataclass
class SessionPlan:
    """Everything the create form gathered, validated, ready to be written."""

    fields: dict  # TrainingSession column values
    course_ids: list[int] = field(default_factory=list)
    course_coaches: dict[int, list[int]] = field(default_factory=dict)
    learner_ids: list[int] = field(default_factory=list)
    class_ids: list[int] = field(default_factory=list)


def create_session(db, plan: SessionPlan, *, by: Actor, now: datetime) -> TrainingSession:
    """Create the session with its courses, course coaches, learners and classes.

    Journal: ("session", "create") with the field values, then one ("session_course",
    "add") per course and one ("course_coach", "add") per course coach.
    """
    session = TrainingSession(**plan.fields, created_at=now, updated_at=now)
    db.add(session)
    db.flush()
    journal.record(db, by, now, "session", "create", **_about(session),
                   after=_readable(db, _values(session)))
    courses = _by_id(db, Course, plan.course_ids)
    course_ids = [c for c in plan.course_ids if c in courses]
    for position, course_id in enumerate(course_ids):
        db.add(SessionCourse(session_id=session.id, course_id=course_id, position=position))
    db.flush()
    journal.record_items(db, by, now, "session_course", "add", [
        {**_about_course(session, courses[c]), "after": {"position": p}}
        for p, c in enumerate(course_ids)])
    coaches = [(c, u) for c in course_ids for u in plan.course_coaches.get(c, ())]
    users = _by_id(db, User, [u for _, u in coaches])
    # Only teachers and administrators coach (the form says so; this keeps the rule here).
    coaches = [(c, u) for c, u in coaches if u in users and coach_role_problem(users[u]) is None]
    for course_id, user_id in coaches:
        db.add(SessionCourseCoach(session_id=session.id, course_id=course_id,
                                  user_id=user_id))
    journal.record_items(db, by, now, "course_coach", "add", [
        {**_about_course(session, courses[c]), "learner_id": u,
         "learner_label": user_label(users[u])} for c, u in coaches])
    enrolment.enrol_users(db, session.id, plan.learner_ids, by=by, now=now)
    for class_id in plan.class_ids:
        enrolment.link_class(db, session.id, class_id, by=by, now=now)
    db.flush()
    return session


def ensure_version(session: TrainingSession, expected_version: int | None) -> None:
    """Raise VersionConflict unless the session is still at ``expected_version`` (the
    version its form was opened at)."""
    if expected_version != session.version:
        raise VersionConflict


def update_session(db, session: TrainingSession, changes: dict, *,
                   expected_version: int | None, by: Actor, now: datetime
                   ) -> dict[str, tuple]:
    """Save the column values ``changes`` (see SESSION_COLUMNS) on ``session``.

    Returns {column: (before, after)} for the values that changed; nothing changed:
    nothing written, no entry. Raises VersionConflict (nothing written) when the
    session is not at ``expected_version``, or another save lands first.
    """
    ensure_version(session, expected_version)
    before = _values(session)
    changed = {name: value for name, value in changes.items()
               if name in before and before[name] != value}
    if not changed:
        return {}
    label = session.name  # the name it had when the admin changed it
    for name, value in changed.items():
        setattr(session, name, value)
    session.updated_at = now
    try:
        db.flush()  # the UPDATE checks the version: a save landed in between fails here
    except StaleDataError:
        raise VersionConflict from None
    old, new = journal.changes(_readable(db, {n: before[n] for n in changed}),
                               _readable(db, changed))
    journal.record(db, by, now, "session", "update", **_about(session, label),
                   before=old, after=new)
    notify.queue_date_changes(db, session, set(changed), now=now)
    if changed.keys() & {"access_start", "access_end", "duration_days"}:
        enrolment.refresh_learners_span(db, [session.id], now)
    return {name: (before[name], value) for name, value in changed.items()}


def copy_name(db, name: str) -> str:
    """'Copy of NAME', numbered when that is taken (in the admin's language: it is the
    form's suggestion)."""
    candidate = _("Copy of %(name)s", name=name)[:200]
    n = 2
    while name_taken(db, candidate):
        candidate = _("Copy of %(name)s (%(n)s)", name=name, n=n)[:200]
        n += 1
    return candidate


# The six window bounds, as a copy's form and its messages name them (read in the
# reader's language)...
DATE_LABELS = {"access_start": _l("access start"), "access_end": _l("access end"),
               "display_start": _l("display start"), "display_end": _l("display end"),
               "coach_start": _l("coach access start"), "coach_end": _l("coach access end")}
# ... and as the journal records them: stored data, always English.
JOURNAL_DATE_NAMES = {"access_start": "access start", "access_end": "access end",
                      "display_start": "display start", "display_end": "display end",
                      "coach_start": "coach access start", "coach_end": "coach access end"}


@dataclass(frozen=True)
class DateShift:
    """Move dates by ``delta`` of wall-clock time in ``tz`` (the zone the admin typed the
    new start in): each bound keeps its local time of day, so a 09:00 start stays 09:00
    and a whole-day end stays a whole day across a change of the clocks. Sessions have
    no zone of their own; the admin's is the one their dates were entered in."""

    delta: timedelta
    tz: ZoneInfo

    def apply(self, moment: datetime | None) -> datetime | None:
        """``moment`` moved; raises OverflowError past datetime's limits. A wall time the
        clocks skip on the new day is read with the offset before the change (02:30 on
        a spring-forward night becomes 03:30): the instant stays the same distance on."""
        if moment is None:
            return None
        local = moment.astimezone(self.tz).replace(tzinfo=None) + self.delta
        return local.replace(tzinfo=self.tz).astimezone(UTC)

    @property
    def minutes(self) -> int:
        return int(self.delta.total_seconds() // 60)


def shift_reference(session) -> tuple[str, datetime] | None:
    """The bound a copy's shift is measured from, as (column, instant): the access start,
    else the earliest bound set; None when the session has no date at all."""
    if session.access_start is not None:
        return "access_start", session.access_start
    bounds = [(getattr(session, name), name) for name in DATE_LABELS
              if getattr(session, name) is not None]
    if not bounds:
        return None
    moment, name = min(bounds)
    return name, moment


def shifted_dates(session, shift: DateShift | None) -> dict[str, datetime | None]:
    """The six bounds of ``session`` moved by ``shift`` (unmoved with None)."""
    return {name: shift.apply(getattr(session, name)) if shift else getattr(session, name)
            for name in DATE_LABELS}


@dataclass(frozen=True)
class CopyPlan:
    """What the copy form asked for, validated: the name, the new dates (already moved
    by ``shift``; the source's when ``shift`` is None) and what else to take along."""

    name: str
    dates: dict[str, datetime | None]
    shift: DateShift | None = None
    shift_from: str | None = None  # the column the shift was measured from
    course_coaches: bool = True
    learners: bool = False
    class_links: bool = False


@dataclass(frozen=True)
class CopySource:
    """What a copy could take from its source, for the form's choices."""

    course_coaches: int
    direct_learners: int
    class_learners: int  # enrolled only through a linked class
    classes: tuple[str, ...]


def copy_source(db, session_id: int) -> CopySource:
    """Counts of the course coaches and learners of a session, and its classes' names."""
    coaches, direct, by_class = db.execute(select(
        select(func.count()).select_from(SessionCourseCoach)
        .where(SessionCourseCoach.session_id == session_id).scalar_subquery(),
        select(func.count()).where(Enrolment.session_id == session_id,
                                   Enrolment.direct.is_(True)).scalar_subquery(),
        select(func.count()).where(Enrolment.session_id == session_id,
                                   Enrolment.direct.is_(False)).scalar_subquery(),
    )).one()
    classes = tuple(db.scalars(
        select(UserClass.name).join(SessionClass, SessionClass.class_id == UserClass.id)
        .where(SessionClass.session_id == session_id).order_by(UserClass.name)))
    return CopySource(coaches, direct, by_class, classes)


def copy_session(db, source: TrainingSession, plan: CopyPlan, *, by: Actor,
                 now: datetime) -> TrainingSession:
    """A new session with the courses, coach, category, rules and (moved) dates of
    ``source``; with its course coaches, learners and class links when ``plan`` says so.

    Learners keep how they are enrolled: direct ones (individually, by import) are
    enrolled the same way; those held only by a class come through the class link when
    links are copied, else individually (the copy has no class to hold them). Class links
    enrol the classes' members of now through the class path.
    Journal: one ("session", "copy") entry naming the source and the shift, and the
    enrolment items of the enrolment write path filed under it.
    """
    copy = TrainingSession(name=plan.name, created_at=now, updated_at=now,
                           **{c: getattr(source, c) for c in COPIED_COLUMNS
                              if c not in plan.dates},
                           **plan.dates)
    db.add(copy)
    db.flush()
    courses = db.execute(
        select(SessionCourse.course_id, SessionCourse.position)
        .where(SessionCourse.session_id == source.id)
    ).all()
    for course_id, position in courses:
        db.add(SessionCourse(session_id=copy.id, course_id=course_id, position=position))
    db.flush()
    copied, left_out = [], []
    coaches = db.execute(
        select(SessionCourseCoach.course_id, SessionCourseCoach.user_id)
        .where(SessionCourseCoach.session_id == source.id)
    ).all()
    if plan.course_coaches:
        for course_id, user_id in coaches:
            db.add(SessionCourseCoach(session_id=copy.id, course_id=course_id,
                                      user_id=user_id))
        db.flush()
        copied.append("course coaches")
    elif coaches:
        left_out.append("course coaches")
    classes = db.execute(
        select(UserClass.id, UserClass.name).join(SessionClass,
                                                  SessionClass.class_id == UserClass.id)
        .where(SessionClass.session_id == source.id).order_by(UserClass.name)
    ).all() if plan.class_links else []
    after = {"source": source.name, "source_id": source.id}
    if plan.shift is not None and plan.shift.minutes:
        after.update(shift_minutes=plan.shift.minutes,
                     shift_from=JOURNAL_DATE_NAMES.get(plan.shift_from, plan.shift_from))
    if plan.learners:
        copied.append("learners")
    if plan.class_links:
        copied.append("class links")
        after["classes"] = [name for _, name in classes]
    after["copied"] = copied
    if left_out:
        after["left_out"] = left_out
    head = journal.record(db, by, now, "session", "copy", **_about(copy), after=after)
    if plan.learners:
        _copy_learners(db, source.id, copy.id, [class_id for class_id, _ in classes],
                       by=by, now=now, under=head.id)
    else:
        for class_id, _ in classes:
            enrolment.link_class(db, copy.id, class_id, by=by, now=now, under=head.id)
    db.flush()
    return copy


def _copy_learners(db, source_id: int, copy_id: int, class_ids: list[int], *, by: Actor,
                   now: datetime, under: int) -> None:
    """Enrol the source's learners in the copy so that each is held as in the source.

    Order matters for the ``source`` each enrolment records: direct learners who first
    came individually or by import are enrolled first (so a class linked next does not
    claim them); then the classes are linked (their members come through the class);
    then the rest: direct learners who first came through a class (made direct on top
    of the class when still a member) and, with no class link copied, the class-held.
    """
    rows = db.execute(select(Enrolment.user_id, Enrolment.source, Enrolment.direct)
                      .where(Enrolment.session_id == source_id)).all()
    by_import = [u for u, source, direct in rows
                 if direct and source == EnrolmentSource.IMPORT.value]
    individual = [u for u, source, direct in rows
                  if direct and source == EnrolmentSource.INDIVIDUAL.value]
    late = [u for u, source, direct in rows if (direct and source == EnrolmentSource.CLASS.value)
            or (not direct and not class_ids)]
    if individual:
        enrolment.enrol_users(db, copy_id, individual, by=by, now=now, under=under)
    if by_import:
        enrolment.enrol_users(db, copy_id, by_import, EnrolmentSource.IMPORT.value, by=by,
                              now=now, under=under)
    for class_id in class_ids:
        enrolment.link_class(db, copy_id, class_id, by=by, now=now, under=under)
    if late:
        enrolment.enrol_users(db, copy_id, late, by=by, now=now, under=under)


@dataclass(frozen=True)
class DeletionImpact:
    learners: int
    submissions: int
    grades: int


def deletion_impact(db, session_id: int) -> DeletionImpact:
    row = db.execute(select(
        select(func.count()).where(Enrolment.session_id == session_id).scalar_subquery(),
        select(func.count()).where(Submission.session_id == session_id).scalar_subquery(),
        select(func.count()).select_from(Grade).join(Submission)
        .where(Submission.session_id == session_id).scalar_subquery(),
    )).one()
    return DeletionImpact(*row)


def delete_session(db, session: TrainingSession, *, by: Actor, now: datetime) -> dict:
    """Delete a session and everything that belongs to it (enrolments, hand-ins, grades).

    Returns (and journals as ("session", "delete") ``before``) its values and the
    counts of learners, submissions and grades deleted with it.
    """
    impact = deletion_impact(db, session.id)
    before = {**_readable(db, _values(session)), "learners": impact.learners,
              "submissions": impact.submissions, "grades": impact.grades}
    journal.record(db, by, now, "session", "delete", **_about(session), before=before)
    # The foreign keys cascade on PostgreSQL and on SQLite with foreign_keys=ON.
    db.execute(delete(TrainingSession).where(TrainingSession.id == session.id))
    return before


# --- courses and course coaches of an existing session ------------------------------


def add_course(db, session: TrainingSession, course: Course, *, by: Actor, now: datetime
               ) -> SessionCourse | None:
    """Append a course at the end of the session; None when it is already there.
    Journal: ("session_course", "add")."""
    positions = db.execute(
        select(SessionCourse.course_id, SessionCourse.position)
        .where(SessionCourse.session_id == session.id)
    ).all()
    if any(c == course.id for c, _ in positions):
        return None
    last = max((p for _, p in positions), default=-1)
    link = SessionCourse(session_id=session.id, course_id=course.id, position=last + 1)
    db.add(link)
    db.flush()
    journal.record(db, by, now, "session_course", "add", **_about_course(session, course),
                   after={"position": link.position})
    return link


def session_courses_of(session_id: int) -> Select:
    """The session's courses (SessionCourse, with the course and the course coaches
    loaded), in the session's order: a statement to page through."""
    return (select(SessionCourse).where(SessionCourse.session_id == session_id)
            .options(joinedload(SessionCourse.course),
                     selectinload(SessionCourse.coaches).joinedload(SessionCourseCoach.user))
            .order_by(SessionCourse.position, SessionCourse.id))


def move_course(db, session: TrainingSession, course: Course, offset: int, *, by: Actor,
                now: datetime) -> int | None:
    """Move a course up (-1) or down (+1) in the session's order; returns its new
    position (from 0), None when it cannot move. Journal: ("session_course", "move")."""
    rows = db.scalars(
        select(SessionCourse).where(SessionCourse.session_id == session.id)
        .order_by(SessionCourse.position, SessionCourse.id)
    ).all()
    index = next((i for i, sc in enumerate(rows) if sc.course_id == course.id), None)
    if index is None or not 0 <= index + offset < len(rows):
        return None
    rows[index], rows[index + offset] = rows[index + offset], rows[index]
    for position, row in enumerate(rows):  # renumber: positions stay dense and unique
        row.position = position
    db.flush()
    journal.record(db, by, now, "session_course", "move", **_about_course(session, course),
                   before={"position": index}, after={"position": index + offset})
    return index + offset


def hidden_submissions(db, session_id: int, course_id: int) -> int:
    """How many hand-ins of this session belong to the course's assignments.

    Removing the course hides them (they stay stored and come back if it is re-added).
    """
    return db.scalar(
        select(func.count()).select_from(Submission)
        .join(Assignment, Assignment.id == Submission.assignment_id)
        .where(Submission.session_id == session_id, Assignment.course_id == course_id)
    )


def remove_course(db, session: TrainingSession, course: Course, *, by: Actor, now: datetime
                  ) -> dict | None:
    """Take a course out of the session, with its course coaches. Returns what went
    ({'position': n, 'coaches': [names]}), None when it was not there.
    Journal: ("session_course", "remove") with that as ``before``."""
    link = db.scalar(select(SessionCourse).where(
        SessionCourse.session_id == session.id, SessionCourse.course_id == course.id))
    if link is None:
        return None
    coaches = db.scalars(
        select(User).join(SessionCourseCoach, SessionCourseCoach.user_id == User.id)
        .where(SessionCourseCoach.session_id == session.id,
               SessionCourseCoach.course_id == course.id).order_by(User.id)
    ).all()
    removed = {"position": link.position, "coaches": [user_label(u) for u in coaches]}
    # Course coaches go with it (foreign key cascade; explicit for clarity on every engine).
    db.execute(delete(SessionCourseCoach).where(
        SessionCourseCoach.session_id == session.id, SessionCourseCoach.course_id == course.id
    ))
    db.execute(delete(SessionCourse).where(SessionCourse.id == link.id))
    journal.record(db, by, now, "session_course", "remove", **_about_course(session, course),
                   before=removed)
    return removed


# The platform roles that may coach a session or a course; learners never do.
COACH_ROLES = (PlatformRole.TEACHER.value, PlatformRole.ADMIN.value)


class NotACoach(ValueError):
    """The user's platform role cannot coach; the message names the role needed."""


def coach_role_problem(user: User) -> str | None:
    """Why ``user`` cannot be a session or course coach, or None when they can: only
    teachers and administrators coach."""
    if user.role in COACH_ROLES:
        return None
    if user.role == PlatformRole.LEARNER.value:
        return _("Only a teacher or an administrator can coach: %(username)s is a learner.",
                 username=user.username)
    return _("Only a teacher or an administrator can coach: %(username)s is a %(role)s.",
             username=user.username, role=user.role)


def add_course_coach(db, session: TrainingSession, course: Course, user: User, *, by: Actor,
                     now: datetime) -> bool:
    """Make ``user`` a coach of the course in the session; False when already one.
    Raises NotACoach for a learner (nothing written). Journal: ("course_coach", "add"),
    the coach as learner_*."""
    problem = coach_role_problem(user)
    if problem:
        raise NotACoach(problem)
    exists_already = db.scalar(select(func.count()).select_from(SessionCourseCoach).where(
        SessionCourseCoach.session_id == session.id, SessionCourseCoach.course_id == course.id,
        SessionCourseCoach.user_id == user.id,
    ))
    if exists_already:
        return False
    db.add(SessionCourseCoach(session_id=session.id, course_id=course.id, user_id=user.id))
    db.flush()
    journal.record(db, by, now, "course_coach", "add", **_about_course(session, course),
                   learner_id=user.id, learner_label=user_label(user))
    return True


def remove_course_coach(db, session: TrainingSession, course: Course, user_id: int, *,
                        by: Actor, now: datetime) -> User | None:
    """Remove a coach of the course in the session; returns that coach, None when the
    user was not one. Journal: ("course_coach", "remove")."""
    if not 0 < user_id < 2**31:  # not an id the database can hold: no such coach
        return None
    result = db.execute(delete(SessionCourseCoach).where(
        SessionCourseCoach.session_id == session.id, SessionCourseCoach.course_id == course.id,
        SessionCourseCoach.user_id == user_id,
    ))
    if not result.rowcount:
        return None
    user = db.get(User, user_id)
    journal.record(db, by, now, "course_coach", "remove", **_about_course(session, course),
                   learner_id=user_id, learner_label=user_label(user))
    return user
