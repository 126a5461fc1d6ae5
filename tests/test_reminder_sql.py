"""The reminder schedule's SQL queues exactly the learners whose own end the Python rules
(``learner_window``) put within their session's N days.

Hypothesis draws sessions in fixed-date or duration mode, learners with or without a first
visit and an extension, a number of days and an instant (ends often fall exactly on the
edges); one INSERT … SELECT per distinct case must pick the same learners as the rule
"now < end <= now + N days" applied to each learner's window in Python. A planted fault
(``<`` for ``<=`` at the far edge) fails within the 40 examples.
"""

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from portal.domain import notify
from portal.domain.access import LearnerFacts, SessionRules, learner_window
from portal.extensions import db
from portal.models import Enrolment, OutboxMessage, TrainingSession, User

BASE = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
instants = st.sampled_from([BASE + timedelta(days=d) for d in range(0, 12)])
learners = st.fixed_dictionaries({
    "first": st.none() | instants,
    "extension": st.integers(0, 3),
})
sessions = st.fixed_dictionaries({
    "end": st.none() | instants,
    "duration": st.none() | st.integers(1, 6),
    "remind": st.none() | st.integers(1, 5),
    "learners": st.lists(learners, min_size=1, max_size=3),
})


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(drawn=st.lists(sessions, min_size=1, max_size=4), now=instants)
def test_reminders_select_what_the_learners_windows_say(app, make_user, drawn, now):
    coach = db.session.scalar(select(User).where(User.username == "coach")) \
        or make_user("coach", role="teacher")
    people = [db.session.scalar(select(User).where(User.username == f"l{i}"))
              or make_user(f"l{i}") for i in range(3)]
    expected = set()
    for n, plan in enumerate(drawn):
        session = TrainingSession(name=f"S{n}", coach_id=coach.id,
                                  access_end=None if plan["duration"] else plan["end"],
                                  duration_days=plan["duration"],
                                  remind_days_before_end=plan["remind"])
        db.session.add(session)
        db.session.flush()
        for person, learner in zip(people, plan["learners"], strict=False):
            db.session.add(Enrolment(session_id=session.id, user_id=person.id,
                                     enrolled_at=BASE, first_access_at=learner["first"],
                                     extension_days=learner["extension"]))
            facts = LearnerFacts(first_access_at=learner["first"],
                                 extension_days=learner["extension"])
            end = learner_window(SessionRules.of(session), facts, now).end
            has_started = plan["duration"] is None or learner["first"] is not None
            if plan["remind"] and end is not None and has_started \
                    and now < end <= now + timedelta(days=plan["remind"]):
                expected.add((session.id, person.id))
    db.session.flush()
    notify.queue_reminders(db.session, now=now)
    queued = set(db.session.execute(select(OutboxMessage.session_id, OutboxMessage.user_id)
                                    .where(OutboxMessage.kind == notify.REMINDER)).all())
    try:
        assert queued == expected
    finally:
        db.session.execute(delete(OutboxMessage))
        db.session.execute(delete(Enrolment))
        db.session.execute(delete(TrainingSession))
        db.session.commit()
