"""Demo data: a small, realistic portal to click through, loaded by ``flask demo``.

Everything here is demo-only, passwords included: they are public on purpose.
The demo logins are listed in ``DEMO_LOGINS``; every other demo user's password
is ``demo-shared-2026``.

Dates are relative to the moment of loading, so the demo always has past,
current and upcoming sessions. The content is fixed by the tables below and by
``random.Random(2026)``: two loads plan exactly the same rows.
"""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import insert, select

from .. import clock
from ..domain import due_dates, enrolment, journal, learner_dates, notify
from ..domain.dates import zone
from ..domain.passwords import hash_password
from ..domain.sessions import course_label
from ..domain.users import label as user_label
from ..models import (
    AccessEvent,
    AfterEndPolicy,
    Assignment,
    ClassMembership,
    Course,
    Enrolment,
    EnrolmentSource,
    Grade,
    PlatformRole,
    SessionCategory,
    SessionClass,
    SessionCourse,
    SessionCourseCoach,
    Submission,
    TrainingSession,
    User,
    UserClass,
)

# --- who logs in ------------------------------------------------------------

#: (role description, username, password) of the accounts to try the demo with.
DEMO_LOGINS: list[tuple[str, str, str]] = [
    ("Administrator", "admin", "demo-admin-2026"),
    ("Session coach", "coach", "demo-coach-2026"),
    ("Course coach", "teacher", "demo-teacher-2026"),
    ("Learner", "learner", "demo-learner-2026"),
    ("Learner (via a class)", "learner2", "demo-learner2-2026"),
]

SHARED_PASSWORD = "demo-shared-2026"  # noqa: S105 - public demo password, see the docstring

# (username, first name, last name, platform role) of the people with a fixed part to play.
NAMED_USERS = [
    ("admin", "Nadia", "Okafor", PlatformRole.ADMIN),
    ("coach", "Marc", "Lefèvre", PlatformRole.TEACHER),
    ("teacher", "Priya", "Raman", PlatformRole.TEACHER),
    ("hannah.becker", "Hannah", "Becker", PlatformRole.TEACHER),
    ("omar.haddad", "Omar", "Haddad", PlatformRole.TEACHER),
    ("grace.mensah", "Grace", "Mensah", PlatformRole.TEACHER),
    ("tomas.novak", "Tomáš", "Novák", PlatformRole.TEACHER),
    ("learner", "Lucas", "Moreau", PlatformRole.LEARNER),
    ("learner2", "Sofia", "Rossi", PlatformRole.LEARNER),
]

# Other learners get a first and a last name drawn from these.
GENERIC_LEARNERS = 51
FIRST_NAMES = [
    "Aisha", "Ben", "Camille", "Daniel", "Elena", "Finn", "Gabriel", "Hiroshi", "Inès", "Jakob",
    "Kemi", "Leo", "Maya", "Noah", "Olivia", "Pablo", "Quentin", "Rania", "Sam", "Tara",
    "Ulla", "Victor", "Wen", "Yara", "Zoé", "Anouk", "Bruno", "Clara", "David", "Emma",
]
LAST_NAMES = [
    "Adeyemi", "Bernard", "Castillo", "Dubois", "Eriksen", "Fischer", "García", "Hansen",
    "Ivanova", "Jansen", "Kowalski", "Laurent", "Müller", "Nakamura", "O'Brien", "Petit",
    "Quinn", "Richter", "Silva", "Tanaka", "Urban", "Van Dijk", "Weber", "Yilmaz", "Zhang",
]

# --- what is taught ---------------------------------------------------------

CATEGORIES = ["Onboarding", "Leadership", "Compliance", "2026 Autumn"]


@dataclass(frozen=True)
class CoursePlan:
    code: str
    title: str
    description: str
    # (title, instructions, max score)
    assignments: tuple[tuple[str, str, int], ...]


COURSES = [
    CoursePlan(
        "ONB-101", "Your First Weeks: Tools and Ways of Working",
        "Everything a newcomer needs in the first month:\n\n"
        "- the tools we use every day and how to get access\n"
        "- how work is planned, reviewed and shipped\n"
        "- who to ask, and where answers are written down",
        (
            ("Set up your workspace", "List the tools you installed and anything that "
             "blocked you. One line per tool is enough.", 10),
            ("Map your team", "Draw (or describe) who does what in your team and which "
             "other teams you depend on.", 20),
        ),
    ),
    CoursePlan(
        "ONB-110", "Customer Support Fundamentals",
        "How we answer customers: **tone**, ticket triage, escalation paths and the "
        "knowledge base. Built around real (anonymised) tickets.",
        (
            ("Rewrite a difficult reply", "Take the ticket in the course material and write "
             "the reply you would send. Keep it under 200 words.", 20),
            ("Triage ten tickets", "Give each ticket a priority and a queue, with one "
             "sentence of reasoning.", 100),
            ("Escalation quiz", "Answer the ten questions on when and how to escalate.", 10),
        ),
    ),
    CoursePlan(
        "LDR-201", "Leadership Foundations",
        "For new team leads. Setting direction, delegating, running one-to-ones and "
        "making decisions the team understands.\n\n"
        "> Leadership is a practice, not a title.",
        (
            ("Your leadership baseline", "Describe a recent situation where you led without "
             "authority. What worked, what would you change?", 20),
            ("Delegation plan", "Pick three tasks you still do yourself and write how you "
             "would hand each one over.", 100),
        ),
    ),
    CoursePlan(
        "LDR-220", "Leading Remote and Hybrid Teams",
        "Rituals, written communication and trust when the team is not in one room. "
        "Includes templates for async stand-ups and decision records.",
        (
            ("Audit your meetings", "List your team's recurring meetings and mark which "
             "could become written updates.", 20),
            ("Write a decision record", "Use the template to record one real decision your "
             "team made this month.", 100),
            ("Team charter draft", "Draft a one-page charter: working hours, channels, "
             "response times.", 20),
        ),
    ),
    CoursePlan(
        "LDR-230", "Giving and Receiving Feedback",
        "Practical models (SBI, feedforward) and a lot of practice. Bring a real "
        "conversation you have been postponing.",
        (
            ("Prepare a conversation", "Write the opening of a feedback conversation using "
             "the Situation-Behaviour-Impact model.", 10),
            ("Reflect on feedback received", "Describe feedback you received that changed "
             "how you work, and why it landed.", 20),
        ),
    ),
    CoursePlan(
        "CMP-301", "GDPR Essentials",
        "The principles of the GDPR applied to everyday work: lawful basis, data "
        "minimisation, subject access requests and breaches.",
        (
            ("Lawful basis exercise", "For each of the five scenarios, name the lawful basis "
             "and justify it in one sentence.", 20),
            ("Final assessment", "Twenty questions; a score of 80 or more passes.", 100),
        ),
    ),
    CoursePlan(
        "CMP-310", "Information Security Awareness",
        "Phishing, passwords and password managers, device hygiene and how to report "
        "an incident. Self-paced.",
        (
            ("Spot the phish", "Mark which of the eight e-mails are phishing and point to "
             "the tell-tale sign.", 10),
            ("Incident report", "Write the report you would file for the scenario in "
             "module 4.", 20),
        ),
    ),
    CoursePlan(
        "CMP-320", "Anti-Bribery and Business Ethics",
        "Gifts, hospitality, conflicts of interest and what to do when something "
        "feels wrong.",
        (
            ("Gifts and hospitality cases", "Decide for each case whether to accept, "
             "decline or declare, and why.", 20),
            ("Ethics certification", "The yearly certification quiz.", 100),
        ),
    ),
    CoursePlan(
        "PM-150", "Project Management Basics",
        "Scoping, planning, risks and stakeholders for people who run projects "
        "alongside their day job.",
        (
            ("Project charter", "Write the charter of a project you are running or will run: "
             "goal, scope, out of scope, stakeholders.", 100),
            ("Risk register", "List five risks with likelihood, impact and a response.", 20),
        ),
    ),
    CoursePlan(
        "DATA-180", "Data Literacy for Decision Makers",
        "Reading charts critically, asking good questions of data, and knowing when "
        "a number is not the answer.",
        (
            ("Critique a dashboard", "Pick a dashboard you use and list three ways it could "
             "mislead.", 20),
            ("Frame a question", "Turn a vague request into a question data can answer.", 10),
            ("Decision memo", "A one-page memo recommending a decision, with the evidence "
             "and its limits.", 100),
        ),
    ),
    CoursePlan(
        "AGL-160", "Agile Delivery in Practice",
        "Iterations, backlogs and retrospectives without the ceremony: what helps a "
        "team ship, and what only looks busy.",
        (
            ("Slice a feature", "Split the feature in the brief into stories that each "
             "deliver value.", 20),
            ("Run a retrospective", "Run one with your team and write up what changed.", 100),
        ),
    ),
]

# --- who is grouped how -----------------------------------------------------

# (class name, description, number of generic learners); classes do not overlap.
CLASSES = [
    ("Customer Support — Lyon", "The Lyon support desk.", 12),
    ("Sales — Lyon", "Account executives and sales assistants in Lyon.", 10),
    ("Team Leads 2026", "Everyone who became a team lead this year.", 14),
]
# Named learners who belong to a class (so one login shows a class enrolment).
CLASS_EXTRAS = {"Customer Support — Lyon": ["learner2"]}

# --- the sessions -----------------------------------------------------------


@dataclass(frozen=True)
class SessionPlan:
    name: str
    category: str
    coach: str  # username of the session coach
    courses: tuple[tuple[str, tuple[str, ...]], ...]  # (course code, its course coaches)
    # Learner access in days from today (start, end); None for duration mode.
    access_days: tuple[int, int] | None
    duration_days: int | None = None
    policy: AfterEndPolicy = AfterEndPolicy.READ_ONLY
    coach_extra_days: int = 14  # the coach window ends this long after learner access
    display_weeks_after: int | None = None  # display ends this long after the coach window
    learners: tuple[str, ...] = ()  # named learners, enrolled individually
    individuals: int = 0  # generic learners drawn at random, enrolled individually
    classes: tuple[str, ...] = ()
    graded_share: float = 0.8  # share of hand-ins the coach has graded
    description: str = ""
    # The session sends every kind of message (welcome with invitation, reminders 3 and 7
    # days before the ends, graded work); its welcomes are queued when the demo loads.
    messages: bool = False


SESSIONS = [
    # Past
    SessionPlan(
        "Leadership Foundations — Spring Cohort", "Leadership", "coach",
        (("LDR-201", ("hannah.becker",)), ("LDR-230", ("hannah.becker",))),
        access_days=(-120, -56), coach_extra_days=21, display_weeks_after=8,
        learners=("learner",), individuals=10, graded_share=1.0,
        description="Eight weeks for new team leads, with a one-to-one after each module.",
    ),
    SessionPlan(
        "GDPR Essentials — Q3", "Compliance", "omar.haddad",
        (("CMP-301", ("omar.haddad",)),),
        access_days=(-90, -28), policy=AfterEndPolicy.CLOSED,
        individuals=16, graded_share=0.9,
        description="Mandatory for everyone handling customer data. Content closes at the end.",
    ),
    SessionPlan(
        "Customer Support Onboarding — Cohort 3", "Onboarding", "coach",
        (("ONB-101", ("grace.mensah",)), ("ONB-110", ("teacher", "grace.mensah"))),
        access_days=(-49, -6), coach_extra_days=21,
        learners=("learner",), individuals=2, classes=("Customer Support — Lyon",),
        # Just ended: the coach still has hand-ins to grade.
        graded_share=0.35,
        description="Six weeks from first login to handling the **full queue** on your own.",
    ),
    SessionPlan(
        "Project Management Basics — Cohort 2", "2026 Autumn", "tomas.novak",
        (("PM-150", ("tomas.novak",)),),
        access_days=(-84, -35), policy=AfterEndPolicy.OPEN,
        individuals=9,
        description="Stays open after the end as a reference for past participants.",
    ),
    # Current
    SessionPlan(
        "Information Security Awareness — Self-paced", "Compliance", "omar.haddad",
        (("CMP-310", ("omar.haddad",)),),
        access_days=None, duration_days=30,
        learners=("learner",), individuals=20, graded_share=0.7,
        description="Start whenever you like: you have **30 days** from your first visit.",
    ),
    SessionPlan(
        "Leading Remote Teams — Autumn", "Leadership", "coach",
        (("LDR-220", ("teacher",)), ("LDR-230", ("hannah.becker",))),
        access_days=(-21, 35), coach_extra_days=21,
        learners=("learner",), individuals=3, classes=("Team Leads 2026",), graded_share=0.6,
        description="For leads whose team spans several offices or time zones.",
    ),
    SessionPlan(
        "Data Literacy for Managers — Cohort 1", "2026 Autumn", "grace.mensah",
        (("DATA-180", ("teacher",)), ("PM-150", ("tomas.novak",))),
        access_days=(-7, 49), display_weeks_after=6,
        learners=("learner",), individuals=8, graded_share=0.5,
        description="Two courses, one case study: from a vague question to a decision memo.",
    ),
    SessionPlan(
        "Sales Onboarding — Lyon", "Onboarding", "grace.mensah",
        (
            ("ONB-101", ("grace.mensah",)),
            ("ONB-110", ("grace.mensah",)),
            ("CMP-320", ("omar.haddad",)),
        ),
        access_days=(-10, 20),
        individuals=3, classes=("Sales — Lyon",), graded_share=0.6,
        description="The Lyon sales team's first month, compliance included.",
    ),
    SessionPlan(
        "Giving Feedback That Lands", "Leadership", "hannah.becker",
        (("LDR-230", ("teacher", "hannah.becker")),),
        access_days=(-30, 5), display_weeks_after=4,
        individuals=14, graded_share=0.8,
        description="A short, practice-heavy session. Bring a real conversation.",
        messages=True,
    ),
    # Upcoming
    SessionPlan(
        "Leadership Foundations — Winter Cohort", "Leadership", "coach",
        (
            ("LDR-201", ("hannah.becker",)),
            ("LDR-220", ("teacher",)),
            ("LDR-230", ("hannah.becker",)),
        ),
        access_days=(3, 60), coach_extra_days=21,
        learners=("learner",), individuals=10,
        description="The next cohort of Leadership Foundations.",
        messages=True,
    ),
    SessionPlan(
        "Anti-Bribery and Ethics — Year-End", "Compliance", "omar.haddad",
        (("CMP-320", ("omar.haddad",)), ("CMP-301", ("omar.haddad",))),
        access_days=(14, 45),
        individuals=6, classes=("Sales — Lyon",),
        description="The yearly certification, due before the end of the year.",
    ),
    SessionPlan(
        "Agile Delivery in Practice — Cohort 1", "2026 Autumn", "tomas.novak",
        (("AGL-160", ("tomas.novak",)), ("PM-150", ("tomas.novak",))),
        access_days=(30, 90), display_weeks_after=None,
        individuals=9,
        description="Hands-on: your own team's backlog is the course material.",
    ),
]

# --- what learners hand in and coaches say ----------------------------------

ANSWERS = [
    "I went through the material twice and applied it to my current work. My main "
    "points:\n\n1. Start from the outcome, not the task.\n2. Write things down early.\n"
    "3. Ask for feedback before it feels ready.",
    "Here is my answer. I was not sure about the second part, so I wrote down my "
    "reasoning as well — happy to discuss it in the next call.",
    "Short version: it worked better than expected. Long version below.\n\n"
    "We tried it with the team last week. Two people found it useful straight away, "
    "one needed more context. Next time I will share the why first.",
    "Attached in the text below, following the template from the course. I kept it "
    "to one page as asked.",
    "I found this one hard. I have answered what I could and flagged the parts where "
    "I would like a second opinion.",
    "Done. I compared my answer with a colleague's and we disagreed on one point, "
    "which I explain at the end.",
]
FEEDBACK = {
    "high": [
        "Excellent work — clear, specific and well argued.",
        "Very good. Your examples make the point better than the course does.",
    ],
    "mid": [
        "Good overall. Be more specific about the next steps.",
        "Solid answer; the second part needs a concrete example.",
    ],
    "low": [
        "A start, but it misses the main point of the exercise. Let's talk it through.",
        "Please revisit module 2 and try again; I've left notes on what is missing.",
    ],
}

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
COUNT_KEYS = [
    "users", "categories", "courses", "assignments", "classes", "class memberships",
    "sessions", "session courses", "course coaches", "class links", "enrolments",
    "submissions", "grades", "visits", "individual dates", "suspensions", "due dates",
]

# Individual dates the demo gives: (session, learner (a username, or the n-th learner of the
# session enrolled on their own, by username), extension days or (start, end) in days from
# today, reason). The demo learner's extension moves a session that just ended back to
# their Current tab.
INDIVIDUAL_DATES = [
    ("Customer Support Onboarding — Cohort 3", "learner", 10, "Medical leave in week 4"),
    ("Leading Remote Teams — Autumn", 0, (-14, 50), "Joined late; works on the Lyon shift"),
    ("Data Literacy for Managers — Cohort 1", 0, 7, "Parental leave"),
]
SUSPENSIONS = [
    ("Data Literacy for Managers — Cohort 1", 1, "Course fee not yet paid"),
]
# Due dates: (session, course code, for each of its assignments in order: days from today
# at 17:00 portal time (fixed), "+N" (N days after each learner's access start) or None).
DUE_DATES = [
    ("Leading Remote Teams — Autumn", "LDR-230", (-5, 3, 12)),
    ("Data Literacy for Managers — Cohort 1", "DATA-180", ("+7", "+21", None)),
]


# --- loading ----------------------------------------------------------------


def load_demo(db_session, now: datetime | None = None) -> dict[str, int]:
    """Load the demo data and return how many rows of each kind this call created.

    Idempotent: every row is looked up by its natural key and created only when
    missing, so a second call creates nothing (all counts zero). Rows that exist
    are left as they are, passwords included. Dates are relative to ``now``
    (aware; default ``portal.clock.now()``), days aligned to midnight in the
    portal's time zone. Commits once at the end. Needs an app context (password
    hashing and the portal zone).
    """
    now = clock.now() if now is None else now
    if now.tzinfo is None:
        raise ValueError("load_demo needs an aware datetime")
    now = now.astimezone(UTC)
    rng = random.Random(2026)
    loader = _Loader(db_session, now)

    users = _load_users(loader, rng)
    categories = {name: _load_category(loader, name) for name in CATEGORIES}
    courses = {plan.code: _load_course(loader, plan) for plan in COURSES}
    classes = _load_classes(loader, rng, users)
    for plan in SESSIONS:
        _load_session(loader, rng, plan, users, categories, courses, classes)
    loader.write_journal()
    _load_individual_dates(loader)
    db_session.commit()
    return loader.counts


class _Loader:
    """Find-or-create with counting, the clock and the password hashes of one load."""

    def __init__(self, db_session, now: datetime):
        self.db = db_session
        self.now = now
        self.counts = dict.fromkeys(COUNT_KEYS, 0)
        self.zone = zone(current_app.config["PORTAL_TIMEZONE"])
        self.today = now.astimezone(self.zone).date()
        self._hashes: dict[str, str] = {}
        self._journal: dict[tuple[str, str], list[dict]] = {}
        self.names: dict[tuple[type, int], str] = {}

    def find(self, model, **key):
        return self.db.scalar(select(model).filter_by(**key))

    def create(self, what: str, row):
        self.db.add(row)
        self.db.flush()  # later natural keys need its id
        self.counts[what] += 1
        if what in _JOURNALED:
            kind, action, describe = _JOURNALED[what]
            self._journal.setdefault((kind, action), []).append(describe(self, row))
        return row

    def name(self, model, row_id: int) -> str:
        """The journal's name of a user, session or course this load has met."""
        return self.names.get((model, row_id), "")

    def write_journal(self) -> None:
        """What this load created, journaled as made by the portal (set-based per kind),
        so a fresh demo's History pages tell how its data came."""
        for (kind, action), items in self._journal.items():
            if kind != "enrolment":
                journal.record_items(self.db, journal.SYSTEM, self.now, kind, action, items)
                continue
            by_session: dict[int, list[dict]] = {}
            for item in items:
                by_session.setdefault(item["session_id"], []).append(item)
            for session_items in by_session.values():  # one bulk change per session
                first = session_items[0]
                head = journal.record(
                    self.db, journal.SYSTEM, self.now, "enrolments", "change",
                    session_id=first["session_id"], session_label=first["session_label"],
                    after={"added": len(session_items), "removed": 0, "changed": 0})
                journal.record_items(self.db, journal.SYSTEM, self.now, kind, action,
                                     session_items, parent_id=head.id)

    def hash(self, password: str) -> str:
        # argon2 is slow on purpose: hash each distinct password once, and only when needed.
        if password not in self._hashes:
            self._hashes[password] = hash_password(password)
        return self._hashes[password]

    def day(self, offset: int) -> datetime:
        """Midnight, portal time, ``offset`` days from today, in UTC."""
        return self.at(self.today + timedelta(days=offset), 0)

    def at(self, day: date, hours: float) -> datetime:
        """``hours`` after midnight on the wall clock of ``day``, portal time, in UTC."""
        local = datetime.combine(day, time(0), tzinfo=self.zone) + timedelta(hours=hours)
        return local.astimezone(UTC)


def _load_individual_dates(loader: _Loader) -> None:
    """The individual dates and suspensions above, through the enrolment write path (which
    journals them and changes nothing the second time)."""
    for name, who, dates, reason in INDIVIDUAL_DATES:
        session, user_id = _demo_learner(loader, name, who)
        if loader.find(Enrolment, session_id=session.id, user_id=user_id).dates_reason:
            continue  # given by an earlier load: left as it is, like every row
        if isinstance(dates, int):
            change = learner_dates.dates_change(learner_dates.EXTEND, days=dates, reason=reason)
        else:
            start, end = (loader.at(loader.today + timedelta(days=d), 0) for d in dates)
            change = learner_dates.dates_change(learner_dates.WINDOW, start=start, end=end,
                                                reason=reason)
        loader.counts["individual dates"] += len(enrolment.change_learner_dates(
            loader.db, session, [user_id], change, by=journal.SYSTEM, now=loader.now))
    for name, code, plan in DUE_DATES:
        _load_due_dates(loader, name, code, plan)
    for name, who, reason in SUSPENSIONS:
        session, user_id = _demo_learner(loader, name, who)
        if loader.find(Enrolment, session_id=session.id, user_id=user_id).suspended_at is None:
            loader.counts["suspensions"] += len(enrolment.change_suspension(
                loader.db, session, [user_id], reason, by=journal.SYSTEM, now=loader.now))


def _load_due_dates(loader: _Loader, session_name: str, code: str, plan) -> None:
    """A course's due dates in a session, unless it has some already."""
    session = loader.find(TrainingSession, name=session_name)
    course = loader.find(Course, code=code)
    if session is None or course is None or due_dates.session_due_rules(
            loader.db, session.id, course.id):
        return
    assignments = loader.db.scalars(select(Assignment).where(Assignment.course_id == course.id)
                                    .order_by(Assignment.position, Assignment.id)).all()
    rules = {}
    for assignment, when in zip(assignments, plan, strict=False):
        if isinstance(when, int):
            rules[assignment.id] = due_dates.DueRule(
                assignment.id, due_at=loader.at(loader.today + timedelta(days=when), 17))
        elif isinstance(when, str):
            rules[assignment.id] = due_dates.DueRule(assignment.id, due_days=int(when))
    saved = due_dates.set_due_dates(loader.db, session.id, course.id, rules,
                                    by=journal.SYSTEM, now=loader.now)
    loader.counts["due dates"] += saved.changed


def _demo_learner(loader: _Loader, session_name: str, who) -> tuple[TrainingSession, int]:
    session = loader.find(TrainingSession, name=session_name)
    if isinstance(who, str):
        return session, loader.find(User, username=who).id
    named = {username for plan in SESSIONS if plan.name == session_name
             for username in plan.learners}
    learners = loader.db.execute(
        select(User.id, User.username).join(Enrolment, Enrolment.user_id == User.id)
        .where(Enrolment.session_id == session.id, Enrolment.direct)
        .order_by(User.username)).all()
    return session, [row.id for row in learners if row.username not in named][who]


def _load_users(loader: _Loader, rng: random.Random) -> dict[str, User]:
    """Named users, then generic learners; returns them by username, in that order."""
    passwords = {username: password for _, username, password in DEMO_LOGINS}
    people = list(NAMED_USERS)
    taken = {u for u, *_ in people}
    pairs = [(f, n) for f in FIRST_NAMES for n in LAST_NAMES if _username(f, n) not in taken]
    for first, last in rng.sample(pairs, GENERIC_LEARNERS):
        people.append((_username(first, last), first, last, PlatformRole.LEARNER))
    users = {}
    for username, first, last, role in people:
        users[username] = _named(loader, loader.find(User, username=username)) or loader.create(
            "users",
            User(
                username=username,
                email=f"{username}@example.org",
                first_name=first,
                last_name=last,
                role=role.value,
                password_hash=loader.hash(passwords.get(username, SHARED_PASSWORD)),
            ),
        )
    return users


def _named(loader: _Loader, row):
    """Remember the journal name of a user, course or session found (not created)."""
    if row is not None:
        loader.names[(type(row), row.id)] = _label(row)
    return row


def _label(row) -> str:
    if isinstance(row, User):
        return user_label(row)
    if isinstance(row, Course):
        return course_label(row)
    return row.name


def _created(loader: _Loader, row) -> dict:
    loader.names[(type(row), row.id)] = _label(row)
    return {"object_id": row.id, "object_label": _label(row)}


def _in_session(loader: _Loader, row) -> dict:
    return {"session_id": row.session_id,
            "session_label": loader.name(TrainingSession, row.session_id)}


def _concerning(loader: _Loader, user_id: int) -> dict:
    return {"learner_id": user_id, "learner_label": loader.name(User, user_id)}


# Kinds of rows the demo journals: count key -> (object type, action, the entry's fields).
_JOURNALED = {
    "users": ("user", "create", lambda ld, u: {**_created(ld, u), **_concerning(ld, u.id),
                                              "after": {"username": u.username,
                                                        "role": u.role}}),
    "categories": ("category", "create", lambda ld, c: _created(ld, c)),
    "courses": ("course", "create", lambda ld, c: _created(ld, c)),
    "assignments": ("assignment", "create", lambda ld, a: {
        "object_id": a.id, "object_label": a.title,
        "after": {"course": ld.name(Course, a.course_id), "max_score": a.max_score}}),
    "classes": ("class", "create", lambda ld, c: _created(ld, c)),
    "class memberships": ("class_member", "add", lambda ld, m: {
        "object_id": m.class_id, "object_label": m.user_class.name,
        **_concerning(ld, m.user_id)}),
    "sessions": ("session", "create", lambda ld, s: {**_created(ld, s), "session_id": s.id,
                                                    "session_label": s.name}),
    "session courses": ("session_course", "add", lambda ld, sc: {
        "object_id": sc.course_id, "object_label": ld.name(Course, sc.course_id),
        **_in_session(ld, sc), "after": {"position": sc.position}}),
    "course coaches": ("course_coach", "add", lambda ld, cc: {
        "object_id": cc.course_id, "object_label": ld.name(Course, cc.course_id),
        **_in_session(ld, cc), **_concerning(ld, cc.user_id)}),
    "class links": ("session_class", "add", lambda ld, link: {
        "object_id": link.class_id, "object_label": link.user_class.name,
        **_in_session(ld, link)}),
    "enrolments": ("enrolment", "add", lambda ld, e: {
        "object_id": e.id, **_in_session(ld, e), **_concerning(ld, e.user_id),
        "after": {"how": e.source}}),
}


def _generic_learners(users: dict[str, User]) -> list[User]:
    """The learners without a part of their own, in a fixed order."""
    named = {username for username, *_ in NAMED_USERS}
    return [user for username, user in users.items() if username not in named]


def _username(first: str, last: str) -> str:
    """'Zoé', "O'Brien" -> 'zoe.obrien'."""
    def ascii_lower(text):
        folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
        return re.sub(r"[^a-z]", "", folded.lower())

    return f"{ascii_lower(first)}.{ascii_lower(last)}"


def _load_category(loader: _Loader, name: str) -> SessionCategory:
    return loader.find(SessionCategory, name=name) or loader.create(
        "categories", SessionCategory(name=name)
    )


def _load_course(loader: _Loader, plan: CoursePlan) -> Course:
    course = _named(loader, loader.find(Course, code=plan.code)) or loader.create(
        "courses", Course(code=plan.code, title=plan.title, description=plan.description)
    )
    for position, (title, instructions, max_score) in enumerate(plan.assignments):
        loader.find(Assignment, course_id=course.id, title=title) or loader.create(
            "assignments",
            Assignment(
                course_id=course.id,
                title=title,
                instructions=instructions,
                max_score=max_score,
                position=position,
            ),
        )
    return course


def _load_classes(loader, rng, users) -> dict[str, tuple[UserClass, list[User]]]:
    """Classes and their members, drawn from the generic learners without overlap."""
    generic = _generic_learners(users)
    rng.shuffle(generic)
    classes = {}
    for name, description, size in CLASSES:
        members = [users[u] for u in CLASS_EXTRAS.get(name, [])] + generic[:size]
        generic = generic[size:]
        user_class = loader.find(UserClass, name=name) or loader.create(
            "classes", UserClass(name=name, description=description)
        )
        for member in members:
            loader.find(ClassMembership, class_id=user_class.id, user_id=member.id) or (
                loader.create(
                    "class memberships",
                    ClassMembership(class_id=user_class.id, user_id=member.id),
                )
            )
        classes[name] = (user_class, members)
    return classes


def _load_session(loader, rng, plan: SessionPlan, users, categories, courses, classes) -> None:
    """One session with its courses, coaches, classes, enrolments, hand-ins and grades."""
    windows = _windows(loader, plan)
    session = _named(loader, loader.find(TrainingSession, name=plan.name)) or loader.create(
        "sessions",
        TrainingSession(
            name=plan.name,
            description=plan.description,
            category_id=categories[plan.category].id,
            coach_id=users[plan.coach].id,
            after_end_policy=plan.policy.value,
            duration_days=plan.duration_days,
            **windows,
            **({"welcome_message": True, "remind_days_before_end": 3,
                "coach_remind_days_before_end": 7, "grade_released_message": True}
               if plan.messages else {}),
        ),
    )
    for position, (code, coaches) in enumerate(plan.courses):
        course = courses[code]
        key = {"session_id": session.id, "course_id": course.id}
        loader.find(SessionCourse, **key) or loader.create(
            "session courses", SessionCourse(**key, position=position)
        )
        for username in coaches:
            coach_key = {**key, "user_id": users[username].id}
            loader.find(SessionCourseCoach, **coach_key) or loader.create(
                "course coaches", SessionCourseCoach(**coach_key)
            )

    # Enrolled before the session shows up, or now if it already does.
    enrolled_at = min(windows["display_start"], loader.now)
    individuals = [users[u] for u in plan.learners]
    individuals += rng.sample(_generic_learners(users), plan.individuals)
    learners = {u.id: (u, EnrolmentSource.INDIVIDUAL) for u in individuals}
    for class_name in plan.classes:
        user_class, members = classes[class_name]
        key = {"session_id": session.id, "class_id": user_class.id}
        loader.find(SessionClass, **key) or loader.create(
            "class links", SessionClass(**key, linked_at=enrolled_at)
        )
        for member in members:
            learners.setdefault(member.id, (member, EnrolmentSource.CLASS))

    assignments = [a for code, _ in plan.courses for a in courses[code].assignments]
    course_ids = [courses[code].id for code, _ in plan.courses]
    for user, source in learners.values():
        # Drawn before looking at the database, so that what exists already never
        # shifts the random sequence of what follows.
        activity = _activity(loader, rng, plan, windows, assignments, course_ids, user)
        key = {"session_id": session.id, "user_id": user.id}
        loader.find(Enrolment, **key) or loader.create(
            "enrolments",
            Enrolment(
                **key,
                source=source.value,
                direct=source is EnrolmentSource.INDIVIDUAL,
                enrolled_at=enrolled_at,
                first_access_at=activity.first_access,
                last_access_at=activity.last_access,
            ),
        )
        _load_visits(loader, session, user, activity.visits)
        _load_hand_ins(loader, session, user, activity.hand_ins)
    if plan.messages:
        # The welcomes its learners would have had (once: they are keyed by enrolment).
        notify.queue_welcomes(loader.db, {session.id}, now=loader.now, enrolled_at=enrolled_at)


def _windows(loader: _Loader, plan: SessionPlan) -> dict[str, datetime | None]:
    """The three windows, nested: display ⊃ coach ⊃ access; every bound a local midnight
    (counted in days of the portal's zone, so that none moves by an hour when one side
    of it is in summer time and the other is not)."""
    if plan.access_days is None:
        # Duration mode: no fixed access dates; each learner has their own N days.
        return {"display_start": loader.day(-60)}
    start, end = plan.access_days
    coach_end = end + plan.coach_extra_days
    display_end = None
    if plan.display_weeks_after is not None:
        display_end = loader.day(coach_end + 7 * plan.display_weeks_after)
    return {
        "access_start": loader.day(start),
        "access_end": loader.day(end),
        "coach_start": loader.day(start - 7),
        "coach_end": loader.day(coach_end),
        "display_start": loader.day(start - 14),
        "display_end": display_end,
    }


@dataclass(frozen=True)
class _HandIn:
    assignment: Assignment
    submitted_at: datetime
    answer: str
    score: int | None  # None: not graded yet
    feedback: str
    graded_at: datetime


@dataclass(frozen=True)
class _Activity:
    """What one learner did in a session: their page views and hand-ins."""

    visits: list[tuple[int | None, datetime]]  # (course id or None for the session page, when)
    hand_ins: list[_HandIn]

    @property
    def first_access(self) -> datetime | None:
        return min((at for _, at in self.visits), default=None)

    @property
    def last_access(self) -> datetime | None:
        return max((at for _, at in self.visits), default=None)


NO_ACTIVITY = _Activity([], [])


def _activity(loader, rng, plan, windows, assignments, course_ids, user) -> _Activity:
    """A learner's visits and hand-ins, as the tracking page would have recorded them.

    A first visit (the session page, then a few pages of a course); before each
    hand-in, a stretch of work in its course; and a few more days of reading. Every
    visit falls in the learner's day (between 7:00 and 22:00, portal time), inside
    their access window and before now; a learner who never came has none.
    """
    first_access = _first_access(loader, rng, plan, windows, user)
    if first_access is None:
        return NO_ACTIVITY
    if plan.access_days is None:
        start, end = first_access, first_access + plan.duration_days * DAY
    else:
        start, end = windows["access_start"], windows["access_end"]
    until = min(loader.now, end)
    visits = _stretch(rng, first_access, [None] + [rng.choice(course_ids)] * rng.randint(2, 5))
    hand_ins = []
    for hand_in in _hand_ins(loader, rng, plan, windows, assignments, first_access, start, end):
        course = hand_in.assignment.course_id
        # Working up to the hand-in: the stretch ends a minute or so before it.
        pages = rng.randint(2, 6)
        began = hand_in.submitted_at - rng.uniform(1, 4) * MINUTE - pages * 8 * MINUTE
        visits += [v for v in _stretch(rng, began, [course] * pages)
                   if first_access < v[1] < until]
        hand_ins.append(hand_in)
    first_day = first_access.astimezone(loader.zone).date()
    for _ in range(rng.randint(1, 5)):
        day = first_day + timedelta(days=rng.randint(0, max(0, (until - first_access).days)))
        began = loader.at(day, rng.uniform(8, 20))
        pages = [rng.choice([None, *course_ids]) for _ in range(rng.randint(1, 5))]
        visits += [v for v in _stretch(rng, began, pages) if first_access < v[1] < until]
    return _Activity(sorted(visits, key=lambda v: v[1]), hand_ins)


def _stretch(rng, began: datetime, pages: list[int | None]) -> list[tuple[int | None, datetime]]:
    """Page views a few minutes apart (closer than the tracking's idle gap), from ``began``."""
    visits, at = [], began
    for course_id in pages:
        visits.append((course_id, at))
        at += rng.uniform(3, 12) * MINUTE
    return visits


def _first_access(loader, rng, plan, windows, user) -> datetime | None:
    """When the learner first opened the session, in their working day; None if never
    (or not open yet)."""
    if plan.access_days is None:
        if user.username in plan.learners:
            days_ago = 9  # the demo learner's own 30 days are still running
        else:
            days_ago = rng.choice([None, 2, 6, 11, 17, 24, 33, 41])
        if days_ago is None:
            return None
        return loader.at(loader.today - timedelta(days=days_ago), rng.uniform(8, 18))
    never = rng.random() < 0.1
    first_day = windows["access_start"].astimezone(loader.zone).date() \
        + timedelta(days=rng.randint(0, 2))
    first = loader.at(first_day, rng.uniform(8, 18))
    return None if never or first >= loader.now else first


def _hand_ins(loader, rng, plan, windows, assignments, first_access, start, end
              ) -> list[_HandIn]:
    """Hand-ins in the days before each assignment's due date, and the coach's grades on
    part of them.

    Due dates are spread evenly over the learner's access window (``start`` to
    ``end``); only those already past are handed in, always after the learner's first
    access, in the learner's day.
    """
    grading_ends = min(loader.now, windows.get("coach_end") or loader.now)
    hand_ins = []
    for index, assignment in enumerate(assignments):
        due = start + (end - start) * (index + 1) / (len(assignments) + 1)
        skipped = rng.random() >= 0.8
        day = due.astimezone(loader.zone).date() - timedelta(days=rng.randint(0, 3))
        submitted_at = loader.at(day, rng.uniform(9, 21.5))
        if submitted_at <= first_access + HOUR:
            submitted_at = first_access + rng.uniform(1, 3) * HOUR
        if submitted_at >= loader.now:  # later today: the day before, then
            submitted_at = loader.at(day - timedelta(days=1), rng.uniform(9, 21.5))
        answer = rng.choice(ANSWERS)
        graded = rng.random() < plan.graded_share
        score = round(assignment.max_score * rng.triangular(0.35, 1.0, 0.8))
        feedback = rng.choice(FEEDBACK[_band(score / assignment.max_score)])
        graded_at = submitted_at + (grading_ends - submitted_at) * rng.uniform(0.1, 0.6)
        in_office = loader.at(graded_at.astimezone(loader.zone).date(), rng.uniform(9, 18))
        if submitted_at < in_office <= loader.now:
            graded_at = in_office
        if (skipped or due > loader.now or due <= first_access + DAY / 12
                or not first_access + HOUR <= submitted_at < loader.now):
            continue
        hand_ins.append(_HandIn(assignment, submitted_at, answer,
                                score if graded else None, feedback, graded_at))
    return hand_ins


def _load_visits(loader, session, user, visits) -> None:
    """The learner's page views, unless this session already has some of theirs (the
    views have no natural key: a learner's are written all at once, or not at all)."""
    if not visits or loader.db.scalar(
            select(AccessEvent.id).where(AccessEvent.session_id == session.id,
                                         AccessEvent.user_id == user.id).limit(1)):
        return
    loader.db.execute(insert(AccessEvent), [
        {"user_id": user.id, "session_id": session.id, "course_id": course_id, "at": at}
        for course_id, at in visits])
    loader.counts["visits"] += len(visits)


def _load_hand_ins(loader, session, user, hand_ins: list[_HandIn]) -> None:
    for hand_in in hand_ins:
        key = {"session_id": session.id, "assignment_id": hand_in.assignment.id,
               "user_id": user.id}
        submission = loader.find(Submission, **key) or loader.create(
            "submissions",
            Submission(**key, answer=hand_in.answer, submitted_at=hand_in.submitted_at),
        )
        if hand_in.score is not None and loader.find(Grade, submission_id=submission.id) is None:
            loader.create(
                "grades",
                Grade(
                    submission_id=submission.id,
                    score=hand_in.score,
                    feedback=hand_in.feedback,
                    grader_id=session.coach_id,
                    graded_at=hand_in.graded_at,
                ),
            )


def _band(ratio: float) -> str:
    return "high" if ratio >= 0.85 else "mid" if ratio >= 0.6 else "low"
