"""The demo data: `flask demo` loads it, prints the logins, and a second run changes nothing."""

from dataclasses import replace
from datetime import time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from portal import clock
from portal.domain.access import (
    Decision,
    LearnerFacts,
    Relation,
    SessionRules,
    Status,
    Window,
    decide,
    learner_window,
)
from portal.domain.passwords import verify_password
from portal.extensions import db
from portal.models import (
    AccessEvent,
    Base,
    Enrolment,
    EnrolmentSource,
    Grade,
    SessionClass,
    SessionCourseCoach,
    Submission,
    TrainingSession,
    User,
)
from portal.tools.demo import DEMO_LOGINS, INDIVIDUAL_DATES, SUSPENSIONS, load_demo


def row_counts() -> dict[str, int]:
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table))
        for table in Base.metadata.sorted_tables
    }


def user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


@pytest.fixture
def demo(runner, frozen_now):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert result.exception is None
    return result


def test_demo_command_loads_data_and_prints_every_login(demo):
    assert "Demo data: 60 users" in demo.output
    for _, username, password in DEMO_LOGINS:
        assert f"{username} / {password}" in demo.output
    counts = row_counts()
    assert counts["user"] == 60
    assert counts["training_session"] == 12
    assert counts["submission"] > 0 and counts["grade"] > 0


def test_demo_logins_work_with_their_printed_passwords(demo, client):
    for _, username, password in DEMO_LOGINS:
        assert len(password) >= 10
        assert verify_password(user(username).password_hash, password), username
    assert user("admin").is_admin
    response = client.login("learner", dict((u, p) for _, u, p in DEMO_LOGINS)["learner"])
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_a_second_run_creates_nothing(demo, runner, frozen_now):
    before = row_counts()
    frozen_now(clock.now() + timedelta(days=3))  # dates are relative: a later run plans the same

    result = runner.invoke(args=["demo"])

    assert result.exit_code == 0, result.output
    assert row_counts() == before
    assert set(load_demo(db.session).values()) == {0}
    assert row_counts() == before


def test_load_demo_refuses_a_naive_now(app):
    with pytest.raises(ValueError):
        load_demo(db.session, clock.now().replace(tzinfo=None))


def test_if_empty_loads_nothing_into_a_database_with_users(runner, make_user):
    make_user("someone")
    before = row_counts()

    result = runner.invoke(args=["demo", "--if-empty"])

    assert result.exit_code == 0, result.output
    assert "not loaded" in result.output
    assert row_counts() == before


def test_learner_has_past_current_and_upcoming_sessions(demo):
    now = clock.now()
    learner = user("learner")
    enrolments = db.session.scalars(select(Enrolment).where(Enrolment.user_id == learner.id))
    statuses = {}
    for enrolment in enrolments:
        session = enrolment.session
        facts = LearnerFacts.of(enrolment)
        status = learner_window(SessionRules.of(session), facts, now).status(now)
        statuses.setdefault(status, []).append(session)
        # Listed in My sessions: inside the display window.
        assert Window(session.display_start, session.display_end).status(now) is Status.CURRENT
    assert len(statuses[Status.PAST]) >= 1
    assert len(statuses[Status.CURRENT]) >= 2
    assert len(statuses[Status.UPCOMING]) >= 1
    for session in statuses[Status.CURRENT]:
        facts = LearnerFacts.of(db.session.scalar(select(Enrolment).filter_by(
            session_id=session.id, user_id=learner.id)))
        if facts.first_access_at is None:
            facts = replace(facts, first_access_at=now - timedelta(days=1))
        assert decide(Relation(learner=facts), SessionRules.of(session), now).can_submit


def test_coach_can_still_grade_a_session_that_ended_last_week(demo):
    now = clock.now()
    coach = user("coach")
    sessions = db.session.scalars(
        select(TrainingSession).where(TrainingSession.coach_id == coach.id)
    ).all()
    assert len(sessions) >= 3
    just_ended = [
        s for s in sessions
        if s.access_end is not None and now - timedelta(days=8) <= s.access_end <= now
    ]
    assert just_ended
    session = just_ended[0]
    rules = SessionRules.of(session)
    assert session.coach_end - now >= timedelta(weeks=2)
    assert decide(Relation(is_coach=True), rules, now).can_grade
    as_learner = decide(Relation(learner=LearnerFacts()), rules, now)
    assert as_learner.decision is Decision.READ_ONLY and not as_learner.can_submit
    ungraded = db.session.scalar(
        select(func.count(Submission.id))
        .outerjoin(Grade)
        .where(Submission.session_id == session.id, Grade.id.is_(None))
    )
    assert ungraded > 0


def test_teacher_coaches_a_course_in_a_current_session(demo):
    now = clock.now()
    teacher = user("teacher")
    sessions = db.session.scalars(
        select(TrainingSession)
        .join(SessionCourseCoach, SessionCourseCoach.session_id == TrainingSession.id)
        .where(SessionCourseCoach.user_id == teacher.id)
    ).all()
    assert any(
        Window(s.access_start, s.access_end).status(now) is Status.CURRENT
        and s.duration_days is None
        for s in sessions
    )


def test_sessions_vary_in_policy_and_mode_with_nested_windows(demo):
    sessions = db.session.scalars(select(TrainingSession)).all()
    policies = [s.after_end_policy for s in sessions]
    assert policies.count("closed") == 1 and policies.count("open") == 1
    duration = [s for s in sessions if s.duration_days is not None]
    assert len(duration) == 1 and duration[0].access_start is duration[0].access_end is None
    for s in sessions:
        if s.access_start is None:
            continue
        assert s.display_start < s.coach_start < s.access_start < s.access_end < s.coach_end
        assert s.display_end is None or s.display_end > s.coach_end


def test_class_enrolments_are_marked_as_such(demo):
    links = db.session.scalars(select(SessionClass)).all()
    assert links
    by_class = db.session.scalars(
        select(Enrolment).where(Enrolment.source == EnrolmentSource.CLASS.value)
    ).all()
    assert by_class and not any(e.direct for e in by_class)
    assert all(e.direct for e in db.session.scalars(
        select(Enrolment).where(Enrolment.source == EnrolmentSource.INDIVIDUAL.value)
    ))
    learner2 = user("learner2")
    assert any(e.user_id == learner2.id for e in by_class)


def test_hand_ins_and_grades_are_consistent(demo):
    now = clock.now()
    for submission in db.session.scalars(select(Submission)):
        session = submission.session
        enrolment = db.session.scalar(select(Enrolment).where(
            Enrolment.session_id == session.id, Enrolment.user_id == submission.user_id
        ))
        assert enrolment is not None
        window = learner_window(
            SessionRules.of(session), LearnerFacts(enrolment.first_access_at), now
        )
        assert window.start <= submission.submitted_at < min(window.end, now)
        grade = submission.grade
        if grade is not None:
            assert 0 <= grade.score <= submission.assignment.max_score
            assert grade.grader_id == session.coach_id
            assert submission.submitted_at < grade.graded_at <= now


def test_the_demo_tells_in_the_journal_how_its_data_came(demo, client):
    """A fresh demo's History is not empty: the portal is named as the author of every row
    it loaded, and each session's tab lists its own courses, coaches and learners."""
    from zoneinfo import ZoneInfo

    from portal.domain.journal import sentence
    from portal.models import JournalEntry

    entries = db.session.scalars(select(JournalEntry)).all()
    assert {e.actor_name for e in entries} == {"The portal"}
    counts = row_counts()
    by_kind = {}
    for entry in entries:
        by_kind[entry.object_type] = by_kind.get(entry.object_type, 0) + 1
    added = [e for e in entries if e.object_type == "enrolment" and e.action == "add"]
    assert len(added) == counts["enrolment"]
    # The demo's individual dates and suspension, told as such.
    assert by_kind["enrolment"] == counts["enrolment"] + len(INDIVIDUAL_DATES) + len(SUSPENSIONS)
    assert by_kind["session"] == counts["training_session"] == 12
    tz = ZoneInfo("Europe/Paris")
    texts = [sentence(e, tz) for e in entries]
    assert all("None" not in t and "  " not in t for t in texts)
    assert any(t.startswith("The portal enrolled ") and " in " in t for t in texts)
    client.login("admin", dict((u, p) for _, u, p in DEMO_LOGINS)["admin"])
    page = client.get_page("/admin/history")
    shown = [entry.get_text(" ", strip=True) for entry in page.select("main li, main tr")]
    assert any("The portal enrolled" in text and "learners in" in text for text in shown)


def test_a_second_run_journals_nothing(demo, runner):
    from portal.models import JournalEntry

    before = db.session.scalar(select(func.count()).select_from(JournalEntry))
    runner.invoke(args=["demo"])
    assert db.session.scalar(select(func.count()).select_from(JournalEntry)) == before


# --- what a coach sees of the demo's activity ------------------------------------------


def events_of(session_id: int, user_id: int) -> list[AccessEvent]:
    return db.session.scalars(select(AccessEvent).where(
        AccessEvent.session_id == session_id, AccessEvent.user_id == user_id)
        .order_by(AccessEvent.at)).all()


def test_every_hand_in_follows_a_visit_to_its_course(demo):
    submissions = db.session.scalars(select(Submission)).all()
    assert submissions
    for submission in submissions:
        course_id = submission.assignment.course_id
        visits = [e.at for e in events_of(submission.session_id, submission.user_id)
                  if e.course_id == course_id]
        assert visits and min(visits) < submission.submitted_at, submission.id


def test_first_and_last_access_are_the_visits_and_time_was_spent(demo):
    now = clock.now()
    paris = ZoneInfo("Europe/Paris")
    came = 0
    for enrolment in db.session.scalars(select(Enrolment)):
        events = events_of(enrolment.session_id, enrolment.user_id)
        if enrolment.first_access_at is None:
            assert events == []
            continue
        came += 1
        assert enrolment.first_access_at == events[0].at < enrolment.last_access_at == \
            events[-1].at <= now
        for event in events:  # in the learner's day, not at 3 in the morning
            assert 7 <= event.at.astimezone(paris).hour <= 22
    assert came > 100


def test_demo_window_bounds_are_local_midnights(demo):
    """Entered as dates: no bound is shown with a time, across the daylight-saving change."""
    paris = ZoneInfo("Europe/Paris")
    bounds = 0
    for s in db.session.scalars(select(TrainingSession)):
        for name in ("display_start", "display_end", "access_start", "access_end",
                     "coach_start", "coach_end"):
            moment = getattr(s, name)
            if moment is not None:
                bounds += 1
                assert moment.astimezone(paris).time() == time(0), (s.name, name, moment)
    assert bounds > 50


def test_the_tracking_page_of_a_demo_session_tells_no_contradiction(demo, client):
    client.login("coach", dict((u, p) for _, u, p in DEMO_LOGINS)["coach"])
    now = clock.now()
    coached = db.session.scalars(select(TrainingSession).where(
        TrainingSession.coach_id == user("coach").id,
        TrainingSession.access_start < now)).all()
    assert len(coached) >= 3
    worked = 0
    for session in coached:
        page = client.get_page(f"/coach/sessions/{session.id}/tracking?charts=1&per_page=100")
        text = page.get_text(" ", strip=True)
        handed_in_total = 0
        for row in page.select("table.tracking-table tbody tr"):
            handed_in = int(row.select_one(".handed-in").text.split(" of ")[0])
            if not handed_in:
                continue
            handed_in_total += handed_in
            worked += 1
            visited = row.select_one(".courses-visited").text
            assert not visited.startswith("0 of"), (session.name, visited)
            assert row.select_one(".time-spent").text not in ("0 min", "—")
            assert row.select_one(".first-access").text != row.select_one(".last-access").text
        if handed_in_total:
            assert "No learner visit is recorded" not in text, session.name
        assert "0.0 a day" not in text and "No data yet" not in text
    assert worked > 20
