"""coach's counts: hand-ins to grade per course of a session, kept by triggers

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 03:40:00

session_course.to_grade counts the hand-ins waiting for a grade in that course of the
session (handed in, no grade, learner enrolled); triggers on submission, grade,
enrolment, session_course and assignment keep it (the SQL is copied from
portal/models/to_grade_count.py as it stood for this revision). A later batch
operation that RECREATES one of those tables on SQLite drops its triggers: recreate
them there. The index on submission (user_id) becomes (user_id, session_id): a
learner's work in one session, which the enrolment triggers read.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

BACK_FILL = """UPDATE session_course SET to_grade = (SELECT count(*) FROM submission AS s JOIN assignment AS a ON a.id = s.assignment_id JOIN enrolment AS e ON e.session_id = s.session_id AND e.user_id = s.user_id WHERE s.session_id = session_course.session_id AND a.course_id = session_course.course_id AND NOT EXISTS (SELECT 1 FROM grade AS g WHERE g.submission_id = s.id))"""

SQLITE_TRIGGERS = (
    """CREATE TRIGGER to_grade_submission_insert AFTER INSERT ON submission
WHEN EXISTS (SELECT 1 FROM enrolment WHERE session_id = NEW.session_id AND user_id = NEW.user_id)
 AND NOT EXISTS (SELECT 1 FROM grade WHERE submission_id = NEW.id)
BEGIN
  UPDATE session_course SET to_grade = to_grade + 1 WHERE session_id = NEW.session_id
    AND course_id = (SELECT course_id FROM assignment WHERE id = NEW.assignment_id);
END""",
    """CREATE TRIGGER to_grade_submission_delete BEFORE DELETE ON submission
WHEN EXISTS (SELECT 1 FROM enrolment WHERE session_id = OLD.session_id AND user_id = OLD.user_id)
 AND NOT EXISTS (SELECT 1 FROM grade WHERE submission_id = OLD.id)
BEGIN
  UPDATE session_course SET to_grade = to_grade - 1 WHERE session_id = OLD.session_id
    AND course_id = (SELECT course_id FROM assignment WHERE id = OLD.assignment_id);
END""",
    """CREATE TRIGGER to_grade_submission_move
AFTER UPDATE OF session_id, assignment_id, user_id ON submission
WHEN NEW.session_id <> OLD.session_id OR NEW.assignment_id <> OLD.assignment_id
 OR NEW.user_id <> OLD.user_id
BEGIN
  UPDATE session_course SET to_grade = (SELECT count(*) FROM submission AS s JOIN assignment AS a ON a.id = s.assignment_id JOIN enrolment AS e ON e.session_id = s.session_id AND e.user_id = s.user_id WHERE s.session_id = session_course.session_id AND a.course_id = session_course.course_id AND NOT EXISTS (SELECT 1 FROM grade AS g WHERE g.submission_id = s.id))
    WHERE session_id IN (OLD.session_id, NEW.session_id);
END""",
    """CREATE TRIGGER to_grade_grade_insert AFTER INSERT ON grade
BEGIN
  UPDATE session_course SET to_grade = to_grade - 1
    WHERE id = (SELECT sc.id FROM submission AS s JOIN assignment AS a ON a.id = s.assignment_id JOIN session_course AS sc ON sc.session_id = s.session_id AND sc.course_id = a.course_id JOIN enrolment AS e ON e.session_id = s.session_id AND e.user_id = s.user_id WHERE s.id = NEW.submission_id);
END""",
    """CREATE TRIGGER to_grade_grade_delete AFTER DELETE ON grade
BEGIN
  UPDATE session_course SET to_grade = to_grade + 1
    WHERE id = (SELECT sc.id FROM submission AS s JOIN assignment AS a ON a.id = s.assignment_id JOIN session_course AS sc ON sc.session_id = s.session_id AND sc.course_id = a.course_id JOIN enrolment AS e ON e.session_id = s.session_id AND e.user_id = s.user_id WHERE s.id = OLD.submission_id);
END""",
    """CREATE TRIGGER to_grade_grade_move AFTER UPDATE OF submission_id ON grade
WHEN NEW.submission_id <> OLD.submission_id
BEGIN
  UPDATE session_course SET to_grade = to_grade + 1
    WHERE id = (SELECT sc.id FROM submission AS s JOIN assignment AS a ON a.id = s.assignment_id JOIN session_course AS sc ON sc.session_id = s.session_id AND sc.course_id = a.course_id JOIN enrolment AS e ON e.session_id = s.session_id AND e.user_id = s.user_id WHERE s.id = OLD.submission_id);
  UPDATE session_course SET to_grade = to_grade - 1
    WHERE id = (SELECT sc.id FROM submission AS s JOIN assignment AS a ON a.id = s.assignment_id JOIN session_course AS sc ON sc.session_id = s.session_id AND sc.course_id = a.course_id JOIN enrolment AS e ON e.session_id = s.session_id AND e.user_id = s.user_id WHERE s.id = NEW.submission_id);
END""",
    """CREATE TRIGGER to_grade_enrolment_insert AFTER INSERT ON enrolment
WHEN EXISTS (SELECT 1 FROM submission WHERE session_id = NEW.session_id AND user_id = NEW.user_id)
BEGIN
  UPDATE session_course SET to_grade = to_grade + (SELECT count(*) FROM submission AS s JOIN assignment AS a ON a.id = s.assignment_id WHERE s.session_id = NEW.session_id AND s.user_id = NEW.user_id AND a.course_id = session_course.course_id AND NOT EXISTS (SELECT 1 FROM grade AS g WHERE g.submission_id = s.id))
    WHERE session_id = NEW.session_id;
END""",
    """CREATE TRIGGER to_grade_enrolment_delete AFTER DELETE ON enrolment
WHEN EXISTS (SELECT 1 FROM submission WHERE session_id = OLD.session_id AND user_id = OLD.user_id)
BEGIN
  UPDATE session_course SET to_grade = to_grade - (SELECT count(*) FROM submission AS s JOIN assignment AS a ON a.id = s.assignment_id WHERE s.session_id = OLD.session_id AND s.user_id = OLD.user_id AND a.course_id = session_course.course_id AND NOT EXISTS (SELECT 1 FROM grade AS g WHERE g.submission_id = s.id))
    WHERE session_id = OLD.session_id;
END""",
    """CREATE TRIGGER to_grade_enrolment_move AFTER UPDATE OF session_id, user_id ON enrolment
WHEN NEW.session_id <> OLD.session_id OR NEW.user_id <> OLD.user_id
BEGIN
  UPDATE session_course SET to_grade = (SELECT count(*) FROM submission AS s JOIN assignment AS a ON a.id = s.assignment_id JOIN enrolment AS e ON e.session_id = s.session_id AND e.user_id = s.user_id WHERE s.session_id = session_course.session_id AND a.course_id = session_course.course_id AND NOT EXISTS (SELECT 1 FROM grade AS g WHERE g.submission_id = s.id))
    WHERE session_id IN (OLD.session_id, NEW.session_id);
END""",
    """CREATE TRIGGER to_grade_session_course_insert AFTER INSERT ON session_course
WHEN EXISTS (SELECT 1 FROM submission WHERE session_id = NEW.session_id)
BEGIN
  UPDATE session_course SET to_grade = (SELECT count(*) FROM submission AS s JOIN assignment AS a ON a.id = s.assignment_id JOIN enrolment AS e ON e.session_id = s.session_id AND e.user_id = s.user_id WHERE s.session_id = session_course.session_id AND a.course_id = session_course.course_id AND NOT EXISTS (SELECT 1 FROM grade AS g WHERE g.submission_id = s.id)) WHERE id = NEW.id;
END""",
    """CREATE TRIGGER to_grade_session_course_move
AFTER UPDATE OF session_id, course_id ON session_course
WHEN NEW.session_id <> OLD.session_id OR NEW.course_id <> OLD.course_id
BEGIN
  UPDATE session_course SET to_grade = (SELECT count(*) FROM submission AS s JOIN assignment AS a ON a.id = s.assignment_id JOIN enrolment AS e ON e.session_id = s.session_id AND e.user_id = s.user_id WHERE s.session_id = session_course.session_id AND a.course_id = session_course.course_id AND NOT EXISTS (SELECT 1 FROM grade AS g WHERE g.submission_id = s.id)) WHERE id = NEW.id;
END""",
    """CREATE TRIGGER to_grade_assignment_delete BEFORE DELETE ON assignment
WHEN EXISTS (SELECT 1 FROM submission WHERE assignment_id = OLD.id)
BEGIN
  UPDATE session_course SET to_grade = to_grade - (
    SELECT count(*) FROM submission AS s
    JOIN enrolment AS e ON e.session_id = s.session_id AND e.user_id = s.user_id
    WHERE s.assignment_id = OLD.id AND s.session_id = session_course.session_id
      AND NOT EXISTS (SELECT 1 FROM grade AS g WHERE g.submission_id = s.id))
  WHERE course_id = OLD.course_id
    AND session_id IN (SELECT session_id FROM submission WHERE assignment_id = OLD.id);
END""",
    """CREATE TRIGGER to_grade_assignment_move AFTER UPDATE OF course_id ON assignment
WHEN NEW.course_id <> OLD.course_id
BEGIN
  UPDATE session_course SET to_grade = (SELECT count(*) FROM submission AS s JOIN assignment AS a ON a.id = s.assignment_id JOIN enrolment AS e ON e.session_id = s.session_id AND e.user_id = s.user_id WHERE s.session_id = session_course.session_id AND a.course_id = session_course.course_id AND NOT EXISTS (SELECT 1 FROM grade AS g WHERE g.submission_id = s.id))
    WHERE course_id IN (OLD.course_id, NEW.course_id)
      AND session_id IN (SELECT session_id FROM submission WHERE assignment_id = NEW.id);
END""",
)

POSTGRESQL_TRIGGERS = (
    """CREATE OR REPLACE FUNCTION to_grade_recount(sessions integer[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM session_course WHERE session_id = ANY(sessions) ORDER BY id FOR NO KEY UPDATE;
  UPDATE session_course SET to_grade = (SELECT count(*) FROM submission AS s JOIN assignment AS a ON a.id = s.assignment_id JOIN enrolment AS e ON e.session_id = s.session_id AND e.user_id = s.user_id WHERE s.session_id = session_course.session_id AND a.course_id = session_course.course_id AND NOT EXISTS (SELECT 1 FROM grade AS g WHERE g.submission_id = s.id)) WHERE session_id = ANY(sessions);
END $$""",
    """CREATE OR REPLACE FUNCTION to_grade_submission_added() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM session_course WHERE id IN (SELECT sc.id FROM new_rows AS s JOIN assignment AS a ON a.id = s.assignment_id JOIN session_course AS sc ON sc.session_id = s.session_id AND sc.course_id = a.course_id) ORDER BY id FOR NO KEY UPDATE;
  UPDATE session_course SET to_grade = session_course.to_grade + d.n FROM (SELECT s.session_id, a.course_id, count(*) AS n FROM new_rows AS s JOIN assignment AS a ON a.id = s.assignment_id JOIN enrolment AS e ON e.session_id = s.session_id AND e.user_id = s.user_id WHERE NOT EXISTS (SELECT 1 FROM grade AS g WHERE g.submission_id = s.id) GROUP BY s.session_id, a.course_id) AS d WHERE session_course.session_id = d.session_id AND session_course.course_id = d.course_id;
  RETURN NULL;
END $$""",
    """CREATE OR REPLACE FUNCTION to_grade_submission_removed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM to_grade_recount(ARRAY(SELECT DISTINCT session_id FROM old_rows));
  RETURN NULL;
END $$""",
    """CREATE OR REPLACE FUNCTION to_grade_submission_moved() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM to_grade_recount(ARRAY[OLD.session_id, NEW.session_id]);
  RETURN NULL;
END $$""",
    """CREATE OR REPLACE FUNCTION to_grade_grade_added() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM session_course WHERE id IN (SELECT sc.id FROM new_rows AS g JOIN submission AS s ON s.id = g.submission_id JOIN assignment AS a ON a.id = s.assignment_id JOIN session_course AS sc ON sc.session_id = s.session_id AND sc.course_id = a.course_id) ORDER BY id FOR NO KEY UPDATE;
  UPDATE session_course SET to_grade = session_course.to_grade - d.n FROM (SELECT s.session_id, a.course_id, count(*) AS n FROM new_rows AS g JOIN submission AS s ON s.id = g.submission_id JOIN assignment AS a ON a.id = s.assignment_id JOIN enrolment AS e ON e.session_id = s.session_id AND e.user_id = s.user_id GROUP BY s.session_id, a.course_id) AS d WHERE session_course.session_id = d.session_id AND session_course.course_id = d.course_id;
  RETURN NULL;
END $$""",
    """CREATE OR REPLACE FUNCTION to_grade_grade_removed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM to_grade_recount(ARRAY(SELECT DISTINCT s.session_id FROM old_rows AS g JOIN submission AS s ON s.id = g.submission_id));
  RETURN NULL;
END $$""",
    """CREATE OR REPLACE FUNCTION to_grade_grade_moved() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM to_grade_recount(ARRAY(SELECT session_id FROM submission WHERE id IN (OLD.submission_id, NEW.submission_id)));
  RETURN NULL;
END $$""",
    """CREATE OR REPLACE FUNCTION to_grade_enrolment_added() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM session_course WHERE session_id IN (SELECT session_id FROM new_rows) ORDER BY id FOR NO KEY UPDATE;
  UPDATE session_course SET to_grade = session_course.to_grade + d.n FROM (SELECT s.session_id, a.course_id, count(*) AS n FROM new_rows AS e JOIN submission AS s ON s.session_id = e.session_id AND s.user_id = e.user_id JOIN assignment AS a ON a.id = s.assignment_id WHERE NOT EXISTS (SELECT 1 FROM grade AS g WHERE g.submission_id = s.id) GROUP BY s.session_id, a.course_id) AS d WHERE session_course.session_id = d.session_id AND session_course.course_id = d.course_id;
  RETURN NULL;
END $$""",
    """CREATE OR REPLACE FUNCTION to_grade_enrolment_removed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM session_course WHERE session_id IN (SELECT session_id FROM old_rows) ORDER BY id FOR NO KEY UPDATE;
  UPDATE session_course SET to_grade = session_course.to_grade - d.n FROM (SELECT s.session_id, a.course_id, count(*) AS n FROM old_rows AS e JOIN submission AS s ON s.session_id = e.session_id AND s.user_id = e.user_id JOIN assignment AS a ON a.id = s.assignment_id WHERE NOT EXISTS (SELECT 1 FROM grade AS g WHERE g.submission_id = s.id) GROUP BY s.session_id, a.course_id) AS d WHERE session_course.session_id = d.session_id AND session_course.course_id = d.course_id;
  RETURN NULL;
END $$""",
    """CREATE OR REPLACE FUNCTION to_grade_enrolment_moved() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM to_grade_recount(ARRAY[OLD.session_id, NEW.session_id]);
  RETURN NULL;
END $$""",
    """CREATE OR REPLACE FUNCTION to_grade_session_course_added() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM training_session WHERE id IN (SELECT session_id FROM new_rows) ORDER BY id FOR NO KEY UPDATE;
  UPDATE session_course SET to_grade = (SELECT count(*) FROM submission AS s JOIN assignment AS a ON a.id = s.assignment_id JOIN enrolment AS e ON e.session_id = s.session_id AND e.user_id = s.user_id WHERE s.session_id = session_course.session_id AND a.course_id = session_course.course_id AND NOT EXISTS (SELECT 1 FROM grade AS g WHERE g.submission_id = s.id)) WHERE id IN (SELECT id FROM new_rows);
  RETURN NULL;
END $$""",
    """CREATE OR REPLACE FUNCTION to_grade_session_course_moved() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM to_grade_recount(ARRAY[OLD.session_id, NEW.session_id]);
  RETURN NULL;
END $$""",
    """CREATE OR REPLACE FUNCTION to_grade_assignment_moved() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM to_grade_recount(ARRAY(SELECT DISTINCT session_id FROM submission WHERE assignment_id = NEW.id));
  RETURN NULL;
END $$""",
    """CREATE TRIGGER to_grade_submission_insert AFTER INSERT ON submission
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
EXECUTE FUNCTION to_grade_submission_added()""",
    """CREATE TRIGGER to_grade_submission_delete AFTER DELETE ON submission
REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
EXECUTE FUNCTION to_grade_submission_removed()""",
    """CREATE TRIGGER to_grade_submission_move
AFTER UPDATE OF session_id, assignment_id, user_id ON submission
FOR EACH ROW WHEN (NEW.session_id IS DISTINCT FROM OLD.session_id
  OR NEW.assignment_id IS DISTINCT FROM OLD.assignment_id
  OR NEW.user_id IS DISTINCT FROM OLD.user_id)
EXECUTE FUNCTION to_grade_submission_moved()""",
    """CREATE TRIGGER to_grade_grade_insert AFTER INSERT ON grade
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
EXECUTE FUNCTION to_grade_grade_added()""",
    """CREATE TRIGGER to_grade_grade_delete AFTER DELETE ON grade
REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
EXECUTE FUNCTION to_grade_grade_removed()""",
    """CREATE TRIGGER to_grade_grade_move AFTER UPDATE OF submission_id ON grade
FOR EACH ROW WHEN (NEW.submission_id IS DISTINCT FROM OLD.submission_id)
EXECUTE FUNCTION to_grade_grade_moved()""",
    """CREATE TRIGGER to_grade_enrolment_insert AFTER INSERT ON enrolment
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
EXECUTE FUNCTION to_grade_enrolment_added()""",
    """CREATE TRIGGER to_grade_enrolment_delete AFTER DELETE ON enrolment
REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
EXECUTE FUNCTION to_grade_enrolment_removed()""",
    """CREATE TRIGGER to_grade_enrolment_move AFTER UPDATE OF session_id, user_id ON enrolment
FOR EACH ROW WHEN (NEW.session_id IS DISTINCT FROM OLD.session_id
  OR NEW.user_id IS DISTINCT FROM OLD.user_id)
EXECUTE FUNCTION to_grade_enrolment_moved()""",
    """CREATE TRIGGER to_grade_session_course_insert AFTER INSERT ON session_course
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
EXECUTE FUNCTION to_grade_session_course_added()""",
    """CREATE TRIGGER to_grade_session_course_move
AFTER UPDATE OF session_id, course_id ON session_course
FOR EACH ROW WHEN (NEW.session_id IS DISTINCT FROM OLD.session_id
  OR NEW.course_id IS DISTINCT FROM OLD.course_id)
EXECUTE FUNCTION to_grade_session_course_moved()""",
    """CREATE TRIGGER to_grade_assignment_move AFTER UPDATE OF course_id ON assignment
FOR EACH ROW WHEN (NEW.course_id IS DISTINCT FROM OLD.course_id)
EXECUTE FUNCTION to_grade_assignment_moved()""",
)

DROP_TRIGGERS = {
    "sqlite": (
        "DROP TRIGGER IF EXISTS to_grade_submission_insert",
        "DROP TRIGGER IF EXISTS to_grade_submission_delete",
        "DROP TRIGGER IF EXISTS to_grade_submission_move",
        "DROP TRIGGER IF EXISTS to_grade_grade_insert",
        "DROP TRIGGER IF EXISTS to_grade_grade_delete",
        "DROP TRIGGER IF EXISTS to_grade_grade_move",
        "DROP TRIGGER IF EXISTS to_grade_enrolment_insert",
        "DROP TRIGGER IF EXISTS to_grade_enrolment_delete",
        "DROP TRIGGER IF EXISTS to_grade_enrolment_move",
        "DROP TRIGGER IF EXISTS to_grade_session_course_insert",
        "DROP TRIGGER IF EXISTS to_grade_session_course_move",
        "DROP TRIGGER IF EXISTS to_grade_assignment_delete",
        "DROP TRIGGER IF EXISTS to_grade_assignment_move",
    ),
    "postgresql": (
        "DROP TRIGGER IF EXISTS to_grade_submission_insert ON submission",
        "DROP TRIGGER IF EXISTS to_grade_submission_delete ON submission",
        "DROP TRIGGER IF EXISTS to_grade_submission_move ON submission",
        "DROP TRIGGER IF EXISTS to_grade_grade_insert ON grade",
        "DROP TRIGGER IF EXISTS to_grade_grade_delete ON grade",
        "DROP TRIGGER IF EXISTS to_grade_grade_move ON grade",
        "DROP TRIGGER IF EXISTS to_grade_enrolment_insert ON enrolment",
        "DROP TRIGGER IF EXISTS to_grade_enrolment_delete ON enrolment",
        "DROP TRIGGER IF EXISTS to_grade_enrolment_move ON enrolment",
        "DROP TRIGGER IF EXISTS to_grade_session_course_insert ON session_course",
        "DROP TRIGGER IF EXISTS to_grade_session_course_move ON session_course",
        "DROP TRIGGER IF EXISTS to_grade_assignment_move ON assignment",
        "DROP FUNCTION IF EXISTS to_grade_recount(integer[])",
        "DROP FUNCTION IF EXISTS to_grade_submission_added()",
        "DROP FUNCTION IF EXISTS to_grade_submission_removed()",
        "DROP FUNCTION IF EXISTS to_grade_submission_moved()",
        "DROP FUNCTION IF EXISTS to_grade_grade_added()",
        "DROP FUNCTION IF EXISTS to_grade_grade_removed()",
        "DROP FUNCTION IF EXISTS to_grade_grade_moved()",
        "DROP FUNCTION IF EXISTS to_grade_enrolment_added()",
        "DROP FUNCTION IF EXISTS to_grade_enrolment_removed()",
        "DROP FUNCTION IF EXISTS to_grade_enrolment_moved()",
        "DROP FUNCTION IF EXISTS to_grade_session_course_added()",
        "DROP FUNCTION IF EXISTS to_grade_session_course_moved()",
        "DROP FUNCTION IF EXISTS to_grade_assignment_moved()",
    ),
}


def upgrade():
    dialect = op.get_bind().dialect.name
    # A plain ALTER TABLE ADD COLUMN, never a batch "move and copy": on SQLite the app
    # connects with foreign_keys=ON, and dropping the old session_course table would
    # cascade-delete its course coaches and due dates.
    op.add_column('session_course', sa.Column('to_grade', sa.Integer(),
                                              server_default='0', nullable=False))
    op.execute(BACK_FILL)
    # The enrolment triggers read a learner's work in one session: (user_id, session_id)
    # serves that and everything the user_id index served. Plain CREATE INDEX (no batch).
    op.create_index('ix_submission_user_id_session_id', 'submission', ['user_id', 'session_id'],
                    unique=False)
    op.drop_index('ix_submission_user_id', table_name='submission')
    for statement in {"sqlite": SQLITE_TRIGGERS, "postgresql": POSTGRESQL_TRIGGERS}.get(dialect, ()):
        op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    for statement in DROP_TRIGGERS.get(dialect, ()):
        op.execute(statement)
    op.create_index('ix_submission_user_id', 'submission', ['user_id'], unique=False)
    op.drop_index('ix_submission_user_id_session_id', table_name='submission')
    # ALTER TABLE DROP COLUMN (SQLite 3.35+), not a batch table copy: see upgrade().
    op.drop_column('session_course', 'to_grade')
