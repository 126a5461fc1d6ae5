"""Triggers that keep ``session_course.to_grade`` equal to the hand-ins waiting for a grade.

A hand-in counts for the (session, course) of its assignment while the course is in the
session, its learner is enrolled there and it has no grade: exactly what the coach's
session list and the grading pages counted per row before (RECOUNT below says it once).
In the database, not in Python, so that every path counts: hand-ins, grades, the ORM,
the bulk import, class links, and the cascades when a user, a session or an assignment
is deleted. Migration 0013 creates the same triggers (its own copy of this SQL, as
migrations must not change when this module does).

Additions (a hand-in, a grade, an enrolment, a course added to a session) add or take
away what they change. SQLite runs row triggers at once, in the order the rows change,
so removals do the same; a submission's trigger runs BEFORE its delete, while its grade
is still there (the cascade deletes the grade after the row), and an assignment's
BEFORE its delete, while its hand-ins can still be told apart by course.

PostgreSQL gets statement triggers with transition tables, so an import of 80,000
enrolments costs one UPDATE per statement rather than one per row. It fires the
statement triggers of a cascade after the whole statement, so a removed submission's
trigger may find its grade and its learner's enrolment already gone and cannot tell
whether it counted: removals of submissions and of grades count the sessions they
touch again, from what is left. Every trigger locks the rows it changes (in id order)
before it reads the other tables, so two transactions touching the same courses wait
for each other and the second reads what the first committed; a course added to a
session locks the session row first, as the enrolment triggers do (learner_count.py).
Ids and keys are never changed by the application; row triggers still cover it.
"""

from sqlalchemy import DDL, event

# The statements are assembled from this module's own fragments, never from input.
# ruff: noqa: S608

# The hand-ins of session_course's (session, course) that wait for a grade.
_COUNT = (
    "(SELECT count(*) FROM submission AS s"
    " JOIN assignment AS a ON a.id = s.assignment_id"
    " JOIN enrolment AS e ON e.session_id = s.session_id AND e.user_id = s.user_id"
    " WHERE s.session_id = session_course.session_id"
    " AND a.course_id = session_course.course_id"
    " AND NOT EXISTS (SELECT 1 FROM grade AS g WHERE g.submission_id = s.id))"
)

# Count every course of every session again: the back-fill, and the check of the tests.
RECOUNT = f"UPDATE session_course SET to_grade = {_COUNT}"


def _sqlite_pair_of(submission: str) -> str:
    """The session_course id of a submission whose learner is enrolled (else NULL)."""
    return (
        "(SELECT sc.id FROM submission AS s"
        " JOIN assignment AS a ON a.id = s.assignment_id"
        " JOIN session_course AS sc ON sc.session_id = s.session_id"
        " AND sc.course_id = a.course_id"
        " JOIN enrolment AS e ON e.session_id = s.session_id AND e.user_id = s.user_id"
        f" WHERE s.id = {submission})"
    )


def _sqlite_learner_work(row: str) -> str:
    """Ungraded hand-ins of an enrolment's learner in the session_course's course."""
    return (
        "(SELECT count(*) FROM submission AS s"
        " JOIN assignment AS a ON a.id = s.assignment_id"
        f" WHERE s.session_id = {row}.session_id AND s.user_id = {row}.user_id"
        " AND a.course_id = session_course.course_id"
        " AND NOT EXISTS (SELECT 1 FROM grade AS g WHERE g.submission_id = s.id))"
    )


def _has_work(row: str) -> str:
    return (f"EXISTS (SELECT 1 FROM submission WHERE session_id = {row}.session_id"
            f" AND user_id = {row}.user_id)")


SQLITE_CREATE = (
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
    f"""CREATE TRIGGER to_grade_submission_move
AFTER UPDATE OF session_id, assignment_id, user_id ON submission
WHEN NEW.session_id <> OLD.session_id OR NEW.assignment_id <> OLD.assignment_id
 OR NEW.user_id <> OLD.user_id
BEGIN
  UPDATE session_course SET to_grade = {_COUNT}
    WHERE session_id IN (OLD.session_id, NEW.session_id);
END""",
    f"""CREATE TRIGGER to_grade_grade_insert AFTER INSERT ON grade
BEGIN
  UPDATE session_course SET to_grade = to_grade - 1
    WHERE id = {_sqlite_pair_of("NEW.submission_id")};
END""",
    f"""CREATE TRIGGER to_grade_grade_delete AFTER DELETE ON grade
BEGIN
  UPDATE session_course SET to_grade = to_grade + 1
    WHERE id = {_sqlite_pair_of("OLD.submission_id")};
END""",
    f"""CREATE TRIGGER to_grade_grade_move AFTER UPDATE OF submission_id ON grade
WHEN NEW.submission_id <> OLD.submission_id
BEGIN
  UPDATE session_course SET to_grade = to_grade + 1
    WHERE id = {_sqlite_pair_of("OLD.submission_id")};
  UPDATE session_course SET to_grade = to_grade - 1
    WHERE id = {_sqlite_pair_of("NEW.submission_id")};
END""",
    f"""CREATE TRIGGER to_grade_enrolment_insert AFTER INSERT ON enrolment
WHEN {_has_work("NEW")}
BEGIN
  UPDATE session_course SET to_grade = to_grade + {_sqlite_learner_work("NEW")}
    WHERE session_id = NEW.session_id;
END""",
    f"""CREATE TRIGGER to_grade_enrolment_delete AFTER DELETE ON enrolment
WHEN {_has_work("OLD")}
BEGIN
  UPDATE session_course SET to_grade = to_grade - {_sqlite_learner_work("OLD")}
    WHERE session_id = OLD.session_id;
END""",
    f"""CREATE TRIGGER to_grade_enrolment_move AFTER UPDATE OF session_id, user_id ON enrolment
WHEN NEW.session_id <> OLD.session_id OR NEW.user_id <> OLD.user_id
BEGIN
  UPDATE session_course SET to_grade = {_COUNT}
    WHERE session_id IN (OLD.session_id, NEW.session_id);
END""",
    f"""CREATE TRIGGER to_grade_session_course_insert AFTER INSERT ON session_course
WHEN EXISTS (SELECT 1 FROM submission WHERE session_id = NEW.session_id)
BEGIN
  UPDATE session_course SET to_grade = {_COUNT} WHERE id = NEW.id;
END""",
    f"""CREATE TRIGGER to_grade_session_course_move
AFTER UPDATE OF session_id, course_id ON session_course
WHEN NEW.session_id <> OLD.session_id OR NEW.course_id <> OLD.course_id
BEGIN
  UPDATE session_course SET to_grade = {_COUNT} WHERE id = NEW.id;
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
    f"""CREATE TRIGGER to_grade_assignment_move AFTER UPDATE OF course_id ON assignment
WHEN NEW.course_id <> OLD.course_id
BEGIN
  UPDATE session_course SET to_grade = {_COUNT}
    WHERE course_id IN (OLD.course_id, NEW.course_id)
      AND session_id IN (SELECT session_id FROM submission WHERE assignment_id = NEW.id);
END""",
)

# PostgreSQL: _COUNT reads session_course by its name, so the UPDATEs below do not alias it.
_PG_LOCK_SESSIONS = (
    "PERFORM 1 FROM session_course WHERE session_id IN ({sessions})"
    " ORDER BY id FOR NO KEY UPDATE;"
)


def _pg_delta(rows: str, sign: str) -> str:
    """Add (or take away) the counted hand-ins of ``rows``: a transition table of
    submissions (their pairs), grades (their submissions' pairs) or enrolments (their
    learners' hand-ins)."""
    source = {
        "submission": (
            "new_rows AS s JOIN assignment AS a ON a.id = s.assignment_id"
            " JOIN enrolment AS e ON e.session_id = s.session_id AND e.user_id = s.user_id"
            " WHERE NOT EXISTS (SELECT 1 FROM grade AS g WHERE g.submission_id = s.id)"),
        "grade": (
            "new_rows AS g JOIN submission AS s ON s.id = g.submission_id"
            " JOIN assignment AS a ON a.id = s.assignment_id"
            " JOIN enrolment AS e ON e.session_id = s.session_id AND e.user_id = s.user_id"),
        "enrolment_new": (
            "new_rows AS e JOIN submission AS s"
            " ON s.session_id = e.session_id AND s.user_id = e.user_id"
            " JOIN assignment AS a ON a.id = s.assignment_id"
            " WHERE NOT EXISTS (SELECT 1 FROM grade AS g WHERE g.submission_id = s.id)"),
        "enrolment_old": (
            "old_rows AS e JOIN submission AS s"
            " ON s.session_id = e.session_id AND s.user_id = e.user_id"
            " JOIN assignment AS a ON a.id = s.assignment_id"
            " WHERE NOT EXISTS (SELECT 1 FROM grade AS g WHERE g.submission_id = s.id)"),
    }[rows]
    return (
        f"UPDATE session_course SET to_grade = session_course.to_grade {sign} d.n"
        f" FROM (SELECT s.session_id, a.course_id, count(*) AS n FROM {source}"
        " GROUP BY s.session_id, a.course_id) AS d"
        " WHERE session_course.session_id = d.session_id"
        " AND session_course.course_id = d.course_id;"
    )


def _pg_function(name: str, body: str, returns: str = "NULL") -> str:
    return (f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger\n"
            f"LANGUAGE plpgsql AS $$\nBEGIN\n  {body}\n  RETURN {returns};\nEND $$")


POSTGRESQL_CREATE = (
    f"""CREATE OR REPLACE FUNCTION to_grade_recount(sessions integer[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM session_course WHERE session_id = ANY(sessions) ORDER BY id FOR NO KEY UPDATE;
  UPDATE session_course SET to_grade = {_COUNT} WHERE session_id = ANY(sessions);
END $$""",
    _pg_function("to_grade_submission_added", "\n  ".join((
        "PERFORM 1 FROM session_course WHERE id IN (SELECT sc.id FROM new_rows AS s"
        " JOIN assignment AS a ON a.id = s.assignment_id JOIN session_course AS sc"
        " ON sc.session_id = s.session_id AND sc.course_id = a.course_id)"
        " ORDER BY id FOR NO KEY UPDATE;",
        _pg_delta("submission", "+"),
    ))),
    _pg_function("to_grade_submission_removed",
                 "PERFORM to_grade_recount(ARRAY(SELECT DISTINCT session_id FROM old_rows));"),
    _pg_function("to_grade_submission_moved",
                 "PERFORM to_grade_recount(ARRAY[OLD.session_id, NEW.session_id]);"),
    _pg_function("to_grade_grade_added", "\n  ".join((
        "PERFORM 1 FROM session_course WHERE id IN (SELECT sc.id FROM new_rows AS g"
        " JOIN submission AS s ON s.id = g.submission_id"
        " JOIN assignment AS a ON a.id = s.assignment_id JOIN session_course AS sc"
        " ON sc.session_id = s.session_id AND sc.course_id = a.course_id)"
        " ORDER BY id FOR NO KEY UPDATE;",
        _pg_delta("grade", "-"),
    ))),
    _pg_function("to_grade_grade_removed",
                 "PERFORM to_grade_recount(ARRAY(SELECT DISTINCT s.session_id FROM old_rows AS g"
                 " JOIN submission AS s ON s.id = g.submission_id));"),
    _pg_function("to_grade_grade_moved",
                 "PERFORM to_grade_recount(ARRAY(SELECT session_id FROM submission"
                 " WHERE id IN (OLD.submission_id, NEW.submission_id)));"),
    _pg_function("to_grade_enrolment_added", "\n  ".join((
        _PG_LOCK_SESSIONS.format(sessions="SELECT session_id FROM new_rows"),
        _pg_delta("enrolment_new", "+"),
    ))),
    _pg_function("to_grade_enrolment_removed", "\n  ".join((
        _PG_LOCK_SESSIONS.format(sessions="SELECT session_id FROM old_rows"),
        _pg_delta("enrolment_old", "-"),
    ))),
    _pg_function("to_grade_enrolment_moved",
                 "PERFORM to_grade_recount(ARRAY[OLD.session_id, NEW.session_id]);"),
    _pg_function("to_grade_session_course_added", "\n  ".join((
        "PERFORM 1 FROM training_session WHERE id IN (SELECT session_id FROM new_rows)"
        " ORDER BY id FOR NO KEY UPDATE;",
        f"UPDATE session_course SET to_grade = {_COUNT}"
        " WHERE id IN (SELECT id FROM new_rows);",
    ))),
    _pg_function("to_grade_session_course_moved",
                 "PERFORM to_grade_recount(ARRAY[OLD.session_id, NEW.session_id]);"),
    _pg_function("to_grade_assignment_moved",
                 "PERFORM to_grade_recount(ARRAY(SELECT DISTINCT session_id FROM submission"
                 " WHERE assignment_id = NEW.id));"),
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

# The tables each dialect's triggers are ON: a trigger is created with its table.
TRIGGERS = {
    "submission": ("to_grade_submission_insert", "to_grade_submission_delete",
                   "to_grade_submission_move"),
    "grade": ("to_grade_grade_insert", "to_grade_grade_delete", "to_grade_grade_move"),
    "enrolment": ("to_grade_enrolment_insert", "to_grade_enrolment_delete",
                  "to_grade_enrolment_move"),
    "session_course": ("to_grade_session_course_insert", "to_grade_session_course_move"),
    "assignment": ("to_grade_assignment_delete", "to_grade_assignment_move"),
}

POSTGRESQL_FUNCTIONS = (
    "to_grade_recount(integer[])", "to_grade_submission_added()",
    "to_grade_submission_removed()", "to_grade_submission_moved()", "to_grade_grade_added()",
    "to_grade_grade_removed()", "to_grade_grade_moved()", "to_grade_enrolment_added()",
    "to_grade_enrolment_removed()", "to_grade_enrolment_moved()",
    "to_grade_session_course_added()", "to_grade_session_course_moved()",
    "to_grade_assignment_moved()",
)


def _table_of(statement: str) -> str:
    """The table a CREATE TRIGGER statement is ON."""
    return statement.split(" ON ", 1)[1].split()[0]


def install(metadata) -> None:
    """Create the triggers once every table exists (create_all); the functions with the
    first table's creation, and dropped with drop_all."""
    for statement in SQLITE_CREATE:
        event.listen(metadata.tables[_table_of(statement)], "after_create",
                     DDL(statement).execute_if(dialect="sqlite"))
    functions = [s for s in POSTGRESQL_CREATE if s.startswith("CREATE OR REPLACE FUNCTION")]
    triggers = [s for s in POSTGRESQL_CREATE if s.startswith("CREATE TRIGGER")]
    for statement in functions:
        event.listen(metadata, "before_create", DDL(statement).execute_if(dialect="postgresql"))
    for statement in triggers:
        event.listen(metadata.tables[_table_of(statement)], "after_create",
                     DDL(statement).execute_if(dialect="postgresql"))
    for function in POSTGRESQL_FUNCTIONS:
        event.listen(metadata, "after_drop",
                     DDL(f"DROP FUNCTION IF EXISTS {function}").execute_if(dialect="postgresql"))
