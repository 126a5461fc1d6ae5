"""CSV import of enrolments: upload and preview, then apply.

Two entry points share the same steps: the global page (every row names its session)
and a session's page (rows belong to that session). The uploaded bytes wait in the
database (ImportUpload) between the preview and the apply, so the apply may reach any
server; apply re-reads and re-validates them, so a change in between is caught.
"""

import re

from flask import g, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy.exc import IntegrityError
from wtforms import BooleanField, HiddenField, TextAreaField
from wtforms.validators import DataRequired, Length

from .. import clock
from ..domain import jobs
from ..domain.account_import import TICK_LABEL
from ..domain.csv_import import (
    MAX_BYTES,
    PASTED_LIST,
    FileProblem,
    ParsedFile,
    Preview,
    RowKind,
    apply,
    column_labels,
    keep_upload,
    pasted_csv,
    preview,
    read_csv,
    waiting_upload,
)
from ..domain.language import _, _l
from ..extensions import db
from ..models import ImportUpload, TrainingSession
from ..web import current_actor, wants_fragment
from ..web.gate import session_gate
from . import bp, import_jobs

ROWS_SHOWN = 200  # per kind on the preview page; the counts cover every row
KIND_LABELS = {
    RowKind.ERROR: _l("In error"),
    RowKind.ADD: _l("Will be enrolled"),
    RowKind.ALREADY: _l("Already enrolled: no change"),
    RowKind.REMOVE: _l("Will be unenrolled"),
    RowKind.NOT_ENROLLED: _l("Not enrolled: removing changes nothing"),
}


class UploadForm(FlaskForm):
    file = FileField(_l("CSV or Excel file (.csv, .xlsx)"), validators=[
        FileRequired(_l("Choose a CSV file or an Excel workbook to import."))])
    create_accounts = BooleanField(TICK_LABEL)


class PasteForm(FlaskForm):
    # No "required" check here: pasted_csv says what an empty list lacks.
    entries = TextAreaField(_l("Paste usernames or e-mails"))


class ApplyForm(FlaskForm):
    token = HiddenField(validators=[DataRequired(), Length(max=64)])
    signature = HiddenField(validators=[Length(max=64)])
    valid_rows_only = BooleanField(_l("Apply the valid rows only, and skip the rows in error"))
    # The preview's choice, carried to the apply (the signature covers the accounts).
    create_accounts = HiddenField()


# --- routes ---------------------------------------------------------------------


@bp.route("/import", methods=["GET", "POST"])
def import_enrolments():
    return _upload_step(None)


@bp.route("/import/apply", methods=["POST"])
def import_apply():
    return _apply_step(None)


@bp.route("/sessions/<int:session_id>/import", methods=["GET", "POST"])
@session_gate(need="view")
def session_import(session_id: int):
    return _upload_step(g.training_session)


@bp.route("/sessions/<int:session_id>/import/paste", methods=["POST"])
@session_gate(need="view")
def session_import_paste(session_id: int):
    return _paste_step(g.training_session)


@bp.route("/sessions/<int:session_id>/import/apply", methods=["POST"])
@session_gate(need="view")
def session_import_apply(session_id: int):
    return _apply_step(g.training_session)


# --- the steps, shared by both entry points -------------------------------------


def _upload_step(session: TrainingSession | None):
    form = UploadForm()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return _render(session, "_upload.html", form=form, status=status)
    data = form.file.data.read(MAX_BYTES + 1)
    parsed = read_csv(data, session_required=session is None)
    if isinstance(parsed, FileProblem):
        form.file.errors = [*form.file.errors, parsed.message]
        return _render(session, "_upload.html", form=form, status=422)
    return _preview_step(session, data, parsed, _clean_name(form.file.data.filename),
                         create_accounts=bool(form.create_accounts.data))


def _paste_step(session: TrainingSession):
    """A pasted list of usernames or e-mails, read as the CSV file it stands for: the
    same preview, kept upload and apply as a file."""
    paste_form = PasteForm()
    data = pasted_csv(paste_form.entries.data or "") if paste_form.validate_on_submit() \
        else None
    parsed = read_csv(data, session_required=False) if isinstance(data, bytes) else data
    if not isinstance(parsed, ParsedFile):
        paste_form.entries.errors = [parsed.message] if parsed else list(
            paste_form.errors.get("csrf_token", [_("The form expired: reload the page.")]))
        return _render(session, "_upload.html", form=UploadForm(formdata=None),
                       paste_form=paste_form, status=422)
    return _preview_step(session, data, parsed, PASTED_LIST)


def _preview_step(session: TrainingSession | None, data: bytes, parsed: ParsedFile,
                  file_name: str, *, create_accounts: bool = False):
    """The preview of a file read; its bytes kept for the apply when it changes anything."""
    if len(parsed.rows) > jobs.JOB_ROWS:  # a big file: previewed by the worker, with progress
        return import_jobs.start_preview_job(session, data, file_name, len(parsed.rows),
                                             {"create_accounts": create_accounts})
    result = preview(db.session, parsed, session, create_accounts=create_accounts)
    upload = None
    if result.change_count:  # nothing to apply, nothing to keep
        upload = _store(data, file_name, session)
        db.session.commit()
    return _render_preview(session, result, upload, file_name=file_name)


def _apply_step(session: TrainingSession | None):
    form = ApplyForm()
    upload = _own_upload(form.token.data, session) if form.validate_on_submit() else None
    if upload is None:
        return _gone(session)
    parsed = read_csv(upload.content, session_required=session is None)
    if isinstance(parsed, FileProblem):  # only if the limits changed since the upload
        return _render(session, "_upload.html", form=_upload_form_with(parsed.message),
                       status=422)
    if len(parsed.rows) > jobs.JOB_ROWS:  # a big file: applied by the worker, with progress
        return import_jobs.start_apply_job(
            session, upload, len(parsed.rows), signature=form.signature.data or "",
            valid_rows_only=bool(form.valid_rows_only.data),
            preview_options={"create_accounts": form.create_accounts.data == "y"})
    result = preview(db.session, parsed, session,
                     create_accounts=form.create_accounts.data == "y")
    if form.signature.data != result.signature():
        return _render_preview(session, result, upload, status=409,
                               notice=jobs.ENROLMENTS_CHANGED)
    valid_only = bool(form.valid_rows_only.data)
    if result.error_count and not valid_only:
        return _render_preview(session, result, upload, status=422,
                               notice=jobs.rows_in_error(result.error_count))
    return _write(session, upload, parsed, result, valid_only)


def _write(session: TrainingSession | None, upload: ImportUpload, parsed: ParsedFile,
           result: Preview, valid_only: bool):
    """Apply and forget the upload, in one transaction; the result page."""
    file_name, token = upload.file_name, upload.token
    try:
        outcome = apply(db.session, result, file_name=file_name, valid_rows_only=valid_only,
                        by=current_actor(), now=clock.now())
        db.session.delete(upload)
        db.session.commit()
    except IntegrityError:
        # Someone enrolled one of these learners meanwhile: nothing of ours is kept.
        db.session.rollback()
        return _render_preview(session, preview(db.session, parsed, session,
                                                create_accounts=result.create_accounts),
                               _own_upload(token, session), status=409, notice=_(
                                   "Enrolments changed while applying; nothing was written. "
                                   "Check the new preview and apply again."))
    return _render(session, "_result.html", result=outcome, file_name=file_name)


# --- helpers --------------------------------------------------------------------


def _store(data: bytes, file_name: str, session: TrainingSession | None) -> ImportUpload:
    return keep_upload(db.session, data, file_name, user_id=current_user.id,
                       session_id=session.id if session is not None else None,
                       now=clock.now())


def _own_upload(token: str, session: TrainingSession | None) -> ImportUpload | None:
    """The upload behind ``token`` if this admin made it, here, less than a day ago."""
    return waiting_upload(db.session, token, user_id=current_user.id,
                          session_id=session.id if session is not None else None,
                          now=clock.now())


def _clean_name(name: str | None) -> str:
    """The file's name for display: no path, no control characters, at most 255 long."""
    name = re.sub(r"[\x00-\x1f\x7f]", "", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    return name[:255] or "upload.csv"


def _upload_form_with(message: str) -> UploadForm:
    form = UploadForm(formdata=None)
    form.file.errors = [message]
    return form


def _gone(session: TrainingSession | None):
    """404 for a token that is unknown, someone else's, applied already or expired."""
    return _render(session, "_upload.html", form=UploadForm(formdata=None), status=404,
                   notice=_("This import is no longer waiting: it was applied already, "
                            "is older than 24 hours, or was not uploaded by you. "
                            "Upload the file again."))


def _urls(session: TrainingSession | None) -> dict:
    if session is None:
        return {"upload_url": url_for("admin.import_enrolments"),
                "apply_url": url_for("admin.import_apply")}
    return {"upload_url": url_for("admin.session_import", session_id=session.id),
            "paste_url": url_for("admin.session_import_paste", session_id=session.id),
            "apply_url": url_for("admin.session_import_apply", session_id=session.id),
            "session_url": url_for("admin.session_page", session_id=session.id)}


def _render_preview(session, result: Preview, upload: ImportUpload | None, *, status=200,
                    notice=None, file_name=None):
    apply_form = None
    if upload is not None:
        apply_form = ApplyForm(formdata=None, token=upload.token, signature=result.signature(),
                               create_accounts="y" if result.create_accounts else "")
    sections = [
        {"kind": kind.value, "label": label, "count": result.counts[kind],
         "rows": result.of_kind(kind, ROWS_SHOWN)}
        for kind, label in KIND_LABELS.items()
    ]
    return _render(session, "_preview.html", preview=result, apply_form=apply_form,
                   sections=sections, file_name=file_name or (upload.file_name if upload else ""),
                   rows_shown=ROWS_SHOWN, status=status, notice=notice)


def _render(session: TrainingSession | None, step: str, *, status: int = 200, **context):
    context.update(_urls(session), training_session=session, step=f"admin/import/{step}",
                   notice=context.get("notice"), labels=column_labels(),
                   tick_label=TICK_LABEL)
    if session is not None:  # a session's import also takes a pasted list
        context.setdefault("paste_form", PasteForm(formdata=None))
    template = context["step"] if wants_fragment() else "admin/import/page.html"
    if step == "_upload.html" and not wants_fragment():  # the admin's big imports, if any
        context["recent_jobs"] = import_jobs.recent(session)
    return render_template(template, **context), status, {"Vary": "HX-Request"}
