"""API tokens: admins create them for integrations (the secret is shown once, on the
answer to the form, never in a URL), see when each was last used, and revoke them."""

from datetime import date, timedelta

from flask import abort, flash, make_response, render_template, request, url_for
from flask_login import current_user
from wtforms import SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice

from .. import clock
from ..domain import api_tokens as tokens
from ..domain.dates import day_text, parse_local, to_local
from ..domain.history import MAX_ID
from ..domain.language import _, _l
from ..domain.pagination import read_page_args
from ..extensions import db
from ..models import ApiToken
from ..web import current_actor, viewer_zone
from . import bp
from .confirm import Confirmation
from .forms_reference import TranslatedForm
from .reference_common import form_page, see_other


class TokenForm(TranslatedForm):
    """The values are checked by the domain (check_token_values), which names each field."""

    name = StringField(_l("Name"), render_kw={"maxlength": tokens.NAME_MAX, "autocomplete": "off"})
    # Unknown values are dropped by the check, not refused one by one.
    scopes = SelectMultipleField(_l("What it may do"), validate_choice=False, choices=[
        SelectChoice(scope, description) for scope, description in tokens.SCOPES.items()])
    expires_on = StringField(_l("Last day it works"), render_kw={"type": "date"})


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        return None


def _create(form: TokenForm, today: date) -> tokens.NewToken | None:
    """The new token, or None with the messages on the form's fields."""
    expires_on = _day(form.expires_on.data)
    try:
        name, scopes = tokens.check_token_values(form.name.data, form.scopes.data, expires_on,
                                                 today)
    except tokens.TokenError as refused:
        for field, message in refused.errors.items():
            form[field].errors = [message]
        return None
    # The whole of the last day, in the admin's zone: it ends at the next midnight.
    expires_at = parse_local(expires_on.isoformat(), viewer_zone(), is_end=True)
    return tokens.create_token(db.session, current_user, name, scopes, expires_at,
                               by=current_actor(), now=clock.now())


def _token(token_id: int) -> ApiToken:
    token = db.session.get(ApiToken, token_id) if token_id <= MAX_ID else None
    if token is None:
        abort(404)
    return token


@bp.route("/api-tokens")
def api_tokens():
    page_no, per_page = read_page_args(request.args)
    page = tokens.tokens_page(db.session, page_no, per_page)

    def page_url(number: int, per: int | None = None) -> str:
        return url_for("admin.api_tokens", page=number if number > 1 else None,
                       per_page=per or page.per_page)

    return render_template("admin/api_tokens/list.html", page=page, page_url=page_url,
                           state_of=tokens.token_state, at=clock.now())


@bp.route("/api-tokens/new", methods=["GET", "POST"])
def api_tokens_new():
    today = to_local(clock.now(), viewer_zone()).date()
    last_day = today + timedelta(days=tokens.MAX_DAYS)
    form = TokenForm()
    if not form.is_submitted():
        form.expires_on.data = (today + timedelta(days=tokens.DEFAULT_DAYS)).isoformat()
    elif form.validate():
        new = _create(form, today)
        if new is not None:
            db.session.commit()
            response = make_response(render_template("admin/api_tokens/created.html", new=new,
                                                     header_example=tokens.HEADER_EXAMPLE))
            # The secret is on this page only: no cache, no back-button copy may keep it.
            response.headers["Cache-Control"] = "no-store"
            return response
    return form_page("admin/api_tokens/form.html", form, scopes=tokens.SCOPES,
                     first_day=today + timedelta(days=1), last_day=last_day,
                     last_day_text=day_text(last_day))


@bp.route("/api-tokens/<int:token_id>/revoke", methods=["GET", "POST"])
def api_tokens_revoke(token_id: int):
    """GET: the confirmation. POST: revoke (any admin may revoke any token)."""
    token = _token(token_id)
    if request.method == "GET":
        return render_template("admin/api_tokens/revoke.html", token=token,
                               state=tokens.token_state(token, clock.now()),
                               confirm=_confirmation(token))
    if tokens.revoke_token(db.session, token, by=current_actor(), now=clock.now()):
        db.session.commit()
        flash(_("The token “%(name)s” is revoked: calls with it now get 401.", name=token.name),
              "success")
    else:
        flash(_("The token “%(name)s” was already revoked.", name=token.name), "info")
    return see_other("admin.api_tokens")


def _confirmation(token: ApiToken) -> Confirmation:
    action = url_for("admin.api_tokens_revoke", token_id=token.id)
    return Confirmation(
        id="revoke-token", question=_("Revoke the token “%(name)s”?", name=token.name),
        details=(_("%(owner)s created it. Any administrator may revoke any token.",
                   owner=token.owner.full_name),
                 _("Every call made with it gets 401 from now on; this cannot be undone. "
                   "The integration needs a new token to go on working.")),
        action=action, button=_("Revoke the token"), keep=url_for("admin.api_tokens"),
        section="#main")
