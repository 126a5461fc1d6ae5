"""The index that serves text search over users (portal/domain/text_search.py).

A search is a substring of the username, the e-mail or the name in either order, which a
B-tree cannot serve. Each user gets one search text, ``SEARCH_TEXT``: those fields joined
by spaces, with the first name twice so that both "first last" and "last first" are in it.
Any user a search matches contains the search in that text, so the index finds a superset
of the matches and the search's own conditions (text_search.user_matches) keep exactly the
users it matched before; only the way there changed.

* PostgreSQL: a GIN trigram index (pg_trgm) on ``lower(SEARCH_TEXT)``, which serves
  ``LIKE '%...%'`` of three characters or more.
* SQLite: an FTS5 table with the trigram tokenizer, ``user_search`` (rowid = user id),
  kept by triggers on ``user``; a quoted phrase of three characters or more finds the
  texts containing it, ignoring case.

Revision 0014 creates both with these statements as they stood then. A batch operation
that RECREATES the user table on SQLite drops its triggers: recreate them there.
"""

from sqlalchemy import DDL, event

# The statements are assembled from this module's own column names, never from input.
# ruff: noqa: S608

# Columns of ``user``, never NULL (the model's defaults are empty strings).
SEARCH_FIELDS = ("username", "email", "first_name", "last_name", "first_name")


def search_text(prefix: str = "") -> str:
    """SQL of a user's search text, its columns named ``prefix + column``."""
    return " || ' ' || ".join(prefix + name for name in SEARCH_FIELDS)


FTS_TABLE = "user_search"

SQLITE_CREATE = (
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(doc, tokenize='trigram')",
    f"""CREATE TRIGGER user_search_insert AFTER INSERT ON "user" BEGIN
  INSERT INTO {FTS_TABLE}(rowid, doc) VALUES (NEW.id, {search_text("NEW.")});
END""",
    f"""CREATE TRIGGER user_search_update
AFTER UPDATE OF username, email, first_name, last_name ON "user" BEGIN
  UPDATE {FTS_TABLE} SET doc = {search_text("NEW.")} WHERE rowid = NEW.id;
END""",
    f"""CREATE TRIGGER user_search_delete AFTER DELETE ON "user" BEGIN
  DELETE FROM {FTS_TABLE} WHERE rowid = OLD.id;
END""",
)
SQLITE_DROP = (f"DROP TABLE IF EXISTS {FTS_TABLE}",)

GIN_INDEX = "ix_user_search_trgm"
POSTGRESQL_CREATE = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    f'CREATE INDEX {GIN_INDEX} ON "user" USING gin ((lower({search_text()})) '
    "gin_trgm_ops)",
)


def is_search_structure(name: str | None) -> bool:
    """The FTS5 table, its shadow tables (user_search_data, ...) and the GIN index: made
    by these statements, not declared by the models, so schema comparisons leave them out."""
    return bool(name) and (name == GIN_INDEX or name == FTS_TABLE
                           or name.startswith(FTS_TABLE + "_"))


def install(user_table) -> None:
    """Create the search index with the user table (create_all), drop it with it."""
    for statement in SQLITE_CREATE:
        event.listen(user_table, "after_create", DDL(statement).execute_if(dialect="sqlite"))
    for statement in SQLITE_DROP:
        event.listen(user_table, "after_drop", DDL(statement).execute_if(dialect="sqlite"))
    for statement in POSTGRESQL_CREATE:
        event.listen(user_table, "after_create",
                     DDL(statement).execute_if(dialect="postgresql"))
