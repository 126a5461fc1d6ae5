"""The coach's session list with the hand-ins to grade counted per row (before revision
0013) and read from session_course.to_grade (since), on the scale data set; and what the
triggers add to the writes that keep it.

    python bench/to_grade_bench.py --database-url URL [--repeat 20]

URL is a database filled by ``flask --app portal scale-data`` at revision 0013 or later.
Nothing is written there: the writes measured are rolled back.

* the kept counts are checked against the old per-row count for every course of every
  session (one query);
* for ``scalecoach`` (the 2,000-learner grading session, 10,000 hand-ins) and for the
  course coach of the most sessions, each tab of the list: the old and the new page
  query (the statement coached_sessions.coaching sends for the cards), timed through the
  driver (median of ``--repeat``; on PostgreSQL the EXPLAIN ANALYZE execution time too),
  and the old and new counts compared card by card;
* the grading grid's count of the grading session, old and new;
* one hand-in, one grade, 1,000 learners of the grading session unenrolled (with their
  hand-ins), 1,000 learners enrolled in 10 sessions, with the to-grade triggers and with
  them disabled (PostgreSQL only: ALTER TABLE
  DISABLE TRIGGER inside the rolled-back transaction).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import and_, event, exists, func, or_, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from portal import clock, create_app  # noqa: E402
from portal.domain import coached_sessions  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import (  # noqa: E402
    Assignment,
    Enrolment,
    Grade,
    SessionCourse,
    SessionCourseCoach,
    Submission,
    TrainingSession,
    User,
)

ZONE = ZoneInfo("Europe/Paris")


def old_to_grade(user_id: int):
    """coached_sessions._to_grade before revision 0013: every submission probed per row."""
    grades_it = or_(
        TrainingSession.coach_id == user_id,
        exists().where(SessionCourseCoach.session_id == Submission.session_id,
                       SessionCourseCoach.course_id == Assignment.course_id,
                       SessionCourseCoach.user_id == user_id),
    )
    return (
        select(func.count(Submission.id))
        .join(Assignment, Assignment.id == Submission.assignment_id)
        .join(SessionCourse, and_(SessionCourse.session_id == Submission.session_id,
                                  SessionCourse.course_id == Assignment.course_id))
        .join(Enrolment, and_(Enrolment.session_id == Submission.session_id,
                              Enrolment.user_id == Submission.user_id))
        .outerjoin(Grade, Grade.submission_id == Submission.id)
        .where(Submission.session_id == TrainingSession.id, Grade.id.is_(None), grades_it)
        .correlate(TrainingSession)
        .scalar_subquery()
    )


def wrong_counts(db_session) -> int:
    counted = (
        select(Submission.session_id, Assignment.course_id, func.count().label("n"))
        .join(Assignment, Assignment.id == Submission.assignment_id)
        .join(Enrolment, and_(Enrolment.session_id == Submission.session_id,
                              Enrolment.user_id == Submission.user_id))
        .where(~exists().where(Grade.submission_id == Submission.id))
        .group_by(Submission.session_id, Assignment.course_id).subquery()
    )
    return db_session.scalar(
        select(func.count()).select_from(SessionCourse)
        .outerjoin(counted, and_(counted.c.session_id == SessionCourse.session_id,
                                 counted.c.course_id == SessionCourse.course_id))
        .where(SessionCourse.to_grade != func.coalesce(counted.c.n, 0)))


def page_statement(user_id: int, tab: str, old: bool):
    """The cards' query of coaching(), captured as sent (with the old count if ``old``)."""
    sent = []

    def record(conn, cursor, statement, parameters, context, executemany):
        sent.append((statement, parameters))

    kept = coached_sessions._to_grade
    if old:
        coached_sessions._to_grade = old_to_grade
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        cards = coached_sessions.coaching(db.session, user_id, clock.now(), ZONE, tab)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
        coached_sessions._to_grade = kept
    page = [s for s in sent if "to_grade" in s[0] and " LIMIT " in s[0].upper()]
    return page[0], [(c.name, c.to_grade) for c in cards.page.items]


def timed(statement, parameters, repeat: int) -> tuple[float, float | None]:
    """Median ms through the driver; on PostgreSQL, the median EXPLAIN ANALYZE time."""
    connection = db.engine.raw_connection()
    try:
        samples, plans = [], []
        for n in range(repeat + 2):
            cursor = connection.cursor()
            started = time.perf_counter()
            cursor.execute(statement, parameters)
            cursor.fetchall()
            elapsed = (time.perf_counter() - started) * 1000
            if db.engine.dialect.name == "postgresql":
                cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters)
                plan = cursor.fetchone()[0]
                plan = json.loads(plan) if isinstance(plan, str) else plan
                if n >= 2:
                    plans.append(plan[0]["Execution Time"])
            cursor.close()
            if n >= 2:
                samples.append(elapsed)
        connection.rollback()
        return statistics.median(samples), statistics.median(plans) if plans else None
    finally:
        connection.close()


def coach_list(repeat: int) -> list[str]:
    scalecoach = db.session.scalar(select(User.id).where(User.username == "scalecoach"))
    busiest = db.session.scalar(
        select(SessionCourseCoach.user_id).group_by(SessionCourseCoach.user_id)
        .order_by(func.count(func.distinct(SessionCourseCoach.session_id)).desc()).limit(1))
    lines = ["| coach list | sessions | old ms | old EXPLAIN ms | new ms | new EXPLAIN ms |",
             "|---|---:|---:|---:|---:|---:|"]
    for name, user_id in (("scalecoach", scalecoach), (f"course coach {busiest}", busiest)):
        counts = coached_sessions.tab_counts(db.session, user_id, clock.now())
        for tab in ("current", "past", "upcoming"):
            (old_sql, old_params), old_cards = page_statement(user_id, tab, old=True)
            (new_sql, new_params), new_cards = page_statement(user_id, tab, old=False)
            assert old_cards == new_cards, (name, tab, old_cards, new_cards)
            old_ms, old_plan = timed(old_sql, old_params, repeat)
            new_ms, new_plan = timed(new_sql, new_params, repeat)

            def show(value):
                return "–" if value is None else f"{value:.2f}"

            lines.append(f"| {name}: {tab} | {counts[tab]} | {old_ms:.2f} | {show(old_plan)} "
                         f"| {new_ms:.2f} | {show(new_plan)} |")
            db.session.rollback()
    return lines


def grading_count(repeat: int) -> list[str]:
    """The grading grid's count above the grid (2,000 learners, 10,000 hand-ins), before
    (grading.count_to_grade counted the submissions) and now."""
    from portal.domain.grading import count_to_grade

    grading = db.session.scalar(select(TrainingSession.id).where(
        TrainingSession.name == "Scale: grading 2000"))
    old = (select(func.count(Submission.id))
           .join(Assignment, Assignment.id == Submission.assignment_id)
           .join(Enrolment, and_(Enrolment.session_id == Submission.session_id,
                                 Enrolment.user_id == Submission.user_id))
           .outerjoin(Grade, Grade.submission_id == Submission.id)
           .where(Submission.session_id == grading, Assignment.course_id == 1,
                  Grade.id.is_(None)))
    figures = []
    for run in (lambda: db.session.scalar(old), lambda: count_to_grade(db.session, grading, 1)):
        samples, value = [], None
        for n in range(repeat + 2):
            started = time.perf_counter()
            value = run()
            if n >= 2:
                samples.append((time.perf_counter() - started) * 1000)
        figures.append((statistics.median(samples), value))
    assert figures[0][1] == figures[1][1], figures
    return ["| grading grid's count | old ms | new ms | to grade |", "|---|---:|---:|---:|",
            f"| grading 2,000, course 1 | {figures[0][0]:.2f} | {figures[1][0]:.2f} "
            f"| {figures[0][1]:,} |"]


def writes(repeat: int) -> list[str]:
    """A hand-in, a grade and a 10,000-learner enrolment, triggers on and off."""
    if db.engine.dialect.name != "postgresql":
        return []
    connection = db.engine.raw_connection()
    lines = ["| write (PostgreSQL) | with to-grade triggers ms | without ms |",
             "|---|---:|---:|"]
    grading = db.session.scalar(select(TrainingSession.id).where(
        TrainingSession.name == "Scale: grading 2000"))
    # A learner of the grading session; the hand-in is of a new assignment of its course
    # (the generator's learners handed in all of course 1's), made in the same transaction.
    learner = db.session.scalar(select(Enrolment.user_id).where(Enrolment.session_id == grading)
                                .order_by(Enrolment.id).limit(1))
    db.session.rollback()
    setup = ("INSERT INTO assignment (course_id, title, instructions, max_score, position)"
             " VALUES (1, 'Bench', '', 20, 99) RETURNING id")
    cases = {
        "hand-in (INSERT submission)": (
            "INSERT INTO submission (session_id, assignment_id, user_id, answer, submitted_at)"
            " VALUES (%(s)s, %(a)s, %(u)s, 'x', now())", ("submission",)),
        "grade (INSERT grade)": (
            "INSERT INTO grade (submission_id, score, feedback, graded_at) SELECT s.id, 1, '',"
            " now() FROM submission s WHERE s.session_id = %(s)s AND NOT EXISTS (SELECT 1"
            " FROM grade g WHERE g.submission_id = s.id) LIMIT 1", ("grade",)),
        "unenrol 1,000 learners with their hand-ins (DELETE enrolment)": (
            "DELETE FROM enrolment WHERE id IN (SELECT id FROM enrolment"
            " WHERE session_id = %(s)s ORDER BY id LIMIT 1000)", ("enrolment",)),
        "enrol 1,000 learners in 10 sessions (INSERT enrolment ... SELECT)": (
            "INSERT INTO enrolment (session_id, user_id, source, direct, enrolled_at,"
            " extension_days) SELECT s.id, u.id, 'individual', true, now(), 0"
            " FROM (SELECT id FROM training_session WHERE id > 2 ORDER BY id LIMIT 10) s,"
            " (SELECT id FROM \"user\" WHERE role = 'learner' ORDER BY id LIMIT 1000) u"
            " ON CONFLICT DO NOTHING", ("enrolment",)),
    }
    try:
        for label, (statement, tables) in cases.items():
            figures = []
            for triggers_on in (True, False):
                samples = []
                for n in range(repeat // 4 + 2):
                    cursor = connection.cursor()
                    cursor.execute(setup)
                    values = {"s": grading, "u": learner, "a": cursor.fetchone()[0]}
                    if not triggers_on:
                        for table in tables:
                            for trigger in _to_grade_triggers(table):
                                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
                    started = time.perf_counter()
                    cursor.execute(statement, values)
                    elapsed = (time.perf_counter() - started) * 1000
                    cursor.close()
                    connection.rollback()
                    if n >= 2:
                        samples.append(elapsed)
                figures.append(statistics.median(samples))
            lines.append(f"| {label} | {figures[0]:.2f} | {figures[1]:.2f} |")
    finally:
        connection.close()
    return lines


def _to_grade_triggers(table: str) -> list[str]:
    from portal.models import to_grade_count

    return list(to_grade_count.TRIGGERS[table])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    from portal.config import database_url_from_env

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url_from_env(args.database_url),
                      "SECRET_KEY": "bench", "TESTING": True})
    with app.app_context():
        wrong = wrong_counts(db.session)
        print(f"{db.engine.dialect.name}: courses of sessions whose kept count is wrong: {wrong}")
        print("\n".join(coach_list(args.repeat)))
        print()
        print("\n".join(grading_count(args.repeat)))
        print()
        print("\n".join(writes(args.repeat)))


if __name__ == "__main__":
    main()
