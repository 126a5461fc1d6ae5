"""Handing in work: the rules of a submission and the storage of its attached file.

Files live in the upload folder (outside static/) under a random key; the
original name is kept in the database for the download. Handing in again
replaces the answer (and the file, when a new one is attached) until the work
is graded. ``hand_in`` is the one write of a submission, journaled.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import BinaryIO
from zoneinfo import ZoneInfo

from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..models import Assignment, Grade, Submission, TrainingSession, User
from . import journal
from .dates import format_local
from .journal import Actor
from .language import gettext as _
from .language import number_text

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_ANSWER_CHARS = 50_000
ALLOWED_EXTENSIONS = (
    "pdf", "txt", "md", "odt", "ods", "odp", "docx", "xlsx", "pptx", "png", "jpg", "jpeg", "zip",
)
_CHUNK = 64 * 1024
JOURNAL_ANSWER_CHARS = 60  # of an answer, the journal keeps the beginning
log = logging.getLogger("portal.uploads")


class HandInRefused(Exception):
    """Work that cannot be handed in; ``field`` names the form field at fault, if any."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class Upload:
    """An attached file as the browser sent it."""

    filename: str
    stream: BinaryIO


def clean_file_name(name: str) -> str:
    """The last part of the name the browser sent, without control characters, at most
    255 characters (the extension kept)."""
    base = PurePosixPath((name or "").replace("\\", "/")).name
    base = "".join(ch for ch in base if ch.isprintable()).strip()
    if len(base) > 255:
        stem, dot, ext = base.rpartition(".")
        base = (stem[: 254 - len(ext)] + dot + ext) if dot and len(ext) < 16 else base[:255]
    return base


def extension_problem(name: str) -> str | None:
    ext = name.rpartition(".")[2].lower() if "." in name else ""
    if ext in ALLOWED_EXTENSIONS:
        return None
    types = ", ".join(ALLOWED_EXTENSIONS)
    if ext:
        return _("“.%(ext)s” files cannot be handed in. Use one of: %(types)s.",
                 ext=ext, types=types)
    return _("Files without an extension cannot be handed in. Use one of: %(types)s.",
             types=types)


def graded_message(graded_at: datetime, tz: ZoneInfo) -> str:
    return _("Your work was graded on %(day)s; it can no longer be changed.",
             day=format_local(graded_at, tz, with_time=False))


def file_path(folder: Path, key: str) -> Path:
    return Path(folder) / key


def own_submission(db_session, session_id: int, assignment_id: int,
                   user_id: int) -> Submission | None:
    return own_submissions(db_session, session_id, user_id, [assignment_id]).get(assignment_id)


def own_submissions(db_session, session_id: int, user_id: int,
                    assignment_ids: list[int]) -> dict[int, Submission]:
    """assignment id -> the user's submission (grade loaded), for ``assignment_ids``."""
    if not assignment_ids:
        return {}
    rows = db_session.scalars(
        select(Submission)
        .where(Submission.session_id == session_id, Submission.user_id == user_id,
               Submission.assignment_id.in_(assignment_ids))
        .options(selectinload(Submission.grade))
    )
    return {s.assignment_id: s for s in rows}


def assignment_in_course(db_session, course_id: int, assignment_id: int) -> Assignment | None:
    """The assignment, if it belongs to ``course_id``; None otherwise."""
    return db_session.scalar(
        select(Assignment).where(Assignment.id == assignment_id,
                                 Assignment.course_id == course_id))


def session_submission(db_session, session_id: int, submission_id: int) -> Submission | None:
    """The submission with an attached file, if it was handed in ``session_id``."""
    return db_session.scalar(
        select(Submission).where(Submission.id == submission_id,
                                 Submission.session_id == session_id,
                                 Submission.file_key.is_not(None)))


def _store(upload: Upload, folder: Path) -> tuple[str, int]:
    """Copy the upload under a random key; refuse it past MAX_FILE_BYTES or empty, or
    when it cannot be written (disk full, folder not writable), leaving no file behind."""
    key = secrets.token_hex(16)
    path = file_path(folder, key)
    size = 0
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with open(path, "xb") as out:
            while chunk := upload.stream.read(_CHUNK):
                size += len(chunk)
                if size > MAX_FILE_BYTES:
                    break
                out.write(chunk)
    except OSError as error:
        log.error("A hand-in file could not be written to %s: %s", folder, error)
        _remove(folder, key)
        raise HandInRefused(
            _("Your file could not be saved: the portal's storage is full or unavailable. "
              "Nothing was handed in; try again later, or hand in your answer without the "
              "file."),
            "attachment") from None
    if size > MAX_FILE_BYTES or size == 0:
        path.unlink(missing_ok=True)
        if size == 0:
            raise HandInRefused(_("The file is empty. Attach the file with your work."),
                                "attachment")
        raise HandInRefused(
            _("The file is larger than %(size)s MB. Make it smaller (a PDF export, or a "
              "zip) and try again.", size=number_text(MAX_FILE_BYTES // (1024 * 1024))),
            "attachment")
    return key, size


@dataclass(frozen=True)
class HandedIn:
    """What a hand-in changed: the submission, whether it is the first one, and the
    journal's values of it (``before`` empty for a first hand-in)."""

    submission: Submission
    created: bool
    before: dict
    after: dict


def _journal_values(answer: str, file_name: str | None) -> dict:
    return {"file_name": file_name, "answer": answer[:JOURNAL_ANSWER_CHARS]}


def _check(existing: Submission | None, answer: str, upload: Upload | None,
           tz: ZoneInfo) -> None:
    """Refuse work that cannot be handed in (graded, too long, or nothing at all)."""
    if existing is not None and existing.grade is not None:
        raise HandInRefused(graded_message(existing.grade.graded_at, tz))
    if len(answer) > MAX_ANSWER_CHARS:
        raise HandInRefused(_("Write at most %(count)s characters.",
                              count=number_text(MAX_ANSWER_CHARS)), "answer")
    keeps_file = existing is not None and existing.file_key is not None
    if not answer.strip() and upload is None and not keeps_file:
        raise HandInRefused(_("Write an answer or attach a file."), "answer")


def hand_in(db_session, *, session: TrainingSession, assignment: Assignment, user: User,
            answer: str, upload: Upload | None, folder: Path, by: Actor, now: datetime,
            tz: ZoneInfo) -> HandedIn:
    """Create or replace ``user``'s submission, journal it (("submission", "create" or
    "update")) and commit.

    Unlike other writes this one commits, because the stored file must follow the
    transaction: the replaced file is deleted only once the commit succeeded, the new
    one as soon as it failed. Raises HandInRefused, with nothing written, when the work
    is graded, when there is neither an answer nor a file, or when the file is refused.
    """
    existing = own_submission(db_session, session.id, assignment.id, user.id)
    answer = answer or ""
    _check(existing, answer, upload, tz)
    name = key = size = None
    if upload is not None:
        name = clean_file_name(upload.filename)
        problem = extension_problem(name)
        if problem:
            raise HandInRefused(problem, "attachment")
        key, size = _store(upload, folder)
    values = {"answer": answer if answer.strip() else "", "submitted_at": now}
    old_key = None
    if key is not None:
        values.update(file_name=name, file_key=key, file_size=size)
        old_key = existing.file_key if existing is not None else None
    try:
        result = _write(db_session, session, assignment, user, existing, values, by, now)
        db_session.commit()
    except BaseException as error:
        db_session.rollback()
        if key is not None:
            _remove(folder, key)
        if isinstance(error, IntegrityError):
            # Two hand-ins of the same work at the same moment: the other one won.
            raise HandInRefused(_("This work was just handed in from elsewhere. "
                                  "Reload the page to see it, then try again.")) from None
        raise
    if old_key is not None:
        _remove(folder, old_key)
    return result


def _remove(folder: Path, key: str) -> None:
    """Delete a stored file; one that cannot be deleted is logged and left (the hand-in
    itself stands or fails on the database alone)."""
    try:
        file_path(folder, key).unlink(missing_ok=True)
    except OSError as error:
        log.error("A hand-in file could not be deleted: %s", error)


def _write(db_session, session: TrainingSession, assignment: Assignment, user: User,
           existing: Submission | None, values: dict, by: Actor, now: datetime) -> HandedIn:
    """The INSERT or UPDATE and its journal entry, flushed, not committed."""
    new = _journal_values(values["answer"], values.get(
        "file_name", existing.file_name if existing is not None else None))
    if existing is None:
        submission = Submission(session_id=session.id, assignment_id=assignment.id,
                                user_id=user.id, **values)
        db_session.add(submission)
        db_session.flush()
        before, after = {}, new
    else:
        submission = existing
        before, after = journal.changes(
            _journal_values(existing.answer or "", existing.file_name), new)
        # Replace only while ungraded, checked in the UPDATE itself: a grade saved
        # between our read and this write wins, and the learner is told.
        replaced = db_session.execute(
            update(Submission)
            .where(Submission.id == existing.id,
                   ~exists().where(Grade.submission_id == existing.id))
            .values(**values)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not replaced:
            raise HandInRefused(_("This work was graded a moment ago; it can no longer be "
                                  "changed. Reload the page to see the grade."))
        # The UPDATE bypassed the instance: the commit's expiry makes it read it again.
    journal.record(
        db_session, by, now, "submission", "create" if existing is None else "update",
        object_id=submission.id, object_label=assignment.title,
        session_id=session.id, session_label=session.name,
        learner_id=user.id, learner_label=user.full_name,
        before=before or None, after=after,
    )
    return HandedIn(submission, existing is None, before, after)
