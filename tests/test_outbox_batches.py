"""What the worker writes for a batch is what it would write message by message: the
invitations (written once per session, then per person), the MIME (its short cut for
plain headers, its own part boundaries) and the unsubscribe links."""

import email
from datetime import UTC, datetime, timedelta
from email import policy
from email.generator import BytesGenerator
from io import BytesIO

import pytest
from itsdangerous import URLSafeSerializer
from sqlalchemy import select

from portal.domain import enrolment, journal, notify, outbox
from portal.extensions import db
from portal.models import Enrolment, OutboxMessage, TrainingSession

NOW = datetime(2026, 11, 29, 12, 0, 7, 123456, tzinfo=UTC)
NAMES = [
    ("lea", "Léa", "Learner"),
    ("long", "Maximilian-Alexander Bartholomew", "von Habsburg-Lothringen, Jr; \"Max\""),
    ("plain", "Al", "Bo"),
    ("quote", "O'Brien, Seán", "Ó Súilleabháin; ünïcødé ✓"),
]


@pytest.fixture
def autumn(make_user):
    coach = make_user("cora", role="teacher", first_name="Cora", last_name="Coach")
    people = [make_user(name, first_name=first, last_name=last,
                        email=f"{name}.with.a.rather.long.address@sub.example.org")
              for name, first, last in NAMES]
    session = TrainingSession(name="Autumn; onboarding, part 2 — a session with a long name",
                              coach=coach, welcome_message=True,
                              access_start=datetime(2027, 1, 4, 8, 0, tzinfo=UTC),
                              access_end=datetime(2027, 2, 1, 23, 0, tzinfo=UTC))
    db.session.add(session)
    db.session.commit()
    enrolment.enrol_users(db.session, session.id, [p.id for p in people], by=journal.SYSTEM,
                          now=NOW)
    # One of them has a window of her own: her invitation has other dates.
    own = db.session.scalars(select(Enrolment).where(Enrolment.user_id == people[2].id)).one()
    own.own_end = datetime(2027, 3, 1, 23, 0, tzinfo=UTC)
    own.dates_reason = "Longer for her"
    db.session.commit()
    return session, people


def welcomes() -> list[OutboxMessage]:
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == notify.WELCOME)
                              .order_by(OutboxMessage.id)).all()


def render_each_alone() -> list[str]:
    found = []
    for message in welcomes():
        notify.render(db.session, message, now=NOW)
        found.append(message.ics)
    db.session.rollback()
    return found


def test_a_batchs_invitations_are_those_written_one_by_one(autumn):
    alone = render_each_alone()
    cache = notify.RenderCache()
    cache.prepare(db.session, welcomes())
    for message in welcomes():
        # A few microseconds apart, as in a worker: the same DTSTAMP, the same file.
        notify.render(db.session, message, now=NOW + timedelta(microseconds=message.id),
                      cache=cache)
    batch = [m.ics for m in welcomes()]
    assert batch == alone
    assert "DTEND:20270301T230000Z" in batch[2] and "DTEND:20270201T230000Z" in batch[0]
    assert "CN=\"O'Brien" in batch[3].replace("\r\n ", "")
    assert len(cache.invitation_shapes) == 2  # written twice: the session's, her own window


def test_a_cancelled_invitation_from_a_batch_is_the_one_written_alone(autumn, make_user):
    session, people = autumn
    for message in welcomes():
        message.status = "sent"
    db.session.commit()
    for person in people[:2]:
        enrolment.unenrol_user(db.session, session.id, person.id, by=journal.SYSTEM, now=NOW)
    db.session.commit()
    cancelled = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == notify.INVITATION_CANCELLED).order_by(OutboxMessage.id)).all()
    assert len(cancelled) == 2
    alone = []
    for message in cancelled:
        notify.render(db.session, message, now=NOW)
        alone.append(message.ics)
    db.session.rollback()
    cache = notify.RenderCache()
    cache.prepare(db.session, cancelled)
    for message in cancelled:
        notify.render(db.session, message, now=NOW, cache=cache)
    assert [m.ics for m in cancelled] == alone
    assert all("METHOD:CANCEL" in ics and "SEQUENCE:1" in ics for ics in alone)


def classic_bytes(message) -> bytes:
    out = BytesIO()
    BytesGenerator(out, policy=policy.compat32.clone(linesep="\r\n")).flatten(
        message, linesep="\r\n")
    return out.getvalue()


@pytest.mark.parametrize("subject", [
    "Welcome to Spring",
    "Autumn; onboarding, part 2 — a session with a long name: new dates",
    "A plain subject that is long enough to be folded by the classic generator at 78",
    "Two  spaces and a trailing one ",
])
def test_messages_go_out_as_the_classic_generator_writes_them(subject):
    message = OutboxMessage(
        id=1, kind="welcome", user_id=7, message_id="<welcome.7@portal.test>",
        to_address="lea.with.a.long.address@example.org", subject=subject,
        text_body="Hello Léa,\n\nA line with = and a very long line " + "x" * 120 + "\n",
        html_body="<p>Hello Léa</p>\n", created_at=NOW,
        ics="BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n")
    headers = {"List-Unsubscribe": f"<http://127.0.0.1:5000/unsubscribe/{'t' * 70}>",
               "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    mime = outbox.as_email(message, mail_from="Session portal <portal@portal.test>",
                           headers=headers)
    sent = outbox.wire_bytes(mime)
    assert sent == classic_bytes(mime)
    parsed = email.message_from_bytes(sent.replace(b"\r\n", b"\n"), policy=policy.default)
    assert parsed["Message-ID"] == "<welcome.7@portal.test>"
    assert parsed.get_body(("plain",)).get_content() == message.text_body
    [invitation] = list(parsed.iter_attachments())
    assert invitation.get_content() == message.ics.replace("\r\n", "\n")


def test_unsubscribe_links_of_new_and_earlier_messages_both_work(app):
    token = notify.unsubscribe_token(12, notify.WELCOME)
    assert notify.read_unsubscribe_token(token) == (12, notify.WELCOME)
    # As links were written before (zlib tried, and kept when shorter).
    earlier = URLSafeSerializer(notify.settings.secret_key, salt="unsubscribe").dumps(
        [10**12, notify.WELCOME])
    assert earlier.startswith(".")
    assert notify.read_unsubscribe_token(earlier) == (10**12, notify.WELCOME)
    assert notify.read_unsubscribe_token(token[:-1] + "x") is None
