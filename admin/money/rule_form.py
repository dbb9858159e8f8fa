"""A rule drafted from a plain HTML form: one set of fields per kind, read into the rule's
schema, and the schema's refusals put back next to the field they are about, in words.

Rates are typed as percentages ("20", "1.5") and stored as basis points; lists (activities,
wallet levels, fee exceptions) are one per line. Nothing here touches the database.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import TypeAdapter, ValidationError

from admin.money.rule_errors import explained
from api.web import N_
from currency.clock import JAPAN
from currency.issuance.rules import Rule

KINDS = (
    "charge_premium",
    "point_programme",
    "expiry_policy",
    "wallet_limits",
    "send_policy",
    "merchant_fee",
    "settlement_schedule",
)
KIND_NAMES = {
    "charge_premium": N_("Premium campaign"),
    "point_programme": N_("Point programme"),
    "expiry_policy": N_("Expiry policy"),
    "wallet_limits": N_("Wallet limits"),
    "send_policy": N_("Send policy"),
    "merchant_fee": N_("Merchant fee"),
    "settlement_schedule": N_("Settlement schedule"),
}


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str = "int"  # int, text, percent, datetime, date, bool, lines, choices, select
    hint: str = ""
    required: bool = True
    choices: tuple[tuple[str, str], ...] = ()


CODE_HINT = N_("Small letters, digits and hyphens, for example winter-2026.")
LINES_HINT = N_("One per line.")
KIND_CHOICES = (("coin", N_("Coins")), ("point", N_("Points")))
CHANNEL_CHOICES = (("counter", N_("City counter")), ("kiosk", N_("Kiosk")),
                   ("provider", N_("Payment provider")))  # fmt: skip

FIELDS: dict[str, tuple[Field, ...]] = {
    "charge_premium": (
        Field("code", N_("Code"), "text", CODE_HINT),
        Field("name_ja", N_("Name in Japanese"), "text"),
        Field("name_en", N_("Name in English"), "text"),
        Field("rate", N_("Premium rate (percent)"), "percent", N_("For example 20 or 12.5.")),
        Field("premium_kind", N_("Premium given as"), "select", choices=KIND_CHOICES),
        Field("cap_per_resident", N_("Most premium per resident")),
        Field("budget", N_("Campaign budget")),
        Field("starts_at", N_("Campaign starts"), "datetime"),
        Field("ends_at", N_("Campaign ends"), "datetime"),
        Field("channels", N_("Where charges earn it"), "choices", choices=CHANNEL_CHOICES),
        Field(
            "premium_expiry_days",
            N_("Premium valid for (days)"),
            required=False,
            hint=N_("Leave empty to use the expiry policy."),
        ),
    ),
    "point_programme": (
        Field("code", N_("Code"), "text", CODE_HINT),
        Field("name_ja", N_("Name in Japanese"), "text"),
        Field("name_en", N_("Name in English"), "text"),
        Field(
            "activities",
            N_("Activities"),
            "lines",
            N_("One per line: code, Japanese name, English name, points."),
        ),
        Field("monthly_cap", N_("Most points per resident a month"), required=False),
        Field("yearly_cap", N_("Most points per resident a year"), required=False),
        Field("budget", N_("Programme budget")),
        Field("expiry_days", N_("Points valid for (days from the grant)"), required=False),
        Field("expiry_date", N_("Or points valid until"), "date", required=False),
        Field(
            "allowed_tags",
            N_("Only at shops with these tags"),
            "text",
            required=False,
            hint=N_("Separate with commas. Leave empty for any shop."),
        ),
        Field(
            "allowed_districts",
            N_("Only in these districts"),
            "text",
            required=False,
            hint=N_("Separate with commas. Leave empty for any district."),
        ),
    ),
    "expiry_policy": (
        Field("coin_days", N_("Coins valid for (days)")),
        Field("point_days", N_("Points valid for (days)")),
        Field("six_month_limit", N_("Keep coins within six months"), "bool", required=False),
    ),
    "wallet_limits": (
        Field(
            "levels",
            N_("Limits by level"),
            "lines",
            N_("One per line: level, balance limit, limit per payment, limit per day."),
        ),
    ),
    "send_policy": (
        Field("enabled", N_("Residents may send to each other"), "bool", required=False),
        Field("lot_kinds", N_("What may be sent"), "choices", choices=KIND_CHOICES),
        Field("max_per_send", N_("Most per send")),
        Field("daily_max", N_("Most per day")),
    ),
    "merchant_fee": (
        Field("default_rate", N_("Fee (percent)"), "percent", N_("For example 1.5.")),
        Field(
            "overrides",
            N_("Shops with their own fee"),
            "lines",
            N_("One per line: shop code, fee in percent."),
            required=False,
        ),
    ),
    "settlement_schedule": (
        Field(
            "cutoff_days",
            N_("Cut-off days of the month"),
            "text",
            N_("Separate with commas, for example 10, 25. 31 means the month end."),
        ),
        Field("payout_after_days", N_("Days from cut-off to payout")),
    ),
}

WHOLE = N_("Please enter a whole number, digits only.")
PERCENT = N_("Please enter a percentage, for example 20 or 1.5.")
WHEN = N_("Please enter a date and time.")
DAY = N_("Please enter a date.")
FILL = N_("Please fill this in.")
LINE = N_("Line {line} is not in the form shown above.")


class FormErrors(Exception):
    """Field name → message (not yet translated; the page translates)."""

    def __init__(self, errors: dict[str, tuple[str, dict[str, Any]]]) -> None:
        super().__init__(", ".join(errors))
        self.errors = errors


def read(kind: str, form: Mapping[str, Any]) -> Rule:
    """The rule the form describes, or FormErrors naming each field that is wrong."""
    errors: dict[str, tuple[str, dict[str, Any]]] = {}
    values: dict[str, Any] = {}
    for field in FIELDS[kind]:
        try:
            values[field.name] = _value(field, form)
        except _Bad as bad:
            errors[field.name] = (bad.message, bad.args_)
    if errors:
        raise FormErrors(errors)
    try:
        return TypeAdapter(Rule).validate_python(BUILD[kind](values))
    except ValidationError as error:
        raise FormErrors(explained(kind, error)) from None


class _Bad(Exception):
    def __init__(self, message: str, **args: Any) -> None:
        super().__init__(message)
        self.message, self.args_ = message, args


def _value(field: Field, form: Mapping[str, Any]) -> Any:
    if field.kind == "choices":
        return tuple(form.getlist(field.name)) if hasattr(form, "getlist") else ()
    if field.kind == "bool":
        return form.get(field.name) in ("on", "true", "1")
    raw = str(form.get(field.name) or "").strip()
    if not raw:
        if field.required:
            raise _Bad(FILL)
        return None
    return PARSERS.get(field.kind, str)(raw)


def whole(raw: str) -> int:
    digits = raw.replace(",", "").translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    if not digits.isdigit():
        raise _Bad(WHOLE)
    return int(digits)


def basis_points(raw: str) -> int:
    try:
        value = Decimal(raw.rstrip("%").strip()) * 100
    except InvalidOperation:
        raise _Bad(PERCENT) from None
    if value != value.to_integral_value() or value < 0:
        raise _Bad(PERCENT)
    return int(value)


def japan_time(raw: str) -> datetime:
    try:
        return datetime.fromisoformat(raw).replace(tzinfo=JAPAN)
    except ValueError:
        raise _Bad(WHEN) from None


def day(raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise _Bad(DAY) from None


def lines(raw: str) -> list[list[str]]:
    rows = [line for line in raw.replace("、", ",").splitlines() if line.strip()]
    return [[part.strip() for part in line.replace(":", ",").split(",")] for line in rows]


PARSERS: dict[str, Callable[[str], Any]] = {
    "int": whole, "percent": basis_points, "datetime": japan_time, "date": day, "lines": lines,
}  # fmt: skip


def _items(raw: str | None) -> tuple[str, ...] | None:
    found = tuple(part.strip() for part in (raw or "").replace("、", ",").split(","))
    return tuple(part for part in found if part) or None


def _rows(field: str, rows: list[list[str]], width: int) -> list[list[str]]:
    for number, row in enumerate(rows, start=1):
        if len(row) != width:
            raise FormErrors({field: (LINE, {"line": number})})
    return rows


def _number(field: str, raw: str, parse: Callable[[str], int] = whole) -> int:
    try:
        return parse(raw)
    except _Bad as bad:
        raise FormErrors({field: (bad.message, bad.args_)}) from None


def _premium(v: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "charge_premium", "code": v["code"],
            "name": {"ja": v["name_ja"], "en": v["name_en"]}, "rate_bp": v["rate"],
            "premium_kind": v["premium_kind"], "cap_per_resident": v["cap_per_resident"],
            "budget": v["budget"], "starts_at": v["starts_at"], "ends_at": v["ends_at"],
            "channels": v["channels"], "premium_expiry_days": v["premium_expiry_days"]}  # fmt: skip


def _programme(v: dict[str, Any]) -> dict[str, Any]:
    activities = [
        {"code": c, "name": {"ja": ja, "en": en}, "points": _number("activities", p)}
        for c, ja, en, p in _rows("activities", v["activities"], 4)
    ]
    expiry = None
    if v["expiry_days"] is not None or v["expiry_date"] is not None:
        expiry = {"days_from_grant": v["expiry_days"], "fixed_date": v["expiry_date"]}
    where = {"allowed_tags": _items(v["allowed_tags"]),
             "allowed_districts": _items(v["allowed_districts"])}  # fmt: skip
    return {"kind": "point_programme", "code": v["code"],
            "name": {"ja": v["name_ja"], "en": v["name_en"]}, "activities": activities,
            "monthly_cap": v["monthly_cap"], "yearly_cap": v["yearly_cap"],
            "budget": v["budget"], "expiry": expiry, "restrictions": where}  # fmt: skip


def _limits(v: dict[str, Any]) -> dict[str, Any]:
    levels = {
        level: {"balance_cap": _number("levels", b), "payment_cap": _number("levels", p),
                "daily_spend_cap": _number("levels", d)}
        for level, b, p, d in _rows("levels", v["levels"], 4)
    }  # fmt: skip
    return {"kind": "wallet_limits", "levels": levels}


def _fee(v: dict[str, Any]) -> dict[str, Any]:
    rows = _rows("overrides", v["overrides"] or [], 2)
    overrides = {shop: _number("overrides", rate, basis_points) for shop, rate in rows}
    return {"kind": "merchant_fee", "default_rate_bp": v["default_rate"], "overrides": overrides}


def _schedule(v: dict[str, Any]) -> dict[str, Any]:
    days = tuple(_number("cutoff_days", d) for d in _items(v["cutoff_days"]) or ())
    return {"kind": "settlement_schedule", "cutoff_days": days,
            "payout_after_days": v["payout_after_days"]}  # fmt: skip


BUILD: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "charge_premium": _premium,
    "point_programme": _programme,
    "expiry_policy": lambda v: {"kind": "expiry_policy", **v},
    "wallet_limits": _limits,
    "send_policy": lambda v: {"kind": "send_policy", **v},
    "merchant_fee": _fee,
    "settlement_schedule": _schedule,
}
