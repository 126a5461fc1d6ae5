"""The worker: a process beside the web servers that delivers the outbox and runs the
schedule. ``flask --app portal worker`` (several may run against PostgreSQL; one against
SQLite). It stops cleanly on SIGTERM or Ctrl-C: the message being sent is finished and
recorded, the others go back to the queue for the next start.

Each message's outcome is committed as soon as it is known, so a worker killed in the
middle of a batch leaves only the message it was sending in doubt; that one is due again
once its claim runs out (portal.domain.outbox.CLAIM_LEASE) and goes out with the same
Message-ID, which mail programs use to recognise a message they already have.
"""

import logging
import signal
import threading
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy.orm import Session

from . import clock
from .domain import notify, outbox
from .extensions import db
from .mailer import PermanentFailure, TemporaryFailure, transport_from_config
from .models import MessageStatus

log = logging.getLogger("portal.worker")
SCHEDULE_EVERY = timedelta(minutes=1)


def _session(connection) -> Session:
    """The worker's session for one batch, on one connection.

    Its objects outlive each commit (it commits after every message, and reloading the
    batch each time would cost more than sending it). Its commits do not wait for the
    disk: a crash of the database server itself may forget the last outcomes recorded
    (under a second's worth), and those messages then go again with their Message-ID;
    a crash of the worker loses nothing. That halves the time a message takes."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET synchronous_commit TO off")
    else:
        connection.exec_driver_sql("PRAGMA synchronous = NORMAL")  # WAL: no fsync per commit
    connection.commit()
    return Session(connection, expire_on_commit=False)


class Worker:
    def __init__(self, app: Flask, *, batch: int = 200, poll_seconds: float = 2.0):
        self.app = app
        self.batch = batch
        self.poll_seconds = poll_seconds
        self.stopping = threading.Event()
        self.transport = transport_from_config(app.config, app.instance_path)
        self.mail_from = app.config["MAIL_FROM"]
        self.schedule_due_at: datetime | None = None
        self.delivered = 0

    def stop(self, *_args) -> None:
        self.stopping.set()

    def run(self, *, drain: bool = False) -> int:
        """Deliver until stopped; with ``drain``, until nothing is due. Returns the number
        of messages handed over."""
        with self.app.app_context():
            while not self.stopping.is_set():
                with db.engine.connect() as connection, _session(connection) as session:
                    now = clock.now()
                    self.run_schedule_if_due(session, now)
                    sent_any = self.deliver_batch(session, now)
                if not sent_any:
                    if drain:
                        break
                    self.stopping.wait(self.poll_seconds)
        return self.delivered

    def run_schedule_if_due(self, session: Session, now: datetime) -> None:
        """Once a minute: the time-based messages (reminders) that are due by now."""
        if self.schedule_due_at is not None and now < self.schedule_due_at:
            return
        notify.run_schedule(session, now=now)
        session.commit()
        # With --now the clock stands still: such a run does the schedule once.
        self.schedule_due_at = now + SCHEDULE_EVERY

    def deliver_batch(self, session: Session, now: datetime) -> bool:
        messages = outbox.claim_due(session, now=now, limit=self.batch)
        if not messages:
            return False
        ready = self._render(session, messages)
        try:
            with self.transport.connection() as connection:
                for message in ready:
                    if self.stopping.is_set():
                        break  # the rest go back to the queue below
                    self._deliver(session, connection, message)
        except TemporaryFailure as failure:  # could not even connect
            log.warning("mail server unavailable: %s", failure)
            for message in ready:
                if message.status == MessageStatus.SENDING.value:
                    outbox.mark_failed_for_now(session, message, str(failure), now=clock.now())
            session.commit()
        self._release_unsent(session, messages)
        return True

    def _render(self, session: Session, messages) -> list:
        """Write the batch's new messages for their recipients, in one transaction; those
        that no longer concern anyone are set aside. Returns the messages to send."""
        ready, cache = [], notify.RenderCache()
        cache.prepare(session, [m for m in messages if m.rendered_at is None])
        for message in messages:
            if message.rendered_at is not None:
                ready.append(message)
                continue
            try:
                notify.render(session, message, now=clock.now(), cache=cache)
            except notify.RecipientGone as gone:
                outbox.mark_failed(session, message, str(gone))
            except notify.NoLongerDue as reason:
                outbox.mark_cancelled(session, message, str(reason))
            else:
                ready.append(message)
        session.commit()  # what is sent, and retried, is what was rendered now
        return ready

    def _deliver(self, session: Session, connection, message) -> None:
        email = outbox.as_email(message, mail_from=self.mail_from,
                                headers=notify.list_headers(message))
        try:
            connection.send(email)
        except PermanentFailure as failure:
            outbox.mark_failed(session, message, str(failure))
            log.warning("message %s refused for good: %s", message.id, failure)
        except TemporaryFailure as failure:
            outbox.mark_failed_for_now(session, message, str(failure), now=clock.now())
        else:
            outbox.mark_sent(session, message, now=clock.now())
            self.delivered += 1
        session.commit()

    def _release_unsent(self, session: Session, messages) -> None:
        """Messages left unsent by a stop go back to the queue at once; their try does
        not count."""
        left = [m for m in messages if m.status == MessageStatus.SENDING.value]
        for message in left:
            message.status = MessageStatus.QUEUED.value
            message.tries -= 1
            message.claimed_until = None
        if left:
            session.commit()


def run_worker(app: Flask, *, drain: bool, batch: int, poll_seconds: float) -> int:
    worker = Worker(app, batch=batch, poll_seconds=poll_seconds)
    signal.signal(signal.SIGTERM, worker.stop)
    signal.signal(signal.SIGINT, worker.stop)
    return worker.run(drain=drain)
