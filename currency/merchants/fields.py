"""What a shop's fields may hold, checked before anything is written (pure: no database).

Each refusal says what to type instead, in words a counter clerk can pass on."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Any

from currency.errors import InvalidOperation
from currency.settlement import kana as bank_kana

STATUSES = ("active", "suspended", "closed")
EDITABLE = ("name", "name_kana", "district", "category", "tags", "status")
MAX_TAGS = 20
_CODE = re.compile(r"[A-Za-z0-9_-]{2,32}", re.ASCII)  # as rules name shops (MerchantCode)
_TAG = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}", re.ASCII)
_KANA = re.compile(r"[\u3041-\u3096\u30a1-\u30fc\u3000 ・ー（）()]+")


def text(value: Any, what: str, *, longest: int = 100) -> str:
    """A required line of text, trimmed and NFKC-normalised (full-width digits → ASCII)."""
    found = unicodedata.normalize("NFKC", value).strip() if isinstance(value, str) else ""
    if not found:
        raise InvalidOperation(f"Give the shop's {what}.")
    if len(found) > longest or not found.isprintable():
        raise InvalidOperation(f"The {what} must be one line of at most {longest} characters.")
    return found


def reading(value: str | None) -> str | None:
    """The reading of the name in kana (for sorting and the bank), or None."""
    if value is None or not value.strip():
        return None
    found = unicodedata.normalize("NFKC", value).strip()
    if len(found) > 100 or not _KANA.fullmatch(found):
        raise InvalidOperation(
            "Give the reading of the shop's name in kana (カタカナ or ひらがな)."
        )
    return found


def tag_list(tags: Sequence[str]) -> list[str]:
    """Tags as rules name them: lower case, digits, - and _ (``small-business``)."""
    if isinstance(tags, str) or len(tags) > MAX_TAGS:
        raise InvalidOperation(f"Give at most {MAX_TAGS} tags, as a list.")
    found = [unicodedata.normalize("NFKC", t).strip().lower() for t in tags]
    bad = [t for t in found if not _TAG.fullmatch(t)]
    if bad:
        raise InvalidOperation(
            f"The tag {bad[0]!r} cannot be used: tags are lower-case letters, digits, - and _."
        )
    return sorted(set(found))


def checked(
    *, name: str, name_kana: str | None, district: str, category: str, tags: Sequence[str]
) -> dict[str, Any]:
    """The columns of a new shop."""
    return {
        "name": text(name, "name"),
        "name_kana": reading(name_kana),
        "district": text(district, "district", longest=40),
        "category": text(category, "category", longest=40),
        "tags": tag_list(tags),
    }


def checked_code(code: str | None) -> str | None:
    if code is None or not code.strip():
        return None
    if not _CODE.fullmatch(code.strip()):
        raise InvalidOperation(
            "A shop code has 2 to 32 letters, digits, - or _ (it is printed on the poster)."
        )
    return code.strip()


def changes(current_status: str, wanted: dict[str, Any], *, reason: str | None) -> dict[str, Any]:
    """The columns to update for ``wanted``, each checked as on onboarding."""
    unknown = sorted(set(wanted) - set(EDITABLE))
    if unknown:
        raise InvalidOperation(f"These cannot be changed here: {', '.join(unknown)}.")
    if current_status == "closed":
        raise InvalidOperation("This shop is closed; a closed shop is not changed or reopened.")
    values: dict[str, Any] = {}
    for field, value in wanted.items():
        values[field] = _one(field, value)
    if "status" in values:
        _check_status(current_status, values["status"], reason)
    return values


def _one(field: str, value: Any) -> Any:
    if field == "name_kana":
        return reading(value)
    if field == "tags":
        return tag_list(value)
    if field == "status":
        return value
    longest = 100 if field == "name" else 40
    return text(value, field, longest=longest)


def _check_status(current: str, wanted: Any, reason: str | None) -> None:
    if wanted not in STATUSES:
        raise InvalidOperation(f"A shop's status is one of {', '.join(STATUSES)}.")
    if wanted != current and (reason is None or not reason.strip()):
        raise InvalidOperation("Say why the shop's status changes (it is kept in the audit log).")


def check_bank_fields(bank_code: str, branch_code: str, account_number: str) -> None:
    """Digits as the bank file needs them (full-width digits are accepted and converted)."""
    for value, digits, what in (
        (bank_code, 4, "bank code"),
        (branch_code, 3, "branch code"),
        (account_number, 7, "account number"),
    ):
        plain = unicodedata.normalize("NFKC", value).replace("-", "").replace(" ", "")
        if not (plain.isascii() and plain.isdigit() and len(plain) == digits):
            raise InvalidOperation(f"The {what} has exactly {digits} digits.")


def kana(value: str, what: str) -> str:
    """A name in the bank character set (half-width katakana, capitals, digits)."""
    try:
        converted = bank_kana.to_bank_kana(value.strip())
    except bank_kana.NotKana as error:
        raise InvalidOperation(
            f"The {what} must be written in kana as the bank has it: {error.character!r} "
            "cannot be. Write 株式会社 as (ｶ) and 有限会社 as (ﾕ)."
        ) from None
    if not converted:
        raise InvalidOperation(f"Give the {what} in kana.")
    return converted
