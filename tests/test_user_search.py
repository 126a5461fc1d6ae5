"""Searching users through the index built for it (portal/models/user_search.py): the
admin's user list finds the same people as before, kept up to date on every change, and
the database really reads the index; deep pages of the list show the right people."""

import pytest
from sqlalchemy import select

from portal.domain.text_search import user_matches
from portal.domain.users import users_matching
from portal.extensions import db
from portal.models import User
from portal.models.user_search import GIN_INDEX


def names(client, query: str) -> list[str]:
    """Usernames on the admin's user list for ``query`` (the first page)."""
    page = client.get("/admin/users", query_string={"q": query, "per_page": 100},
                      headers={"HX-Request": "true"})  # the results alone
    assert page.status_code == 200
    return [u.username for u in db.session.scalars(users_matching("")).all()
            if f">{u.username}<" in page.text]


@pytest.fixture
def admin(client, make_user):
    make_user("root", role="admin", first_name="Root", last_name="Admin",
              email="root@admin.test")
    client.login("root")
    return client


def test_search_finds_part_of_a_username_an_email_or_a_name_in_either_order(admin, make_user):
    make_user("jdupont", first_name="Jeanne", last_name="Dupont", email="jd@lycee.fr")
    make_user("mmartin", first_name="Marc", last_name="Martin", email="marc@ecole.fr")
    assert names(admin, "dupo") == ["jdupont"]          # part of the last name
    assert names(admin, "ECOLE") == ["mmartin"]         # part of the e-mail, any case
    assert names(admin, "jeanne dup") == ["jdupont"]    # first name then last name
    assert names(admin, "martin marc") == ["mmartin"]   # last name then first name
    assert names(admin, "mar") == ["mmartin"]
    # No match across two fields: "dupont jd" is in no field of Jeanne's.
    assert names(admin, "dupont jd") == []
    # Shorter than the index's trigrams: still found, by reading every user.
    assert names(admin, "jd") == ["jdupont"]


def test_search_takes_quotes_and_wildcards_literally(admin, make_user):
    make_user("odonnell", first_name='Pat "Red"', last_name="O'Donnell")
    make_user("percent", first_name="Per", last_name="Cent 100%")
    make_user("plain", first_name="Plain", last_name="Person")
    assert names(admin, '"red"') == ["odonnell"]
    assert names(admin, "o'don") == ["odonnell"]
    assert names(admin, "100%") == ["percent"]
    assert names(admin, "p%n") == []


def test_a_renamed_user_is_found_by_the_new_name_only_and_a_deleted_one_not_at_all(
        admin, make_user):
    user = make_user("kim", first_name="Kim", last_name="Oldname")
    make_user("kept", first_name="Kept", last_name="Oldname")
    assert names(admin, "oldname") == ["kept", "kim"]
    user.last_name = "Newname"
    user.email = "kim@renamed.test"
    db.session.commit()
    assert names(admin, "oldname") == ["kept"]
    assert names(admin, "newname") == ["kim"]
    assert names(admin, "renamed.test") == ["kim"]
    db.session.delete(user)
    db.session.commit()
    assert names(admin, "newname") == []
    assert names(admin, "oldname") == ["kept"]


def test_searches_read_the_index(app, make_user):
    make_user("someone", first_name="Some", last_name="One")
    stmt = select(User.id).where(user_matches("someo"))
    compiled = stmt.compile(db.engine, compile_kwargs={"literal_binds": True})
    with db.engine.connect() as conn:
        if db.engine.dialect.name == "sqlite":
            plan = " ".join(row[-1] for row in conn.exec_driver_sql(
                f"EXPLAIN QUERY PLAN {compiled}"))
            assert "VIRTUAL TABLE" in plan and "user_search" in plan
        else:
            # A few rows would be read without an index anyway: forbid that, then see
            # which index the planner takes (it must be able to use this one).
            conn.exec_driver_sql("SET enable_seqscan = off")
            plan = " ".join(row[0] for row in conn.exec_driver_sql(f"EXPLAIN {compiled}"))
            assert GIN_INDEX in plan
    assert db.session.scalars(stmt).all() != []


def test_every_page_of_the_user_list_shows_its_own_people_in_order(admin, make_user):
    for n in range(60):
        make_user(f"u{n:02d}", first_name=f"F{n % 7}", last_name=f"L{n // 3:02d}")
    everyone = [u.username for u in db.session.scalars(users_matching("")).all()]
    seen = []
    for number in (1, 2, 3):
        page = admin.get(f"/admin/users?page={number}", headers={"HX-Request": "true"})
        assert page.status_code == 200
        shown = [name for name in everyone if f">{name}<" in page.text]
        seen += sorted(shown, key=lambda name: page.text.index(f">{name}<"))
    assert seen == everyone  # 61 people: 25, 25 and the last 11, none twice, in order
    assert len(everyone) == 61
