"""The create-a-session form: scalar fields in WTForms, chosen lists in a draft."""

from dataclasses import dataclass, field

from flask_wtf import FlaskForm
from sqlalchemy import or_, select
from wtforms import IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from ..models import Course, SessionCategory, User, UserClass

POLICY_CHOICES = [SelectChoice("read_only", "Read only"), SelectChoice("open", "Still open"),
                  SelectChoice("closed", "Closed")]
DATE_FIELDS = ("display_start", "display_end", "access_start", "access_end", "coach_start",
               "coach_end")
DATE_HINT = "A date (2026-03-31) or a date and time (2026-03-31 14:30)."


class SessionForm(FlaskForm):
    name = StringField("Session name", [InputRequired("Give the session a name."),
                                        Length(max=200, message="At most 200 characters.")])
    description = TextAreaField("Description", [Length(max=20000)],
                                description="Markdown: **bold**, lists, links.")
    display_start = StringField("Display start", [Length(max=40)])
    display_end = StringField("Display end", [Length(max=40)])
    access_start = StringField("Access start", [Length(max=40)])
    access_end = StringField("Access end", [Length(max=40)])
    coach_start = StringField("Coach access start", [Length(max=40)])
    coach_end = StringField("Coach access end", [Length(max=40)])
    coach = StringField("Session coach", [InputRequired("Choose the session coach."),
                                          Length(max=254)])
    category_id = SelectField("Category", coerce=int, validate_choice=True)
    after_end_policy = RadioField("After the access end", choices=POLICY_CHOICES,
                                  default="read_only")
    duration_days = IntegerField(
        "Duration (days)",
        [Optional(), NumberRange(min=1, max=3650, message="Between 1 and 3650 days.")],
    )

    def load_categories(self, db) -> None:
        names = db.execute(select(SessionCategory.id, SessionCategory.name)
                           .order_by(SessionCategory.name)).all()
        self.category_id.choices = [SelectChoice(0, "No category")] + [
            SelectChoice(i, n) for i, n in names
        ]


def find_user(db, text: str) -> User | None:
    """An active user by username or e-mail, as typed in a picker."""
    text = text.strip().lower()
    if not text:
        return None
    return db.scalar(select(User).where(
        or_(User.username == text, User.email == text), User.active.is_(True)
    ))


def _ints(values) -> list[int]:
    out = []
    for value in values:
        try:
            number = int(value)
        except (TypeError, ValueError):
            continue
        if number not in out:
            out.append(number)
    return out


@dataclass
class Draft:
    """The courses, course coaches, learners and classes chosen so far on the form.

    They travel as hidden inputs, so adding or removing one re-renders the form
    without JavaScript; with htmx the same request swaps the form in place.
    """

    course_ids: list[int] = field(default_factory=list)
    coach_pairs: list[tuple[int, int]] = field(default_factory=list)  # (course id, user id)
    learner_ids: list[int] = field(default_factory=list)
    class_ids: list[int] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    # Loaded for display: id -> object
    courses: dict[int, Course] = field(default_factory=dict)
    users: dict[int, User] = field(default_factory=dict)
    classes: dict[int, UserClass] = field(default_factory=dict)

    @classmethod
    def from_form(cls, form) -> "Draft":
        pairs = []
        for value in form.getlist("course_coach"):
            course_id, _, user_id = value.partition(":")
            if course_id.isdigit() and user_id.isdigit():
                pair = (int(course_id), int(user_id))
                if pair not in pairs:
                    pairs.append(pair)
        return cls(
            course_ids=_ints(form.getlist("course_id")),
            coach_pairs=pairs,
            learner_ids=_ints(form.getlist("learner_id")),
            class_ids=_ints(form.getlist("class_id")),
        )

    def apply(self, db, action: str, form) -> None:
        """Carry out an add/remove ``action``; problems go to ``self.errors``."""
        verb, _, arg = action.partition(":")
        if verb == "add_course":
            code = form.get("add_course", "").strip()
            course = db.scalar(select(Course).where(Course.code == code)) if code else None
            if course is None:
                self.errors["add_course"] = (f"No course has the code “{code}”." if code
                                             else "Type a course code to add.")
            elif course.id not in self.course_ids:
                self.course_ids.append(course.id)
        elif verb == "remove_course" and arg.isdigit():
            self.course_ids = [c for c in self.course_ids if c != int(arg)]
            self.coach_pairs = [p for p in self.coach_pairs if p[0] != int(arg)]
        elif verb == "add_course_coach" and arg.isdigit():
            typed = form.get(f"add_coach_{arg}", "")
            user = find_user(db, typed)
            if user is None:
                self.errors[f"add_coach_{arg}"] = unknown_user_message(typed)
            elif (int(arg), user.id) not in self.coach_pairs:
                self.coach_pairs.append((int(arg), user.id))
        elif verb == "remove_course_coach":
            course_id, _, user_id = arg.partition(":")
            if course_id.isdigit() and user_id.isdigit():
                self.coach_pairs = [p for p in self.coach_pairs
                                    if p != (int(course_id), int(user_id))]
        elif verb == "add_learner":
            typed = form.get("add_learner", "")
            user = find_user(db, typed)
            if user is None:
                self.errors["add_learner"] = unknown_user_message(typed)
            elif user.id not in self.learner_ids:
                self.learner_ids.append(user.id)
        elif verb == "remove_learner" and arg.isdigit():
            self.learner_ids = [u for u in self.learner_ids if u != int(arg)]
        elif verb == "add_class":
            name = form.get("add_class", "").strip()
            user_class = (db.scalar(select(UserClass).where(UserClass.name == name))
                          if name else None)
            if user_class is None:
                self.errors["add_class"] = (f"No class is called “{name}”." if name
                                            else "Type a class name to add.")
            elif user_class.id not in self.class_ids:
                self.class_ids.append(user_class.id)
        elif verb == "remove_class" and arg.isdigit():
            self.class_ids = [c for c in self.class_ids if c != int(arg)]

    def apply_typed(self, db, form) -> bool:
        """Add whatever is typed in the pickers (the Enter key). False when none was typed."""
        typed = [("add_course", "add_course"), ("add_learner", "add_learner"),
                 ("add_class", "add_class")]
        typed += [(f"add_coach_{c}", f"add_course_coach:{c}") for c in self.course_ids]
        actions = [action for name, action in typed if form.get(name, "").strip()]
        for action in actions:
            self.apply(db, action, form)
        return bool(actions)

    def load(self, db) -> None:
        """Fetch what the chips show, three queries at most; drop ids that no longer exist."""
        if self.course_ids:
            self.courses = {c.id: c for c in db.scalars(
                select(Course).where(Course.id.in_(self.course_ids)))}
        user_ids = set(self.learner_ids) | {u for _, u in self.coach_pairs}
        if user_ids:
            self.users = {u.id: u for u in db.scalars(select(User).where(User.id.in_(user_ids)))}
        if self.class_ids:
            self.classes = {c.id: c for c in db.scalars(
                select(UserClass).where(UserClass.id.in_(self.class_ids)))}
        self.course_ids = [c for c in self.course_ids if c in self.courses]
        self.coach_pairs = [(c, u) for c, u in self.coach_pairs
                            if c in self.courses and u in self.users]
        self.learner_ids = [u for u in self.learner_ids if u in self.users]
        self.class_ids = [c for c in self.class_ids if c in self.classes]

    def coaches_of(self, course_id: int) -> list[User]:
        return [self.users[u] for c, u in self.coach_pairs if c == course_id]


NAME_TAKEN = "A session already has this name."
DURATION_WITH_DATES = ("In duration mode each learner gets these days from their first access: "
                       "leave Access start and Access end empty.")


def unknown_user_message(typed: str) -> str:
    """What to say when no active user has the username or e-mail typed in a picker."""
    typed = typed.strip()
    if not typed:
        return "Type a username or an e-mail address."
    return f"No active user has the username or e-mail “{typed}”."
