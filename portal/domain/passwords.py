"""Password hashing with argon2id (memory-hard), and the one rule a new password follows."""

from collections.abc import Iterable

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

MIN_PASSWORD_LENGTH = 10
# zxcvbn's scale runs from 0 (guessed at once) to 4; 3 resists an offline attack on a
# slow hash such as argon2 for a long while.
MIN_STRENGTH = 3
# zxcvbn's time grows with the length; what lies beyond this adds strength anyway.
STRENGTH_CHECKED_CHARS = 100

# The password hash of an account that has no usable password yet (made from a file,
# waiting for its set-password link): no password verifies against it, and writing it
# costs nothing, unlike hashing a random password.
NO_PASSWORD = ""


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


def password_problem(password: str, user_inputs: Iterable[str] = ()) -> str | None:
    """A message saying what is wrong with a new password and how to make it better, or
    None. ``user_inputs``: what a guesser knows of the person (names, username, e-mail),
    which makes a password built on them weak."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters."
    inputs = [value for value in user_inputs if value]
    result = zxcvbn(password[:STRENGTH_CHECKED_CHARS], user_inputs=inputs)
    if result["score"] >= MIN_STRENGTH:
        return None
    feedback = result["feedback"]
    advice = [feedback.get("warning") or "This password is easy to guess.",
              *feedback.get("suggestions", [])]
    if not feedback.get("suggestions"):
        advice.append("Add another word or two; uncommon words are better.")
    return " ".join(text if text.endswith(".") else f"{text}." for text in advice if text)
