"""The rule schemas' refusals, put next to the form field they are about, in plain words."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from api.web import N_

Explained = dict[str, tuple[str, dict[str, Any]]]

# the rule's own key → the form field that holds it
FIELD_OF = {
    "name": "name_ja", "rate_bp": "rate", "default_rate_bp": "default_rate",
    "expiry": "expiry_days", "restrictions": "allowed_tags",
}  # fmt: skip

# what a model validator says → (field, message)
RULE_CHECKS = (
    ("ends_at must be after starts_at", "ends_at", N_("The end must be after the start.")),
    (
        "cap_per_resident must not exceed budget",
        "cap_per_resident",
        N_("The most per resident cannot be more than the budget."),
    ),
    ("unique codes", "activities", N_("Each activity needs its own code.")),
    (
        "monthly_cap must not exceed yearly_cap",
        "monthly_cap",
        N_("The monthly cap cannot be more than the yearly cap."),
    ),
    (
        "give more points than",
        "activities",
        N_("An activity gives more points than a cap or the budget allows."),
    ),
    (
        "exactly one of days_from_grant",
        "expiry_days",
        N_("Give either days from the grant or a date, not both."),
    ),
    (
        "coin_days must be at most",
        "coin_days",
        N_("Under the six-month limit, coins can be valid for 180 days at most."),
    ),
    (
        "payment_cap must not exceed",
        "levels",
        N_("The limit per payment cannot be more than the limit per day."),
    ),
    (
        "max_per_send must not exceed",
        "max_per_send",
        N_("The most per send cannot be more than the most per day."),
    ),
    ("must be unique", "", N_("Each value may appear only once.")),
)

BY_TYPE = {
    "missing": N_("Please fill this in."),
    "too_short": N_("Please fill this in."),
    "string_too_short": N_("Please fill this in."),
    "string_pattern_mismatch": N_("Use small letters, digits and hyphens only."),
    "greater_than": N_("This number is too small."),
    "greater_than_equal": N_("This number is too small."),
    "less_than_equal": N_("This number is too large."),
    "literal_error": N_("Please choose one of the options."),
    "string_too_long": N_("This is too long."),
}
NOT_VALID = N_("This is not valid. Please check it.")


def explained(kind: str, error: ValidationError) -> Explained:
    found: Explained = {}
    for item in error.errors():
        field, message = _one(kind, item)
        found.setdefault(field, (message, {}))
    return found


def _one(kind: str, item: Any) -> tuple[str, str]:
    loc = [part for part in item["loc"] if part != kind]
    key = str(loc[0]) if loc else ""
    field = FIELD_OF.get(key, key)
    if item["type"] == "value_error":
        for said, check_field, message in RULE_CHECKS:
            if said in str(item.get("msg", "")):
                return check_field or field, message
    return field, BY_TYPE.get(item["type"], NOT_VALID)
