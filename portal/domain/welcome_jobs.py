"""The welcome messages of a big enrolment, written by the worker.

A change that enrols more than ``notify.WELCOME_JOB_FROM`` learners (a 100,000-row
import, a 5,000-member class) queues one job in its own transaction instead of one
outbox row per learner; the worker runs it as soon as it is free, with the selection
``notify.queue_welcomes`` makes (the enrolments of those sessions made at that instant,
to active learners who did not turn welcomes off) and the same keys, so a message is
never lost (the job commits with the change) nor doubled (keys are unique), and a
learner unenrolled in between is not welcomed. The job has no owner: no page lists it.
"""

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import Job, OutboxMessage
from . import jobs, notify
from .language import _l


def _run(db: Session, job: Job, report: jobs.Report, now: datetime) -> dict:
    params = job.params or {}
    report("writing", 0)
    before = db.scalar(select(func.count()).select_from(OutboxMessage))
    notify.queue_welcomes(db, set(params.get("session_ids", ())), now=now,
                          enrolled_at=datetime.fromisoformat(params["enrolled_at"]))
    queued = db.scalar(select(func.count()).select_from(OutboxMessage)) - before
    return {"queued": queued}


KIND = jobs.register(jobs.JobKind(
    name=notify.WELCOME_JOB, title=_l("Welcome messages"), run=_run,
    phases=(("writing", _l("Writing the welcome messages"), 1.0),)))
