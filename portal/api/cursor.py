"""Cursors of the API's lists: the keyset values of a page's last row (domain/keyset.py)
as URL-safe base64 JSON. A cursor that is not one of ours is a 422 naming ``cursor``."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from datetime import UTC, datetime

from ..domain.keyset import Key
from .core import ApiError

MAX_LIMIT = 200
DEFAULT_LIMIT = 50


def _encode_value(kind: str, value):
    if kind == "instant":
        return value.astimezone(UTC).isoformat() if value is not None else None
    return value


def _decode_value(kind: str, value):
    if kind == "instant":
        moment = datetime.fromisoformat(value)
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    if kind == "int" and (not isinstance(value, int) or isinstance(value, bool)
                          or not -2**63 <= value < 2**63):
        raise TypeError
    if kind == "text" and not isinstance(value, str):
        raise TypeError
    return value


def encode(keys: Sequence[Key], values: Sequence) -> str:
    raw = json.dumps([_encode_value(k.kind, v) for k, v in zip(keys, values, strict=True)],
                     separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(keys: Sequence[Key], cursor: str) -> list:
    """The values of a cursor; a 422 problem for anything that is not one of ours."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        if not isinstance(values, list) or len(values) != len(keys):
            raise ValueError
        return [_decode_value(k.kind, v) for k, v in zip(keys, values, strict=True)]
    except (ValueError, TypeError, UnicodeError, binascii.Error, OverflowError,
            RecursionError):
        raise ApiError(422, "Unprocessable content", "The cursor is not one this list gave.",
                       errors={"cursor": "Use the `next` link of the previous page."}) from None
