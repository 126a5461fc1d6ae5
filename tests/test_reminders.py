"""Reminders: queued by the worker's schedule, set-based, once per learner and end."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.domain import enrolment, journal, notify
from portal.extensions import db
from portal.models import (
    Assignment,
    Course,
    Enrolment,
    Grade,
    OutboxMessage,
    SessionCourse,
    SessionCourseCoach,
    Submission,
    TrainingSession,
)

END = datetime(2027, 3, 1, 23, 0, tzinfo=UTC)  # 00:00 on 2 Mar in Paris: last day 1 Mar


@pytest.fixture
def cast_(make_user):
    return {
        "coach": make_user("cora", role="teacher"),
        "teacher": make_user("ted", role="teacher"),
        "lea": make_user("lea"),
        "leo": make_user("leo"),
        "off": make_user("off", active=False),
    }


def make_session(coach, **fields):
    session = TrainingSession(name=fields.pop("name", "Spring"), coach=coach, **fields)
    db.session.add(session)
    db.session.commit()
    return session


def enrol(session, *users, now=datetime(2027, 1, 1, tzinfo=UTC)):
    enrolment.enrol_users(db.session, session.id, [u.id for u in users], by=journal.SYSTEM,
                          now=now)
    db.session.commit()


def queued(kind=notify.REMINDER):
    return sorted((m.user_id, m.session_id) for m in db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == kind)))


def schedule(at):
    notify.run_schedule(db.session, now=at)
    db.session.commit()


def test_a_learner_is_reminded_once_n_days_before_the_end(app, cast_):
    session = make_session(cast_["coach"], access_end=END, remind_days_before_end=3)
    silent = make_session(cast_["coach"], name="Silent", access_end=END)
    enrol(session, cast_["lea"], cast_["leo"], cast_["off"])
    enrol(silent, cast_["lea"])
    schedule(END - timedelta(days=3, seconds=1))
    assert queued() == []
    schedule(END - timedelta(days=3))
    both = [(cast_["lea"].id, session.id), (cast_["leo"].id, session.id)]
    assert queued() == both  # not the inactive learner, not the session without reminders
    schedule(END - timedelta(days=1))
    assert queued() == both  # once per learner and end


def test_no_reminder_after_the_end_or_for_a_learner_no_longer_enrolled(app, cast_):
    session = make_session(cast_["coach"], access_end=END, remind_days_before_end=3)
    enrol(session, cast_["lea"], cast_["leo"])
    enrolment.unenrol_user(db.session, session.id, cast_["leo"].id, by=journal.SYSTEM,
                           now=datetime(2027, 1, 2, tzinfo=UTC))
    db.session.commit()
    schedule(END)
    assert queued() == []
    schedule(END - timedelta(hours=1))
    assert queued() == [(cast_["lea"].id, session.id)]


def test_a_later_end_is_reminded_again(app, cast_):
    session = make_session(cast_["coach"], access_end=END, remind_days_before_end=3)
    enrol(session, cast_["lea"])
    schedule(END - timedelta(days=2))
    session.access_end = END + timedelta(days=14)
    db.session.commit()
    schedule(END + timedelta(days=12))
    assert queued() == [(cast_["lea"].id, session.id)] * 2


def test_in_duration_mode_the_reminder_follows_the_learners_own_end(app, cast_):
    session = make_session(cast_["coach"], duration_days=30, remind_days_before_end=5)
    enrol(session, cast_["lea"], cast_["leo"])
    first = datetime(2027, 1, 10, 8, 0, tzinfo=UTC)
    rows = {e.user_id: e for e in db.session.scalars(select(Enrolment))}
    rows[cast_["lea"].id].first_access_at = first
    rows[cast_["leo"].id].first_access_at = first
    rows[cast_["leo"].id].extension_days = 7  # his end is a week later
    db.session.commit()
    lea_end = first + timedelta(days=30)
    schedule(lea_end - timedelta(days=5, seconds=1))
    assert queued() == []
    schedule(lea_end - timedelta(days=5))
    assert queued() == [(cast_["lea"].id, session.id)]
    schedule(lea_end + timedelta(days=2))
    assert queued() == [(cast_["lea"].id, session.id), (cast_["leo"].id, session.id)]


def _hand_in(session, course, learner, *, graded=False):
    assignment = Assignment(course_id=course.id, title="Essay")
    db.session.add(assignment)
    db.session.flush()
    submission = Submission(session_id=session.id, assignment_id=assignment.id,
                            user_id=learner.id, answer="Done")
    db.session.add(submission)
    db.session.flush()
    if graded:
        db.session.add(Grade(submission_id=submission.id, score=10))
    db.session.commit()


def test_coaches_are_reminded_before_the_coach_window_ends_with_what_is_left_to_grade(
        app, cast_):
    session = make_session(cast_["coach"], access_end=END - timedelta(days=20),
                           coach_end=END, coach_remind_days_before_end=7)
    taught, other = Course(code="A-1", title="Taught"), Course(code="B-1", title="Other")
    db.session.add_all([taught, other])
    db.session.flush()
    db.session.add_all([SessionCourse(session_id=session.id, course_id=taught.id, position=1),
                        SessionCourse(session_id=session.id, course_id=other.id, position=2),
                        SessionCourseCoach(session_id=session.id, course_id=taught.id,
                                           user_id=cast_["teacher"].id)])
    db.session.commit()
    enrol(session, cast_["lea"])
    _hand_in(session, taught, cast_["lea"], graded=True)
    _hand_in(session, other, cast_["lea"])
    schedule(END - timedelta(days=7))
    assert queued(notify.COACH_REMINDER) == sorted(
        [(cast_["coach"].id, session.id), (cast_["teacher"].id, session.id)])
    rendered = {}
    for message in db.session.scalars(select(OutboxMessage)):
        try:
            notify.render(db.session, message, now=END - timedelta(days=7))
            rendered[message.user_id] = message.subject
        except notify.NoLongerDue as reason:
            rendered[message.user_id] = str(reason)
    # The session coach has the ungraded hand-in of "Other"; the teacher's one is graded.
    assert rendered[cast_["coach"].id] == "Spring: 1 hand-in to grade"
    assert rendered[cast_["teacher"].id] == "nothing is left to grade"


def test_the_reminder_names_the_last_day_in_the_learners_zone(app, cast_):
    session = make_session(cast_["coach"], access_end=END, remind_days_before_end=3)
    cast_["lea"].timezone = "Europe/Paris"
    enrol(session, cast_["lea"])
    schedule(END - timedelta(days=3))
    [message] = db.session.scalars(select(OutboxMessage)).all()
    notify.render(db.session, message, now=END - timedelta(days=3))
    assert message.subject == "Spring: your access ends soon"
    assert "ends in 3 days: 1 Mar 2027 is your last day" in message.text_body
    assert "Europe/Paris" in message.text_body


def test_a_learner_suspended_after_their_reminder_was_queued_is_not_sent_it(app, cast_):
    session = make_session(cast_["coach"], access_end=END, remind_days_before_end=3)
    enrol(session, cast_["lea"])
    schedule(END - timedelta(days=2))
    [message] = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == notify.REMINDER)).all()
    enrolment.change_suspension(db.session, session, [cast_["lea"].id], "Course fee unpaid",
                                by=journal.SYSTEM, now=END - timedelta(days=2))
    db.session.commit()
    with pytest.raises(notify.NoLongerDue, match="suspended"):
        notify.render(db.session, message, now=END - timedelta(days=2))
