"""The reminder schedule's SQL queues exactly the learners whose own end the Python rules
(``learner_window``) put within their session's N days.

Hypothesis draws sessions in fixed-date or duration mode, learners with or without a first
visit, with an extension, an individual window (either bound or both) or neither, some of
them suspended, a number of days and an instant (ends often fall exactly on the edges); the
few INSERT … SELECT statements must pick the same learners as the rule "now < end <= now + N
days" applied to each learner's window in Python, leaving out the suspended ones. A planted
fault (``<`` for ``<=`` at the far edge) fails within the examples.
"""

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select, update

from portal.domain import notify
from portal.domain.access import LearnerFacts, SessionRules, learner_window
from portal.extensions import db
from portal.models import Enrolment, OutboxMessage, TrainingSession, User

BASE = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
instants = st.sampled_from([BASE + timedelta(days=d) for d in range(0, 12)])


@st.composite
def own_windows(draw):
    """An individual window: a start, an end or both (start before end)."""
    start, end = draw(st.none() | instants), draw(st.none() | instants)
    if start is not None and end is not None and start >= end:
        start, end = end, start
        if start == end:
            start = None
    if start is None and end is None:
        end = draw(instants)
    return start, end


@st.composite
def learners(draw):
    dates = draw(st.sampled_from(["session", "extension", "window"]))
    learner = {"first": draw(st.none() | instants), "extension": 0, "own": (None, None),
               "suspended": draw(st.booleans())}
    if dates == "extension":
        learner["extension"] = draw(st.integers(1, 3))
    elif dates == "window":
        learner["own"] = draw(own_windows())
    return learner


sessions = st.fixed_dictionaries({
    "end": st.none() | instants,
    "duration": st.none() | st.integers(1, 6),
    "remind": st.none() | st.integers(1, 5),
    "learners": st.lists(learners(), min_size=1, max_size=3),
})


def expected_reminders(drawn_sessions, now) -> set:
    """(session id, user id) of the learners the Python rules remind at ``now``."""
    expected = set()
    for session, plan, enrolled in drawn_sessions:
        for person, learner in enrolled:
            own_start, own_end = learner["own"]
            facts = LearnerFacts(first_access_at=learner["first"],
                                 extension_days=learner["extension"],
                                 own_start=own_start, own_end=own_end,
                                 suspended=learner["suspended"])
            end = learner_window(SessionRules.of(session), facts, now).end
            # Duration mode counts from the first visit: no visit, no end yet (unless an
            # individual window replaces the N days).
            has_started = (plan["duration"] is None or learner["first"] is not None
                           or facts.has_own_window)
            if plan["remind"] and end is not None and has_started and not facts.suspended \
                    and now < end <= now + timedelta(days=plan["remind"]):
                expected.add((session.id, person.id))
    return expected


def queued_reminders() -> set:
    return set(db.session.execute(select(OutboxMessage.session_id, OutboxMessage.user_id)
                                  .where(OutboxMessage.kind == notify.REMINDER)).all())


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(drawn=st.lists(sessions, min_size=1, max_size=4), now=instants)
def test_reminders_select_what_the_learners_windows_say(app, make_user, drawn, now):
    coach = db.session.scalar(select(User).where(User.username == "coach")) \
        or make_user("coach", role="teacher")
    people = [db.session.scalar(select(User).where(User.username == f"l{i}"))
              or make_user(f"l{i}") for i in range(3)]
    made = []
    for n, plan in enumerate(drawn):
        # In duration mode a session may still have fixed access dates: an individual
        # window that sets only its start keeps the session's end.
        session = TrainingSession(name=f"S{n}", coach_id=coach.id, access_end=plan["end"],
                                  duration_days=plan["duration"],
                                  remind_days_before_end=plan["remind"])
        db.session.add(session)
        db.session.flush()
        enrolled = list(zip(people, plan["learners"], strict=False))
        for person, learner in enrolled:
            db.session.add(Enrolment(
                session_id=session.id, user_id=person.id, enrolled_at=BASE,
                first_access_at=learner["first"], extension_days=learner["extension"],
                own_start=learner["own"][0], own_end=learner["own"][1],
                suspended_at=BASE if learner["suspended"] else None))
        made.append((session, plan, enrolled))
    db.session.flush()
    expected = expected_reminders(made, now)
    notify.queue_reminders(db.session, now=now)
    try:
        assert queued_reminders() == expected
        # Once per learner and end: the same instant queues nothing more.
        count = db.session.scalar(select(func.count()).select_from(OutboxMessage))
        notify.queue_reminders(db.session, now=now)
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == count
    finally:
        db.session.execute(delete(OutboxMessage))
        db.session.execute(delete(Enrolment))
        db.session.execute(delete(TrainingSession))
        db.session.commit()


def test_a_later_end_of_the_same_learner_is_reminded_again(app, make_user):
    """Whatever moves a learner's end (an extension, an individual end, a longer one),
    the reminder's key changes, so the new end is reminded too."""
    coach, learner = make_user("coach", role="teacher"), make_user("lea")
    session = TrainingSession(name="S", coach_id=coach.id, access_end=BASE + timedelta(days=2),
                              remind_days_before_end=5)
    db.session.add(session)
    db.session.flush()
    db.session.add(Enrolment(session_id=session.id, user_id=learner.id, enrolled_at=BASE))
    db.session.flush()
    mine = (Enrolment.session_id == session.id)
    keys = []
    for values in ({}, {"extension_days": 1}, {"extension_days": 0,
                                                "own_end": BASE + timedelta(days=4)},
                   {"own_end": BASE + timedelta(days=4), "own_start": BASE}):
        if values:
            db.session.execute(update(Enrolment).where(mine).values(**values))
        notify.queue_reminders(db.session, now=BASE)
        keys.append(set(db.session.scalars(select(OutboxMessage.idempotency_key))))
    assert [len(k) for k in keys] == [1, 2, 3, 3]  # the same end (4 days) is not twice
