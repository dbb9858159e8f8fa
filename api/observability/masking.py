"""Masking of personal data and secrets in log records, whoever logs them.

We never log names, PINs or tokens on purpose; this is the net under that rule. A record
is masked when it is made (``install_masking``: every handler then sees the masked text,
including uvicorn's and a test's ``caplog``), and again by ``MaskPii`` on our own handlers,
which also covers fields passed with ``extra=``.

What is masked, in any text:
- bearer/basic credentials, JWTs, argon2 hashes (of a 4-digit PIN, as good as the PIN),
  and long opaque tokens (refresh tokens, MACs, hashes);
- values of secret-looking keys (``pin=…``, ``"password": "…"``, ``refresh_token: …``),
  and of identifier keys (``resident_number=…``) all but their last 4 characters;
- Meguri QR payloads (card, one-time code, payment request) after their prefix;
- card numbers, resident and phone numbers and any run of 8+ digits: all but the last 4;
- e-mail addresses;
- a database error's row contents: SQLAlchemy's ``[parameters: …]`` and PostgreSQL's
  ``Key (…)=(…)`` and ``Failing row contains (…)`` (a resident's name, kana, phone).
Over-masking is the safe failure: an operation id of 8+ digits loses its head in a log.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Callable
from typing import Any

MASK = "[masked]"
_HIDDEN_KEYS = (
    r"[\w-]*(?:password|passwd|secret|token|pin|otp|cookie|authorization|api[_-]?key"
    r"|activation[_-]?code|resident[_-]?number|card[_-]?number|phone)[\w-]*"
)
_KEYED_QUOTED = re.compile(rf"""(?i)(["']?\b{_HIDDEN_KEYS}["']?\s*[:=]\s*)(["'])(.*?)\2""")
_KEYED_BARE = re.compile(
    rf"""(?i)(["']?\b{_HIDDEN_KEYS}["']?\s*[:=]\s*)(?!\[masked\])([^\s"',;&}}\])]+)"""
)
_CREDENTIAL = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*)?")
_QR = re.compile(r"(?i)\b(MG[CPR]1)\.[A-Za-z0-9.]+")
_OPAQUE = re.compile(
    r"(?<![A-Za-z0-9_-])(?=[A-Za-z0-9_-]*\d)(?=[A-Za-z0-9_-]*[A-Za-z])[A-Za-z0-9_-]{32,}"
    r"(?![A-Za-z0-9_-])"
)
_PASSWORD_HASH = re.compile(r"\$argon2(?:id|i|d)\$[\w=,$+/.-]+")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_GROUPED_DIGITS = re.compile(
    r"(?<!\d)\d{4}(?:[ -]\d{4}){2,3}(?!\d)|(?<!\d)0\d{1,4}-\d{1,4}-\d{4}(?!\d)"
)
_DIGIT_RUN = re.compile(r"(?<!\d)\d{8,}(?!\d)")
# A database error repeats the row it refused; the columns stay, the values go.
_SQL_PARAMETERS = re.compile(r"\[parameters: [^\n]*")
_KEY_VALUES = re.compile(
    r"\b(Key \([^)\n]*\)=)\(.*?\)(?= already exists| is not present| is still|\.|$)", re.M
)
_FAILING_ROW = re.compile(r"(Failing row contains )\(.*\)")


_SECRET_KEY = re.compile(r"(?i)password|passwd|secret|token|pin|otp|cookie|authorization|key|code")


def _last_four(found: re.Match[str]) -> str:
    digits = [c for c in found[0] if c.isdigit()]
    return "*" * (len(digits) - 4) + "".join(digits[-4:])


def _hidden(key: str, value: str) -> str:
    """A secret's value goes; an identifier (resident, card, phone number) keeps its last
    four characters, enough for support staff to tell two apart."""
    if _SECRET_KEY.search(key) or len(value) <= 4:
        return MASK
    return "*" * (len(value) - 4) + value[-4:]


def _keyed_quoted(found: re.Match[str]) -> str:
    return f"{found[1]}{found[2]}{_hidden(found[1], found[3])}{found[2]}"


def _keyed_bare(found: re.Match[str]) -> str:
    return f"{found[1]}{_hidden(found[1], found[2])}"


_RULES: tuple[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]], ...] = (
    (_SQL_PARAMETERS, f"[parameters: {MASK}]"),
    (_KEY_VALUES, rf"\1({MASK})"),
    (_FAILING_ROW, rf"\1({MASK})"),
    (_CREDENTIAL, rf"\1 {MASK}"),
    (_JWT, MASK),
    (_PASSWORD_HASH, MASK),
    (_KEYED_QUOTED, _keyed_quoted),
    (_KEYED_BARE, _keyed_bare),
    (_QR, rf"\1.{MASK}"),
    (_EMAIL, MASK),
    (_GROUPED_DIGITS, _last_four),
    (_DIGIT_RUN, _last_four),
    (_OPAQUE, MASK),
)


def mask(text: str) -> str:
    """The text with every secret and identifier above masked."""
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text


def _message(record: logging.LogRecord) -> str:
    try:
        return record.getMessage()
    except Exception:  # a broken format string: its arguments are not shown at all
        return f"{record.msg} [arguments withheld: the message could not be formatted]"


def _masked_args(args: Any) -> Any:
    if isinstance(args, tuple):
        return tuple(mask(a) if isinstance(a, str) else a for a in args)
    return args


def _scrub_message(record: logging.LogRecord) -> None:
    """Mask the message, keeping its arguments where that is enough (uvicorn's access
    formatter needs them), else folding them into the masked text."""
    full = _message(record)
    if mask(full) == full:
        return
    record.args = _masked_args(record.args)
    again = _message(record)
    if mask(again) != again:
        record.msg, record.args = mask(full), None


def scrub(record: logging.LogRecord) -> None:
    """Mask the record's message, traceback and stack in place."""
    _scrub_message(record)
    if record.exc_info and not record.exc_text:
        record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip()
    if record.exc_text:
        record.exc_text = mask(record.exc_text)
    if record.stack_info:
        record.stack_info = mask(record.stack_info)


SAFE_FIELDS = frozenset({"request_id", "method", "route", "status", "duration_ms"})
_STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class MaskPii(logging.Filter):
    """Masks a record's text and every string passed with ``extra=``; never drops one."""

    def filter(self, record: logging.LogRecord) -> bool:
        scrub(record)
        for name, value in list(vars(record).items()):
            if name in _STANDARD or name in SAFE_FIELDS:
                continue
            if isinstance(value, str):
                setattr(record, name, mask(value))
            elif value is not None and not isinstance(value, int | float | bool):
                setattr(record, name, mask(repr(value)))
        return True


class _MaskingFactory:
    """Wraps the record factory so every record is masked as it is made."""

    def __init__(self, base: Callable[..., logging.LogRecord]) -> None:
        self.base = base

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record = self.base(*args, **kwargs)
        scrub(record)
        return record


def install_masking() -> None:
    """Mask every log record of this process from now on (idempotent)."""
    current = logging.getLogRecordFactory()
    if not isinstance(current, _MaskingFactory):
        logging.setLogRecordFactory(_MaskingFactory(current))


def uninstall_masking() -> None:
    """Undo ``install_masking`` (tests that need the plain factory back)."""
    current = logging.getLogRecordFactory()
    if isinstance(current, _MaskingFactory):
        logging.setLogRecordFactory(current.base)
