"""scale: exact learner counts kept by triggers, and indexes for a million enrolments

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 15:00:00

training_session.learner_count is maintained by triggers on enrolment (the SQL is
copied from portal/models/learner_count.py as it stood for this revision). A later
batch operation that RECREATES the enrolment table on SQLite drops these triggers:
recreate them there.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

SQLITE_TRIGGERS = (
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

POSTGRESQL_TRIGGERS = (
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

DROP_TRIGGERS = {
    "sqlite": (
        "DROP TRIGGER IF EXISTS enrolment_count_insert",
        "DROP TRIGGER IF EXISTS enrolment_count_delete",
        "DROP TRIGGER IF EXISTS enrolment_count_move",
    ),
    "postgresql": (
        "DROP TRIGGER IF EXISTS enrolment_count_insert ON enrolment",
        "DROP TRIGGER IF EXISTS enrolment_count_delete ON enrolment",
        "DROP TRIGGER IF EXISTS enrolment_count_move ON enrolment",
        "DROP FUNCTION IF EXISTS enrolment_count_added()",
        "DROP FUNCTION IF EXISTS enrolment_count_removed()",
        "DROP FUNCTION IF EXISTS enrolment_count_moved()",
    ),
}


def upgrade():
    dialect = op.get_bind().dialect.name
    # A plain ALTER TABLE ADD COLUMN, never a batch "move and copy": on SQLite the app
    # connects with foreign_keys=ON, and dropping the old training_session table would
    # cascade-delete every enrolment, submission and access event.
    op.add_column('training_session', sa.Column('learner_count', sa.Integer(),
                                                server_default='0', nullable=False))
    op.execute("UPDATE training_session SET learner_count = "
               "(SELECT count(*) FROM enrolment WHERE enrolment.session_id = training_session.id)")
    for statement in {"sqlite": SQLITE_TRIGGERS, "postgresql": POSTGRESQL_TRIGGERS}.get(dialect, ()):
        op.execute(statement)
    # Plain CREATE INDEX (no batch: see above).
    op.create_index('ix_user_lower_name', 'user',
                    [sa.text('lower(last_name)'), sa.text('lower(first_name)'), 'username', 'id'],
                    unique=False)


def downgrade():
    dialect = op.get_bind().dialect.name
    op.drop_index('ix_user_lower_name', table_name='user')
    for statement in DROP_TRIGGERS.get(dialect, ()):
        op.execute(statement)
    # ALTER TABLE DROP COLUMN (SQLite 3.35+), not a batch table copy: see upgrade().
    op.drop_column('training_session', 'learner_count')
