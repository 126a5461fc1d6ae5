"""Import sessions from a CSV or XLSX file: upload and preview, then apply.

The uploaded bytes wait in the database (ImportUpload, no session) between the preview
and the apply, so the apply may reach any server; apply reads and previews them again,
and writes only if the preview is still the one the admin saw. A file of more than
jobs.SESSION_JOB_ROWS sessions is previewed and applied by the worker instead
(import_jobs): the admin follows the job's page, which ends on these same pages.
"""

from flask import render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy.exc import IntegrityError
from wtforms import HiddenField
from wtforms.validators import DataRequired, Length

from .. import clock
from ..domain import jobs
from ..domain.csv_import import MAX_BYTES, keep_upload, waiting_upload
from ..domain.language import _l
from ..domain.session_import import (
    CHANGED_MEANWHILE,
    COLUMNS,
    KIND_ORDER,
    FileProblem,
    Kind,
    Preview,
    apply_import,
    column_labels,
    preview,
    read_sessions_file,
)
from ..domain.sessions import VersionConflict
from ..extensions import db
from ..models import ImportUpload
from ..web import current_actor, wants_fragment
from ..web.zone import viewer_zone
from . import bp, import_jobs
from .imports import _clean_name

KIND_LABELS = {
    Kind.ERROR: _l("In error"),
    Kind.CREATE: _l("Sessions to create"),
    Kind.UPDATE: _l("Sessions to update"),
    Kind.UNCHANGED: _l("Unchanged"),
}
GONE = _l("This import is no longer waiting: it was applied already, is older than 24 "
          "hours, or was not uploaded by you. Upload the file again.")
ROWS_SHOWN = 200  # per kind on a big import's preview page; the counts cover every row


class SessionsFileForm(FlaskForm):
    file = FileField(_l("CSV or Excel file"),
                     validators=[FileRequired(_l("Choose a CSV or Excel file to import."))])


class ApplySessionsForm(FlaskForm):
    token = HiddenField(validators=[DataRequired(), Length(max=64)])
    signature = HiddenField(validators=[Length(max=64)])


@bp.route("/sessions/import", methods=["GET", "POST"])
def sessions_import():
    """The upload form; a file sent: its preview (kept for the apply when it changes
    anything), or the form again with what is wrong with the file (422)."""
    form = SessionsFileForm()
    if not form.validate_on_submit():
        return _render("_upload.html", form=form, status=422 if form.is_submitted() else 200)
    data = form.file.data.read(MAX_BYTES + 1)
    parsed = read_sessions_file(data)
    if isinstance(parsed, FileProblem):
        form.file.errors = [*form.file.errors, parsed.message]
        return _render("_upload.html", form=form, status=422)
    file_name = _clean_name(form.file.data.filename)
    if len(parsed.rows) > jobs.SESSION_JOB_ROWS:  # a big file: previewed by the worker
        return import_jobs.start_sessions_preview_job(data, file_name, len(parsed.rows))
    result = preview(db.session, parsed, tz=viewer_zone())
    upload = None
    if result.change_count and not result.error_count:  # all or nothing: keep what can apply
        upload = keep_upload(db.session, data, file_name, user_id=current_user.id,
                             session_id=None, now=clock.now())
        db.session.commit()
    return _render_preview(result, upload, file_name, status=422 if result.error_count else 200)


@bp.route("/sessions/import/apply", methods=["POST"])
def sessions_import_apply():
    """Apply the waiting upload if its preview is unchanged; the result page."""
    form = ApplySessionsForm()
    upload = waiting_upload(db.session, form.token.data, user_id=current_user.id,
                            session_id=None, now=clock.now()) if form.validate_on_submit() \
        else None
    if upload is None:
        return _render("_upload.html", form=SessionsFileForm(formdata=None), status=404,
                       notice=GONE)
    parsed = read_sessions_file(upload.content)
    if not isinstance(parsed, FileProblem) and len(parsed.rows) > jobs.SESSION_JOB_ROWS:
        return import_jobs.start_sessions_apply_job(upload, len(parsed.rows),
                                                    signature=form.signature.data or "")
    result = _reread(upload, parsed)
    if isinstance(result, FileProblem) or form.signature.data != result.signature():
        return _changed_meanwhile(upload, result)
    try:
        outcome = apply_import(db.session, result, file_name=upload.file_name,
                               by=current_actor(), now=clock.now())
        db.session.delete(upload)
        db.session.commit()
    except (IntegrityError, VersionConflict):
        db.session.rollback()
        return _changed_meanwhile(upload, _reread(upload))
    return _render("_result.html", outcome=outcome, file_name=upload.file_name)


def _reread(upload: ImportUpload, parsed=None) -> Preview | FileProblem:
    parsed = parsed or read_sessions_file(upload.content)
    return parsed if isinstance(parsed, FileProblem) else \
        preview(db.session, parsed, tz=viewer_zone())


def _changed_meanwhile(upload: ImportUpload, result: Preview | FileProblem):
    """409: the new preview (or what is now wrong with the file); nothing was written."""
    if isinstance(result, FileProblem):
        form = SessionsFileForm(formdata=None)
        form.file.errors = [result.message]
        return _render("_upload.html", form=form, status=409)
    keep = upload if result.change_count and not result.error_count else None
    return _render_preview(result, keep, upload.file_name, status=409, notice=CHANGED_MEANWHILE)


def _render_preview(result: Preview, upload: ImportUpload | None, file_name: str, *,
                    status: int = 200, notice: str | None = None):
    apply_form = ApplySessionsForm(formdata=None, token=upload.token,
                                   signature=result.signature()) if upload else None
    counts = [(kind.value, KIND_LABELS[kind], result.counts[kind]) for kind in KIND_ORDER]
    return _render("_preview.html", preview=result, apply_form=apply_form, counts=counts,
                   file_name=file_name, status=status, notice=notice)


def _render(step: str, *, status: int = 200, **context):
    context.update(step=f"admin/session_import/{step}", columns=COLUMNS,
                   labels=column_labels(),
                   upload_url=url_for("admin.sessions_import"),
                   apply_url=url_for("admin.sessions_import_apply"),
                   list_url=url_for("admin.sessions"), notice=context.get("notice"))
    template = context["step"] if wants_fragment() else "admin/session_import/page.html"
    if step == "_upload.html" and not wants_fragment():  # the admin's big imports, if any
        context["recent_jobs"] = import_jobs.recent(None)
    return render_template(template, **context), status, {"Vary": "HX-Request"}
