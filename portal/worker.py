"""The worker: a process beside the web servers that delivers the outbox, runs the
schedule and runs background jobs (big imports, portal.domain.jobs). ``flask --app
portal worker`` (several may run against PostgreSQL; one against SQLite). It stops
cleanly on SIGTERM or Ctrl-C: the message being sent is finished and recorded, the
others go back to the queue for the next start; a job being run is finished (a big
import takes seconds, and stopping it half-way would only mean running it again).

Between two outbox batches it runs at most one due job to its end: messages wait at
most one job's length (a few seconds for the largest import), and a queue of jobs does
not hold the outbox up for longer than that each turn.

A batch is sent on one connection by a sender thread while this thread writes the next
messages (renders them, commits what it rendered, turns them into MIME): the SMTP
conversation of one message overlaps the writing of the next. The sender only talks
SMTP; every database write happens here. A message is marked sent once the server has
accepted it, and outcomes are committed a group at a time (with the next rendering), so
a worker killed in the middle of a batch leaves in doubt the messages handed over since
the last commit (at most OUTCOMES_AHEAD, and the one being sent); those are due again
once their claim runs out (portal.domain.outbox.CLAIM_LEASE) and go out with the same
Message-ID, which mail programs use to recognise a message they already have.
"""

import logging
import queue
import signal
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr

from flask import Flask
from sqlalchemy.orm import Session

from . import clock
from .domain import jobs, notify, outbox
from .extensions import db
from .mailer import Envelope, PermanentFailure, TemporaryFailure, transport_from_config
from .models import MessageStatus, OutboxMessage

log = logging.getLogger("portal.worker")
SCHEDULE_EVERY = timedelta(minutes=1)
# Messages written at a time (rendered, committed, then handed to the sender), and how
# many may wait for the sender.
CHUNK = 20
# The most messages handed over whose outcome is not committed yet, besides the one being
# sent: those waiting at a commit and the chunk handed over after it.
OUTCOMES_AHEAD = 2 * CHUNK


def _session(connection) -> Session:
    """The worker's session for one batch, on one connection.

    Its objects outlive each commit (it commits after every CHUNK of messages, and
    reloading the batch each time would cost more than sending it). Its commits do not
    wait for the disk: a crash of the database server itself may forget the last outcomes
    recorded (under a second's worth), and those messages then go again with their
    Message-ID; a crash of the worker loses nothing."""
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
        self.sender_address = parseaddr(self.mail_from)[1]
        self.schedule_due_at: datetime | None = None
        self.delivered = 0
        self.jobs_run = 0

    def stop(self, *_args) -> None:
        self.stopping.set()

    def run(self, *, drain: bool = False) -> int:
        """Deliver and run jobs until stopped; with ``drain``, until nothing is due.
        Returns the number of messages handed over."""
        with self.app.app_context():
            while not self.stopping.is_set():
                with db.engine.connect() as connection, _session(connection) as session:
                    now = clock.now()
                    self.run_schedule_if_due(session, now)
                    sent_any = self.deliver_batch(session, now)
                ran_job = not self.stopping.is_set() and self.run_one_job()
                if not sent_any and not ran_job:
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

    def run_one_job(self) -> bool:
        """Run one due job, if any, on a session of its own (ordinary durable commits:
        an import's result must not be forgotten). True if one ran."""
        with Session(db.engine) as session:
            ran = jobs.run_due(session, now=clock.now(), clock_now=clock.now) is not None
        self.jobs_run += ran
        return ran

    def deliver_batch(self, session: Session, now: datetime) -> bool:
        messages = outbox.claim_due(session, now=now, limit=self.batch)
        if not messages:
            return False
        try:
            with self.transport.connection() as connection:
                self._send_all(session, connection, messages)
        except TemporaryFailure as failure:  # could not even connect
            log.warning("mail server unavailable: %s", failure)
            for message in messages:
                if message.status == MessageStatus.SENDING.value:
                    outbox.mark_failed_for_now(session, message, str(failure), now=clock.now())
            session.commit()
        self._release_unsent(session, messages)
        return True

    def _send_all(self, session: Session, connection, messages: list[OutboxMessage]) -> None:
        # What rendering reads, read once for the batch (a few queries, not a few per message).
        cache = notify.RenderCache()
        cache.prepare(session, [m for m in messages if m.rendered_at is None])
        sender = _Sender(connection, self.stopping)
        sender.start()
        try:
            for start in range(0, len(messages), CHUNK):
                if self.stopping.is_set():
                    break  # the rest go back to the queue (_release_unsent)
                chunk = self._render(session, messages[start:start + CHUNK], cache)
                self._record(session, sender.outcomes())
                session.commit()  # what is sent, and retried, is what was rendered now
                for message in chunk:
                    sender.todo.put((message, self._envelope(message)))
        except BaseException:
            sender.finish()  # what it was handed goes out (rendered and committed already)
            self._keep_outcomes(session, sender)
            raise
        sender.finish()
        self._record(session, sender.outcomes())
        session.commit()
        if sender.error is not None:
            raise sender.error

    def _keep_outcomes(self, session: Session, sender: "_Sender") -> None:
        """After an error here (a message that cannot be rendered, the database gone):
        record what the server accepted before it, or those would go again each time the
        claim runs out. If the database is what failed, they go again, same Message-ID."""
        try:
            session.rollback()
            self._record(session, sender.outcomes())
            session.commit()
        except Exception:  # noqa: BLE001 - the error being raised matters more
            log.exception("the outcomes of messages already sent could not be recorded")

    def _render(self, session: Session, messages: list[OutboxMessage],
                cache: notify.RenderCache) -> list[OutboxMessage]:
        """Write the new messages for their recipients (committed by the caller); those
        that no longer concern anyone are set aside. Returns the messages to send."""
        ready, now = [], clock.now()
        for message in messages:
            if message.rendered_at is not None:
                ready.append(message)
                continue
            try:
                notify.render(session, message, now=now, cache=cache)
            except notify.RecipientGone as gone:
                outbox.mark_failed(session, message, str(gone))
            except notify.NoLongerDue as reason:
                outbox.mark_cancelled(session, message, str(reason))
            else:
                ready.append(message)
        return ready

    def _envelope(self, message: OutboxMessage) -> Envelope:
        email = outbox.as_email(message, mail_from=self.mail_from,
                                headers=notify.list_headers(message))
        return Envelope(self.sender_address, message.to_address, message.message_id,
                        outbox.wire_bytes(email))

    def _record(self, session: Session, outcomes: list["_Outcome"]) -> None:
        """Apply the sender's outcomes to their messages (the caller commits)."""
        for outcome in outcomes:
            message, failure = outcome.message, outcome.failure
            if isinstance(failure, PermanentFailure):
                outbox.mark_failed(session, message, str(failure))
                log.warning("message %s refused for good: %s", message.id, failure)
            elif failure is not None:
                outbox.mark_failed_for_now(session, message, str(failure), now=outcome.at)
            else:
                outbox.mark_sent(session, message, now=outcome.at)
                self.delivered += 1

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


@dataclass(frozen=True)
class _Outcome:
    message: OutboxMessage
    failure: Exception | None  # None: the server accepted the message
    at: datetime


class _Sender(threading.Thread):
    """Hands messages over on one connection, in order, while the worker writes the next.
    It reads nothing of a message but its envelope, and writes nothing but outcomes: the
    database session stays the worker thread's alone. Once the worker is stopping, it
    hands over nothing more (the message being sent is finished)."""

    def __init__(self, connection, stopping: threading.Event):
        super().__init__(name="mail-sender", daemon=True)
        self.connection = connection
        self.stopping = stopping
        self.todo: queue.Queue = queue.Queue(maxsize=CHUNK)
        self.done: queue.SimpleQueue = queue.SimpleQueue()
        self.error: BaseException | None = None

    def run(self) -> None:
        while (item := self.todo.get()) is not None:
            if self.stopping.is_set() or self.error is not None:
                continue  # left in "sending": released by the worker
            message, envelope = item
            try:
                self.connection.send(envelope)
            except (PermanentFailure, TemporaryFailure) as failure:
                self.done.put(_Outcome(message, failure, clock.now()))
            except BaseException as error:  # noqa: BLE001 - raised again by the worker
                self.error = error
            else:
                self.done.put(_Outcome(message, None, clock.now()))

    def outcomes(self) -> list[_Outcome]:
        found = []
        while not self.done.empty():
            found.append(self.done.get())
        return found

    def finish(self) -> None:
        """Wait until everything handed to the sender is sent (or skipped)."""
        self.todo.put(None)
        self.join()


def run_worker(app: Flask, *, drain: bool, batch: int, poll_seconds: float) -> int:
    worker = Worker(app, batch=batch, poll_seconds=poll_seconds)
    signal.signal(signal.SIGTERM, worker.stop)
    signal.signal(signal.SIGINT, worker.stop)
    return worker.run(drain=drain)
