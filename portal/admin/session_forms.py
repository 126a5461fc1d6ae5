"""The create-a-session form: scalar inputs in WTForms, chosen lists in a draft.

The forms only collect what was typed and show it back with its messages; the rules
are ``domain.session_form.validate_session_values``, shared with the inline rows.
"""

from dataclasses import dataclass, field

from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import NumberInput

from ..domain.language import gettext as _
from ..domain.language import lazy_gettext as _l
from ..domain.session_form import (
    COACH_MAX,
    DATE_MAX,
    DESCRIPTION_MAX,
    DURATION_MAX,
    INPUT_FIELDS,
    NAME_MAX,
    POLICY_LABELS,
    REMINDER_MAX,
    category_choices,
    chosen_items,
    unknown_user_message,
)
from ..domain.sessions import SessionPlan, coach_role_problem
from ..domain.text_search import find_class, find_course, find_user
from ..models import Course, User, UserClass

POLICY_CHOICES = [SelectChoice(value, label) for value, label in POLICY_LABELS.items()]
DATE_HINT = _l("A date (2026-03-31) or a date and time (2026-03-31 14:30).")


def _date(label: str) -> StringField:
    return StringField(label, render_kw={"maxlength": DATE_MAX})


class SessionInputs(FlaskForm):
    """A form made of some of the session's inputs (see INPUT_FIELDS)."""

    def raw(self) -> dict[str, str]:
        """What was typed, by input name, for the validator."""
        return {name: self[name].data for name in INPUT_FIELDS if name in self}

    def show_errors(self, errors: dict[str, str]) -> None:
        """Put the validator's messages on their inputs."""
        for name, message in errors.items():
            if name in self:
                self[name].errors = [message]

    def load_categories(self, db) -> None:
        if "category_id" in self:
            self.category_id.choices = [SelectChoice("0", _("No category"))] + [
                SelectChoice(str(i), n) for i, n in category_choices(db)
            ]


class SessionForm(SessionInputs):
    # The attributes repeat the validator's limits for the browser; the rules are checked
    # by the validator, so a field here has no WTForms validators.
    name = StringField(_l("Session name"), render_kw={"required": True, "maxlength": NAME_MAX})
    description = TextAreaField(_l("Description"), render_kw={"maxlength": DESCRIPTION_MAX},
                                description=_l("Markdown: **bold**, lists, links."))
    display_start = _date(_l("Display start"))
    display_end = _date(_l("Display end"))
    access_start = _date(_l("Access start"))
    access_end = _date(_l("Access end"))
    coach_start = _date(_l("Coach access start"))
    coach_end = _date(_l("Coach access end"))
    coach = StringField(_l("Session coach"), render_kw={"required": True, "maxlength": COACH_MAX})
    category_id = SelectField(_l("Category"), validate_choice=False)
    after_end_policy = RadioField(_l("After the access end"), choices=POLICY_CHOICES,
                                  default="read_only", validate_choice=False)
    duration_days = StringField(_l("Duration (days)"), widget=NumberInput(),
                                render_kw={"min": 1, "max": DURATION_MAX})
    welcome_message = BooleanField(
        _l("Welcome each learner by e-mail when enrolled, with a calendar invitation "
           "(updated when the dates change)"))
    remind_days_before_end = StringField(
        _l("Remind learners this many days before their access ends"), widget=NumberInput(),
        render_kw={"min": 1, "max": REMINDER_MAX})
    coach_remind_days_before_end = StringField(
        _l("Remind coaches this many days before their access ends"), widget=NumberInput(),
        render_kw={"min": 1, "max": REMINDER_MAX})
    grade_released_message = BooleanField(_l("Tell learners by e-mail when their work is graded"))


class CopyForm(FlaskForm):
    """The copy form: the copy's name, the new start its dates move to, and what else to
    copy. The rules are ``domain.session_form.validate_copy``."""

    name = StringField(_l("Name of the copy"), render_kw={"required": True, "maxlength": NAME_MAX})
    new_start = StringField(_l("New access start"), render_kw={"maxlength": DATE_MAX})
    copy_coaches = BooleanField(_l("Copy the course coaches"), default=True)
    copy_learners = BooleanField(_l("Copy the learners"))
    copy_classes = BooleanField(_l("Copy the class links"))

    def raw(self) -> dict:
        return {name: self[name].data for name in
                ("name", "new_start", "copy_coaches", "copy_learners", "copy_classes")
                if name in self}

    def measure_from(self, label: str | None) -> None:
        """Name the new-start field after the bound the shift is measured from; with
        no date to move there is no such field."""
        if label is None:
            del self.new_start
        else:
            self.new_start.label.text = _("New %(date)s", date=label)

    def show_errors(self, errors: dict[str, str]) -> None:
        for name, message in errors.items():
            if name in self:
                self[name].errors = [message]


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
        verb, _sep, arg = action.partition(":")
        if verb == "add_course":
            code = form.get("add_course", "").strip()
            course = find_course(db, code)
            if course is None:
                self.errors["add_course"] = (_("No course has the code “%(code)s”.", code=code)
                                             if code else _("Type a course code to add."))
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
            elif coach_role_problem(user):
                self.errors[f"add_coach_{arg}"] = coach_role_problem(user)
            elif (int(arg), user.id) not in self.coach_pairs:
                self.coach_pairs.append((int(arg), user.id))
        elif verb == "remove_course_coach":
            course_id, _sep, user_id = arg.partition(":")
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
            user_class = find_class(db, name)
            if user_class is None:
                self.errors["add_class"] = (_("No class is called “%(name)s”.", name=name)
                                            if name else _("Type a class name to add."))
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
        chosen = chosen_items(db, self.course_ids,
                              [*self.learner_ids, *(u for _, u in self.coach_pairs)],
                              self.class_ids)
        self.courses, self.users, self.classes = chosen.courses, chosen.users, chosen.classes
        self.course_ids = [c for c in self.course_ids if c in self.courses]
        # A posted pair naming a learner (forged, or demoted since) is dropped, not saved.
        self.coach_pairs = [(c, u) for c, u in self.coach_pairs
                            if c in self.courses and u in self.users
                            and coach_role_problem(self.users[u]) is None]
        self.learner_ids = [u for u in self.learner_ids if u in self.users]
        self.class_ids = [c for c in self.class_ids if c in self.classes]

    def coaches_of(self, course_id: int) -> list[User]:
        return [self.users[u] for c, u in self.coach_pairs if c == course_id]

    def plan(self, fields: dict) -> SessionPlan:
        """The session to create: the checked column values ``fields`` and this draft."""
        coaches: dict[int, list[int]] = {}
        for course_id, user_id in self.coach_pairs:
            coaches.setdefault(course_id, []).append(user_id)
        return SessionPlan(fields=fields, course_ids=self.course_ids, course_coaches=coaches,
                           learner_ids=self.learner_ids, class_ids=self.class_ids)
