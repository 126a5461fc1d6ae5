"""Password hashing with argon2id (memory-hard)."""

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_LENGTH = 10


# The argon2 profile in force; create_app() sets it from PASSWORD_HASH_PROFILE
# (tests use the cheapest one).
_profile_name = "RFC_9106_LOW_MEMORY"


def use_profile(name: str) -> None:
    """Hash with argon2's profile ``name`` from now on (checked now, not at first login)."""
    global _profile_name
    getattr(profiles, name)
    _profile_name = name


def _hasher() -> PasswordHasher:
    return PasswordHasher.from_parameters(getattr(profiles, _profile_name))


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches. An unknown user is checked against a
    throw-away hash so that both answers take the same time."""
    hasher = _hasher()
    try:
        return hasher.verify(password_hash or _dummy_hash(hasher), password) and bool(
            password_hash
        )
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)


_dummy: dict[str, str] = {}


def _dummy_hash(hasher: PasswordHasher) -> str:
    key = f"{hasher.time_cost}:{hasher.memory_cost}"
    if key not in _dummy:
        _dummy[key] = hasher.hash("not a password of anyone")
    return _dummy[key]


def password_problem(password: str) -> str | None:
    """A message saying what is wrong with a new password, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters."
    return None
