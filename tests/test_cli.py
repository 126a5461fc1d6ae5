"""Command-line tasks and configuration."""

from sqlalchemy import select

from portal import create_app
from portal.config import database_url_from_env, from_environment
from portal.domain.passwords import verify_password
from portal.extensions import db
from portal.models import User


def test_create_admin_with_options(runner):
    result = runner.invoke(args=["create-admin", "--username", "Boss", "--email",
                                 "boss@example.org", "--password", "a long enough secret"])
    assert result.exit_code == 0, result.output
    assert "Created administrator boss." in result.output
    user = db.session.scalar(select(User).where(User.username == "boss"))
    assert user.role == "admin" and user.active
    assert verify_password(user.password_hash, "a long enough secret")


def test_create_admin_asks_for_the_password(runner):
    result = runner.invoke(
        args=["create-admin", "--username", "boss", "--email", "boss@example.org"],
        input="a long enough secret\na long enough secret\n",
    )
    assert result.exit_code == 0, result.output
    assert "Password" in result.output


def test_create_admin_refuses_a_short_password(runner):
    result = runner.invoke(args=["create-admin", "--username", "boss", "--email",
                                 "boss@example.org", "--password", "short"])
    assert result.exit_code == 2
    assert "at least 10 characters" in result.output
    assert db.session.scalar(select(User)) is None


def test_create_admin_promotes_an_existing_user(runner, make_user):
    make_user("lea")
    result = runner.invoke(args=["create-admin", "--username", "lea", "--email",
                                 "lea@example.org", "--password", "a long enough secret"])
    assert "Updated administrator lea." in result.output
    db.session.expire_all()
    assert db.session.scalar(select(User.role).where(User.username == "lea")) == "admin"


def test_database_url_spellings():
    assert database_url_from_env("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert database_url_from_env("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert database_url_from_env("sqlite:///x.db") == "sqlite:///x.db"


def test_environment_overrides_defaults():
    env = {"DATABASE_URL": "postgresql://h/db", "SECRET_KEY": "k", "PORTAL_TIMEZONE": "Asia/Tokyo",
           "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0"}
    assert from_environment(env) == {
        "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://h/db",
        "SECRET_KEY": "k",
        "PORTAL_TIMEZONE": "Asia/Tokyo",
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
    }


def test_secret_key_is_generated_once_and_kept(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(tmp_path))
    settings = {"SQLALCHEMY_DATABASE_URI": "sqlite://"}
    first = create_app(settings).config["SECRET_KEY"]
    second = create_app(settings).config["SECRET_KEY"]
    assert first == second and len(first) >= 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_demo_if_empty_on_a_non_demo_database_prints_no_logins(runner, make_user):
    make_user("someone")
    result = runner.invoke(args=["demo", "--if-empty"])
    assert result.exit_code == 0
    assert "demo data not loaded" in result.output
    assert "Demo logins" not in result.output


def test_create_admin_is_journaled_as_the_portal(runner):
    from zoneinfo import ZoneInfo

    from portal.domain.journal import sentence
    from portal.models import JournalEntry

    runner.invoke(args=["create-admin", "--username", "boss", "--email", "boss@example.org",
                        "--password", "a long enough secret"])
    entry = db.session.scalar(select(JournalEntry))
    assert sentence(entry, ZoneInfo("UTC")) == "The portal created the user boss"
    assert entry.actor_id is None and "secret" not in str(entry.after)
