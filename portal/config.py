"""Configuration: defaults here, then the environment, then test overrides."""

import os
import secrets
from pathlib import Path


class Defaults:
    PORTAL_TIMEZONE = "Europe/Paris"
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the login session
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    # Failed logins allowed before a pause, per client address and per username.
    LOGIN_LIMIT_PER_IP = "20 per 5 minutes"
    LOGIN_LIMIT_PER_USERNAME = "5 per 5 minutes"
    # argon2id parameters (argon2-cffi's RFC 9106 low-memory profile by default).
    PASSWORD_HASH_PROFILE = "RFC_9106_LOW_MEMORY"  # noqa: S105 - a profile name, not a secret
    MAX_CONTENT_LENGTH = 12 * 1024 * 1024
    # Number of reverse proxies in front of the app whose X-Forwarded-* to trust.
    PROXY_COUNT = 0


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
    """
    if not database_uri.startswith("postgresql"):
        return options
    connect_args = {"prepare_threshold": None, **options.get("connect_args", {})}
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
    for name in ("SECRET_KEY", "PORTAL_TIMEZONE", "RATELIMIT_STORAGE_URI"):
        if environ.get(name):
            settings[name] = environ[name]
    if environ.get("PORTAL_PROXY_COUNT"):
        settings["PROXY_COUNT"] = int(environ["PORTAL_PROXY_COUNT"])
    return settings
