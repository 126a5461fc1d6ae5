"""The SQL forms of the window rules select exactly what the Python decision decides.

Hypothesis draws sessions (each of the six bounds unset or one of a few instants, so an
instant often falls exactly on a bound), after-end policies, duration mode and an
instant; the sessions are written in one transaction, and for each window (access,
coach, display) the rows each SQL condition selects are compared with those
``Window.status``, ``coach_window``, ``decide`` and ``Window.overlaps`` give. The app
fixture runs on SQLite, or on PostgreSQL when DATABASE_URL is set.

A planted fault is caught: swapping ``<`` for ``<=`` in the SQL of the end bound, or
dropping the coach window's fallback to the access window, fails within a few examples.
"""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import case, select

from portal.domain.access import (
    Decision,
    LearnerFacts,
    Relation,
    SessionRules,
    Status,
    Window,
    WindowColumns,
    access_window_columns,
    admin_list_window,
    admin_list_window_columns,
    coach_window,
    coach_window_columns,
    decide,
    display_window_columns,
)
from portal.extensions import db
from portal.models import AfterEndPolicy, TrainingSession, User

BASE = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
HOURS = 8
GRID = [BASE + timedelta(hours=h) for h in range(HOURS + 1)]

instants = st.sampled_from(GRID)
bounds = st.none() | instants
# The database allows any pair (the forms refuse an end before its start): draw them all.
windows = st.builds(Window, bounds, bounds)
sessions = st.fixed_dictionaries({
    "display": windows,
    "access": windows,
    "coach": windows,
    "policy": st.sampled_from([policy.value for policy in AfterEndPolicy]),
    "duration_days": st.none() | st.integers(1, 30),
    "learners": st.none() | windows,  # the span kept when every learner has own dates
})

KINDS = {
    "access": (access_window_columns, lambda rules, row: rules.access),
    "coach": (coach_window_columns, lambda rules, row: coach_window(rules)),
    "display": (display_window_columns, lambda rules, row: row["display"]),
    "admin list": (admin_list_window_columns, lambda rules, row: admin_list_window(
        rules.access, row["display"], rules.duration_days, row["learners"])),
}
DECISIONS = list(Decision)


def _session(number: int, coach_id: int, row: dict) -> TrainingSession:
    return TrainingSession(
        name=f"Drawn {number}", coach_id=coach_id, after_end_policy=row["policy"],
        duration_days=row["duration_days"],
        display_start=row["display"].start, display_end=row["display"].end,
        access_start=row["access"].start, access_end=row["access"].end,
        coach_start=row["coach"].start, coach_end=row["coach"].end,
        learners_span=row["learners"] is not None,
        learners_start=row["learners"].start if row["learners"] else None,
        learners_end=row["learners"].end if row["learners"] else None,
    )


def _conditions(now: datetime, other: Window) -> dict:
    """Every SQL form under test, by (window kind, what it tests)."""
    out = {}
    for kind, (columns, _) in KINDS.items():
        window: WindowColumns = columns()
        for status in Status:
            out[kind, status] = window.status_condition(status, now)
        out[kind, "contains"] = window.contains(now)
        out[kind, "overlaps"] = window.overlaps(other)
        if kind in ("access", "coach"):  # the decisions of learners and coaches
            for decision in DECISIONS:
                out[kind, decision] = window.decision_condition(decision, now)
    return out


def _expected(rules: SessionRules, row: dict, now: datetime, other: Window) -> dict:
    """The Python decision for one session, keyed as _conditions."""
    out = {}
    for kind, (_, window_of) in KINDS.items():
        window = window_of(rules, row)
        for status in Status:
            out[kind, status] = window.status(now) is status
        out[kind, "contains"] = window.status(now) is Status.CURRENT
        out[kind, "overlaps"] = window.overlaps(other)
    # The access window's decision is what a learner of fixed dates gets (in duration
    # mode a learner has a window of their own, placed in Python); the coach's is theirs.
    fixed = replace(rules, duration_days=None)
    as_learner = decide(Relation(learner=LearnerFacts()), fixed, now).as_learner
    as_coach = decide(Relation(is_coach=True), rules, now).as_coach
    for decision in DECISIONS:
        out["access", decision] = as_learner is decision
        out["coach", decision] = as_coach is decision
    return out


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(sessions, min_size=1, max_size=20), now=instants, other=windows)
@example(  # an instant on every start and on every end: start inclusive, end exclusive
    rows=[{"display": Window(GRID[2], GRID[4]), "access": Window(GRID[2], GRID[4]),
           "coach": Window(None, None), "policy": "closed", "duration_days": None,
           "learners": None},
          {"display": Window(GRID[0], GRID[2]), "access": Window(GRID[0], GRID[2]),
           "coach": Window(GRID[2], None), "policy": "read_only", "duration_days": 5,
           "learners": Window(GRID[1], GRID[3])},
          {"display": Window(GRID[0], GRID[2]), "access": Window(GRID[0], GRID[2]),
           "coach": Window(None, None), "policy": "open", "duration_days": None,
           "learners": Window(GRID[1], None)}],
    now=GRID[2], other=Window(GRID[2], GRID[2]),
)
def test_sql_forms_select_what_python_decides(app, make_user, rows, now, other):
    coach = _coach(make_user)
    drawn = [_session(number, coach.id, row) for number, row in enumerate(rows)]
    db.session.add_all(drawn)
    db.session.flush()  # one transaction, rolled back below: examples do not see each other
    try:
        conditions = _conditions(now, other)
        keys = list(conditions)
        selected = db.session.execute(
            select(TrainingSession.id,
                   *[case((conditions[key], 1), else_=0) for key in keys])
            .where(TrainingSession.id.in_([session.id for session in drawn]))
        ).all()
        in_sql = {key: {row[0] for row in selected if row[i + 1]} for i, key in enumerate(keys)}
        in_python = {key: set() for key in keys}
        for session, row in zip(drawn, rows, strict=True):
            for key, holds in _expected(SessionRules.of(session), row, now, other).items():
                if holds:
                    in_python[key].add(session.id)
        assert len(selected) == len(drawn)
        for key in keys:
            assert in_sql[key] == in_python[key], key
    finally:
        db.session.rollback()


def _coach(make_user) -> User:
    """The one coach every drawn session needs, made by the first example."""
    return db.session.scalar(select(User).where(User.username == "drawer")) or make_user(
        "drawer")


def _not_empty(window: Window) -> bool:
    return window.start is None or window.end is None or window.start < window.end


@given(window=windows.filter(_not_empty), other=windows.filter(_not_empty))
def test_overlaps_means_an_instant_in_both(window, other):
    """``Window.overlaps``, the reference for its SQL form, against its meaning: bounds are
    on the grid, so any shared stretch holds a grid instant (or the one before it)."""
    points = [BASE - timedelta(hours=1), *GRID]
    shared = any(window.status(t) is Status.CURRENT and other.status(t) is Status.CURRENT
                 for t in points)
    assert window.overlaps(other) is shared
