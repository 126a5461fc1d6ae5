"""Builders for test data: sessions with windows, courses, coaches, enrolments."""

import importlib.util
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from portal.domain import jobs
from portal.extensions import db
from portal.models import (
    Course,
    Enrolment,
    Grade,
    SessionCourse,
    SessionCourseCoach,
    Submission,
    TrainingSession,
    User,
)

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def make_session(coach, name="Onboarding", *, starts_in=-1, ends_in=10, coach_before=7,
                 coach_after=14, policy="read_only", **fields):
    """A session whose access window runs from NOW+starts_in to NOW+ends_in days."""
    access_start = NOW + timedelta(days=starts_in) if starts_in is not None else None
    access_end = NOW + timedelta(days=ends_in) if ends_in is not None else None
    session = TrainingSession(
        name=name,
        coach_id=coach.id,
        access_start=access_start,
        access_end=access_end,
        coach_start=access_start - timedelta(days=coach_before) if access_start else None,
        coach_end=access_end + timedelta(days=coach_after) if access_end else None,
        after_end_policy=policy,
        **fields,
    )
    db.session.add(session)
    db.session.commit()
    return session


def add_course(session, code="PY101", title="Python basics", coaches=()):
    course = db.session.query(Course).filter_by(code=code).one_or_none()
    if course is None:
        course = Course(code=code, title=title, description="")
        db.session.add(course)
        db.session.flush()
    db.session.add(SessionCourse(session_id=session.id, course_id=course.id))
    db.session.flush()
    for coach in coaches:
        db.session.add(
            SessionCourseCoach(session_id=session.id, course_id=course.id, user_id=coach.id)
        )
    db.session.commit()
    return course


def enrol(session, *users, **fields):
    for user in users:
        db.session.add(Enrolment(session_id=session.id, user_id=user.id, **fields))
    db.session.commit()


def hand_in(session, user, assignment, *, at, score=None):
    """``user``'s hand-in of ``assignment`` in ``session`` at ``at``, graded ``score``."""
    submission = Submission(session_id=session.id, assignment_id=assignment.id,
                            user_id=user.id, answer="work", submitted_at=at)
    db.session.add(submission)
    db.session.flush()
    if score is not None:
        db.session.add(Grade(submission_id=submission.id, score=score, graded_at=at))
    db.session.commit()
    return submission


def bulk_learners(session, count: int, tag: str, **enrolment) -> list[int]:
    """``count`` learners ``<tag>0000``… enrolled in ``session`` with two INSERTs; each
    keyword of ``enrolment`` is a function of (index, user id) giving that column."""
    db.session.execute(insert(User), [
        {"username": f"{tag}{i:04}", "email": f"{tag}{i}@example.org", "first_name": "Bulk",
         "last_name": f"{tag}{i:04}", "role": "learner"} for i in range(count)])
    ids = list(db.session.scalars(select(User.id).where(User.username.like(f"{tag}%"))
                                  .order_by(User.id)))
    db.session.execute(insert(Enrolment), [
        {"session_id": session.id, "user_id": uid, "source": "individual", "direct": True,
         **{column: value(i, uid) for column, value in enrolment.items()}}
        for i, uid in enumerate(ids)])
    return ids


def run_jobs() -> list[int]:
    """What the worker does between two outbox batches, until no job is due: each job
    claimed and run on a session of its own, as in the worker process."""
    ran = []
    with Session(db.engine) as worker_session:
        while (job_id := jobs.run_due(worker_session, now=NOW)) is not None:
            ran.append(job_id)
    db.session.expire_all()
    return ran


def speaks(user, code: str | None) -> None:
    """``user`` reads the portal in ``code`` from now on (their profile's language)."""
    user.language = code
    db.session.commit()


def text(node) -> str:
    """A node's visible text, its pieces joined by single spaces."""
    return " ".join(node.stripped_strings)


def bench_module(name: str):
    """bench/<name>.py as a module, loaded once: the tests use the benchmarks' own pages
    and reference queries, so what is measured is what is tested."""
    module_name = f"bench_{name}"
    if module_name not in sys.modules:
        path = Path(__file__).resolve().parent.parent / "bench" / f"{name}.py"
        spec = importlib.util.spec_from_file_location(module_name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module  # its dataclasses look their module up
        spec.loader.exec_module(module)
    return sys.modules[module_name]
