"""Individual dates and suspensions on a session's admin page, for one learner (a form
under their row), for the learners ticked in the list (a box under the list's bar) or
for the members of a linked class (a box under the classes).

Every form is a GET that opens it (its own page without JavaScript; ``keep=1`` closes
the box) and a POST that saves through the enrolment write path and answers with the
people section, or with the form and its messages (422) where it was opened.
"""

from collections.abc import Callable

from flask import g, render_template, request, url_for

from .. import clock
from ..domain import enrolment
from ..domain.access import LearnerFacts, SessionRules
from ..domain.language import gettext as _
from ..domain.language import lazy_gettext as _l
from ..domain.language import ngettext
from ..domain.learner_dates import REMOVAL, DatesChange, LearnerDatesError, dates_words
from ..domain.people import MAX_NAMED, access_words, enrolled_learners, linked_class
from ..extensions import db
from ..web import current_actor, viewer_zone, wants_fragment
from ..web.gate import session_gate
from . import bp
from .learner_dates_forms import (
    CLASS,
    DATE_HINT,
    NOTHING_TICKED,
    ROW,
    TICKED,
    Chosen,
    DatesForm,
    SuspendForm,
    current_dates,
    read_ids,
)
from .session_people import LEARNER_COLUMNS, people_answer

FORMS = ("dates", "suspend", "lift")
HEADINGS = {"dates": _l("Individual dates of %(who)s", who="%(who)s"),
            "suspend": _l("Suspend %(who)s", who="%(who)s"),
            "lift": _l("Lift the suspension of %(who)s?", who="%(who)s")}
NOT_A_LEARNER = _l("This user is not a learner of this session.")
NOT_LINKED = _l("This class is not linked to this session.")
TOO_MANY = _l("Tick at most %(max)s learners at a time.", max=MAX_NAMED)
NONE_SUSPENDED = _l("None of them is suspended.")
CHOOSE_ACTION = _l("Choose what to do with the ticked learners.")


class Refused(Exception):
    """The learners a request names cannot be acted on; ``chosen`` says where the
    message goes."""

    def __init__(self, message: str, status: int, chosen: Chosen):
        super().__init__(message)
        self.message, self.status, self.chosen = str(message), status, chosen


# --- the routes -----------------------------------------------------------------------------


@bp.route("/sessions/<int:session_id>/learners/<int:user_id>/dates", methods=["GET", "POST"])
@session_gate(need="view")
def learner_dates(session_id: int, user_id: int):
    """GET: the learner's dates form (for htmx a row under theirs). POST: save it."""
    return _form_or_save("dates", lambda session: _one_learner(session, user_id))


@bp.route("/sessions/<int:session_id>/learners/<int:user_id>/suspend", methods=["GET", "POST"])
@session_gate(need="view")
def learner_suspend(session_id: int, user_id: int):
    """GET: the suspension form (its reason, to change it when suspended). POST: suspend."""
    return _form_or_save("suspend", lambda session: _one_learner(session, user_id))


@bp.route("/sessions/<int:session_id>/learners/<int:user_id>/lift", methods=["POST"])
@session_gate(need="view")
def learner_lift(session_id: int, user_id: int):
    session = g.training_session
    try:
        chosen = _one_learner(session, user_id)
    except Refused as refused:  # the button is in the row: no form to answer in
        return people_answer(session, refused.message, status=refused.status)
    return _lift(session, chosen)


@bp.route("/sessions/<int:session_id>/ticked")
@session_gate(need="view")
def ticked_form(session_id: int):
    """The form for the learners ticked in the list (``user_id``, repeated), for
    ``do``: dates, suspend or lift (a confirmation)."""
    if request.args.get("keep"):
        return ""
    what = request.args.get("do", "")
    if what not in FORMS:
        return _box(g.training_session, _nobody(TICKED), "dates", problem=CHOOSE_ACTION,
                    status=422)
    return _form_or_save(what, lambda session: _ticked(session, request.args.getlist("user_id")))


@bp.route("/sessions/<int:session_id>/ticked/<any(dates, suspend, lift):what>",
          methods=["POST"])
@session_gate(need="view")
def ticked_save(session_id: int, what: str):
    return _form_or_save(what, lambda session: _ticked(session, request.form.getlist("user_id")))


@bp.route("/sessions/<int:session_id>/classes/<int:class_id>/dates", methods=["GET", "POST"])
@session_gate(need="view")
def class_dates(session_id: int, class_id: int):
    """GET: the dates form for the members of a linked class. POST: save it."""
    return _form_or_save("dates", lambda session: _class_members(session, class_id))


# --- who a form acts on -------------------------------------------------------------------


def _nobody(where: str, user_id: int = 0, class_id: int = 0) -> Chosen:
    label = {ROW: _("this learner"), TICKED: _("the ticked learners"),
             CLASS: _("this class")}[where]
    return Chosen(where, (user_id,) if where == ROW else (), label, class_id=class_id)


def _one_learner(session, user_id: int) -> Chosen:
    found = enrolled_learners(db.session, session.id, [user_id])
    if not found:
        raise Refused(NOT_A_LEARNER, 404, _nobody(ROW, user_id))
    return Chosen(ROW, (user_id,), found[0].user.full_name, tuple(found))


def _ticked(session, values: list[str]) -> Chosen:
    ids, bad = read_ids(values)
    if not ids and not bad:
        raise Refused(NOTHING_TICKED, 422, _nobody(TICKED))
    if len(values) > MAX_NAMED:
        raise Refused(TOO_MANY, 422, _nobody(TICKED))
    found = enrolled_learners(db.session, session.id, ids)
    missing = bad + [str(i) for i in sorted(set(ids) - {e.user_id for e in found})]
    if missing:
        raise Refused(_("These are not learners of this session: %(ids)s. Reload the page and "
                        "tick again.", ids=", ".join(missing[:10])), 422, _nobody(TICKED))
    label = (found[0].user.full_name if len(found) == 1
             else ngettext("%(num)s ticked learner", "%(num)s ticked learners", len(found)))
    return Chosen(TICKED, tuple(e.user_id for e in found), label, tuple(found))


def _class_members(session, class_id: int) -> Chosen:
    user_class = linked_class(db.session, session.id, class_id)
    if user_class is None:
        raise Refused(NOT_LINKED, 404, _nobody(CLASS, class_id=class_id))
    ids = enrolment.class_learner_ids(db.session, session.id, class_id)
    if not ids:
        raise Refused(_("No member of the class %(name)s is a learner of this session.",
                        name=user_class.name), 422, _nobody(CLASS, class_id=class_id))
    label = ngettext("the %(num)s member of the class %(name)s",
                     "the %(num)s members of the class %(name)s", len(ids), name=user_class.name)
    return Chosen(CLASS, tuple(ids), label, class_id=class_id)


# --- opening and saving -------------------------------------------------------------------


def _form_or_save(what: str, find: Callable):
    """Open the form ``what`` for the learners ``find(session)`` names, or save it."""
    session = g.training_session
    if request.method == "GET" and request.args.get("keep"):
        return ""
    try:
        chosen = find(session)
    except Refused as refused:
        return _box(session, refused.chosen, what, problem=refused.message,
                    status=refused.status)
    if request.method == "GET":
        return _open(session, chosen, what)
    return {"dates": _save_dates, "suspend": _suspend, "lift": _lift}[what](session, chosen)


def _open(session, chosen: Chosen, what: str):
    learner = chosen.learner
    if what == "dates":
        data = current_dates(learner, viewer_zone()) if learner is not None else {}
        return _box(session, chosen, what, form=_dates_form(session, chosen, data=data))
    if what == "suspend":
        reason = learner.suspension_reason if learner is not None else None
        return _box(session, chosen, what, form=SuspendForm(formdata=None, data={
            "reason": reason}).for_session(chosen.key(what)))
    if not chosen.names(suspended_only=True):
        return _box(session, chosen, what, problem=NONE_SUSPENDED, status=422)
    return _box(session, chosen, what)


def _dates_form(session, chosen: Chosen, **kwargs) -> DatesForm:
    form = DatesForm(**kwargs) if kwargs else DatesForm(formdata=request.form)
    return form.for_session(chosen.key("dates"), session.duration_days is not None)


def _save_dates(session, chosen: Chosen):
    form = _dates_form(session, chosen)
    try:
        change = form.change(viewer_zone())
    except LearnerDatesError as error:
        form.show_errors(error.errors)
        return _box(session, chosen, "dates", form=form, status=422)
    changed = enrolment.change_learner_dates(db.session, session, chosen.user_ids, change,
                                             by=current_actor(), now=clock.now())
    db.session.commit()
    return people_answer(session, *_dates_message(session, chosen, change, changed))


def _suspend(session, chosen: Chosen):
    form = SuspendForm(formdata=request.form).for_session(chosen.key("suspend"))
    try:
        reason = form.given_reason()
    except LearnerDatesError as error:
        form.show_errors(error.errors)
        return _box(session, chosen, "suspend", form=form, status=422)
    changed = enrolment.change_suspension(db.session, session, chosen.user_ids, reason,
                                          by=current_actor(), now=clock.now())
    db.session.commit()
    if not changed:
        return people_answer(session, _("Already suspended: %(reason)s.", reason=reason),
                             kind="info")
    if chosen.learner is not None:
        return people_answer(session, _("%(name)s suspended: %(reason)s.", name=chosen.label,
                                        reason=reason))
    return people_answer(session, ngettext("%(num)s learner suspended: %(reason)s.",
                                           "%(num)s learners suspended: %(reason)s.",
                                           len(changed), reason=reason))


def _lift(session, chosen: Chosen):
    changed = enrolment.change_suspension(db.session, session, chosen.user_ids, None,
                                          by=current_actor(), now=clock.now())
    db.session.commit()
    if chosen.learner is not None:
        if not changed:
            return people_answer(session, _("%(name)s is not suspended.", name=chosen.label),
                                 kind="info")
        return people_answer(session, _("%(name)s: suspension lifted.", name=chosen.label))
    if not changed:
        return people_answer(session, str(NONE_SUSPENDED), kind="info")
    return people_answer(session, ngettext("Suspension lifted for %(num)s learner.",
                                           "Suspension lifted for %(num)s learners.",
                                           len(changed)))


def _dates_message(session, chosen: Chosen, change: DatesChange, changed: list[int]):
    """What the people section says after saving dates, and how (success or info)."""
    one = chosen.learner
    if change == REMOVAL:
        if one is not None:
            return ((_("%(name)s: individual dates removed; the session's dates apply.",
                       name=one.user.full_name), "success") if changed
                    else (_("%(name)s has no individual dates.", name=one.user.full_name),
                          "info"))
        return ((ngettext("Individual dates removed for %(num)s learner.",
                          "Individual dates removed for %(num)s learners.", len(changed)),
                 "success")
                if changed else (_("None of them had individual dates."), "info"))
    facts = LearnerFacts(one.first_access_at if one is not None else None,
                         change.extension_days, change.own_start, change.own_end)
    words = dates_words(SessionRules.of(session), facts, change.reason, clock.now(),
                        viewer_zone())
    if one is not None:
        return ((_("%(name)s: %(dates)s", name=one.user.full_name, dates=words), "success")
                if changed
                else (_("%(name)s already has these dates: %(dates)s", name=one.user.full_name,
                        dates=words), "info"))
    if not changed:
        return _("They already have these dates: %(dates)s", dates=words), "info"
    return ngettext("Individual dates set for %(num)s learner: %(dates)s",
                    "Individual dates set for %(num)s learners: %(dates)s", len(changed),
                    dates=words), "success"


# --- the form where it opens --------------------------------------------------------------

_SAVE_ENDPOINTS = {(ROW, "dates"): "admin.learner_dates",
                   (ROW, "suspend"): "admin.learner_suspend",
                   (CLASS, "dates"): "admin.class_dates"}


def _action(session, chosen: Chosen, what: str) -> str:
    if chosen.where == TICKED:
        return url_for("admin.ticked_save", session_id=session.id, what=what)
    if chosen.where == ROW:
        return url_for(_SAVE_ENDPOINTS[ROW, what], session_id=session.id,
                       user_id=chosen.user_ids[0])
    return url_for(_SAVE_ENDPOINTS[CLASS, what], session_id=session.id,
                   class_id=chosen.class_id)


def _heading(chosen: Chosen, what: str) -> str:
    learner = chosen.learner
    if what == "suspend" and learner is not None and learner.suspended_at is not None:
        return _("Suspension of %(who)s", who=chosen.label)
    return str(HEADINGS[what]) % {"who": chosen.label}


def _cancel_url(session, chosen: Chosen, what: str) -> str:
    if chosen.where == TICKED:
        return url_for("admin.ticked_form", session_id=session.id, keep=1)
    return _action(session, chosen, what) + "?keep=1"


def _box(session, chosen: Chosen, what: str, *, form=None, problem=None, status=200):
    """The form (or why it cannot open) where it opens: for htmx the row or box (a POST's
    messages are sent back there rather than to the people section), else its page."""
    tz = viewer_zone()
    learner = chosen.learner
    context = {
        "training_session": session, "chosen": chosen, "what": what, "form": form,
        "problem": problem, "heading": _heading(chosen, what),
        "key": chosen.key(what), "columns": LEARNER_COLUMNS, "date_hint": str(DATE_HINT) % {
            "zone": tz.key},
        "action": _action(session, chosen, what) if not problem else None,
        "cancel_url": _cancel_url(session, chosen, what),
        "current": (access_words(session, [learner], clock.now(), tz)[learner.user_id]
                if learner is not None else None),
    }
    if not wants_fragment():
        return render_template("admin/session/learner_dates.html", as_page=True,
                               **context), status
    headers = {}
    if request.method == "POST":
        headers = {"HX-Retarget": chosen.target(what),
                   "HX-Reswap": "outerHTML" if chosen.in_table else "innerHTML"}
    return render_template("admin/session/_learner_dates.html", as_page=False,
                           **context), status, headers
