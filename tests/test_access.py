"""The access decision as a table: role x moment x after-end policy."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from portal.domain.access import (
    Access,
    Decision,
    LearnerFacts,
    Relation,
    SessionRules,
    Status,
    Window,
    decide,
    learner_window,
    list_status,
    may_download_hand_in,
    relation_for,
    sees_whole_tracking,
)
from portal.domain.dates import DateInputError, parse_local
from portal.extensions import db
from portal.models import Assignment, Submission
from tests.helpers import NOW, add_course, enrol, make_session

ACCESS_START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
ACCESS_END = datetime(2026, 3, 30, 17, 0, tzinfo=UTC)
COACH_START = ACCESS_START - timedelta(days=7)
COACH_END = ACCESS_END + timedelta(days=14)
SECOND = timedelta(seconds=1)

MOMENTS = {
    "before coach start": COACH_START - SECOND,
    "at coach start": COACH_START,
    "before access start": ACCESS_START - SECOND,
    "at access start": ACCESS_START,
    "inside": ACCESS_START + timedelta(days=10),
    "at access end": ACCESS_END,
    "after access end": ACCESS_END + timedelta(days=3),
    "at coach end": COACH_END,
    "after coach end": COACH_END + timedelta(days=30),
}

ADMIN = Relation(is_admin=True)
LEARNER = Relation(learner=LearnerFacts())
COACH = Relation(is_coach=True)  # session coach, or coach of the course asked about
BOTH = Relation(is_coach=True, learner=LearnerFacts())
STRANGER = Relation()


def rules(policy="read_only", coach=True, duration=None, access=(ACCESS_START, ACCESS_END)):
    return SessionRules(
        access=Window(*access),
        coach=Window(COACH_START, COACH_END) if coach else None,
        after_end_policy=policy,
        duration_days=duration,
    )


# One letter per decision keeps the table readable.
O, R, N, C, X = (  # noqa: E741
    Decision.OPEN, Decision.READ_ONLY, Decision.NOT_YET, Decision.CLOSED, Decision.NONE
)

# moment: (learner, coach, both, stranger, admin) under read_only / open / closed
TABLE = {
    "before coach start": {"read_only": (N, N, N, X, O), "open": (N, N, N, X, O),
                           "closed": (N, N, N, X, O)},
    "at coach start": {"read_only": (N, O, O, X, O), "open": (N, O, O, X, O),
                       "closed": (N, O, O, X, O)},
    "before access start": {"read_only": (N, O, O, X, O), "open": (N, O, O, X, O),
                            "closed": (N, O, O, X, O)},
    "at access start": {"read_only": (O, O, O, X, O), "open": (O, O, O, X, O),
                        "closed": (O, O, O, X, O)},
    "inside": {"read_only": (O, O, O, X, O), "open": (O, O, O, X, O),
               "closed": (O, O, O, X, O)},
    "at access end": {"read_only": (R, O, O, X, O), "open": (O, O, O, X, O),
                      "closed": (C, O, O, X, O)},
    "after access end": {"read_only": (R, O, O, X, O), "open": (O, O, O, X, O),
                         "closed": (C, O, O, X, O)},
    "at coach end": {"read_only": (R, R, R, X, O), "open": (O, O, O, X, O),
                     "closed": (C, C, C, X, O)},
    "after coach end": {"read_only": (R, R, R, X, O), "open": (O, O, O, X, O),
                        "closed": (C, C, C, X, O)},
}

CASES = [
    pytest.param(moment, policy, role, relation, expected[i], id=f"{role}-{moment}-{policy}")
    for moment, by_policy in TABLE.items()
    for policy, expected in by_policy.items()
    for i, (role, relation) in enumerate(
        [("learner", LEARNER), ("coach", COACH), ("both", BOTH), ("stranger", STRANGER),
         ("admin", ADMIN)]
    )
]


@pytest.mark.parametrize(("moment", "policy", "role", "relation", "expected"), CASES)
def test_decision_table(moment, policy, role, relation, expected):
    assert decide(relation, rules(policy), MOMENTS[moment]).decision is expected


def test_not_yet_says_when_it_opens():
    access = decide(LEARNER, rules(), ACCESS_START - timedelta(days=3))
    assert access.opens_at == ACCESS_START
    coach_access = decide(COACH, rules(), COACH_START - timedelta(days=1))
    assert coach_access.opens_at == COACH_START


def test_ended_access_says_when_it_ended():
    access = decide(LEARNER, rules("closed"), ACCESS_END + timedelta(days=1))
    assert access.decision is Decision.CLOSED
    assert access.ended_at == ACCESS_END


def test_both_roles_keep_each_part():
    access = decide(BOTH, rules(), ACCESS_END + timedelta(days=1))
    assert access.decision is Decision.OPEN
    assert access.as_learner is Decision.READ_ONLY and not access.can_submit
    assert access.as_coach is Decision.OPEN and access.can_grade


@pytest.mark.parametrize(
    ("relation", "moment", "expected"),
    [
        (COACH, "before access start", N),  # no coach window: the access window applies
        (COACH, "at access start", O),
        (COACH, "after access end", R),
        (LEARNER, "after access end", R),
    ],
)
def test_unset_coach_window_falls_back_to_access_window(relation, moment, expected):
    assert decide(relation, rules(coach=False), MOMENTS[moment]).decision is expected


def test_coach_end_alone_extends_coach_access():
    only_end = SessionRules(Window(ACCESS_START, ACCESS_END), Window(None, COACH_END), "closed")
    assert decide(COACH, only_end, ACCESS_END + timedelta(days=1)).decision is O
    assert decide(COACH, only_end, COACH_END).decision is C


@pytest.mark.parametrize(
    ("access", "moment", "expected"),
    [
        ((None, None), datetime(1990, 1, 1, tzinfo=UTC), O),
        ((None, None), datetime(2100, 1, 1, tzinfo=UTC), O),
        ((None, ACCESS_END), datetime(2000, 1, 1, tzinfo=UTC), O),  # only an end: open until it
        ((None, ACCESS_END), ACCESS_END, R),
        ((ACCESS_START, None), ACCESS_START - SECOND, N),
        ((ACCESS_START, None), datetime(2100, 1, 1, tzinfo=UTC), O),  # no end: never ends
    ],
)
def test_missing_start_or_end(access, moment, expected):
    assert decide(LEARNER, rules(coach=False, access=access), moment).decision is expected


FIRST_ACCESS = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("learner", "moment", "expected"),
    [
        (LearnerFacts(None, 0), datetime(2026, 5, 1, tzinfo=UTC), O),  # never opened: opens now
        (LearnerFacts(FIRST_ACCESS, 0), FIRST_ACCESS + timedelta(days=30) - SECOND, O),
        (LearnerFacts(FIRST_ACCESS, 0), FIRST_ACCESS + timedelta(days=30), R),
        (LearnerFacts(FIRST_ACCESS, 5), FIRST_ACCESS + timedelta(days=30), O),
        (LearnerFacts(FIRST_ACCESS, 5), FIRST_ACCESS + timedelta(days=35) - SECOND, O),
        (LearnerFacts(FIRST_ACCESS, 5), FIRST_ACCESS + timedelta(days=35), R),
    ],
)
def test_duration_mode_counts_from_first_access(learner, moment, expected):
    duration = rules(duration=30, coach=False, access=(None, None))
    assert decide(Relation(learner=learner), duration, moment).decision is expected


def test_duration_mode_never_locks_coaches_out():
    duration = rules(duration=30, coach=False, access=(None, None))
    late = FIRST_ACCESS + timedelta(days=400)
    assert decide(COACH, duration, late).decision is O
    both = Relation(is_coach=True, learner=LearnerFacts(FIRST_ACCESS, 0))
    assert decide(both, duration, late).as_learner is R
    assert decide(both, duration, late).decision is O


def test_duration_mode_after_end_follows_policy():
    closed = rules("closed", duration=10, coach=False, access=(None, None))
    facts = Relation(learner=LearnerFacts(FIRST_ACCESS, 0))
    assert decide(facts, closed, FIRST_ACCESS + timedelta(days=11)).decision is C


# --- individual dates and suspension ------------------------------------------

DAY = timedelta(days=1)
S = Decision.SUSPENDED
EXTENDED = LearnerFacts(extension_days=5)
EARLIER = LearnerFacts(own_start=ACCESS_START - 10 * DAY, own_end=ACCESS_END - 10 * DAY)
LATER = LearnerFacts(own_start=ACCESS_START + 5 * DAY, own_end=ACCESS_END + 20 * DAY)
OWN_START_ONLY = LearnerFacts(own_start=ACCESS_START - 3 * DAY)
OWN_END_ONLY = LearnerFacts(own_end=ACCESS_END + 7 * DAY)
SUSPENDED = LearnerFacts(suspended=True)

# (case, learner facts, moment) -> decision under read_only / open / closed; the window of
# the session is ACCESS_START to ACCESS_END (no coach window: learners only here).
INDIVIDUAL_TABLE = {
    ("extension on fixed dates: at the session's end", EXTENDED, ACCESS_END): (O, O, O),
    ("extension on fixed dates: last second", EXTENDED, ACCESS_END + 5 * DAY - SECOND): (O, O, O),
    ("extension on fixed dates: at the extended end", EXTENDED, ACCESS_END + 5 * DAY): (R, O, C),
    ("extension on fixed dates: start unchanged", EXTENDED, ACCESS_START - SECOND): (N, N, N),
    ("earlier window: open before the session", EARLIER, ACCESS_START - 10 * DAY): (O, O, O),
    ("earlier window: before its start", EARLIER, ACCESS_START - 10 * DAY - SECOND): (N, N, N),
    ("earlier window: ended before the session's end", EARLIER, ACCESS_END - 10 * DAY):
        (R, O, C),
    ("later window: not yet at the session's start", LATER, ACCESS_START): (N, N, N),
    ("later window: open at the session's end", LATER, ACCESS_END): (O, O, O),
    ("later window: at its own end", LATER, ACCESS_END + 20 * DAY): (R, O, C),
    ("own start only: opens early", OWN_START_ONLY, ACCESS_START - 3 * DAY): (O, O, O),
    ("own start only: the session's end stays", OWN_START_ONLY, ACCESS_END): (R, O, C),
    ("own end only: the session's start stays", OWN_END_ONLY, ACCESS_START - SECOND): (N, N, N),
    ("own end only: open after the session's end", OWN_END_ONLY, ACCESS_END): (O, O, O),
    ("own end only: at its end", OWN_END_ONLY, ACCESS_END + 7 * DAY): (R, O, C),
    ("suspended: inside the window", SUSPENDED, ACCESS_START + DAY): (S, S, S),
    ("suspended: before the window", SUSPENDED, ACCESS_START - DAY): (S, S, S),
    ("suspended: after the end", SUSPENDED, ACCESS_END + DAY): (S, S, S),
}

INDIVIDUAL_CASES = [
    pytest.param(facts, moment, policy, expected[i], id=f"{case}-{policy}")
    for (case, facts, moment), expected in INDIVIDUAL_TABLE.items()
    for i, policy in enumerate(("read_only", "open", "closed"))
]


@pytest.mark.parametrize(("facts", "moment", "policy", "expected"), INDIVIDUAL_CASES)
def test_individual_dates_table(facts, moment, policy, expected):
    access = decide(Relation(learner=facts), rules(policy, coach=False), moment)
    assert access.decision is expected


DURATION_START = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
IN_DURATION_MODE = LearnerFacts(first_access_at=FIRST_ACCESS, own_start=DURATION_START,
                                own_end=DURATION_START + 10 * DAY)


@pytest.mark.parametrize(
    ("facts", "moment", "policy", "expected"),
    [
        # The individual window replaces the N days: the first access no longer counts.
        (IN_DURATION_MODE, FIRST_ACCESS + DAY, "read_only", N),
        (IN_DURATION_MODE, DURATION_START, "read_only", O),
        (IN_DURATION_MODE, DURATION_START + 10 * DAY - SECOND, "read_only", O),
        (IN_DURATION_MODE, DURATION_START + 10 * DAY, "read_only", R),
        (IN_DURATION_MODE, DURATION_START + 10 * DAY, "open", O),
        (IN_DURATION_MODE, DURATION_START + 10 * DAY, "closed", C),
        # An individual end only: the fixed access dates are unbounded, so it opens at once.
        (LearnerFacts(first_access_at=FIRST_ACCESS, own_end=DURATION_START),
         FIRST_ACCESS - 100 * DAY, "closed", O),
        (LearnerFacts(first_access_at=FIRST_ACCESS, own_end=DURATION_START),
         DURATION_START, "closed", C),
    ],
)
def test_individual_window_in_duration_mode(facts, moment, policy, expected):
    duration = rules(policy, duration=30, coach=False, access=(None, None))
    assert decide(Relation(learner=facts), duration, moment).decision is expected


def test_extension_without_an_access_end_changes_nothing():
    unbounded = rules(coach=False, access=(ACCESS_START, None))
    late = datetime(2100, 1, 1, tzinfo=UTC)
    assert decide(Relation(learner=EXTENDED), unbounded, late).decision is O
    assert learner_window(unbounded, EXTENDED, late) == Window(ACCESS_START, None)


def test_suspended_coach_keeps_coaching_but_cannot_hand_in():
    both = Relation(is_coach=True, learner=SUSPENDED)
    access = decide(both, rules(), ACCESS_START + DAY)
    assert access.decision is O and access.as_learner is S
    assert access.can_grade and not access.can_submit


def test_suspended_learner_gets_no_dates_to_wait_for():
    access = decide(Relation(learner=SUSPENDED), rules(), ACCESS_START - DAY)
    assert access.decision is S and access.opens_at is None and access.ended_at is None
    assert not access.can_view and not access.can_submit


def test_extension_near_year_9999_does_not_overflow():
    end = datetime(9999, 12, 30, tzinfo=UTC)
    far = rules(coach=False, access=(ACCESS_START, end))
    window = learner_window(far, LearnerFacts(extension_days=3650), end)
    assert window.end == datetime.max.replace(tzinfo=UTC)
    assert decide(Relation(learner=LearnerFacts(extension_days=3650)), far, end).decision is O


PARIS = ZoneInfo("Europe/Paris")


def test_window_entered_in_paris_across_daylight_saving_change():
    # Paris moves from UTC+1 to UTC+2 on 29 March 2026 at 02:00.
    start = parse_local("2026-03-28", PARIS, is_end=False)
    end = parse_local("2026-03-29", PARIS, is_end=True)
    assert start == datetime(2026, 3, 27, 23, 0, tzinfo=UTC)  # 00:00 CET
    assert end == datetime(2026, 3, 29, 22, 0, tzinfo=UTC)  # 00:00 CEST on the 30th
    window = rules(coach=False, access=(start, end))
    last_local_minute = datetime(2026, 3, 29, 23, 59, tzinfo=PARIS)
    assert decide(LEARNER, window, last_local_minute).decision is O
    assert decide(LEARNER, window, datetime(2026, 3, 30, 0, 0, tzinfo=PARIS)).decision is R
    assert decide(LEARNER, window, datetime(2026, 3, 27, 23, 59, tzinfo=PARIS)).decision is N
    # The window lasts 47 hours of real time: one hour was skipped.
    assert end - start == timedelta(hours=47)


def test_time_inside_a_daylight_saving_gap_is_refused_not_moved():
    with pytest.raises(DateInputError, match="Write 2026-03-29 03:30"):
        parse_local("2026-03-29 02:30", PARIS, is_end=False)
    assert parse_local("2026-03-29 03:30", PARIS, is_end=False) == datetime(
        2026, 3, 29, 1, 30, tzinfo=UTC)  # 03:30 CEST


@pytest.mark.parametrize(
    ("window", "moment", "expected"),
    [
        (Window(ACCESS_START, ACCESS_END), ACCESS_START - SECOND, Status.UPCOMING),
        (Window(ACCESS_START, ACCESS_END), ACCESS_START, Status.CURRENT),
        (Window(ACCESS_START, ACCESS_END), ACCESS_END - SECOND, Status.CURRENT),
        (Window(ACCESS_START, ACCESS_END), ACCESS_END, Status.PAST),
        (Window(None, None), ACCESS_END, Status.CURRENT),
        (Window(ACCESS_START, None), datetime(2100, 1, 1, tzinfo=UTC), Status.CURRENT),
    ],
)
def test_list_status(window, moment, expected):
    assert list_status(window, moment) is expected


# --- who sees a whole session's tracking, who may download a hand-in -----------

SESSION_COACH_ID, OTHER_ID = 7, 8


@pytest.mark.parametrize(
    ("access", "user_id", "expected"),
    [
        (Access(Decision.OPEN, is_admin=True), OTHER_ID, True),
        (Access(Decision.OPEN, as_coach=Decision.OPEN), SESSION_COACH_ID, True),
        (Access(Decision.READ_ONLY, as_coach=Decision.READ_ONLY), SESSION_COACH_ID, True),
        (Access(Decision.OPEN, as_coach=Decision.OPEN), OTHER_ID, False),  # a course coach
    ],
    ids=["admin", "session coach", "session coach after the end", "course coach"],
)
def test_sees_whole_tracking(access, user_id, expected):
    user, session = SimpleNamespace(id=user_id), SimpleNamespace(coach_id=SESSION_COACH_ID)
    assert sees_whole_tracking(user, session, access) is expected


@pytest.fixture
def hand_in(app, make_user):
    """A session with two courses, their coaches, and Lea's hand-in in the first course."""
    people = {name: make_user(name) for name in ("lea", "max")}
    # Only teachers coach (issue 12): the session coach and the course coaches.
    people |= {name: make_user(name, role="teacher") for name in ("boss", "pycoach", "sqlcoach")}
    people["admin"] = make_user("root", role="admin")
    session = make_session(people["boss"])
    python = add_course(session, "PY101", "Python basics", coaches=[people["pycoach"]])
    add_course(session, "SQL101", "SQL basics", coaches=[people["sqlcoach"]])
    enrol(session, people["lea"], people["max"])
    assignment = Assignment(course_id=python.id, title="Loops", max_score=10)
    db.session.add(assignment)
    db.session.flush()
    submission = Submission(session_id=session.id, assignment_id=assignment.id,
                            user_id=people["lea"].id, file_name="loops.py", file_key="k")
    db.session.add(submission)
    db.session.commit()
    return people, session, submission


@pytest.mark.parametrize(
    ("who", "expected"),
    [("lea", True), ("admin", True), ("boss", True), ("pycoach", True),
     ("sqlcoach", False), ("max", False)],
    ids=["owner", "admin", "session coach", "coach of its course", "coach of another course",
         "another learner"],
)
def test_may_download_hand_in(hand_in, count_queries, who, expected):
    people, session, submission = hand_in
    user = people[who]
    access = decide(relation_for(db.session, user, session, None), SessionRules.of(session), NOW)
    db.session.refresh(submission)  # loaded, as the view has it
    with count_queries() as counter:
        assert may_download_hand_in(db.session, user, session, access, submission) is expected
    assert counter.count <= 1


def test_may_download_hand_in_after_the_coach_window(hand_in):
    """A coach of the course may still download once grading has closed: the gate decides
    whether they see the session at all, not this rule."""
    people, session, submission = hand_in
    later = NOW + timedelta(days=400)
    access = decide(Relation(is_coach=True), SessionRules.of(session), later)
    assert access.as_coach is Decision.READ_ONLY
    assert may_download_hand_in(db.session, people["pycoach"], session, access, submission)
