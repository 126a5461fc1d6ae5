"""Profile (password, time zone, calendar address) and the personal calendar feed."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from .. import clock
from ..domain import language, logins, notify, users
from ..domain.calendar import ensure_token, new_token, personal_calendar
from ..domain.dates import zone
from ..domain.language import LANGUAGES
from ..domain.language import gettext as _
from ..domain.my_sessions import calendar_entries, calendar_owner
from ..domain.passwords import password_problem, verify_password
from ..domain.zones import zone_options
from ..extensions import db, limiter
from ..web import current_actor
from ..web.guards import login_required, public
from ..web.language import request_language
from ..web.navigation import current_login_id
from . import bp
from .forms import EmptyForm, LanguageForm, PasswordForm, TimezoneForm


def _render_profile(password_form=None, timezone_form=None, language_form=None, status=200):
    if ensure_token(current_user):
        db.session.commit()
    portal_zone = current_app.config["PORTAL_TIMEZONE"]
    limits = logins.LoginLimits.from_settings(current_app.config)
    if timezone_form is None:
        timezone_form = TimezoneForm(formdata=None, data={"timezone": current_user.timezone or ""})
    return render_template(
        "learner/profile.html",
        password_form=password_form or PasswordForm(formdata=None),
        timezone_form=timezone_form,
        language_form=language_form or LanguageForm(
            formdata=None, data={"language": current_user.language or ""}),
        portal_zone=portal_zone,
        zone_options=zone_options(clock.now(), keep=current_user.timezone),
        reset_form=EmptyForm(formdata=None),
        notification_choices=notify.CHOICES,
        notifications_off=notify.opted_out_kinds(db.session, current_user.id),
        end_form=EmptyForm(formdata=None),
        logins=_login_rows(limits),
        idle_text=logins.duration_words(limits.idle),
        max_age_text=logins.duration_words(limits.max_age),
        feed_url=url_for("learner.calendar_feed", token=current_user.calendar_token,
                         _external=True),
    ), status


def _login_rows(limits: logins.LoginLimits) -> list[dict]:
    """The user's current logins as the profile lists them, this device's marked."""
    this_one = current_login_id()
    return [{"id": login.id, "browser": logins.describe_agent(login.user_agent),
             "address": login.address, "last_seen": login.last_seen_at,
             "started": login.created_at, "this_device": login.id == this_one}
            for login in logins.active_logins(db.session, current_user.id, limits, clock.now())]


@bp.route("/profile")
@login_required
def profile():
    return _render_profile()


@bp.route("/profile/notifications", methods=["POST"])
@login_required
def change_notifications():
    """Which kinds of message the user gets: the ticked ones; the others are turned off."""
    if not EmptyForm().validate():
        abort(400)
    wanted = set(request.form.getlist("kinds")) & set(notify.CHOICES)
    if notify.set_choices(db.session, current_user, wanted, by=current_actor(), now=clock.now()):
        db.session.commit()
        flash(_("Your choice of messages is saved."), "success")
    else:
        flash(_("Nothing changed in your messages."), "info")
    return redirect(url_for("learner.profile") + "#notifications", 303)


@bp.route("/profile/logins/<int:login_id>/end", methods=["POST"])
@login_required
def end_login(login_id: int):
    """End one of the user's other logins; the one in use ends with "Log out"."""
    if not EmptyForm().validate():
        abort(400)
    if login_id == current_login_id():
        flash(_("This is the login you are using: to end it, log out."), "info")
    elif logins.end_login(db.session, current_user, login_id, by=current_actor(),
                          now=clock.now()) is None:
        flash(_("This login had already ended."), "info")
    else:
        db.session.commit()
        flash(_("The login was ended: that device is logged out."), "info")
    return redirect(url_for("learner.profile") + "#logins", 303)


def _password_failed(response) -> bool:
    return response.status_code != 303


def _password_key() -> str:
    return f"profile-password:{current_user.get_id()}"


@bp.route("/profile/password", methods=["POST"])
@login_required
@limiter.limit("10 per 5 minutes", key_func=_password_key, deduct_when=_password_failed)
def change_password():
    form = PasswordForm()
    if form.validate():
        if not verify_password(current_user.password_hash, form.current_password.data):
            form.current_password.errors = [_("This is not your current password.")]
        elif problem := password_problem(form.new_password.data, (
                current_user.username, current_user.email, current_user.first_name,
                current_user.last_name)):
            form.new_password.errors = [problem]
        else:
            users.change_own_password(db.session, current_user, form.new_password.data,
                                      by=current_actor(), now=clock.now(),
                                      keep_login_id=current_login_id())
            db.session.commit()
            flash(_("Your password was changed."), "info")
            return redirect(url_for("learner.profile"), 303)
    return _render_profile(password_form=form, status=422)


@bp.route("/profile/timezone", methods=["POST"])
@login_required
def change_timezone():
    form = TimezoneForm()
    if not form.validate():
        return _render_profile(timezone_form=form, status=422)
    users.change_own_timezone(db.session, current_user, form.timezone.data,
                              by=current_actor(), now=clock.now())
    db.session.commit()
    zone_name = form.timezone.data or current_app.config["PORTAL_TIMEZONE"]
    flash(_("Times are now shown in %(zone)s.", zone=zone_name), "info")
    return redirect(url_for("learner.profile"), 303)


@bp.route("/profile/language", methods=["POST"])
@login_required
def change_language():
    form = LanguageForm()
    if not form.validate():
        return _render_profile(language_form=form, status=422)
    users.change_own_language(db.session, current_user, form.language.data,
                              by=current_actor(), now=clock.now())
    db.session.commit()
    language.activate(request_language())  # this answer's flash is in the new language
    flash(_("Pages and e-mails are now in %(name)s.",
            name=LANGUAGES.get(form.language.data) or _("your browser’s language")), "info")
    return redirect(url_for("learner.profile"), 303)


@bp.route("/profile/calendar", methods=["POST"])
@login_required
def reset_calendar():
    if not EmptyForm().validate():
        abort(400)
    current_user.calendar_token = new_token()
    db.session.commit()
    flash(_("Your calendar address was changed: the old one no longer works. "
            "Subscribe again with the new one."), "info")
    return redirect(url_for("learner.profile") + "#calendar", 303)


@bp.route("/calendar/<token>.ics")
@public  # calendar applications cannot log in: the token is the secret
def calendar_feed(token: str):
    """Every session of the owner of ``token`` (inside its display window), no login."""
    user = calendar_owner(db.session, token)
    if user is None:
        abort(404)
    now = clock.now()
    entries = calendar_entries(
        db.session, user, now,
        lambda session_id: url_for("learner.session_page", session_id=session_id,
                                   _external=True))
    owner_zone = zone(user.timezone or current_app.config["PORTAL_TIMEZONE"])
    # The owner's language, not the calendar application's that fetches it.
    body = personal_calendar(entries, now, user.full_name, owner_zone, user.language)
    return current_app.response_class(
        body, mimetype="text/calendar",
        headers={"Cache-Control": "private, max-age=900"},
    )
