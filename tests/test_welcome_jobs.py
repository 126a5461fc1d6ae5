"""The welcome messages of a big enrolment are written by the worker, as a job queued with
the change: none lost, none doubled, none for a learner unenrolled in between."""

from datetime import UTC, datetime

from sqlalchemy import func, insert, select

from portal.domain import enrolment, jobs, journal, notify
from portal.extensions import db
from portal.models import Enrolment, Job, OutboxMessage, User
from tests.helpers import make_session

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
BIG = notify.WELCOME_JOB_FROM + 1


def _learners(count: int, tag: str) -> list[int]:
    """``count`` learners, not enrolled anywhere yet."""
    db.session.execute(insert(User), [
        {"username": f"{tag}{i:04}", "email": f"{tag}{i}@example.org", "first_name": "New",
         "last_name": f"{tag}{i:04}", "role": "learner"} for i in range(count)])
    return list(db.session.scalars(select(User.id).where(User.username.like(f"{tag}%"))
                                   .order_by(User.id)))


def _outbox() -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxMessage))


def _enrol(session, user_ids):
    enrolment.enrol_users(db.session, session.id, user_ids, by=journal.SYSTEM, now=NOW)
    db.session.commit()


def test_a_big_enrolment_queues_one_job_and_the_worker_writes_every_welcome(make_user):
    coach = make_user("cora", role="teacher")
    session = make_session(coach, "Spring", welcome_message=True)
    ids = _learners(BIG, "w")
    _enrol(session, ids)
    assert _outbox() == 0
    (job,) = db.session.scalars(select(Job)).all()
    assert (job.kind, job.owner_id, job.rows_total) == (notify.WELCOME_JOB, None, BIG)

    assert jobs.run_due(db.session, now=NOW) == job.id
    assert _outbox() == BIG
    db.session.refresh(job)
    assert (job.status, job.result) == ("done", {"queued": BIG})
    # Run again (a worker that died after its commit): nothing doubled.
    notify.queue_welcomes(db.session, {session.id}, now=NOW, enrolled_at=NOW)
    db.session.commit()
    assert _outbox() == BIG


def test_a_learner_unenrolled_before_the_worker_runs_is_not_welcomed(make_user):
    coach = make_user("cora", role="teacher")
    session = make_session(coach, "Spring", welcome_message=True)
    ids = _learners(BIG, "w")
    _enrol(session, ids)
    enrolment.change_enrolments(db.session, enrolment.EnrolmentRequest(
        enrolment.How(enrolment.EnrolmentSource.INDIVIDUAL.value),
        unenrol={(session.id, ids[0])}), by=journal.SYSTEM, now=NOW)
    db.session.commit()
    jobs.run_due(db.session, now=NOW)
    welcomed = set(db.session.scalars(select(OutboxMessage.user_id)
                                      .where(OutboxMessage.kind == notify.WELCOME)))
    assert ids[0] not in welcomed and len(welcomed) == BIG - 1


def test_a_rolled_back_enrolment_queues_no_job(make_user):
    coach = make_user("cora", role="teacher")
    session = make_session(coach, "Spring", welcome_message=True)
    ids = _learners(BIG, "w")
    enrolment.enrol_users(db.session, session.id, ids, by=journal.SYSTEM, now=NOW)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Job)) == 0
    assert db.session.scalar(select(func.count()).select_from(Enrolment)) == 0


def test_small_enrolments_and_sessions_without_welcomes_queue_no_job(make_user):
    coach = make_user("cora", role="teacher")
    welcoming = make_session(coach, "Spring", welcome_message=True)
    quiet = make_session(coach, "Quiet")
    _enrol(welcoming, _learners(3, "s"))
    assert _outbox() == 3  # written with the change, as always
    _enrol(quiet, _learners(BIG, "q"))
    assert db.session.scalar(select(func.count()).select_from(Job)) == 0
