"""Accounts made from an enrolment file: the preview's accounts, its refusals, the apply
(accounts, enrolments, classes, journal, set-password messages) and its cost."""

import io

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from portal.domain import notify
from portal.domain.csv_import import RowKind, apply, preview
from portal.domain.passwords import NO_PASSWORD, verify_password
from portal.extensions import db
from portal.models import ClassMembership, Enrolment, JournalEntry, OutboxMessage, User
from tests import test_csv_import
from tests.test_csv_import import (
    BY,
    counts,
    enrolments,
    error_rows,
    parse,
)

admin, world = test_csv_import.admin, test_csv_import.world

HEADER = "email,first_name,last_name,session,class\n"


def _preview(text, create=True):
    return preview(db.session, parse(text), create_accounts=create)


def _errors(result):
    return [(row.line, row.column, row.message) for row in result.of_kind(RowKind.ERROR)]


def test_unknown_people_become_accounts_to_create_with_usernames_from_their_email(world):
    result = _preview(HEADER + "Zoe.Quinn@Example.org,Zoe,Quinn,Onboarding,\n"
                               "ann@elsewhere.org,Another,Ann,Leadership,\n"
                               "zoe.quinn@example.org,Zoe,Quinn,Leadership,\n")
    assert [(a.username, a.email, a.first_name) for a in result.accounts] == [
        ("zoe.quinn", "zoe.quinn@example.org", "Zoe"), ("ann2", "ann@elsewhere.org", "Another")]
    assert result.counts[RowKind.ADD] == 3 and not result.error_count
    assert {row.user_text for row in result.rows} == {"zoe.quinn", "ann2"}


def test_a_username_given_is_kept_and_one_taken_in_the_file_is_refused(world):
    result = _preview("username," + HEADER + "zq,zoe@example.org,Zoe,Quinn,Onboarding,\n"
                                             "zq,max@example.org,Max,Ray,Onboarding,\n")
    assert [a.username for a in result.accounts] == ["zq"]
    assert _errors(result) == [(3, "username", "Line 2 gives the username zq to "
                                "zoe@example.org: choose another username for one of them.")]


@pytest.mark.parametrize(("row", "column", "words"), [
    ("ann,ann@example.org,Someone,Else,Onboarding,", "first_name, last_name",
     "belongs to"),
    ("newbie,eve@example.org,Eve,Two,Onboarding,", "email", "is already used by"),
    (",nobody@example.org,,Quinn,Onboarding,", "first_name", "a new one needs first_name"),
    (",not-an-email,Zoe,Quinn,Onboarding,", "email", "is not an e-mail address"),
    (",zoe@example.org,Zoe,Quinn,Onboarding,Blue team", "class", "Unknown class"),
])
def test_rows_that_cannot_make_their_account_are_errors_with_column_and_fix(
        world, row, column, words):
    result = _preview("username," + HEADER + row + "\n")
    [(line, at, message)] = _errors(result)
    assert (line, at) == (2, column) and words in message, message
    assert result.accounts == []


def test_an_email_used_twice_in_the_file_with_other_names_is_refused(world):
    result = _preview(HEADER + "zoe@example.org,Zoe,Quinn,Onboarding,\n"
                               "zoe@example.org,Zed,Quinn,Leadership,\n")
    assert [line for line, _, _ in _errors(result)] == [3]
    assert "one e-mail, one person" in _errors(result)[0][2]


def test_without_the_tick_unknown_people_stay_errors_with_a_hint(world):
    result = _preview(HEADER + "zoe@example.org,Zoe,Quinn,Onboarding,\n", create=False)
    [(_, column, message)] = _errors(result)
    assert column == "email" and "Unknown user" in message
    assert "Tick “Create the missing accounts”" in message
    plain = _preview("email,session\nzoe@example.org,Onboarding\n", create=False)
    assert "Tick" not in _errors(plain)[0][2]


def test_apply_makes_learners_without_password_enrols_them_and_queues_their_links(world):
    result = _preview(HEADER + "zoe@example.org,Zoe,Quinn,Onboarding,Red team\n"
                               "ann@example.org,Ann,,Leadership,Red team\n")
    assert not result.error_count, _errors(result)
    outcome = apply(db.session, result, **BY, valid_rows_only=False)
    db.session.commit()
    zoe = db.session.scalar(select(User).where(User.username == "zoe"))
    assert (zoe.role, zoe.password_hash, zoe.active) == ("learner", NO_PASSWORD, True)
    assert not verify_password(zoe.password_hash, "")
    assert outcome.accounts_created == 1 and outcome.joined_classes == 2
    assert ("Onboarding", "zoe", True, "import") in enrolments()
    assert ("Leadership", "ann", True, "import") in enrolments()
    members = set(db.session.execute(select(ClassMembership.user_id)).scalars())
    assert {zoe.id, world["ann"].id} <= members
    # Red team is linked to Onboarding: ann joins it through the class.
    assert ("Onboarding", "ann", False, "class") in enrolments()
    [message] = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == notify.SET_PASSWORD)).all()
    assert message.user_id == zoe.id
    head = db.session.scalar(select(JournalEntry).where(JournalEntry.object_type == "accounts"))
    assert head.after == {"created": 1, "file": "people.csv"}
    [item] = db.session.scalars(select(JournalEntry).where(JournalEntry.parent_id == head.id))
    assert (item.object_type, item.action, item.object_id) == ("user", "create", zoe.id)
    assert (item.after["email"], item.learner_label) == ("zoe@example.org", "Zoe Quinn (zoe)")


def test_reapplying_the_same_file_makes_nothing_new(world):
    text = HEADER + "zoe@example.org,Zoe,Quinn,Onboarding,\n"
    apply(db.session, _preview(text), **BY, valid_rows_only=False)
    db.session.commit()
    again = _preview(text)
    assert again.accounts == [] and again.counts[RowKind.ALREADY] == 1


def test_the_set_password_message_renders_a_link_that_says_its_lifetime(world, app):
    apply(db.session, _preview(HEADER + "zoe@example.org,Zoe,Quinn,Onboarding,\n"), **BY,
          valid_rows_only=False)
    message = db.session.scalar(select(OutboxMessage).where(
        OutboxMessage.kind == notify.SET_PASSWORD))
    notify.render(db.session, message, now=test_csv_import.NOW)
    assert message.to_address == "zoe@example.org"
    assert "/set-password/" in message.text_body and "7 days" in message.text_body
    assert 'href="' in message.html_body and "7 days" in message.html_body
    assert "unsubscribe" not in message.text_body.lower()


def test_the_upload_form_ticks_to_create_and_the_preview_lists_the_accounts(client, world):
    text = HEADER + ("zoe@example.org,Zoe,Quinn,Onboarding,\n"
                     "ann@example.org,Someone,Else,Onboarding,\n")
    response = client.post(test_csv_import.IMPORT_URL, {
        "file": (io.BytesIO(text.encode()), "people.csv"), "create_accounts": "y"})
    assert response.status_code == 200, response.data[:800]
    page = BeautifulSoup(response.data, "html.parser")
    assert counts(page)["Accounts to create"] == 1
    section = page.select_one("#rows-accounts").find_parent("section")
    assert "zoe" in section.text and "zoe@example.org" in section.text
    assert [(line, column) for line, column, _ in error_rows(page)] == [
        (3, "first_name, last_name")]
    form = {field["name"]: field.get("value", "") for field in
            page.select("form[action='/admin/import/apply'] input[type=hidden]")}
    response = client.post(test_csv_import.APPLY_URL, {**form, "valid_rows_only": "y"})
    assert response.status_code == 200, response.data[:800]
    result = BeautifulSoup(response.data, "html.parser")
    assert result.select_one("#result-accounts").text == "1"
    assert db.session.scalar(select(func.count()).select_from(User)
                             .where(User.username == "zoe")) == 1


def test_accounts_cost_a_fixed_number_of_queries(app, make_user, count_queries):
    coach = make_user("coach", role="teacher")
    test_csv_import.make_session(coach, "S0")
    observed = []
    for n in (20, 200):
        text = HEADER + "".join(f"p{i}@example.org,P{i},Q,S0,\n" for i in range(n))
        with count_queries() as counter:
            apply(db.session, _preview(text), **BY, valid_rows_only=False)
        observed.append(counter.count)
        assert db.session.scalar(select(func.count()).select_from(Enrolment)) == n
        db.session.rollback()
    assert observed[0] == observed[1], observed
