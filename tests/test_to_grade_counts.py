"""session_course.to_grade, kept by the database's triggers, equals what the coach's list
and the grading pages counted per row before (the queries below, kept as the reference),
whatever writes the hand-ins, grades, enrolments, courses, users and sessions."""

from zoneinfo import ZoneInfo

import pytest
from flask_migrate import upgrade
from sqlalchemy import and_, delete, func, insert, select, update

from portal import clock, create_app
from portal.domain import coached_sessions, enrolment, sessions
from portal.domain.csv_import import apply, preview, read_csv
from portal.domain.grading import count_to_grade, save_grade
from portal.domain.hand_in import HandInRefused, hand_in
from portal.domain.journal import SYSTEM
from portal.extensions import db
from portal.models import (
    Assignment,
    ClassMembership,
    Course,
    Enrolment,
    Grade,
    SessionCourse,
    SessionCourseCoach,
    Submission,
    TrainingSession,
    User,
    UserClass,
)
from portal.tools.scale_data import generate
from tests.helpers import NOW, add_course, bench_module, enrol, make_session
from tests.test_migrations import empty_database as _empty_database

empty_database = _empty_database  # the fixture: a database of the suite's kind, empty
PEOPLE = ("coach", "ted", "tom", "lea", "leo", "max", "sam")
UTC_ZONE = ZoneInfo("UTC")


# --- the reference: the per-row counts as the pages computed them before ---------------


def reference_counts() -> dict[tuple[int, int], int]:
    """Every course of every session: its handed-in, ungraded work of enrolled learners,
    counted from the submissions (the old grading.count_to_grade, grouped)."""
    counted = dict(((s, c), n) for s, c, n in db.session.execute(
        select(Submission.session_id, Assignment.course_id, func.count(Submission.id))
        .join(Assignment, Assignment.id == Submission.assignment_id)
        .join(SessionCourse, and_(SessionCourse.session_id == Submission.session_id,
                                  SessionCourse.course_id == Assignment.course_id))
        .join(Enrolment, and_(Enrolment.session_id == Submission.session_id,
                              Enrolment.user_id == Submission.user_id))
        .outerjoin(Grade, Grade.submission_id == Submission.id)
        .where(Grade.id.is_(None))
        .group_by(Submission.session_id, Assignment.course_id)))
    pairs = db.session.execute(select(SessionCourse.session_id, SessionCourse.course_id))
    return {(s, c): counted.get((s, c), 0) for s, c in pairs}


def kept_counts() -> dict[tuple[int, int], int]:
    return {(s, c): n for s, c, n in db.session.execute(
        select(SessionCourse.session_id, SessionCourse.course_id, SessionCourse.to_grade))}


def old_card_count(user_id: int):
    """The coach list's old correlated subquery (coached_sessions._to_grade before
    revision 0013), as bench/to_grade_bench.py times it: the reference of the counts."""
    return bench_module("to_grade_bench").old_to_grade(user_id)


def assert_exact(*coach_ids: int) -> dict[tuple[int, int], int]:
    """The kept counts equal the reference, and so do the coach list's per-card sums."""
    db.session.flush()
    db.session.expire_all()
    kept = kept_counts()
    assert kept == reference_counts()
    for user_id in coach_ids:
        rows = db.session.execute(
            select(TrainingSession.id, old_card_count(user_id),
                   coached_sessions._to_grade(user_id))
            .where(coached_sessions.coaches(user_id))).all()
        assert [(sid, old) for sid, old, _ in rows] == [(sid, new) for sid, _, new in rows]
    return kept


# --- a small world -----------------------------------------------------------------------


@pytest.fixture
def world(people):
    """Two sessions sharing Python (Ted coaches it in the first); SQL (Tom) in the first.
    Lea and Leo are enrolled in both, Max in the first; Sam in none."""
    first = make_session(people["coach"], "First")
    second = make_session(people["coach"], "Second")
    python = add_course(first, "PY101", "Python basics", coaches=[people["ted"]])
    sql = add_course(first, "SQL1", "SQL for analysts", coaches=[people["tom"]])
    add_course(second, "PY101")
    tasks = {name: Assignment(course_id=course.id, title=name, max_score=20)
             for name, course in (("a1", python), ("a2", python), ("q1", sql))}
    db.session.add_all(tasks.values())
    db.session.commit()
    enrol(first, people["lea"], people["leo"], people["max"])
    enrol(second, people["lea"], people["leo"])
    return {"first": first, "second": second, "python": python, "sql": sql, **tasks,
            **people}


def handed(w, who, task, session="first"):
    """``who`` hands ``task`` in through the domain's hand-in (it commits)."""
    return hand_in(db.session, session=w[session], assignment=w[task], user=w[who],
                   answer="my answer", upload=None, folder=w["folder"], by=SYSTEM, now=NOW,
                   tz=UTC_ZONE).submission


@pytest.fixture
def busy(world, tmp_path):
    """Six hand-ins, one graded: First/Python 3 (Lea a1 graded, Leo a1, Max a2), First/SQL 2
    (Lea, Max), Second/Python 1 (Leo a2)."""
    w = {**world, "folder": tmp_path}
    w["lea_a1"] = handed(w, "lea", "a1")
    w["leo_a1"] = handed(w, "leo", "a1")
    w["max_a2"] = handed(w, "max", "a2")
    w["lea_q1"] = handed(w, "lea", "q1")
    w["max_q1"] = handed(w, "max", "q1")
    w["leo_a2_second"] = handed(w, "leo", "a2", session="second")
    save_grade(db.session, w["lea_a1"], 12, "", by=SYSTEM, now=NOW)
    db.session.commit()
    return w


def first(w, course):
    return (w["first"].id, w[course].id)


def coaches(w):
    return (w["coach"].id, w["ted"].id, w["tom"].id)


def test_hand_ins_count_once_enrolled_and_until_graded(busy):
    w = busy
    kept = assert_exact(*coaches(w))
    assert kept == {first(w, "python"): 2, first(w, "sql"): 2,
                    (w["second"].id, w["python"].id): 1}
    # The grading pages and the coach list read the same counts.
    assert count_to_grade(db.session, w["first"].id, w["python"].id) == 2
    assert count_to_grade(db.session, w["first"].id, select(SessionCourse.course_id).where(
        SessionCourse.session_id == w["first"].id)) == 4
    cards = coached_sessions.coaching(db.session, w["ted"].id, NOW, UTC_ZONE).page.items
    assert [(c.name, c.to_grade) for c in cards] == [("First", 2)]


def test_a_hand_in_by_someone_not_enrolled_waits_until_they_are(busy):
    w = busy
    # Sam is not enrolled: the hand-in is stored (the gate is the pages' business) but
    # not counted, then counted from the enrolment on, and no longer after it.
    handed(w, "sam", "a2")
    assert assert_exact(*coaches(w))[first(w, "python")] == 2
    enrolment.enrol_users(db.session, w["first"].id, [w["sam"].id], by=SYSTEM, now=NOW)
    db.session.commit()
    assert assert_exact(*coaches(w))[first(w, "python")] == 3
    enrolment.unenrol_user(db.session, w["first"].id, w["sam"].id, by=SYSTEM, now=NOW)
    db.session.commit()
    assert assert_exact(*coaches(w))[first(w, "python")] == 2


def test_a_hand_in_handed_in_again_counts_once_and_a_graded_one_is_refused(busy):
    w = busy
    handed(w, "leo", "a1")  # replaces the ungraded work: an UPDATE
    assert assert_exact(*coaches(w))[first(w, "python")] == 2
    with pytest.raises(HandInRefused):
        handed(w, "lea", "a1")  # graded
    assert assert_exact(*coaches(w))[first(w, "python")] == 2


def test_a_grade_given_updated_and_removed(busy):
    w = busy
    save_grade(db.session, w["leo_a1"], 15, "", by=SYSTEM, now=NOW)
    db.session.commit()
    assert assert_exact(*coaches(w))[first(w, "python")] == 1
    save_grade(db.session, db.session.get(Submission, w["leo_a1"].id), 16, "Better", by=SYSTEM,
               now=NOW)
    db.session.commit()
    assert assert_exact(*coaches(w))[first(w, "python")] == 1
    db.session.execute(delete(Grade).where(Grade.submission_id.in_(
        [w["leo_a1"].id, w["lea_a1"].id])))
    db.session.commit()
    assert assert_exact(*coaches(w))[first(w, "python")] == 3
    # Grades of learners who left: given and removed, nothing counted either way.
    enrolment.unenrol_user(db.session, w["first"].id, w["max"].id, by=SYSTEM, now=NOW)
    db.session.add(Grade(submission_id=w["max_q1"].id, score=3, feedback=""))
    db.session.commit()
    assert assert_exact(*coaches(w))[first(w, "sql")] == 1
    db.session.execute(delete(Grade).where(Grade.submission_id == w["max_q1"].id))
    db.session.commit()
    assert assert_exact(*coaches(w))[first(w, "sql")] == 1


def test_submissions_deleted_graded_or_not(busy):
    w = busy
    db.session.execute(delete(Submission).where(Submission.id.in_(
        [w["lea_a1"].id, w["leo_a1"].id, w["lea_q1"].id])))
    db.session.commit()
    kept = assert_exact(*coaches(w))
    assert (kept[first(w, "python")], kept[first(w, "sql")]) == (1, 1)


def test_a_course_removed_from_the_session_and_added_back(busy):
    w = busy
    sessions.remove_course(db.session, w["first"], w["python"], by=SYSTEM, now=NOW)
    db.session.commit()
    assert first(w, "python") not in assert_exact(*coaches(w))
    cards = coached_sessions.coaching(db.session, w["coach"].id, NOW, UTC_ZONE).page.items
    assert {c.name: c.to_grade for c in cards} == {"First": 2, "Second": 1}
    # The hand-ins were kept: they count again with the course.
    sessions.add_course(db.session, w["first"], w["python"], by=SYSTEM, now=NOW)
    db.session.commit()
    assert assert_exact(*coaches(w))[first(w, "python")] == 2


def test_cascades_of_a_deleted_user_session_and_assignment(busy):
    w = busy
    # Lea (graded and ungraded work) and Max (ungraded only) go with everything of theirs.
    db.session.execute(delete(User).where(User.id.in_([w["lea"].id, w["max"].id])))
    db.session.commit()
    kept = assert_exact(w["coach"].id, w["ted"].id, w["tom"].id)
    assert (kept[first(w, "python")], kept[first(w, "sql")]) == (1, 0)
    db.session.execute(delete(Assignment).where(Assignment.id == w["a2"].id))
    db.session.commit()
    assert assert_exact(w["coach"].id)[(w["second"].id, w["python"].id)] == 0
    sessions.delete_session(db.session, db.session.get(TrainingSession, w["first"].id),
                            by=SYSTEM, now=NOW)
    db.session.commit()
    assert assert_exact(w["coach"].id) == {(w["second"].id, w["python"].id): 0}


def test_keys_moved_by_hand_are_counted_again(busy):
    """The application never moves a hand-in, a grade, an enrolment or an assignment;
    a hand-written UPDATE still leaves the counts exact."""
    w = busy
    db.session.execute(update(Submission).where(Submission.id == w["max_a2"].id)
                       .values(session_id=w["second"].id))  # Max is not enrolled there
    db.session.execute(update(Grade).where(Grade.submission_id == w["lea_a1"].id)
                       .values(submission_id=w["leo_a1"].id))
    db.session.commit()
    assert_exact(*coaches(w))
    db.session.execute(update(Enrolment).where(Enrolment.session_id == w["first"].id,
                                               Enrolment.user_id == w["max"].id)
                       .values(session_id=w["second"].id))
    db.session.execute(update(Assignment).where(Assignment.id == w["q1"].id)
                       .values(course_id=w["python"].id))
    db.session.commit()
    assert_exact(*coaches(w))
    db.session.execute(update(SessionCourse).where(
        SessionCourse.session_id == w["second"].id, SessionCourse.course_id == w["python"].id)
        .values(course_id=w["sql"].id))
    db.session.commit()
    assert_exact(*coaches(w))


def test_bulk_paths_import_classes_and_a_copy(busy):
    w = busy
    # An import that removes Leo from First and enrols Sam (with work already there).
    handed(w, "sam", "q1")
    lines = ["username,session,action", "leo,First,remove", "sam,First,add", "max,Second,add"]
    result = preview(db.session, read_csv("\n".join(lines).encode(), session_required=True))
    apply(db.session, result, file_name="bulk.csv", valid_rows_only=True, by=SYSTEM, now=NOW)
    db.session.commit()
    kept = assert_exact(*coaches(w))
    assert (kept[first(w, "python")], kept[first(w, "sql")]) == (1, 3)
    # A class link enrols its members (Leo back), its unlink takes them out again.
    team = UserClass(name="Team", description="")
    db.session.add(team)
    db.session.flush()
    db.session.add(ClassMembership(class_id=team.id, user_id=w["leo"].id))
    db.session.commit()
    enrolment.link_class(db.session, w["first"].id, team.id, by=SYSTEM, now=NOW)
    db.session.commit()
    assert assert_exact(*coaches(w))[first(w, "python")] == 2
    enrolment.unlink_class(db.session, w["first"].id, team.id, by=SYSTEM, now=NOW)
    db.session.commit()
    assert assert_exact(*coaches(w))[first(w, "python")] == 1
    # A copy with its learners has their courses and none of their hand-ins.
    copy = sessions.copy_session(db.session, w["first"], sessions.CopyPlan(
        name="First again", dates={}, learners=True, class_links=True), by=SYSTEM, now=NOW)
    db.session.commit()
    kept = assert_exact(*coaches(w))
    assert kept[(copy.id, w["python"].id)] == kept[(copy.id, w["sql"].id)] == 0


def test_the_scale_data_and_its_bulk_changes(app, frozen_now):
    generate(db.engine, clock.now(), factor=0.005)
    db.session.expire_all()
    kept = assert_exact()
    assert sum(kept.values()) > 0
    learners = list(db.session.scalars(select(Submission.user_id).distinct()
                                       .order_by(Submission.user_id).limit(5)))
    db.session.execute(delete(Enrolment).where(Enrolment.user_id.in_(learners[:2])))
    db.session.commit()
    assert_exact()
    db.session.execute(delete(User).where(User.id.in_(learners[2:])))
    db.session.execute(delete(Grade).where(Grade.id.in_(
        select(Grade.id).order_by(Grade.id).limit(50).scalar_subquery())))
    db.session.commit()
    assert_exact()


def test_the_migration_counts_what_is_already_there(empty_database, tmp_path):
    """Revision 0013 back-fills the counts of a database filled under revision 0012, and
    its triggers keep them from then on."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database, "SECRET_KEY": "x",
                      "TESTING": True})
    with app.app_context():
        upgrade(revision="0012")
        # The models' INSERTs name no to_grade column: they fit revision 0012's tables.
        w = _filled_under_0012(tmp_path)
        upgrade(revision="0013")
        kept = assert_exact(w["coach"].id, w["ted"].id)
        assert kept == {first(w, "python"): 1, first(w, "sql"): 1,
                        (w["second"].id, w["python"].id): 0}
        handed(w, "leo", "q1")
        assert assert_exact(w["coach"].id)[first(w, "sql")] == 2
        db.session.remove()
        db.engine.dispose()


def _filled_under_0012(folder) -> dict:
    people = {}
    for key, role in (("coach", "teacher"), ("ted", "teacher"), ("lea", "learner"),
                      ("leo", "learner")):
        people[key] = User(username=key, email=f"{key}@example.org", first_name=key,
                           last_name="Tester", password_hash="x", role=role)
    db.session.add_all(people.values())
    db.session.commit()
    w = {"first": make_session(people["coach"], "First"),
         "second": make_session(people["coach"], "Second"), "folder": folder, **people}
    w["python"] = Course(code="PY101", title="Python basics", description="")
    w["sql"] = Course(code="SQL1", title="SQL for analysts", description="")
    db.session.add_all([w["python"], w["sql"]])
    db.session.flush()
    # Core INSERTs: the ORM's would ask for the to_grade column back.
    db.session.execute(insert(SessionCourse.__table__), [
        {"session_id": w["first"].id, "course_id": w["python"].id, "position": 0},
        {"session_id": w["first"].id, "course_id": w["sql"].id, "position": 1},
        {"session_id": w["second"].id, "course_id": w["python"].id, "position": 0}])
    db.session.execute(insert(SessionCourseCoach.__table__).values(
        session_id=w["first"].id, course_id=w["python"].id, user_id=people["ted"].id))
    for name, course in (("a1", "python"), ("q1", "sql")):
        w[name] = Assignment(course_id=w[course].id, title=name, max_score=20)
        db.session.add(w[name])
    db.session.commit()
    enrol(w["first"], people["lea"], people["leo"])
    graded = Submission(session_id=w["first"].id, assignment_id=w["a1"].id,
                        user_id=people["leo"].id, answer="x")
    db.session.add_all([
        Submission(session_id=w["first"].id, assignment_id=w["a1"].id,
                   user_id=people["lea"].id, answer="x"),
        Submission(session_id=w["first"].id, assignment_id=w["q1"].id,
                   user_id=people["lea"].id, answer="x"),
        Submission(session_id=w["second"].id, assignment_id=w["a1"].id,
                   user_id=people["lea"].id, answer="x"),  # not enrolled there
        graded,
    ])
    db.session.flush()
    db.session.add(Grade(submission_id=graded.id, score=10, feedback=""))
    db.session.commit()
    return w
