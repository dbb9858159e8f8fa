"""A rule as the form's values (to start a new version from it) and two versions compared
field by field in the same words, so staff read a diff as they would fill the form."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from admin.money.rule_form import FIELDS, Field
from currency.clock import JAPAN
from currency.issuance.rules import Rule


@dataclass(frozen=True)
class Change:
    field: Field
    old: Any  # as the form shows it; the template words choices and yes/no
    new: Any


def form_values(rule: Rule) -> dict[str, Any]:
    """The form fields that would draft this very rule again."""
    data = rule.model_dump()
    return {field.name: _field_value(field, data) for field in FIELDS[rule.kind]}


def _field_value(field: Field, data: dict[str, Any]) -> Any:
    if field.name in ("name_ja", "name_en"):
        return data["name"][field.name[-2:]]
    special = SPECIAL.get(field.name)
    if special is not None:
        return special(data)
    return _plain(data.get(field.name))


def _plain(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return value
    if isinstance(value, datetime):
        return value.astimezone(JAPAN).strftime("%Y-%m-%dT%H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return list(value) if all(isinstance(v, str) for v in value) else ", ".join(map(str, value))
    return str(value)


def _percent(bp: int) -> str:
    return f"{Decimal(bp) / 100:f}".rstrip("0").rstrip(".") if bp % 100 else str(bp // 100)


def _activities(data: dict[str, Any]) -> str:
    return "\n".join(
        f"{a['code']}, {a['name']['ja']}, {a['name']['en']}, {a['points']}"
        for a in data["activities"]
    )


def _levels(data: dict[str, Any]) -> str:
    return "\n".join(
        f"{level}, {x['balance_cap']}, {x['payment_cap']}, {x['daily_spend_cap']}"
        for level, x in sorted(data["levels"].items())
    )


def _expiry(data: dict[str, Any], part: str) -> str:
    found: Any = (data.get("expiry") or {}).get(part)
    return str(_plain(found))


def _restriction(data: dict[str, Any], part: str) -> str:
    return ", ".join(data["restrictions"].get(part) or ())


SPECIAL: dict[str, Callable[[dict[str, Any]], str]] = {
    "rate": lambda d: _percent(d["rate_bp"]),
    "default_rate": lambda d: _percent(d["default_rate_bp"]),
    "activities": _activities,
    "levels": _levels,
    "overrides": lambda d: "\n".join(f"{k}, {_percent(v)}" for k, v in d["overrides"].items()),
    "expiry_days": lambda d: _expiry(d, "days_from_grant"),
    "expiry_date": lambda d: _expiry(d, "fixed_date"),
    "allowed_tags": lambda d: _restriction(d, "allowed_tags"),
    "allowed_districts": lambda d: _restriction(d, "allowed_districts"),
}


def diff(old: Rule | None, new: Rule) -> list[Change]:
    """Every field whose value differs (all of them when nothing is in force)."""
    before = form_values(old) if old is not None and old.kind == new.kind else {}
    after = form_values(new)
    return [
        Change(field, _shown(field, before.get(field.name)), _shown(field, after[field.name]))
        for field in FIELDS[new.kind]
        if before.get(field.name) != after[field.name]
    ]


def _shown(field: Field, value: Any) -> Any:
    """Choices stay codes and yes/no stays a bool: the template words them."""
    if value is None:
        return ""
    if field.kind == "select" and value:
        return [value]
    return value
