"""Checks a form makes before it calls a service, with messages shown next to the field.

Errors are message ids (marked with ``N_``); the templates translate them in place."""

from __future__ import annotations

import unicodedata
import uuid
from typing import Any

from fastapi import Request

from admin.people import console
from api.web import N_
from currency import clock

REQUIRED = N_("Please fill in this field.")
CHECK_FIELDS = N_("Some entries need checking. Please see the messages below each field.")
BAD_YEAR = N_("Write the year of birth as four digits, for example 1950.")
BAD_YEN = N_("Write the amount in yen as a whole number from 1 to 10,000,000.")
IDENTITY_FIRST = N_("Check the identity document, then tick this box.")
MAX_YEN = 10_000_000


def required(form: dict[str, str], *names: str) -> dict[str, str]:
    """The fields among ``names`` left empty."""
    return {name: REQUIRED for name in names if not form.get(name, "").strip()}


def check_fields(request: Request) -> dict[str, Any]:
    return console.said(request, CHECK_FIELDS, "error")


def digits(text: str) -> str:
    """Full-width digits, commas and blanks as typed at a counter, as plain digits."""
    plain = unicodedata.normalize("NFKC", text)
    return "".join(plain.split()).replace(",", "")


def year(text: str, errors: dict[str, str]) -> int | None:
    """An optional year of birth; a bad one is marked in ``errors``."""
    value = digits(text)
    if not value:
        return None
    if value.isascii() and value.isdigit() and 1900 <= int(value) <= clock.today().year:
        return int(value)
    errors["birth_year"] = BAD_YEAR
    return None


def yen(text: str, errors: dict[str, str]) -> int:
    value = digits(text)
    if value.isascii() and value.isdigit() and 1 <= int(value) <= MAX_YEN:
        return int(value)
    errors["yen"] = BAD_YEN
    return 0


def new_key() -> str:
    """An idempotency key for a form that moves value: a double tap or reload pays once."""
    return str(uuid.uuid4())


def valid_key(text: str) -> bool:
    try:
        return str(uuid.UUID(text)) == text
    except ValueError:
        return False
