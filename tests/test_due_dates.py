"""Due dates as rules: a learner's due moment, its words, late hand-ins, the form's reading."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from portal.domain.access import LearnerFacts, SessionRules, Window
from portal.domain.dates import YEAR_OUT_OF_RANGE
from portal.domain.due_dates import (
    DATE_MISSING,
    DAYS_RANGE,
    KIND_UNKNOWN,
    DueRule,
    TypedDue,
    due_text,
    due_words,
    is_late,
    late_words,
    learner_due,
    learner_due_view,
    read_due_form,
    rule_words,
    typed_of,
)

PARIS = ZoneInfo("Europe/Paris")
START = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
END = datetime(2027, 1, 31, 23, 0, tzinfo=UTC)  # midnight in Paris: the whole of 31 Jan
FIXED_DUE = datetime(2026, 12, 10, 16, 0, tzinfo=UTC)  # 17:00 in Paris
FIXED_RULES = SessionRules(access=Window(START, END), coach=None, after_end_policy="read_only")
NO_START_RULES = SessionRules(access=Window(None, END), coach=None, after_end_policy="read_only")
DURATION_RULES = SessionRules(access=Window(None, None), coach=None,
                              after_end_policy="read_only", duration_days=30)
NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
FIRST_VISIT = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)
FIXED = DueRule(1, due_at=FIXED_DUE)
SEVEN_DAYS = DueRule(2, due_days=7)


@pytest.mark.parametrize(("rule", "rules", "facts", "expected"), [
    # Fixed: the moment itself; an extension moves it by the same days.
    (FIXED, FIXED_RULES, LearnerFacts(), FIXED_DUE),
    (FIXED, FIXED_RULES, LearnerFacts(extension_days=5), FIXED_DUE + timedelta(days=5)),
    (FIXED, DURATION_RULES, LearnerFacts(FIRST_VISIT, 3), FIXED_DUE + timedelta(days=3)),
    # Relative: from the learner's own access start.
    (SEVEN_DAYS, FIXED_RULES, LearnerFacts(), START + timedelta(days=7)),
    (SEVEN_DAYS, FIXED_RULES, LearnerFacts(extension_days=5), START + timedelta(days=12)),
    (SEVEN_DAYS, DURATION_RULES, LearnerFacts(FIRST_VISIT), FIRST_VISIT + timedelta(days=7)),
    (SEVEN_DAYS, DURATION_RULES, LearnerFacts(FIRST_VISIT, 2),
     FIRST_VISIT + timedelta(days=9)),
    # Duration mode, never came: the days would start now, as their window does.
    (SEVEN_DAYS, DURATION_RULES, LearnerFacts(), NOW + timedelta(days=7)),
    # An individual window: its own start.
    (SEVEN_DAYS, FIXED_RULES, LearnerFacts(own_start=START + timedelta(days=20)),
     START + timedelta(days=27)),
    (SEVEN_DAYS, DURATION_RULES, LearnerFacts(FIRST_VISIT, own_start=START),
     START + timedelta(days=7)),
    # An individual window that leaves the start unset keeps the session's.
    (SEVEN_DAYS, FIXED_RULES, LearnerFacts(own_end=END + timedelta(days=9)),
     START + timedelta(days=7)),
    # No start at all: "7 days after" nothing is no moment.
    (SEVEN_DAYS, NO_START_RULES, LearnerFacts(), None),
    (None, FIXED_RULES, LearnerFacts(), None),
])
def test_the_learners_due_moment(rule, rules, facts, expected):
    assert learner_due(rule, rules, facts, NOW) == expected


def test_a_huge_extension_stays_a_moment():
    far = learner_due(FIXED, FIXED_RULES, LearnerFacts(extension_days=3650), NOW)
    assert far == FIXED_DUE + timedelta(days=3650)
    near_the_end = DueRule(1, due_at=datetime(9999, 12, 1, tzinfo=UTC))
    assert learner_due(near_the_end, FIXED_RULES, LearnerFacts(extension_days=3650), NOW).year \
        == 9999


@pytest.mark.parametrize(("due", "expected"), [
    (datetime(2026, 12, 8, 16, 0, tzinfo=UTC), "due in 3 days"),
    (datetime(2026, 12, 6, 16, 0, tzinfo=UTC), "due tomorrow at 17:00"),
    (datetime(2026, 12, 6, 23, 0, tzinfo=UTC), "due tomorrow"),  # by the end of 6 Dec
    (datetime(2026, 12, 5, 16, 0, tzinfo=UTC), "due today at 17:00"),
    (datetime(2026, 12, 5, 23, 0, tzinfo=UTC), "due today"),  # by the end of today
    (datetime(2026, 12, 5, 8, 0, tzinfo=UTC), "was due today at 09:00"),
    (datetime(2026, 12, 4, 16, 0, tzinfo=UTC), "due yesterday"),
    (datetime(2026, 12, 4, 23, 0, tzinfo=UTC), "due yesterday"),  # the whole of 4 Dec
    (datetime(2026, 11, 30, 16, 0, tzinfo=UTC), "was due 5 days ago"),
])
def test_due_words_count_the_viewers_calendar_days(due, expected):
    assert due_words(due, NOW, PARIS) == expected


def test_due_text_reads_a_day_alone_as_its_last_day():
    assert due_text(datetime(2026, 12, 3, 23, 0, tzinfo=UTC), PARIS) == "3 Dec 2026"
    assert due_text(FIXED_DUE, PARIS) == "10 Dec 2026 at 17:00"


def test_late_is_at_or_after_the_due_moment():
    assert not is_late(FIXED_DUE - timedelta(seconds=1), FIXED_DUE)
    assert is_late(FIXED_DUE, FIXED_DUE)
    assert not is_late(None, FIXED_DUE)
    assert not is_late(FIXED_DUE, None)
    assert late_words(FIXED_DUE + timedelta(days=2, hours=3), FIXED_DUE) == "2 days late"
    assert late_words(FIXED_DUE + timedelta(hours=3), FIXED_DUE) == "3 hours late"


def test_rule_words_for_staff():
    assert rule_words(FIXED, PARIS) == "Due 10 Dec 2026 at 17:00"
    assert rule_words(SEVEN_DAYS, PARIS) == "Due 7 days after each learner's access start"
    assert rule_words(DueRule(3, due_days=1), PARIS) == \
        "Due 1 day after each learner's access start"


def test_what_the_learner_reads():
    before = learner_due_view(FIXED, FIXED_RULES, LearnerFacts(), None, NOW, PARIS)
    assert (before.text, before.words, before.late) == \
        ("Due 10 Dec 2026 at 17:00", "due in 5 days", "")
    late = learner_due_view(FIXED, FIXED_RULES, LearnerFacts(),
                            FIXED_DUE + timedelta(days=2), NOW, PARIS)
    assert (late.words, late.late) == ("", "Handed in 2 days late")
    extended = learner_due_view(FIXED, FIXED_RULES, LearnerFacts(extension_days=5),
                                FIXED_DUE + timedelta(days=2), NOW, PARIS)
    assert extended.text == "Due 15 Dec 2026 at 17:00" and extended.late == ""
    no_start = learner_due_view(SEVEN_DAYS, NO_START_RULES, LearnerFacts(), None, NOW, PARIS)
    assert no_start.due is None and no_start.text == "Due 7 days after your access starts"
    assert learner_due_view(None, FIXED_RULES, LearnerFacts(), None, NOW, PARIS) is None


# --- reading the admin's form ------------------------------------------------------


def read(**form):
    return read_due_form(form, [1], PARIS)


def test_form_reads_each_kind():
    assert read(kind_1="none", at_1="junk")[1:] == ({1: None}, {})
    assert read()[1:] == ({1: None}, {})
    _, values, errors = read(kind_1="fixed", at_1="2026-12-10 17:00")
    assert values == {1: DueRule(1, due_at=FIXED_DUE)} and errors == {}
    # A day alone is due by the end of that day, in the admin's zone.
    _, values, _ = read(kind_1="fixed", at_1="2026-12-10")
    assert values[1].due_at == datetime(2026, 12, 10, 23, 0, tzinfo=UTC)
    _, values, _ = read(kind_1="relative", days_1=" 14 ")
    assert values == {1: DueRule(1, due_days=14)}


@pytest.mark.parametrize(("form", "field", "message"), [
    ({"kind_1": "fixed", "at_1": ""}, "at_1", DATE_MISSING),
    ({"kind_1": "fixed", "at_1": "tomorrow"}, "at_1", None),
    ({"kind_1": "fixed", "at_1": "0001-01-01"}, "at_1", YEAR_OUT_OF_RANGE),
    ({"kind_1": "fixed", "at_1": "9999-12-31 23:59"}, "at_1", YEAR_OUT_OF_RANGE),
    ({"kind_1": "fixed", "at_1": "2027-03-28 02:30"}, "at_1", None),  # skipped in Paris
    ({"kind_1": "fixed", "at_1": "x" * 10_000}, "at_1", None),
    ({"kind_1": "relative", "days_1": "-3"}, "days_1", DAYS_RANGE),
    ({"kind_1": "relative", "days_1": "0"}, "days_1", DAYS_RANGE),
    ({"kind_1": "relative", "days_1": "3651"}, "days_1", DAYS_RANGE),
    ({"kind_1": "relative", "days_1": "9" * 400}, "days_1", DAYS_RANGE),
    ({"kind_1": "relative", "days_1": "2.5"}, "days_1", DAYS_RANGE),
    ({"kind_1": "relative", "days_1": "٣"}, "days_1", DAYS_RANGE),  # not an ASCII digit
    ({"kind_1": "relative"}, "days_1", DAYS_RANGE),
    ({"kind_1": "sometime"}, "kind_1", KIND_UNKNOWN),
])
def test_form_refuses_bad_input_with_a_field_message(form, field, message):
    _, values, errors = read(**form)
    assert list(errors) == [field]
    assert errors[field] == message or (message is None and errors[field])
    assert 1 not in values


def test_form_shows_back_the_rules_in_place():
    typed = typed_of({1: FIXED, 2: SEVEN_DAYS}, [1, 2, 3], PARIS)
    assert typed == {1: TypedDue("fixed", "2026-12-10 17:00"), 2: TypedDue("relative", days="7"),
                     3: TypedDue()}
    whole_day = typed_of({1: DueRule(1, due_at=datetime(2026, 12, 10, 23, 0, tzinfo=UTC))},
                         [1], PARIS)
    assert whole_day[1].at == "2026-12-10"
    assert read_due_form({"kind_1": "fixed", "at_1": whole_day[1].at}, [1], PARIS)[1][1] \
        .due_at == datetime(2026, 12, 10, 23, 0, tzinfo=UTC)
