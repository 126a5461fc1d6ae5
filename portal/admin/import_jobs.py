"""Big imports in the background: the job's page, its progress and its result.

An enrolment import of more than jobs.JOB_ROWS rows, or a sessions import of more than
jobs.SESSION_JOB_ROWS, is queued for the worker instead of being
previewed or applied in the request; the admin is sent to the job's page, which polls
its own URL every second (htmx; without JavaScript it refreshes itself) and, once the
job is done, shows the same preview or result page as a small import. The page is
the admin's own: another admin's job is a 404.
"""

from typing import NamedTuple

from flask import abort, redirect, url_for
from flask_login import current_user

from .. import clock
from ..domain import jobs
from ..domain.csv_import import keep_upload
from ..extensions import db
from ..models import ImportUpload, TrainingSession
from ..web import current_actor, htmx_redirect
from ..web.zone import viewer_zone
from . import bp, session_imports
from . import imports as enrolment_imports


class _KeptUpload(NamedTuple):
    """What the preview page's apply form needs of the upload a job kept."""

    token: str
    file_name: str


@bp.route("/import/jobs/<int:job_id>")
def import_job(job_id: int):
    job = jobs.owned_job(db.session, job_id, owner_id=current_user.id)
    if job is None:
        abort(404)
    if job.kind in jobs.SESSION_KINDS:  # its page is under Sessions
        return redirect(url_for("admin.sessions_import_job", job_id=job.id))
    session = db.session.get(TrainingSession, job.session_id) if job.session_id else None
    view = jobs.job_view(job, now=clock.now())
    result = job.result or {}
    if view.status != "done":
        return enrolment_imports._render(session, "_job.html", job=view,
                                         job_url=url_for("admin.import_job", job_id=job.id))
    if result.get("view") == "applied":
        return enrolment_imports._render(session, "_result.html", file_name=job.file_name,
                                         result=jobs.stored_outcome(result["outcome"]))
    kept = _KeptUpload(result["apply_token"], job.file_name) if result["apply_token"] else None
    return enrolment_imports._render_preview(
        session, jobs.stored_preview(result["preview"]), kept, notice=result.get("notice"),
        file_name=job.file_name)


@bp.route("/sessions/import/jobs/<int:job_id>")
def sessions_import_job(job_id: int):
    job = jobs.owned_job(db.session, job_id, owner_id=current_user.id)
    if job is None or job.kind not in jobs.SESSION_KINDS:
        abort(404)
    view = jobs.job_view(job, now=clock.now())
    result = job.result or {}
    if view.status != "done":
        return session_imports._render(
            "_job.html", job=view, job_url=url_for("admin.sessions_import_job", job_id=job.id))
    if result.get("view") == "applied":
        return session_imports._render("_result.html", file_name=job.file_name,
                                       outcome=jobs.stored_sessions_outcome(result["outcome"]))
    kept = _KeptUpload(result["apply_token"], job.file_name) if result["apply_token"] else None
    return session_imports._render_preview(
        jobs.stored_sessions_preview(result["preview"]), kept, job.file_name,
        notice=result.get("notice"))  # 200: the polling page swaps in only a success


# --- starting a job (called by the import steps) ---------------------------------------


def start_preview_job(session: TrainingSession | None, data: bytes, file_name: str,
                      rows: int, preview_options: dict):
    """Keep the file and queue its preview; send the admin to the job's page."""
    upload = enrolment_imports._store(data, file_name, session)
    db.session.flush()
    return _start(jobs.ENROLMENT_PREVIEW, session, upload, rows,
                  {"preview_options": preview_options})


def start_apply_job(session: TrainingSession | None, upload: ImportUpload, rows: int, *,
                    signature: str, valid_rows_only: bool, preview_options: dict):
    """Queue the apply of a previewed file; send the admin to the job's page."""
    actor = current_actor()
    return _start(jobs.ENROLMENT_APPLY, session, upload, rows, {
        "preview_options": preview_options, "signature": signature,
        "valid_rows_only": valid_rows_only, "by_name": actor.name,
        "request_id": actor.request_id, "address": actor.address})


def _start(kind: str, session: TrainingSession | None, upload: ImportUpload, rows: int,
           params: dict):
    job = jobs.enqueue(db.session, kind=kind, owner_id=current_user.id,
                       session_id=session.id if session is not None else None,
                       upload_token=upload.token, file_name=upload.file_name,
                       rows_total=rows, params={**params,
                                                "rows_shown": enrolment_imports.ROWS_SHOWN},
                       now=clock.now())
    db.session.commit()
    return htmx_redirect(url_for("admin.import_job", job_id=job.id))


def recent(session: TrainingSession | None) -> list[jobs.JobView]:
    """The admin's latest big imports started from this page."""
    return jobs.recent_jobs(db.session, owner_id=current_user.id,
                            session_id=session.id if session is not None else None,
                            now=clock.now())


def start_sessions_preview_job(data: bytes, file_name: str, rows: int):
    """Keep the sessions file and queue its preview; send the admin to the job's page."""
    upload = keep_upload(db.session, data, file_name, user_id=current_user.id,
                         session_id=None, now=clock.now())
    db.session.flush()
    return _start_sessions(jobs.SESSIONS_PREVIEW, upload, rows, {})


def start_sessions_apply_job(upload: ImportUpload, rows: int, *, signature: str):
    """Queue the apply of a previewed sessions file; send the admin to the job's page."""
    actor = current_actor()
    return _start_sessions(jobs.SESSIONS_APPLY, upload, rows, {
        "signature": signature, "by_name": actor.name, "request_id": actor.request_id,
        "address": actor.address})


def _start_sessions(kind: str, upload: ImportUpload, rows: int, params: dict):
    # The preview reads dates in the admin's zone, as a small import's does in the request.
    job = jobs.enqueue(db.session, kind=kind, owner_id=current_user.id, session_id=None,
                       upload_token=upload.token, file_name=upload.file_name,
                       rows_total=rows, params={**params, "tz": viewer_zone().key,
                                                "rows_shown": session_imports.ROWS_SHOWN},
                       now=clock.now())
    db.session.commit()
    return htmx_redirect(url_for("admin.sessions_import_job", job_id=job.id))
