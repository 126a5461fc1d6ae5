"""Where the worker hands messages over: an SMTP server (``SMTP_URL``), or, with none
configured, ``.eml`` files in ``instance/mail/`` that any mail program opens.

``smtp://user:password@host:587`` talks plain SMTP and switches to TLS (STARTTLS) when the
server offers it, and requires it when a password is given; ``smtps://host:465`` uses TLS
from the first byte. One connection serves a whole batch.
"""

import os
import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .domain.language import _, _l


@dataclass(frozen=True)
class Envelope:
    """A message as it is handed over: its bytes (CRLF lines), whom it is from and to."""
    sender: str
    recipient: str
    message_id: str
    data: bytes


class TemporaryFailure(Exception):
    """Worth another try later (connection refused, 4xx)."""


class PermanentFailure(Exception):
    """Not worth another try (5xx: no such mailbox, message refused)."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    implicit_tls: bool
    username: str | None
    password: str | None
    timeout: float = 10.0

    @classmethod
    def from_url(cls, url: str) -> "SmtpSettings":
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("SMTP_URL must look like smtp://user:password@host:587 or smtps://host:465")
        implicit = parts.scheme == "smtps"
        return cls(parts.hostname, parts.port or (465 if implicit else 25), implicit,
                   unquote(parts.username) if parts.username else None,
                   unquote(parts.password) if parts.password else None)


# The failures worded here, kept with the message in English (the worker speaks no one's
# language); failure_text gives the outbox's reader their own words.
NO_STARTTLS = "the SMTP server does not offer STARTTLS; the password is not sent in clear"
NO_SMTPUTF8 = "the SMTP server does not take non-ASCII addresses (no SMTPUTF8)"
DISCONNECTED = "disconnected: "
CANNOT_WRITE = "cannot write "
_FAILURES = {
    NO_STARTTLS: _l("The SMTP server does not offer STARTTLS; the password is not sent in clear."),
    NO_SMTPUTF8: _l("The SMTP server does not take non-ASCII addresses (no SMTPUTF8)."),
}


def failure_text(stored: str) -> str | None:
    """One of the failures worded here, in the reader's language, the system's or the
    server's details kept as they came; None for another text (a server's answer)."""
    if stored in _FAILURES:
        return str(_FAILURES[stored])
    if stored.startswith(DISCONNECTED):
        return _("The mail server closed the connection: %(detail)s",
                 detail=stored.removeprefix(DISCONNECTED))
    if stored.startswith(CANNOT_WRITE) and ": " in stored:
        name, _sep, detail = stored.removeprefix(CANNOT_WRITE).partition(": ")
        return _("The file %(name)s cannot be written: %(detail)s", name=name, detail=detail)
    return None


def _failure(error: Exception) -> Exception:
    """The kind of failure an exception from smtplib or the network is."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _text in error.recipients.values()]
        permanent = all(code >= 500 for code in codes)
        text = "; ".join(f"{code} {msg.decode(errors='replace')}"
                         for code, msg in error.recipients.values())
        return (PermanentFailure if permanent else TemporaryFailure)(text)
    if isinstance(error, smtplib.SMTPResponseException):
        text = f"{error.smtp_code} {error.smtp_error.decode(errors='replace')}"
        return (PermanentFailure if error.smtp_code >= 500 else TemporaryFailure)(text)
    return TemporaryFailure(f"{type(error).__name__}: {error}")


class SmtpTransport:
    def __init__(self, settings: SmtpSettings):
        self.settings = settings
        self._tls: ssl.SSLContext | None = None

    def _context(self) -> ssl.SSLContext:
        """One TLS context for the process (loading the system's certificates takes
        tens of milliseconds, as long as a few messages), made once TLS is needed."""
        if self._tls is None:
            self._tls = ssl.create_default_context()
        return self._tls

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if s.implicit_tls:
            client = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=self._context())
        else:
            client = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            client.ehlo()
            if client.has_extn("starttls"):
                client.starttls(context=self._context())
                client.ehlo()
            elif s.password:
                client.close()
                raise TemporaryFailure(NO_STARTTLS)
        if s.username:
            client.login(s.username, s.password or "")
        return client

    @contextmanager
    def connection(self) -> Iterator["SmtpConnection"]:
        try:
            client = self._connect()
        except (OSError, smtplib.SMTPException) as error:
            raise _failure(error) from error
        try:
            yield SmtpConnection(client)
        finally:
            try:
                client.quit()
            except (OSError, smtplib.SMTPException):
                client.close()


class SmtpConnection:
    def __init__(self, client: smtplib.SMTP):
        self.client = client

    def send(self, envelope: Envelope) -> None:
        options = ()
        if not (envelope.sender + envelope.recipient).isascii():
            if not self.client.has_extn("smtputf8"):
                raise TemporaryFailure(NO_SMTPUTF8)
            options = ("SMTPUTF8", "BODY=8BITMIME")
        try:
            self.client.sendmail(envelope.sender, [envelope.recipient], envelope.data, options)
        except smtplib.SMTPServerDisconnected as error:
            raise TemporaryFailure(f"{DISCONNECTED}{error}") from error
        except (OSError, smtplib.SMTPException) as error:
            failure = _failure(error)
            if isinstance(failure, PermanentFailure):
                # The session stays usable after a refused message.
                self.client.rset()
            raise failure from error


class FileTransport:
    """Messages as .eml files, one per message, named by outbox id."""

    def __init__(self, folder: Path):
        self.folder = folder

    @contextmanager
    def connection(self) -> Iterator["FileConnection"]:
        self.folder.mkdir(parents=True, exist_ok=True)
        yield FileConnection(self.folder)


class FileConnection:
    def __init__(self, folder: Path):
        self.folder = folder

    def send(self, envelope: Envelope) -> None:
        name = envelope.message_id.strip("<>").replace("/", "_")
        final = self.folder / f"{name}.eml"
        partial = final.with_suffix(".eml.part")
        try:
            partial.write_bytes(envelope.data)
            os.replace(partial, final)  # a reader never sees half a message
        except OSError as error:
            raise TemporaryFailure(f"{CANNOT_WRITE}{final.name}: {error}") from error


def transport_from_config(config, instance_path: str):
    url = config.get("SMTP_URL")
    if url:
        return SmtpTransport(SmtpSettings.from_url(url))
    return FileTransport(Path(config.get("MAIL_FOLDER") or Path(instance_path) / "mail"))
