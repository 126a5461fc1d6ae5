"""What each change queues, what the worker writes, and how people turn messages off."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.domain import enrolment, grading, journal, notify, sessions
from portal.extensions import db
from portal.models import (
    Assignment,
    Course,
    JournalEntry,
    NotificationOptOut,
    OutboxMessage,
    SessionCourse,
    Submission,
    TrainingSession,
)

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


@pytest.fixture
def spring(make_user):
    return spring_world(make_user)


def spring_world(make_user, language=None) -> dict:
    """Cora coaches Spring (4 Jan – 1 Feb 2027, both messages on); Léa is to be enrolled.
    ``language``: the one both of them read."""
    coach = make_user("cora", role="teacher", first_name="Cora", last_name="Coach",
                      language=language)
    lea = make_user("lea", first_name="Léa", last_name="Learner", timezone="Europe/Paris",
                    language=language)
    session = TrainingSession(name="Spring", coach=coach, welcome_message=True,
                              grade_released_message=True,
                              access_start=datetime(2027, 1, 4, 8, 0, tzinfo=UTC),
                              access_end=datetime(2027, 2, 1, 23, 0, tzinfo=UTC))
    course = Course(code="SP-1", title="Basics")
    db.session.add_all([session, course])
    db.session.flush()
    db.session.add(SessionCourse(session_id=session.id, course_id=course.id, position=1))
    db.session.commit()
    return {"session": session, "lea": lea, "coach": coach, "course": course}


def messages(kind=None):
    stmt = select(OutboxMessage).order_by(OutboxMessage.id)
    if kind:
        stmt = stmt.where(OutboxMessage.kind == kind)
    return db.session.scalars(stmt).all()


def deliver_all(now):
    """What the worker does to each due message, short of handing it to SMTP."""
    for message in messages():
        if message.status == "queued" and message.next_try_at <= now:
            try:
                notify.render(db.session, message, now=now)
                message.status, message.sent_at = "sent", now
            except notify.NoLongerDue as reason:
                message.status, message.last_error = "cancelled", str(reason)
    db.session.commit()


def test_a_date_change_sends_one_updated_invitation_for_edits_within_ten_minutes(spring):
    s, lea = spring["session"], spring["lea"]
    enrolment.enrol_users(db.session, s.id, [lea.id], by=journal.SYSTEM, now=NOW)
    db.session.commit()
    deliver_all(NOW)
    for minutes, day in ((1, 2), (4, 3)):
        sessions.update_session(db.session, s, {"access_end": datetime(2027, 2, day, 23, 0,
                                                                      tzinfo=UTC)},
                                expected_version=s.version, by=journal.SYSTEM,
                                now=NOW + timedelta(minutes=minutes))
        db.session.commit()
    [change] = messages(notify.DATES_CHANGED)
    assert change.next_try_at == NOW + timedelta(minutes=11)  # ten minutes after the first
    deliver_all(NOW + timedelta(minutes=11))
    change = messages(notify.DATES_CHANGED)[0]
    assert change.subject == "Spring: new dates"
    assert "4 Jan at 09:00 – 3 Feb 2027" in change.text_body  # the last edit, her zone
    assert "METHOD:REQUEST" in change.ics and "SEQUENCE:1" in change.ics
    welcome = messages(notify.WELCOME)[0]
    uid = next(line for line in welcome.ics.splitlines() if line.startswith("UID:"))
    assert uid in change.ics  # the same event, updated
    # A name change is not a date change.
    sessions.update_session(db.session, s, {"name": "Spring 2027"}, expected_version=s.version,
                            by=journal.SYSTEM, now=NOW + timedelta(hours=1))
    db.session.commit()
    assert len(messages(notify.DATES_CHANGED)) == 1


def test_an_unenrolled_learner_gets_a_cancelled_invitation(spring, make_user):
    s, lea = spring["session"], spring["lea"]
    never = make_user("never")
    enrolment.enrol_users(db.session, s.id, [lea.id], by=journal.SYSTEM, now=NOW)
    db.session.commit()
    deliver_all(NOW)
    s.welcome_message = False  # the never-invited one below gets nothing
    enrolment.enrol_users(db.session, s.id, [never.id], by=journal.SYSTEM, now=NOW)
    db.session.commit()
    for user in (lea, never):
        enrolment.unenrol_user(db.session, s.id, user.id, by=journal.SYSTEM,
                               now=NOW + timedelta(days=1))
    db.session.commit()
    [cancel] = messages(notify.INVITATION_CANCELLED)
    assert cancel.user_id == lea.id
    deliver_all(NOW + timedelta(days=1))
    cancel = messages(notify.INVITATION_CANCELLED)[0]
    assert "METHOD:CANCEL" in cancel.ics and "STATUS:CANCELLED" in cancel.ics
    assert "SEQUENCE:1" in cancel.ics and "no longer enrolled" in cancel.text_body


def test_the_first_grade_tells_the_learner_without_the_grade(spring):
    s, lea, course = spring["session"], spring["lea"], spring["course"]
    enrolment.enrol_users(db.session, s.id, [lea.id], by=journal.SYSTEM, now=NOW)
    assignment = Assignment(course_id=course.id, title="Essay", max_score=20)
    db.session.add(assignment)
    db.session.flush()
    submission = Submission(session_id=s.id, assignment_id=assignment.id, user_id=lea.id,
                            answer="Mine")
    db.session.add(submission)
    db.session.commit()
    by = journal.Actor(spring["coach"].id, "Cora Coach")
    grading.save_grade(db.session, submission, Decimal("17"), "Good", by=by, now=NOW)
    grading.save_grade(db.session, submission, Decimal("18"), "Better", by=by, now=NOW)
    db.session.commit()
    [released] = messages(notify.GRADE_RELEASED)
    deliver_all(NOW)
    released = messages(notify.GRADE_RELEASED)[0]
    assert released.subject == "Spring: your work was graded"
    assert "Essay" in released.text_body and "18" not in released.text_body
    assert f"/sessions/{s.id}/courses/{course.id}" in released.text_body


def test_a_kind_turned_off_is_neither_queued_nor_sent(spring):
    s, lea = spring["session"], spring["lea"]
    notify.set_choices(db.session, lea, set(notify.CHOICES) - {notify.WELCOME},
                       by=journal.SYSTEM, now=NOW)
    db.session.commit()
    enrolment.enrol_users(db.session, s.id, [lea.id], by=journal.SYSTEM, now=NOW)
    db.session.commit()
    assert messages() == []


def test_every_message_carries_a_one_click_unsubscribe_link_that_needs_no_login(
        spring, client):
    s, lea = spring["session"], spring["lea"]
    enrolment.enrol_users(db.session, s.id, [lea.id], by=journal.SYSTEM, now=NOW)
    db.session.commit()
    deliver_all(NOW)
    welcome = messages()[0]
    headers = notify.list_headers(welcome)
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = headers["List-Unsubscribe"].strip("<>")
    assert url in welcome.text_body
    path = url.removeprefix("http://127.0.0.1:5000")
    # Opening the link asks (a mail scanner opening it changes nothing) …
    page = client.get(path)
    assert page.status_code == 200 and b"Stop these messages" in page.data
    assert db.session.scalars(select(NotificationOptOut)).all() == []
    # … the mail program's one-click POST (no login, no CSRF token) turns it off.
    done = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and b"you no longer get" in done.data
    db.session.rollback()
    assert [(o.user_id, o.kind) for o in db.session.scalars(select(NotificationOptOut))] == [
        (lea.id, notify.WELCOME)]
    entry = db.session.scalars(select(JournalEntry).where(
        JournalEntry.object_type == "notifications")).one()
    assert entry.actor_id == lea.id
    # A forged or damaged token is a 404.
    assert client.post(path[:-3] + "xyz").status_code == 404
    assert client.get("/unsubscribe/" + "a" * 600).status_code == 404


def test_the_profile_turns_kinds_of_message_off_and_on(spring, client):
    client.login("lea")
    page = client.get_page("/profile")
    boxes = {box["value"]: box.has_attr("checked")
             for box in page.select("#notifications input[name=kinds]")}
    assert boxes == dict.fromkeys(notify.CHOICES, True)
    kept = [k for k in notify.CHOICES if k not in (notify.WELCOME, notify.GRADE_RELEASED)]
    response = client.post("/profile/notifications", data={"kinds": kept})
    assert response.status_code == 303
    db.session.rollback()
    assert notify.opted_out_kinds(db.session, spring["lea"].id) == {
        notify.WELCOME, notify.GRADE_RELEASED}
    page = client.get_page("/profile")
    assert not page.select_one("#kind-welcome").has_attr("checked")
    entry = db.session.scalars(select(JournalEntry).where(
        JournalEntry.object_type == "notifications")).one()
    assert entry.actor_id == spring["lea"].id
    # Unknown kinds are ignored; ticking all turns everything on again.
    client.post("/profile/notifications", data={"kinds": [*notify.CHOICES, "bogus"]})
    db.session.rollback()
    assert notify.opted_out_kinds(db.session, spring["lea"].id) == set()


def test_an_admin_chooses_a_sessions_messages_in_its_messages_row(spring, client, make_user):
    make_user("root", role="admin")
    client.login("root")
    s = spring["session"]
    row = f"/admin/sessions/{s.id}/details/messages"
    response = client.post(row, data={"version": s.version, "welcome_message": "y",
                                      "remind_days_before_end": "3",
                                      "coach_remind_days_before_end": "0"}, htmx=True)
    assert response.status_code == 422 and b"Between 1 and 365 days" in response.data
    response = client.post(row, data={"version": s.version, "remind_days_before_end": "3",
                                      "coach_remind_days_before_end": "7"}, htmx=True)
    assert response.status_code == 200
    db.session.rollback()
    s = db.session.get(TrainingSession, s.id)
    assert (s.welcome_message, s.remind_days_before_end, s.coach_remind_days_before_end,
            s.grade_released_message) == (False, 3, 7, False)
    page = client.get_page(f"/admin/sessions/{s.id}")
    assert "E-mails: reminder 3 days before the end, coach reminder 7 days before the end" \
        in page.select_one("#detail-messages").text
    assert "No message has been sent for this session." in page.text
    history = client.get_page(f"/admin/sessions/{s.id}/history").text
    assert "welcome message" in history and "reminder before the end" in history


def test_a_message_is_written_in_its_recipients_language(spring):
    """Léa reads French: her welcome message's dates and its html lang are French."""
    lea, s = spring["lea"], spring["session"]
    lea.language = "fr"
    db.session.commit()
    enrolment.enrol_users(db.session, s.id, [lea.id], by=journal.SYSTEM, now=NOW)
    db.session.commit()
    deliver_all(NOW)
    (welcome,) = messages(notify.WELCOME)
    assert '<html lang="fr">' in welcome.html_body
    assert "Accès\u00a0: 4 janv. à 09:00 – 1 févr. 2027" in welcome.text_body  # in Paris
