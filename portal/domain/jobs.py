"""Background jobs: long work an admin starts from a page and the worker runs.

An import of more than JOB_ROWS rows is previewed and applied here instead of in the
request: the page shows the job's progress (polled) and, once done, its result, the
same preview or result page as a small import's. Jobs live in the database, so several
app servers and workers may run: a worker claims a job in a short transaction (on
PostgreSQL with FOR UPDATE SKIP LOCKED, and an UPDATE that re-checks the job is still
due, so two workers never both take one), holds it for LEASE, and renews the lease with
each progress report. A worker that dies leaves its job "running"; once the lease has
run out another worker takes it again: a preview writes nothing, and an apply writes
everything in one transaction with the job's result, so running it again is safe.

Progress goes through a connection of its own, committed at once, so other servers see
it while the job's own transaction is still open; if the job fails, its transaction is
rolled back and only the failure (and what it says) is recorded.

Languages: a job runs in the language of the admin who started it (``speaking`` their
profile's language), so what it stores for its page (row messages, notices, the
failure) reads as the page of a small import would; what the job page words itself
(the kind's title, the phase, the time left) is worded when shown, in the reader's.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import Job, JobStatus, TrainingSession, User
from . import csv_import, session_import
from .account_import import NewAccount
from .claims import claim_ids
from .csv_import import ApplyResult, FileProblem, Preview, PreviewRow, RowKind
from .dates import zone
from .journal import Actor
from .language import _, _l, ngettext, speaking
from .sessions import VersionConflict

log = logging.getLogger("portal.jobs")

JOB_ROWS = 5_000  # an import of more rows than this runs as a job
LEASE = timedelta(minutes=5)  # renewed by every progress report
MAX_TRIES = 3  # a job its workers died on this many times is failed, not taken again
ERROR_MAX = 1000
RECENT_JOBS = 5  # listed on the import page
JOB_LIFETIME = timedelta(days=30)  # finished jobs older than this are deleted


class JobFailed(Exception):
    """A job cannot do its work; the message tells the admin why and what to do."""


Report = Callable[[str, int], None]


@dataclass(frozen=True)
class JobKind:
    """What a kind of job does. ``run(db, job, report, now)`` does the work in ``db``'s
    transaction (it does not commit) and returns the result the page shows (JSON);
    ``phases`` are its (phase, label, share of the work) in order."""

    name: str
    title: str
    run: Callable[[Session, Job, Report, datetime], dict]
    phases: tuple[tuple[str, str, float], ...]


KINDS: dict[str, JobKind] = {}


def register(kind: JobKind) -> JobKind:
    KINDS[kind.name] = kind
    return kind


# --- queueing and claiming ---------------------------------------------------------


def enqueue(db: Session, *, kind: str, owner_id: int, session_id: int | None,
            upload_token: str, file_name: str, rows_total: int, params: dict,
            now: datetime) -> Job:
    """Queue a job in the caller's transaction (the caller commits); finished jobs older
    than JOB_LIFETIME go at the same time."""
    if kind not in KINDS:
        raise ValueError(f"unknown job kind {kind!r}")
    db.execute(delete(Job).where(Job.status.in_((JobStatus.DONE.value, JobStatus.FAILED.value)),
                                 Job.created_at < now - JOB_LIFETIME))
    job = Job(kind=kind, status=JobStatus.QUEUED.value, owner_id=owner_id,
              session_id=session_id, upload_token=upload_token, file_name=file_name,
              params=params, phase="", rows_done=0, rows_total=rows_total, tries=0,
              created_at=now, error="")
    db.add(job)
    db.flush()
    return job


def _due(now: datetime):
    return or_(Job.status == JobStatus.QUEUED.value,
               and_(Job.status == JobStatus.RUNNING.value, Job.claimed_until <= now))


def claim_due(db: Session, *, now: datetime, limit: int = 1) -> list[Job]:
    """Claim up to ``limit`` due jobs, oldest first, for this worker and commit the claim.

    A job its workers died on MAX_TRIES times is failed instead of taken again."""
    stalled = db.execute(select(Job.id, User.language).outerjoin(User, User.id == Job.owner_id)
                         .where(Job.status == JobStatus.RUNNING.value,
                                Job.claimed_until <= now, Job.tries >= MAX_TRIES)).all()
    for job_id, language in stalled:  # rare: one at a time, each in its owner's language
        with speaking(language):
            error = _("The worker stopped %(tries)s times while running this job; nothing "
                      "of it was kept. Try a smaller file, or ask your administrator to "
                      "look at the worker's log.", tries=MAX_TRIES)
        db.execute(update(Job).where(Job.id == job_id, Job.status == JobStatus.RUNNING.value)
                   .values(status=JobStatus.FAILED.value, finished_at=now,
                           claimed_until=None, error=error)
                   .execution_options(synchronize_session=False))
    claimed = claim_ids(db, Job, _due(now), (Job.id,), limit,
                        {"status": JobStatus.RUNNING.value, "claimed_until": now + LEASE,
                         "tries": Job.tries + 1, "started_at": now, "phase": "",
                         "rows_done": 0})
    db.commit()
    if not claimed:
        return []
    return list(db.scalars(select(Job).where(Job.id.in_(claimed)).order_by(Job.id)
                           .execution_options(populate_existing=True)))


# --- running -----------------------------------------------------------------------


class ProgressWriter:
    """Writes a running job's phase and rows done on a connection of its own, committed
    at once (visible to every server while the job's transaction is open), and renews
    the job's lease. Progress is advice: a report that cannot be written (SQLite busy
    with the job's own writes) is logged and skipped, never a reason to fail the job."""

    def __init__(self, engine, job_id: int, clock_now: Callable[[], datetime]):
        self.engine, self.job_id, self.clock_now = engine, job_id, clock_now

    def __call__(self, phase: str, rows_done: int) -> None:
        try:
            with self.engine.begin() as connection:
                connection.execute(update(Job).where(
                    Job.id == self.job_id, Job.status == JobStatus.RUNNING.value,
                ).values(phase=phase, rows_done=rows_done,
                         claimed_until=self.clock_now() + LEASE))
        except Exception:  # noqa: BLE001 - progress is advice; the job goes on
            log.warning("progress of job %s not recorded", self.job_id, exc_info=True)


def run_job(db: Session, job: Job, *, now: datetime,
            clock_now: Callable[[], datetime] | None = None) -> str:
    """Run a claimed ``job`` to its end: its work and its result in one transaction, or,
    on failure, nothing of its work and the reason. Returns the job's final status."""
    kind = KINDS.get(job.kind)
    report = ProgressWriter(db.get_bind().engine, job.id, clock_now or (lambda: now))
    owner = db.get(User, job.owner_id) if job.owner_id is not None else None
    with speaking(owner.language if owner is not None else None):
        return _run_job(db, job, kind, report, now)


def _run_job(db: Session, job: Job, kind: JobKind | None, report: Report,
             now: datetime) -> str:
    try:
        if kind is None:
            raise JobFailed(_("This portal does not know jobs of the kind “%(kind)s”.",
                              kind=job.kind))
        result = kind.run(db, job, report, now)
        _finish(db, job, JobStatus.DONE, now, result=result)
        db.commit()
        return JobStatus.DONE.value
    except Exception as error:  # noqa: BLE001 - any failure is the job's, recorded below
        db.rollback()
        if not isinstance(error, JobFailed):
            log.exception("job %s (%s) failed", job.id, job.kind)
        _finish(db, job, JobStatus.FAILED, now, error=failure_text(error))
        db.commit()
        return JobStatus.FAILED.value


def _finish(db: Session, job: Job, status: JobStatus, now: datetime, *,
            result: dict | None = None, error: str = "") -> None:
    # Only while this worker holds it: a job taken by another worker after a stall is theirs.
    db.execute(update(Job).where(Job.id == job.id, Job.status == JobStatus.RUNNING.value)
               .values(status=status.value, result=result, error=error[:ERROR_MAX],
                       finished_at=now, claimed_until=None,
                       phase="done" if status is JobStatus.DONE else job.phase)
               .execution_options(synchronize_session=False))


def failure_text(error: Exception) -> str:
    """What a failed job tells the admin: nothing was kept, and why."""
    if isinstance(error, JobFailed):
        return str(error)
    if isinstance(error, IntegrityError):
        return _("Nothing was written: enrolments changed while the import was being "
                 "applied. Upload the file again to see the new preview.")
    first_line = (str(error).strip().splitlines() or [""])[0][:300]
    detail = f"{type(error).__name__}: {first_line}"
    return _("Nothing was written: the import stopped on an unexpected error (%(error)s). "
             "Try again; if it happens again, give this message to your administrator.",
             error=detail)


def run_due(db: Session, *, now: datetime,
            clock_now: Callable[[], datetime] | None = None) -> int | None:
    """Claim one due job and run it to its end: the worker's step between two outbox
    batches (and the tests'). Returns the job's id, or None when none was due."""
    claimed = claim_due(db, now=now, limit=1)
    if not claimed:
        return None
    job_id = claimed[0].id
    run_job(db, claimed[0], now=now, clock_now=clock_now)
    return job_id


# --- what the pages show ---------------------------------------------------------------


@dataclass(frozen=True)
class JobView:
    """A job as its page shows it: its state, and while it runs how far it is."""

    id: int
    title: str
    status: str
    file_name: str
    session_id: int | None
    phase_label: str
    rows_done: int
    rows_total: int
    percent: int
    time_left: str  # "" until there is enough to tell
    error: str
    created_at: datetime
    finished_at: datetime | None
    waiting_long: bool  # queued for a while: no worker seems to be running

    @property
    def running(self) -> bool:
        return self.status in (JobStatus.QUEUED.value, JobStatus.RUNNING.value)


WAITING_LONG = timedelta(seconds=30)


def job_view(job: Job, *, now: datetime) -> JobView:
    kind = KINDS.get(job.kind)
    phases = kind.phases if kind else ()
    done_share, label = 0.0, ""
    total = max(job.rows_total, 1)
    for phase, phase_label, share in phases:
        if phase == job.phase:
            label = str(phase_label)
            done_share += share * min(job.rows_done, total) / total
            break
        done_share += share
    else:
        done_share = 1.0 if job.status == JobStatus.DONE.value else 0.0
    if job.status == JobStatus.QUEUED.value:
        label, done_share = _("Waiting for the worker"), 0.0
    elif job.status == JobStatus.RUNNING.value and not job.phase:
        label = _("Starting")
    return JobView(
        id=job.id, title=str(kind.title) if kind else job.kind, status=job.status,
        file_name=job.file_name, session_id=job.session_id, phase_label=label,
        rows_done=job.rows_done, rows_total=job.rows_total,
        percent=100 if job.status == JobStatus.DONE.value else min(99, int(done_share * 100)),
        time_left=_time_left(job, done_share, now) if job.status == "running" else "",
        error=job.error, created_at=job.created_at, finished_at=job.finished_at,
        waiting_long=job.status == JobStatus.QUEUED.value
        and now - job.created_at > WAITING_LONG)


def _time_left(job: Job, done_share: float, now: datetime) -> str:
    """From the pace so far: the work left at the rate the work done took."""
    if job.started_at is None or done_share < 0.05:
        return ""
    elapsed = (now - job.started_at).total_seconds()
    if elapsed < 1:
        return ""
    left = elapsed * (1 - done_share) / done_share
    if left < 5:
        return _("a few seconds left")
    if left < 90:
        seconds = int(round(left, -1)) or 10
        return ngettext("about %(num)s second left", "about %(num)s seconds left", seconds)
    minutes = round(left / 60)
    return ngettext("about %(num)s minute left", "about %(num)s minutes left", minutes)


def owned_job(db: Session, job_id: int, *, owner_id: int) -> Job | None:
    """The job ``job_id`` if ``owner_id`` started it (another admin's is not shown)."""
    return db.scalar(select(Job).where(Job.id == job_id, Job.owner_id == owner_id))


def recent_jobs(db: Session, *, owner_id: int, session_id: int | None,
                now: datetime) -> list[JobView]:
    """The admin's latest jobs started from this page (a session's, or the global one)."""
    here = Job.session_id.is_(None) if session_id is None else Job.session_id == session_id
    found = db.scalars(select(Job).where(Job.owner_id == owner_id, here)
                       .order_by(Job.created_at.desc(), Job.id.desc()).limit(RECENT_JOBS))
    return [job_view(job, now=now) for job in found]


# --- the enrolment import's two jobs ---------------------------------------------------

ENROLMENT_PREVIEW = "enrolment_preview"
ENROLMENT_APPLY = "enrolment_apply"
# What an enrolment import's apply says when it writes nothing (the page's and the job's).
ENROLMENTS_CHANGED = _l("Something changed since the preview (users, sessions or "
                        "enrolments): here is the new preview. Nothing was written; check "
                        "it and apply again.")


def rows_in_error(count: int) -> str:
    return ngettext("Nothing was written: %(num)s row in error. Fix the file and upload it "
                    "again, or tick “apply the valid rows only”.",
                    "Nothing was written: %(num)s rows in error. Fix the file and upload it "
                    "again, or tick “apply the valid rows only”.", count)


class RowsShown(list):
    """The rows of a stored preview kept for the page (the first ones of each kind); its
    length is the number of rows in the file, which the page reports."""

    def __init__(self, rows, total: int):
        super().__init__(rows)
        self.total = total

    def __len__(self) -> int:
        return self.total


@dataclass
class StoredPreview(Preview):
    """A preview as a job stored it: counts of every row, the first rows of each kind."""

    stored_kept_by_class: int = 0
    stored_signature: str = ""

    @property
    def kept_by_class(self) -> int:
        return self.stored_kept_by_class

    def signature(self) -> str:
        return self.stored_signature


_NOT_STORED = frozenset({"rows", "counts", "accounts"})


def store_preview(result: Preview, *, rows_shown: int) -> dict:
    """What the page of ``result`` needs, in a size fixed by ``rows_shown``."""
    shown = [asdict(row) for kind in csv_import.KIND_ORDER
             for row in result.of_kind(kind, rows_shown)]
    accounts = list(getattr(result, "accounts", []) or [])
    return {
        "fields": {f.name: getattr(result, f.name) for f in fields(Preview)
                   if f.name not in _NOT_STORED},
        "row_count": len(result.rows),
        "counts": {kind.value: result.counts[kind] for kind in csv_import.KIND_ORDER},
        "rows": shown,
        # An account's own rows are in the rows above already.
        "accounts": [{name: value for name, value in asdict(account).items() if name != "rows"}
                     for account in accounts[:rows_shown]],
        "account_count": len(accounts),
        "kept_by_class": result.kept_by_class,
        "signature": result.signature(),
    }


def stored_preview(stored: dict) -> StoredPreview:
    """The preview a job stored, ready for the preview page."""
    rows = [PreviewRow(**{**row, "kind": RowKind(row["kind"])}) for row in stored["rows"]]
    values = dict(stored["fields"])
    if "ignored_columns" in values:
        values["ignored_columns"] = tuple(values["ignored_columns"])
    extra = {}
    if "accounts" in {f.name for f in fields(Preview)}:
        extra["accounts"] = RowsShown([NewAccount(**account) for account in stored["accounts"]],
                                      stored["account_count"])
    return StoredPreview(
        rows=RowsShown(rows, stored["row_count"]),
        counts=Counter({RowKind(kind): n for kind, n in stored["counts"].items()}),
        stored_kept_by_class=stored["kept_by_class"],
        stored_signature=stored["signature"], **extra, **values)


def stored_outcome(stored: dict) -> ApplyResult:
    return ApplyResult(**stored)


def _upload_of(db: Session, job: Job, now: datetime):
    upload = csv_import.waiting_upload(db, job.upload_token, user_id=job.owner_id,
                                       session_id=job.session_id, now=now)
    if upload is None:
        raise JobFailed(_("The uploaded file is no longer waiting: it was applied already "
                          "or is older than 24 hours. Upload it again."))
    return upload


def _read_and_preview(db: Session, job: Job, report: Report, now: datetime):
    upload = _upload_of(db, job, now)
    parsed = csv_import.read_csv(upload.content, session_required=job.session_id is None,
                                 progress=report)
    if isinstance(parsed, FileProblem):
        raise JobFailed(parsed.message)
    fixed = db.get(TrainingSession, job.session_id) if job.session_id is not None else None
    if job.session_id is not None and fixed is None:
        raise JobFailed(_("The session of this import no longer exists."))
    options = (job.params or {}).get("preview_options", {})
    return upload, csv_import.preview(db, parsed, fixed, progress=report, **options)


def _run_enrolment_preview(db: Session, job: Job, report: Report, now: datetime) -> dict:
    upload, result = _read_and_preview(db, job, report, now)
    if not result.change_count:  # nothing to apply: nothing to keep
        db.delete(upload)
    return {"view": "preview", "preview": store_preview(result, rows_shown=_shown(job)),
            "apply_token": upload.token if result.change_count else None,
            "status": 200, "notice": None}


def _run_enrolment_apply(db: Session, job: Job, report: Report, now: datetime) -> dict:
    params = job.params or {}
    upload, result = _read_and_preview(db, job, report, now)
    stored = {"view": "preview", "apply_token": upload.token}
    if params.get("signature") != result.signature():
        return {**stored, "preview": store_preview(result, rows_shown=_shown(job)),
                "status": 409, "notice": str(ENROLMENTS_CHANGED)}
    valid_only = bool(params.get("valid_rows_only"))
    if result.error_count and not valid_only:
        return {**stored, "preview": store_preview(result, rows_shown=_shown(job)),
                "status": 422, "notice": rows_in_error(result.error_count)}
    by = Actor(job.owner_id, params.get("by_name", ""), params.get("request_id"),
               params.get("address"))
    outcome = csv_import.apply(db, result, file_name=job.file_name, valid_rows_only=valid_only,
                               by=by, now=now, progress=report)
    db.delete(upload)
    db.flush()
    return {"view": "applied",
            "outcome": {f.name: getattr(outcome, f.name) for f in fields(ApplyResult)
                        if f.name != "changes"}}


def _shown(job: Job) -> int:
    return int((job.params or {}).get("rows_shown", 200))


register(JobKind(ENROLMENT_PREVIEW, _l("Preview of an enrolment import"),
                 _run_enrolment_preview,
                 (("reading", _l("Reading the file"), 0.5),
                  ("checking", _l("Checking users, sessions and enrolments"), 0.5))))
register(JobKind(ENROLMENT_APPLY, _l("Enrolment import"), _run_enrolment_apply,
                 (("reading", _l("Reading the file"), 0.35),
                  ("checking", _l("Checking users, sessions and enrolments"), 0.35),
                  ("writing", _l("Writing the enrolments"), 0.3))))


# --- the sessions import's two jobs ----------------------------------------------------

SESSIONS_PREVIEW = "sessions_preview"
SESSIONS_APPLY = "sessions_apply"
SESSION_KINDS = frozenset({SESSIONS_PREVIEW, SESSIONS_APPLY})
# A sessions file goes to a job from far fewer rows than an enrolment file: each session
# is written on its own through create_session / update_session (about ten queries with
# its courses, coaches and journal), so 200 sessions already take seconds to apply.
SESSION_JOB_ROWS = 200


@dataclass
class StoredSessionsPreview(session_import.Preview):
    """A sessions preview as a job stored it: the counts of every row, the first
    ``shown_limit`` rows of each kind (their length is still the count of that kind)."""

    stored_signature: str = ""
    shown_limit: int | None = None

    def of_kind(self, kind) -> list:
        kind = session_import.Kind(kind)
        return RowsShown([row for row in self.rows if row.kind is kind], self.counts[kind])

    def signature(self) -> str:
        return self.stored_signature


def store_sessions_preview(result: session_import.Preview, *, rows_shown: int) -> dict:
    """What the sessions preview page needs, in a size fixed by ``rows_shown``."""
    shown = [row for kind in session_import.KIND_ORDER
             for row in result.of_kind(kind)[:rows_shown]]
    return {
        "separator_name": result.separator_name,
        "ignored_columns": list(result.ignored_columns),
        "categories_to_create": result.categories_to_create[:rows_shown],
        "row_count": len(result.rows),
        "counts": {kind.value: result.counts[kind] for kind in session_import.KIND_ORDER},
        "rows": [{"number": row.number, "name": row.name, "code": row.code,
                  "kind": row.kind.value, "session_id": row.session_id,
                  "warning": row.warning,
                  "errors": [asdict(error) for error in row.errors],
                  "changes": [asdict(change) for change in row.changes]} for row in shown],
        "signature": result.signature(),
        "rows_shown": rows_shown,
    }


def stored_sessions_preview(stored: dict) -> StoredSessionsPreview:
    """The sessions preview a job stored, ready for the preview page."""
    rows = [session_import.SessionRow(
        row["number"], row["name"], row["code"], session_import.Kind(row["kind"]),
        row["session_id"], warning=row["warning"],
        errors=[session_import.RowError(**error) for error in row["errors"]],
        changes=[session_import.Change(**change) for change in row["changes"]])
        for row in stored["rows"]]
    return StoredSessionsPreview(
        rows=RowsShown(rows, stored["row_count"]), separator_name=stored["separator_name"],
        ignored_columns=tuple(stored["ignored_columns"]),
        categories_to_create=stored["categories_to_create"],
        counts=Counter({session_import.Kind(kind): n for kind, n in stored["counts"].items()}),
        stored_signature=stored["signature"], shown_limit=stored["rows_shown"])


def stored_sessions_outcome(stored: dict) -> session_import.ImportOutcome:
    return session_import.ImportOutcome(
        created=RowsShown(stored["created"], stored["created_count"]),
        updated=RowsShown(stored["updated"], stored["updated_count"]),
        unchanged=stored["unchanged"], categories=stored["categories"],
        head_id=stored["head_id"])


def _sessions_read_and_preview(db: Session, job: Job, report: Report, now: datetime):
    upload = _upload_of(db, job, now)
    parsed = session_import.read_sessions_file(upload.content, progress=report)
    if isinstance(parsed, FileProblem):
        raise JobFailed(parsed.message)
    tz = zone((job.params or {}).get("tz"))
    return upload, session_import.preview(db, parsed, tz=tz, progress=report)


def _sessions_preview_page(db: Session, job: Job, upload, result, *, status: int,
                           notice: str | None) -> dict:
    """The stored preview; the upload kept only if it can be applied (all or nothing)."""
    applicable = bool(result.change_count and not result.error_count)
    if not applicable:
        db.delete(upload)
    return {"view": "preview", "status": 422 if result.error_count else status,
            "notice": str(notice) if notice else None,
            "apply_token": upload.token if applicable else None,
            "preview": store_sessions_preview(result, rows_shown=_shown(job))}


def _run_sessions_preview(db: Session, job: Job, report: Report, now: datetime) -> dict:
    upload, result = _sessions_read_and_preview(db, job, report, now)
    return _sessions_preview_page(db, job, upload, result, status=200, notice=None)


def _run_sessions_apply(db: Session, job: Job, report: Report, now: datetime) -> dict:
    params = job.params or {}
    upload, result = _sessions_read_and_preview(db, job, report, now)
    if params.get("signature") != result.signature() or result.error_count:
        return _sessions_preview_page(db, job, upload, result, status=409,
                                      notice=session_import.CHANGED_MEANWHILE)
    by = Actor(job.owner_id, params.get("by_name", ""), params.get("request_id"),
               params.get("address"))
    try:
        outcome = session_import.apply_import(db, result, file_name=job.file_name, by=by,
                                              now=now, progress=report)
        db.delete(upload)
        db.flush()
    except (IntegrityError, VersionConflict) as error:
        raise JobFailed(_("Nothing was written: sessions changed while the import was being "
                          "applied. Upload the file again to see the new preview.")) from error
    return {"view": "applied", "outcome": {
        "created": outcome.created[:RESULT_NAMES], "created_count": len(outcome.created),
        "updated": outcome.updated[:RESULT_NAMES], "updated_count": len(outcome.updated),
        "unchanged": outcome.unchanged, "categories": outcome.categories,
        "head_id": outcome.head_id}}


RESULT_NAMES = 50  # the sessions a result page names; the counts cover them all

_SESSIONS_READ = (("reading", _l("Reading the file"), 0.1),
                  ("checking", _l("Checking sessions, courses, coaches and classes"), 0.3))
register(JobKind(SESSIONS_PREVIEW, _l("Preview of a sessions import"), _run_sessions_preview,
                 (("reading", _l("Reading the file"), 0.25),
                  ("checking", _l("Checking sessions, courses, coaches and classes"), 0.75))))
register(JobKind(SESSIONS_APPLY, _l("Sessions import"), _run_sessions_apply,
                 (*_SESSIONS_READ, ("writing", _l("Writing the sessions"), 0.6))))


# Kinds kept in their own modules, registered with the rest.
from . import welcome_jobs  # noqa: E402, F401
