"""users found by any part of their name, username or e-mail through an index

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 07:00:00

Text search over users reads an index built for substrings (portal/models/user_search.py;
its statements copied here as they stood for this revision): on PostgreSQL a GIN trigram
index (pg_trgm) on the user's search text, on SQLite an FTS5 trigram table kept by
triggers on "user" (a later batch operation that RECREATES the user table drops them:
recreate them there). The admin's user list gets an index in its order, which replaces
the one on last_name alone (its first column serves what that one served).
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

def _search_text(prefix):
    """A user's search text: its fields joined by spaces, the first name twice."""
    return " || ' ' || ".join(prefix + name for name in
                               ("username", "email", "first_name", "last_name", "first_name"))


SEARCH_TEXT = _search_text("")


SQLITE_CREATE = (
    "CREATE VIRTUAL TABLE user_search USING fts5(doc, tokenize='trigram')",
    f"""CREATE TRIGGER user_search_insert AFTER INSERT ON "user" BEGIN
  INSERT INTO user_search(rowid, doc) VALUES (NEW.id, {_search_text("NEW.")});
END""",
    f"""CREATE TRIGGER user_search_update
AFTER UPDATE OF username, email, first_name, last_name ON "user" BEGIN
  UPDATE user_search SET doc = {_search_text("NEW.")} WHERE rowid = NEW.id;
END""",
    f"""CREATE TRIGGER user_search_delete AFTER DELETE ON "user" BEGIN
  DELETE FROM user_search WHERE rowid = OLD.id;
END""",
    f'INSERT INTO user_search(rowid, doc) SELECT id, {SEARCH_TEXT} FROM "user"',
)
SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS user_search_insert",
    "DROP TRIGGER IF EXISTS user_search_update",
    "DROP TRIGGER IF EXISTS user_search_delete",
    "DROP TABLE IF EXISTS user_search",
)
POSTGRESQL_CREATE = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    f'CREATE INDEX ix_user_search_trgm ON "user" USING gin ((lower({SEARCH_TEXT})) gin_trgm_ops)',
)
POSTGRESQL_DROP = ("DROP INDEX IF EXISTS ix_user_search_trgm",)


def upgrade():
    dialect = op.get_bind().dialect.name
    # Plain CREATE / DROP INDEX, never a batch table copy (it would drop the triggers).
    op.create_index('ix_user_name_order', 'user', ['last_name', 'first_name', 'username', 'id'],
                    unique=False)
    op.drop_index('ix_user_last_name', table_name='user')
    for statement in {"sqlite": SQLITE_CREATE, "postgresql": POSTGRESQL_CREATE}.get(dialect, ()):
        op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": SQLITE_DROP, "postgresql": POSTGRESQL_DROP}.get(dialect, ()):
        op.execute(statement)
    op.create_index('ix_user_last_name', 'user', ['last_name'], unique=False)
    op.drop_index('ix_user_name_order', table_name='user')
