"""Configuration: defaults here, then the environment, then test overrides."""

import os
import secrets
from pathlib import Path


class Defaults:
    PORTAL_TIMEZONE = "Europe/Paris"
    # The language of pages and e-mails for people who chose none and whose browser asks
    # for none the portal speaks: en, fr or es.
    PORTAL_LANGUAGE = "en"
    # Pooled connections are tested before use (one a restart of the database cut is
    # replaced, so only requests made while it is down get the 503 page) and renewed after
    # 30 min (before a firewall or the server drops them for being idle).
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "pool_recycle": 1800}
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the login session
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    # When the shared storage (Redis) cannot be reached, each process counts in memory (a
    # warning is logged) and tries the storage again later; logins go on, still limited.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True  # a failure past that fallback skips a count, not the login
    RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 1}
    # Failed logins allowed before a pause, per client address and per username.
    LOGIN_LIMIT_PER_IP = "20 per 5 minutes"
    LOGIN_LIMIT_PER_USERNAME = "5 per 5 minutes"
    # Requests per API token (per address for requests without one).
    API_RATE_LIMIT = "600 per minute"
    # argon2id parameters (argon2-cffi's RFC 9106 low-memory profile by default).
    PASSWORD_HASH_PROFILE = "RFC_9106_LOW_MEMORY"  # noqa: S105 - a profile name, not a secret
    MAX_CONTENT_LENGTH = 12 * 1024 * 1024
    # Pages, fragments and API answers go out compressed (brotli, else gzip) when the
    # browser accepts it; static files come compressed ahead of time (web/static_files.py).
    # Downloads that stream (exports) are left as they are, so they start at once.
    COMPRESS_ALGORITHM = ["br", "gzip"]
    COMPRESS_MIMETYPES = ["text/html", "application/json", "text/calendar", "text/plain"]
    COMPRESS_STREAMS = False
    COMPRESS_BR_LEVEL = 4
    # Number of reverse proxies in front of the app whose X-Forwarded-* to trust.
    PROXY_COUNT = 0
    # A login ends after this long without a request, and this long after it began (seconds).
    LOGIN_IDLE_TIMEOUT = 8 * 3600
    LOGIN_MAX_AGE = 14 * 24 * 3600
    # Mail: no SMTP_URL delivers to .eml files in MAIL_FOLDER (default instance/mail/).
    SMTP_URL = ""
    MAIL_FROM = "Session portal <portal@localhost>"
    MAIL_FOLDER = ""
    # The portal's address as people reach it: the links in messages start with it.
    PORTAL_URL = "http://127.0.0.1:5000"


def database_url_from_env(value: str) -> str:
    """Accept the usual PostgreSQL URL spellings and use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if value.startswith(prefix):
            return "postgresql+psycopg://" + value[len(prefix):]
    return value


def engine_options(database_uri: str, options: dict) -> dict:
    """``options`` for the engine, plus what the database needs.

    PostgreSQL: psycopg prepares a statement on the server from its 5th run, and
    PostgreSQL then soon switches to a generic plan, made without the parameter
    values. On skewed data (one session of 2,000 learners among 10,000 of a hundred)
    its estimates are wrong: the grading page took 60 ms instead of 43 and tracking
    85 instead of 62 (bench/pages.py). Unprepared, each query is planned for its
    values. (plan_cache_mode=force_custom_plan would do it too, but it also replans
    every foreign-key check: an import of 80,000 enrolments then took 5 s, not 2.)

    JIT compilation is off for the portal's connections: it starts above a cost that a
    page query of 20 ms reaches (the dashboard's upcoming sessions), then spends 15 ms
    compiling what it runs once. Parallel workers are off too: starting two cost a count
    of 200,000 messages 35 ms more than it saved (13-24 ms against 8 alone), and on a
    busy server the other requests want those cores.
    """
    if not database_uri.startswith("postgresql"):
        return options
    # An unreachable server (not a refused connection) answers 503 after 5 s, before the
    # worker's own timeout would end the request without a page.
    connect_args = {"prepare_threshold": None, "connect_timeout": 5,
                    "options": "-c jit=off -c max_parallel_workers_per_gather=0",
                    **options.get("connect_args", {})}
    return {**options, "connect_args": connect_args}


def load_secret_key(instance_path: Path) -> str:
    """The key from instance/secret_key, made on first start so restarts keep logins."""
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def from_environment(environ: os._Environ | dict) -> dict:
    """The settings the environment overrides."""
    settings: dict = {}
    if environ.get("DATABASE_URL"):
        settings["SQLALCHEMY_DATABASE_URI"] = database_url_from_env(environ["DATABASE_URL"])
    for name in ("SECRET_KEY", "PORTAL_TIMEZONE", "PORTAL_LANGUAGE", "RATELIMIT_STORAGE_URI",
                 "SMTP_URL", "MAIL_FROM", "MAIL_FOLDER", "PORTAL_URL"):
        if environ.get(name):
            settings[name] = environ[name]
    if environ.get("PORTAL_PROXY_COUNT"):
        settings["PROXY_COUNT"] = int(environ["PORTAL_PROXY_COUNT"])
    for name in ("LOGIN_IDLE_TIMEOUT", "LOGIN_MAX_AGE"):
        if environ.get(name):
            settings[name] = duration_seconds(name, environ[name])
    return settings


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def duration_seconds(name: str, value: str) -> int:
    """``value`` in seconds: a whole number of seconds, or one with a unit (``30m``, ``8h``,
    ``14d``). Anything else stops the start with a message naming the setting."""
    text = value.strip().lower()
    unit = _UNITS.get(text[-1:], None)
    number = text[:-1] if unit else text
    if not number.isascii() or not number.isdigit() or int(number) == 0 or len(number) > 9:
        raise ValueError(f"{name} must be a positive duration such as 28800, 30m, 8h or 14d; "
                         f"got {value!r}")
    return int(number) * (unit or 1)
