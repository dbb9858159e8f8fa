"""A shop's fields and bank account, checked field by field before the service is called,
so each mistake is said next to its field in words a clerk can act on."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from functools import partial
from typing import Any

from admin.people.forms import REQUIRED, digits
from api.web import N_
from currency import errors as e
from currency.merchants import fields
from currency.settlement import kana as bank_kana

BAD_KANA_NAME = N_("Write the reading in katakana or hiragana, for example サイキショウテン.")
BAD_TAGS = N_(
    "Tags are lower-case letters, digits, - and _, separated by commas (small-business, food)."
)
TOO_LONG = N_("This is too long. Please shorten it.")
BAD_BANK_CODE = N_("The bank code has 4 digits (for example 0183).")
BAD_BRANCH_CODE = N_("The branch code has 3 digits (for example 101).")
BAD_ACCOUNT_NUMBER = N_("The account number has 7 digits. Add zeros at the front if shorter.")
BAD_ACCOUNT_TYPE = N_("Choose the type of account.")
BAD_BANK_KANA = N_(
    "Write this in katakana as the bank has it. Write 株式会社 as (ｶ) and 有限会社 as (ﾕ)."
)
ACCOUNT_TYPES = {"1": N_("Ordinary (普通)"), "2": N_("Current (当座)"), "4": N_("Savings (貯蓄)")}
SHOP_FIELDS = ("name", "name_kana", "district", "category", "tags")
BANK_FIELDS = ("bank_code", "bank_name_kana", "branch_code", "branch_name_kana",
               "account_type", "account_number", "holder_kana")  # fmt: skip


def tags_of(text: str) -> list[str]:
    return [t for t in unicodedata.normalize("NFKC", text).replace("、", ",").split(",") if t]


def _try(check: Callable[[], Any], message: str, name: str, errors: dict[str, str]) -> Any:
    try:
        return check()
    except e.InvalidOperation:
        errors[name] = message
        return None


def shop(form: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The shop's columns from the form, and the messages for the fields that are wrong."""
    errors = {n: REQUIRED for n in ("name", "district", "category") if not form[n].strip()}
    values: dict[str, Any] = {}
    for name, longest in (("name", 100), ("district", 40), ("category", 40)):
        if name not in errors:
            values[name] = _try(partial(fields.text, form[name], name, longest=longest),
                                TOO_LONG, name, errors)  # fmt: skip
    values["name_kana"] = _try(lambda: fields.reading(form["name_kana"]), BAD_KANA_NAME,
                               "name_kana", errors)  # fmt: skip
    values["tags"] = _try(lambda: fields.tag_list(tags_of(form["tags"])), BAD_TAGS, "tags", errors)
    return values, errors


def _digits(form: dict[str, str], name: str, count: int, message: str, errs: dict[str, str]) -> str:
    value = digits(form[name]).replace("-", "")
    if not (value.isascii() and value.isdigit() and len(value) == count):
        errs[name] = message
    return value


def _kana(form: dict[str, str], name: str, errors: dict[str, str]) -> str:
    try:
        converted = bank_kana.to_bank_kana(form[name].strip())
    except bank_kana.NotKana:
        converted = ""
    if not form[name].strip():
        errors[name] = REQUIRED
    elif not converted:
        errors[name] = BAD_BANK_KANA
    return form[name].strip()


def bank(form: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The bank account's fields as the service takes them, and what is wrong."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {
        "bank_code": _digits(form, "bank_code", 4, BAD_BANK_CODE, errors),
        "branch_code": _digits(form, "branch_code", 3, BAD_BRANCH_CODE, errors),
        "account_number": _digits(form, "account_number", 7, BAD_ACCOUNT_NUMBER, errors),
    }
    for name in ("bank_name_kana", "branch_name_kana", "holder_kana"):
        values[name] = _kana(form, name, errors)
    if form["account_type"] not in ACCOUNT_TYPES:
        errors["account_type"] = BAD_ACCOUNT_TYPE
    else:
        values["account_type"] = int(form["account_type"])
    return values, errors
