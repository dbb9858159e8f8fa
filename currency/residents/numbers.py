"""Resident numbers as staff and residents type them: one canonical form everywhere.

Full-width digits and letters, spaces and every kind of dash are forgiven and dropped
(「Ｓ－１００－０００１」, "s 100 0001" and "S1000001" are the same resident); letters are
upper case. Lookups use ``canonical``; enrolment also checks the shape with ``normalise``.
"""

from __future__ import annotations

import re
import unicodedata

from currency.errors import InvalidOperation

_DROP = re.compile(r"[\s\-‐‑‒–—―−ーｰ]")
_SHAPE = re.compile(r"[A-Z0-9]{3,32}")


def canonical(text: str) -> str:
    return _DROP.sub("", unicodedata.normalize("NFKC", text)).upper()


def normalise(text: str) -> str:
    """``canonical``, refusing what cannot be a resident number."""
    number = canonical(text)
    if not _SHAPE.fullmatch(number):
        raise InvalidOperation(
            "a resident number is 3 to 32 letters and digits (hyphens and spaces are ignored)"
        )
    return number


def attempted(text: str) -> str:
    """The number a sign-in attempt is counted under: ``normalise``d, or what was typed
    (trimmed) when it cannot be a resident number, so it is refused like an unknown one."""
    try:
        return normalise(text)
    except InvalidOperation:
        return text.strip()[:64] if isinstance(text, str) else ""
