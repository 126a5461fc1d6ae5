"""The Alembic revisions build exactly the schema the models describe."""

import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.engine import make_url

from portal import create_app
from portal.domain.text_search import user_matches
from portal.extensions import db
from portal.models import Base, User
from portal.models.user_search import GIN_INDEX, is_search_structure
from tests.conftest import postgresql_database


@pytest.fixture
def empty_database(database_url, tmp_path):
    """A database with nothing in it, of the same kind as the suite's."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    with postgresql_database(database_url, f"portal_mig_{uuid.uuid4().hex[:8]}") as empty:
        yield empty


# SQLite cannot reflect an index on expressions (user.ix_user_lower_name): SQLAlchemy
# skips it with this warning and Alembic leaves it out; PostgreSQL compares it.
@pytest.mark.filterwarnings(
    "ignore:Skipped unsupported reflection of expression-based index:sqlalchemy.exc.SAWarning")
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based")
def test_migrations_match_models(empty_database, tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database, "SECRET_KEY": "x",
                      "TESTING": True})
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={
                "compare_type": True,
                "include_name": lambda name, *_: not is_search_structure(name)})
            diff = compare_metadata(context, Base.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
        tables = set(inspect(db.engine).get_table_names())
        assert {t.name for t in Base.metadata.sorted_tables} <= tables
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()


def test_sqlite_migrations_leave_foreign_keys_on(tmp_path):
    """Migrations switch SQLite's foreign keys off (table rebuilds would cascade), and on again."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'fk.sqlite3'}",
                      "SECRET_KEY": "x", "TESTING": True})
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        db.engine.dispose()


def test_a_migrated_database_searches_its_users_through_the_same_index(empty_database, schema):
    """Revision 0014 copies the user search's statements (models/user_search.py): a
    migrated database gets the same structures as the models' (the suite's database,
    made by create_all), and finds users added before the revision and after it."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database, "SECRET_KEY": "x",
                      "TESTING": True})
    with app.app_context():
        upgrade(revision="0013")
        db.session.add(User(username="before", email="b@x.test", first_name="Bea",
                            last_name="Fore"))
        db.session.commit()
        upgrade()
        db.session.add(User(username="after", email="a@x.test", first_name="Al",
                            last_name="Ter"))
        db.session.commit()
        found = db.session.scalars(select(User.username).where(user_matches("x.test"))
                                   .order_by(User.username)).all()
        assert found == ["after", "before"]
        migrated = _search_structures(db.engine)
        db.session.remove()
        db.engine.dispose()
    created = create_engine(schema)
    assert migrated == _search_structures(created) != []
    created.dispose()


def _search_structures(engine) -> list[tuple[str, str]]:
    """The user search's tables, triggers and index as the database describes them."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.execute(text(
                "SELECT name, sql FROM sqlite_master WHERE name LIKE 'user_search%' "
                "AND sql IS NOT NULL ORDER BY name"))
        else:
            rows = conn.execute(text(
                "SELECT indexname, indexdef FROM pg_indexes WHERE indexname = :name"),
                {"name": GIN_INDEX})
        return [(name, " ".join(sql.split())) for name, sql in rows]
