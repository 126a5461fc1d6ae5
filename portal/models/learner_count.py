"""Triggers that keep ``training_session.learner_count`` equal to its enrolments.

In the database, not in Python, so that every path that adds or removes enrolments
counts: the ORM, the bulk import, class links, and the cascades when a user or a
session is deleted. Migration 0003 creates the same triggers (its own copy of this
SQL, as migrations must not change when this module does).

SQLite has row triggers only. PostgreSQL gets statement triggers with transition
tables, so an import of 80,000 enrolments costs one UPDATE per session rather than
one per row; they lock the sessions in id order, so two imports touching the same
sessions wait for each other instead of deadlocking. A session_id is never changed
by the application; a row trigger still covers it.
"""

from sqlalchemy import DDL, event

SQLITE_CREATE = (
    """CREATE TRIGGER enrolment_count_insert AFTER INSERT ON enrolment
BEGIN
  UPDATE training_session SET learner_count = learner_count + 1 WHERE id = NEW.session_id;
END""",
    """CREATE TRIGGER enrolment_count_delete AFTER DELETE ON enrolment
BEGIN
  UPDATE training_session SET learner_count = learner_count - 1 WHERE id = OLD.session_id;
END""",
    """CREATE TRIGGER enrolment_count_move AFTER UPDATE OF session_id ON enrolment
WHEN NEW.session_id <> OLD.session_id
BEGIN
  UPDATE training_session SET learner_count = learner_count - 1 WHERE id = OLD.session_id;
  UPDATE training_session SET learner_count = learner_count + 1 WHERE id = NEW.session_id;
END""",
)

POSTGRESQL_CREATE = (
    """CREATE OR REPLACE FUNCTION enrolment_count_added() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM training_session
    WHERE id IN (SELECT session_id FROM new_rows) ORDER BY id FOR NO KEY UPDATE;
  UPDATE training_session AS s SET learner_count = s.learner_count + d.n
    FROM (SELECT session_id, count(*) AS n FROM new_rows GROUP BY session_id) AS d
    WHERE s.id = d.session_id;
  RETURN NULL;
END $$""",
    """CREATE OR REPLACE FUNCTION enrolment_count_removed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM training_session
    WHERE id IN (SELECT session_id FROM old_rows) ORDER BY id FOR NO KEY UPDATE;
  UPDATE training_session AS s SET learner_count = s.learner_count - d.n
    FROM (SELECT session_id, count(*) AS n FROM old_rows GROUP BY session_id) AS d
    WHERE s.id = d.session_id;
  RETURN NULL;
END $$""",
    """CREATE OR REPLACE FUNCTION enrolment_count_moved() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE training_session SET learner_count = learner_count - 1 WHERE id = OLD.session_id;
  UPDATE training_session SET learner_count = learner_count + 1 WHERE id = NEW.session_id;
  RETURN NULL;
END $$""",
    """CREATE TRIGGER enrolment_count_insert AFTER INSERT ON enrolment
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
EXECUTE FUNCTION enrolment_count_added()""",
    """CREATE TRIGGER enrolment_count_delete AFTER DELETE ON enrolment
REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
EXECUTE FUNCTION enrolment_count_removed()""",
    """CREATE TRIGGER enrolment_count_move AFTER UPDATE OF session_id ON enrolment
FOR EACH ROW WHEN (NEW.session_id IS DISTINCT FROM OLD.session_id)
EXECUTE FUNCTION enrolment_count_moved()""",
)

POSTGRESQL_DROP_FUNCTIONS = (
    "DROP FUNCTION IF EXISTS enrolment_count_added()",
    "DROP FUNCTION IF EXISTS enrolment_count_removed()",
    "DROP FUNCTION IF EXISTS enrolment_count_moved()",
)

# Recount every session: after a bulk load that bypassed the triggers, or to check.
RECOUNT = (
    "UPDATE training_session SET learner_count = "
    "(SELECT count(*) FROM enrolment WHERE enrolment.session_id = training_session.id)"
)


def install(enrolment_table) -> None:
    """Create the triggers with the table (create_all); the functions go with drop_all."""
    for statement in SQLITE_CREATE:
        event.listen(enrolment_table, "after_create",
                     DDL(statement).execute_if(dialect="sqlite"))
    for statement in POSTGRESQL_CREATE:
        event.listen(enrolment_table, "after_create",
                     DDL(statement).execute_if(dialect="postgresql"))
    for statement in POSTGRESQL_DROP_FUNCTIONS:
        event.listen(enrolment_table, "after_drop",
                     DDL(statement).execute_if(dialect="postgresql"))
