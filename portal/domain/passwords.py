"""Password hashing with argon2id (memory-hard), and the one rule a new password follows."""

from collections.abc import Iterable

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

from .language import _, _l

MIN_PASSWORD_LENGTH = 10
# zxcvbn's scale runs from 0 (guessed at once) to 4; 3 resists an offline attack on a
# slow hash such as argon2 for a long while.
MIN_STRENGTH = 3
# zxcvbn's time grows with the length, and it refuses more than 72 characters (its
# max_length, a ValueError): only the start is judged; what lies beyond adds strength anyway.
STRENGTH_CHECKED_CHARS = 72

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


# zxcvbn words its feedback in English only: each warning and suggestion it gives
# (zxcvbn/feedback.py) is looked up here, and the reader gets our own translated text.
# One it may add in a later version, not found here, is left out (a warning then falls
# back on EASY_TO_GUESS), so no English reaches a French page.
_ZXCVBN_ADVICE = {
    "Straight rows of keys are easy to guess.": _l("Straight rows of keys are easy to guess."),
    "Short keyboard patterns are easy to guess.":
        _l("Short keyboard patterns are easy to guess."),
    "Use a longer keyboard pattern with more turns.":
        _l("Use a longer keyboard pattern with more turns."),
    'Repeats like "aaa" are easy to guess.': _l('Repeats like "aaa" are easy to guess.'),
    'Repeats like "abcabcabc" are only slightly harder to guess than "abc".':
        _l('Repeats like "abcabcabc" are only slightly harder to guess than "abc".'),
    "Avoid repeated words and characters.": _l("Avoid repeated words and characters."),
    'Sequences like "abc" or "6543" are easy to guess.':
        _l('Sequences like "abc" or "6543" are easy to guess.'),
    "Avoid sequences.": _l("Avoid sequences."),
    "Recent years are easy to guess.": _l("Recent years are easy to guess."),
    "Avoid recent years.": _l("Avoid recent years."),
    "Avoid years that are associated with you.": _l("Avoid years that are associated with you."),
    "Dates are often easy to guess.": _l("Dates are often easy to guess."),
    "Avoid dates and years that are associated with you.":
        _l("Avoid dates and years that are associated with you."),
    "This is a top-10 common password.": _l("This is a top-10 common password."),
    "This is a top-100 common password.": _l("This is a top-100 common password."),
    "This is a very common password.": _l("This is a very common password."),
    "This is similar to a commonly used password.":
        _l("This is similar to a commonly used password."),
    "A word by itself is easy to guess.": _l("A word by itself is easy to guess."),
    "Names and surnames by themselves are easy to guess.":
        _l("Names and surnames by themselves are easy to guess."),
    "Common names and surnames are easy to guess.":
        _l("Common names and surnames are easy to guess."),
    "Capitalization doesn't help very much.": _l("Capitalization doesn't help very much."),
    "All-uppercase is almost as easy to guess as all-lowercase.":
        _l("All-uppercase is almost as easy to guess as all-lowercase."),
    "Reversed words aren't much harder to guess.":
        _l("Reversed words aren't much harder to guess."),
    "Predictable substitutions like '@' instead of 'a' don't help very much.":
        _l("Predictable substitutions like '@' instead of 'a' don't help very "
           "much."),
    "Add another word or two. Uncommon words are better.":
        _l("Add another word or two. Uncommon words are better."),
    "Use a few words, avoid common phrases.": _l("Use a few words, avoid common phrases."),
    "No need for symbols, digits, or uppercase letters.":
        _l("No need for symbols, digits, or uppercase letters."),
}
EASY_TO_GUESS = _l("This password is easy to guess.")
ANOTHER_WORD = _l("Add another word or two; uncommon words are better.")


def password_problem(password: str, user_inputs: Iterable[str] = ()) -> str | None:
    """A message saying what is wrong with a new password and how to make it better, or
    None, in the language in force. ``user_inputs``: what a guesser knows of the person
    (names, username, e-mail), which makes a password built on them weak."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return _("Use at least %(count)s characters.", count=MIN_PASSWORD_LENGTH)
    inputs = [value for value in user_inputs if value]
    result = zxcvbn(password[:STRENGTH_CHECKED_CHARS], user_inputs=inputs)
    if result["score"] >= MIN_STRENGTH:
        return None
    feedback = result["feedback"]
    suggestions = [_ZXCVBN_ADVICE[text] for text in feedback.get("suggestions", [])
                   if text in _ZXCVBN_ADVICE]
    advice = [_ZXCVBN_ADVICE.get(feedback.get("warning") or "", EASY_TO_GUESS), *suggestions]
    if not suggestions:
        advice.append(ANOTHER_WORD)
    return " ".join(str(text) for text in advice)
