"""The Outbox page: admins see every message, filter them, read one as sent, and send a
failed one again (journaled)."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from portal.domain import outbox
from portal.extensions import db
from portal.models import JournalEntry, OutboxMessage, TrainingSession

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


@pytest.fixture
def staff(make_user):
    return {"anne": make_user("anne", role="admin", first_name="Anne", last_name="Martin"),
            "bob": make_user("bob", first_name="Bob", last_name="Learner"),
            "cora": make_user("cora", role="teacher", first_name="Cora", last_name="Coach")}


@pytest.fixture
def admin(client, staff):
    client.login("anne")
    return client


def add_messages(staff, session, count, *, status="sent", kind="welcome", to="bob"):
    outbox.queue(db.session, [outbox.NewMessage(
        kind=kind, idempotency_key=f"{kind}:{status}:{to}:{n}",
        to_address=f"{to}@example.org", subject=f"{kind} {status} {n}", text_body="Hello <b>",
        html_body="<p onclick=\"x()\">Hello</p>", user_id=staff[to].id,
        session_id=session.id) for n in range(count)], now=NOW, domain="portal.test")
    db.session.execute(OutboxMessage.__table__.update().where(
        OutboxMessage.idempotency_key.like(f"{kind}:{status}:%")).values(
        status=status, last_error="550 5.1.1 No such mailbox" if status == "failed" else ""))
    db.session.commit()


@pytest.fixture
def spring(staff):
    session = TrainingSession(name="Spring", coach=staff["cora"])
    db.session.add(session)
    db.session.commit()
    return session


def test_the_outbox_lists_and_filters_messages_in_the_url(admin, staff, spring):
    add_messages(staff, spring, 3)
    add_messages(staff, spring, 1, status="failed", kind="reminder", to="cora")
    page = admin.get_page("/admin/outbox")
    assert len(page.select("table.outbox tbody tr")) == 4
    page = admin.get_page("/admin/outbox?status=failed")
    [row] = page.select("table.outbox tbody tr")
    assert "Failed" in row.text and "550 5.1.1" in row.text and "Cora Coach" in row.text
    assert len(admin.get_page("/admin/outbox?kind=welcome&recipient=bob")
               .select("table.outbox tbody tr")) == 3
    assert len(admin.get_page("/admin/outbox?session=spr").select("table.outbox tbody tr")) == 4
    empty = admin.get_page("/admin/outbox?recipient=nobody")
    assert "No message matches these filters" in empty.text
    # Unknown choices are ignored, not errors.
    assert len(admin.get_page("/admin/outbox?status=bogus&kind=%00").select(
        "table.outbox tbody tr")) == 4


def test_the_outbox_costs_the_same_queries_whatever_its_size(admin, staff, spring, count_queries):
    def queries_for(count, status):
        add_messages(staff, spring, count, status=status)
        with count_queries() as counter:
            admin.get_page("/admin/outbox?per_page=100")
        return counter.count

    assert queries_for(2, "sent") == queries_for(150, "queued")


def test_a_message_is_shown_as_sent_with_its_html_escaped(admin, staff, spring):
    add_messages(staff, spring, 1)
    message = db.session.scalars(select(OutboxMessage)).one()
    page = admin.get_page(f"/admin/outbox/{message.id}")
    assert message.message_id in page.text and "bob@example.org" in page.text
    assert "Hello <b>" in page.text
    assert page.select_one("[onclick]") is None  # the HTML part is shown as text
    assert '<p onclick="x()">Hello</p>' in page.text
    assert admin.get(f"/admin/outbox/{2**40}").status_code == 404


def test_a_failed_message_is_sent_again_and_the_journal_says_who(admin, staff, spring):
    add_messages(staff, spring, 1, status="failed", kind="reminder")
    message = db.session.scalars(select(OutboxMessage)).one()
    page = admin.get_page(f"/admin/outbox/{message.id}")
    assert page.find("button", string="Send it again now")
    response = admin.post(f"/admin/outbox/{message.id}/retry")
    assert response.status_code in (302, 303)
    db.session.rollback()
    message = db.session.get(OutboxMessage, message.id)
    assert message.status == "queued"
    entry = db.session.scalars(select(JournalEntry).where(
        JournalEntry.object_type == "outbox_message")).one()
    assert entry.actor_name == "Anne Martin" and entry.session_id == spring.id
    history = admin.get_page("/admin/history").text
    assert "Anne Martin sent the message “reminder failed 0” again" in history
    # A sent message cannot be sent again.
    add_messages(staff, spring, 1)
    sent = db.session.scalars(select(OutboxMessage).where(OutboxMessage.status == "sent")).one()
    assert not admin.get_page(f"/admin/outbox/{sent.id}").find("button", string="Send it again now")
    admin.post(f"/admin/outbox/{sent.id}/retry")
    db.session.rollback()
    assert db.session.get(OutboxMessage, sent.id).status == "sent"


def test_only_admins_see_the_outbox(client, staff, spring):
    client.login("cora")
    assert client.get("/admin/outbox").status_code == 404


def test_every_page_of_the_outbox_shows_its_own_messages_newest_first(admin, staff, spring):
    """Pages in the second half are read from the end of the list: the same messages in
    the same order as reading from the start, none twice, none left out."""
    add_messages(staff, spring, 55)
    # Messages queued in one change share their time: the id decides among them.
    expected = [f"welcome sent {n}" for n in reversed(range(55))]
    seen = []
    for number in (1, 2, 3):
        page = admin.get_page(f"/admin/outbox?page={number}")
        seen += [row.select_one("td a").text for row in page.select("table.outbox tbody tr")]
    assert seen == expected
    # A recipient search with a page past its end shows its last page.
    last = admin.get_page("/admin/outbox?recipient=bob&page=99")
    assert [row.select_one("td a").text
            for row in last.select("table.outbox tbody tr")] == expected[50:]
