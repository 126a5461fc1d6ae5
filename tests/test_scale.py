"""The scale data set at a small factor: what it holds, and the pages the benchmark
(bench/pages.py) measures costing the same few queries at two sizes.

Timings are the benchmark's business, never asserted here.
"""

from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, distinct, func, select, text

from portal import clock
from portal.domain import enrolment, journal
from portal.domain.csv_import import apply, preview, read_csv
from portal.domain.sessions import delete_session
from portal.domain.tracking_charts import (
    chart_days,
    chart_series,
    daily_active_learners,
    grade_distribution,
    hand_ins_per_day,
)
from portal.domain.tracking_table import tracking_scope
from portal.extensions import db
from portal.models import (
    AccessEvent,
    ClassMembership,
    Enrolment,
    Grade,
    JournalEntry,
    OutboxMessage,
    Submission,
    TrainingSession,
    User,
    UserClass,
)
from portal.tools.scale_data import (
    BIG_SESSION,
    BUSY_LEARNER,
    GRADING_SESSION,
    PASSWORD,
    Plan,
    generate,
)
from tests.helpers import bench_module

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def _bench_pages():
    """bench/pages.py as a module: the tests count the queries of its very pages."""
    return bench_module("pages")


@pytest.fixture
def scale(app, frozen_now):
    """generate(factor) into the test database, at the frozen NOW."""

    def build(factor):
        counts = generate(db.engine, clock.now(), factor=factor)
        db.session.expire_all()
        return counts

    return build


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _wrong_learner_counts() -> list[int]:
    """Sessions whose learner_count differs from their enrolments (should be none)."""
    counted = (select(func.count()).where(Enrolment.session_id == TrainingSession.id)
               .correlate(TrainingSession).scalar_subquery())
    return list(db.session.scalars(
        select(TrainingSession.id).where(TrainingSession.learner_count != counted)))


def _empty_database():
    from portal.models import Base

    db.session.remove()
    with db.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


def test_generator_counts_and_invariants(scale):
    counts = scale(0.01)
    plan = Plan.scaled(0.01)
    assert counts["training_session"] == _count(TrainingSession) == plan.sessions == 100
    assert counts["user"] == _count(User) == plan.users == 500
    assert counts["enrolment"] == _count(Enrolment) == plan.enrolments == 10_000
    assert counts["access_event"] == _count(AccessEvent) == plan.events == 20_000
    assert counts["submission"] == _count(Submission) >= plan.submissions
    assert counts["grade"] == _count(Grade) > 0
    assert counts["course"] == plan.courses and counts["user_class"] == plan.classes

    # Every enrolment, submission and access event points at rows that exist.
    for model in (Enrolment, Submission, AccessEvent):
        orphans = db.session.scalar(
            select(func.count()).select_from(model)
            .outerjoin(TrainingSession, TrainingSession.id == model.session_id)
            .outerjoin(User, User.id == model.user_id)
            .where((TrainingSession.id.is_(None)) | (User.id.is_(None))))
        assert orphans == 0, model.__name__
    # No pair twice, and only learners are enrolled.
    assert db.session.scalar(
        select(func.count()).select_from(Enrolment).join(User, User.id == Enrolment.user_id)
        .where(User.role != "learner", User.username != BUSY_LEARNER)) == 0

    def learners_of(name):
        return db.session.scalar(select(TrainingSession.learner_count)
                                 .where(TrainingSession.name == name))

    busy = db.session.scalar(select(User.id).where(User.username == BUSY_LEARNER))
    assert db.session.scalar(select(func.count()).where(Enrolment.user_id == busy)) == \
        plan.busy_sessions
    assert learners_of(BIG_SESSION) == plan.big_session
    assert learners_of(GRADING_SESSION) == plan.grading_learners
    grading = db.session.scalar(select(TrainingSession).where(
        TrainingSession.name == GRADING_SESSION))
    assert grading.access_end < NOW < grading.coach_end  # learners out, coaches in
    hand_ins = db.session.execute(
        select(Submission.user_id, func.count()).where(Submission.session_id == grading.id)
        .group_by(Submission.user_id)).all()
    assert len(hand_ins) == plan.grading_learners and {n for _, n in hand_ins} == {5}
    assert db.session.scalar(select(User.role).where(User.username == "scaleadmin")) == "admin"
    assert grading.coach.username == "scalecoach"
    # The triggers counted every bulk-loaded enrolment.
    assert _wrong_learner_counts() == []

    # The history: each session created, then its learners enrolled by one import (a
    # head and an item per learner, as History shows them); welcome messages went out.
    assert counts["journal_entry"] == _count(JournalEntry) == \
        plan.sessions + db.session.scalar(select(func.count(distinct(Enrolment.session_id)))) \
        + plan.enrolments
    assert counts["outbox_message"] == _count(OutboxMessage) == plan.messages
    item = db.session.scalar(select(JournalEntry).where(JournalEntry.object_type == "enrolment")
                             .order_by(JournalEntry.id).limit(1))
    head = db.session.get(JournalEntry, item.parent_id)
    assert (head.object_type, head.action, head.session_id) == \
        ("enrolments", "change", item.session_id)
    assert head.after["added"] == learners_of(head.session_label)
    assert item.after == {"how": "import", "file": f"session-{item.session_id}.csv"}
    assert journal.sentence(head, UTC) == (
        f"Scale Admin enrolled {head.after['added']:,} learners in {head.session_label} "
        f"by importing session-{item.session_id}.csv")


def test_the_generator_refuses_a_database_with_users(scale):
    scale(0.002)
    with pytest.raises(RuntimeError, match="empty database"):
        generate(db.engine, NOW, factor=0.002)


def test_learner_counts_stay_exact_whatever_changes_the_enrolments(scale):
    scale(0.005)
    sessions = list(db.session.scalars(select(TrainingSession.id).order_by(TrainingSession.id)))
    learners = list(db.session.scalars(
        select(User.id).where(User.role == "learner").order_by(User.id)))
    session_id = sessions[5]

    enrolment.enrol_users(db.session, session_id, learners[:30], "individual", by=journal.SYSTEM,
                          now=NOW)
    enrolment.unenrol_user(db.session, session_id, learners[0], by=journal.SYSTEM, now=NOW)
    team = UserClass(name="Scale team", description="")
    db.session.add(team)
    db.session.flush()
    db.session.add_all([ClassMembership(class_id=team.id, user_id=u) for u in learners[-20:]])
    enrolment.link_class(db.session, session_id, team.id, by=journal.SYSTEM, now=NOW)
    db.session.commit()
    assert _wrong_learner_counts() == []

    enrolment.unlink_class(db.session, session_id, team.id, by=journal.SYSTEM, now=NOW)
    names = dict(db.session.execute(select(User.id, User.username)).all())
    session_names = dict(db.session.execute(select(TrainingSession.id, TrainingSession.name)).all())
    lines = ["username,session,action"]
    lines += [f"{names[u]},{session_names[s]},add" for s in sessions[:10] for u in learners[:15]]
    lines += [f"{names[u]},{session_names[sessions[20]]},remove" for u in learners[15:40]]
    result = preview(db.session, read_csv("\n".join(lines).encode(), session_required=True))
    apply(db.session, result, file_name="scale.csv", valid_rows_only=True, by=journal.SYSTEM,
          now=NOW)
    db.session.commit()
    assert _wrong_learner_counts() == []

    # Cascades: a deleted user leaves every session, a deleted session takes its rows.
    db.session.execute(delete(User).where(User.id.in_(learners[:3])))
    delete_session(db.session, db.session.get(TrainingSession, sessions[6]),
                   by=journal.SYSTEM, now=clock.now())
    db.session.commit()
    assert _wrong_learner_counts() == []
    total = db.session.scalar(select(func.sum(TrainingSession.learner_count)))
    assert total == _count(Enrolment)


def test_the_charts_query_gives_what_the_three_chart_queries_give(scale):
    scale(0.01)
    grading = db.session.scalar(select(TrainingSession).where(
        TrainingSession.name == GRADING_SESSION))
    scope = tracking_scope(db.session, grading.id, grading.coach_id, sees_all=True)
    from zoneinfo import ZoneInfo

    days = chart_days(grading.access_start, grading.access_end, NOW, ZoneInfo("Europe/Paris"))
    together = chart_series(db.session, grading.id, scope, days)
    assert together == (daily_active_learners(db.session, grading.id, scope, days),
                        hand_ins_per_day(db.session, grading.id, scope, days),
                        grade_distribution(db.session, grading.id, scope))
    assert sum(together[1]) and sum(together[2])


def _activity(client, rows=300):
    """What a day of work leaves, so History, the Outbox and the import job pages have
    rows: scaleadmin imports bench/import_bench.py's file of the scale data (welcome
    messages on) through the pages and the worker, as a big import runs."""
    import io

    from sqlalchemy import update

    from tests.helpers import run_jobs

    import_bench = _bench_pages().import_bench
    data, session_ids = import_bench.scale_file(db.session, rows)
    db.session.execute(update(TrainingSession).where(TrainingSession.id.in_(session_ids))
                       .values(welcome_message=True))
    db.session.commit()
    client.login("scaleadmin", PASSWORD)
    assert client.post("/admin/import", {"file": (io.BytesIO(data), "day.csv")},
                       content_type="multipart/form-data").status_code in (200, 302, 303)
    [preview_job] = run_jobs()
    page = client.get(f"/admin/import/jobs/{preview_job}").data
    form = {name: import_bench._form_value(page, name)
            for name in ("token", "signature", "create_accounts")}
    assert form["token"]
    client.post("/admin/import/apply", {**form, "valid_rows_only": "y"})
    assert len(run_jobs()) == 1  # the apply (its welcome messages are queued with it)
    client.logout()


def _queries_per_page(client, count_queries) -> dict[str, int]:
    pages = _bench_pages()
    ids = pages.find_ids(db.session)
    chosen = pages.scenarios(ids, clock.now().date())
    secret, _ = pages.api_token(db.session, clock.now())
    counts = {}
    user = None
    for scenario in sorted(chosen, key=lambda s: s.user):  # one login per user
        if scenario.user != user and scenario.user != pages.API:
            client.logout()
            client.login(scenario.user, PASSWORD)
        user = scenario.user
        headers = {"HX-Request": "true"} if scenario.htmx else {}
        if scenario.user == pages.API:
            headers["Authorization"] = f"Bearer {secret}"
        assert client.get(scenario.url, headers=headers).status_code == 200, \
            scenario.name  # warm-up
        with count_queries() as counter:
            response = client.get(scenario.url, headers=headers)
            response.get_data()  # an export writes its rows as it is read
        assert response.status_code == 200, scenario.name
        counts[scenario.name] = counter.count
    assert len(counts) == len(chosen)  # no two scenarios of one name
    return counts


def test_benchmarked_pages_cost_the_same_few_queries_at_two_sizes(scale, client, count_queries,
                                                                  monkeypatch):
    from portal.domain import jobs

    monkeypatch.setattr(jobs, "JOB_ROWS", 100)  # the day's import runs as a job, as a big one
    # At 0.01 and above every page has rows (below, the busy learner's upcoming
    # tab can be empty, and an empty tab skips the query of its cards).
    scale(0.01)
    _activity(client)
    small = _queries_per_page(client, count_queries)
    _empty_database()
    scale(0.02)
    _activity(client)
    big = _queries_per_page(client, count_queries)
    assert small == big
    # Every page the benchmark knows is there, the one-row pages of the day's work too.
    assert {"import job page", "outbox: a message", "history: undo question"} <= set(big)
    # The most: the learner's session page (its courses, assignments, hand-ins and dates
    # of each, the visit it records) and the grading grid.
    assert max(big.values()) <= 12, big
    if db.engine.dialect.name == "sqlite":  # the statistics the generator gathered
        assert db.session.execute(text("SELECT count(*) FROM sqlite_stat1")).scalar()


@pytest.mark.parametrize(("page", "shown"), [(1, 1), (2, 2), (999, 20)])
def test_learner_search_counts_in_its_page_query_and_clamps_past_the_end(scale, client, page,
                                                                         shown):
    scale(0.01)
    big = db.session.scalar(select(TrainingSession.id).where(
        TrainingSession.name == BIG_SESSION))
    # Every generated e-mail is @example.org: the search matches all 490 learners.
    client.login("scaleadmin", PASSWORD)
    soup = client.get_page(f"/admin/sessions/{big}/learners?q=example.org&page={page}",
                           headers={"HX-Request": "true"})
    last = page == 999  # 490 learners: 19 pages of 25 and one of 15
    assert len(soup.select("tbody tr")) == (15 if last else 25)
    assert soup.select_one(".pagination a[aria-current=page]").text == ("20" if last
                                                                         else str(shown))
    assert soup.select_one(".count").text == ("476–490 of 490" if last
                                              else f"{page * 25 - 24}–{page * 25} of 490")
    empty = client.get_page(f"/admin/sessions/{big}/learners?q=nobody-at-all",
                            headers={"HX-Request": "true"})
    assert "No learner matches" in empty.text
