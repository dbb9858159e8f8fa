"""The building blocks every rule schema shares: bounded integers, codes, names, summaries."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, NamedTuple, TypeVar

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from currency.clock import JAPAN

BP_PER_WHOLE = 10_000
"""Basis points in 100 %: a rate of ``bp`` applied to ``amount`` is ``amount * bp // 10000``."""

MAX_AMOUNT = 10**12
"""The largest cap, budget or limit: far above any city budget, far below bigint."""

Amount = Annotated[int, Field(strict=True, gt=0, le=MAX_AMOUNT)]
"""A positive integer amount of money or points. Strict: ``"100"``, ``100.0`` and ``True`` fail."""

BasisPoints = Annotated[int, Field(strict=True, ge=0, le=BP_PER_WHOLE)]
Days = Annotated[int, Field(strict=True, ge=1, le=3650)]
Code = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")]
"""A rule's own identifier (campaign, programme, activity, verification level)."""
Tag = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]
MerchantCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,32}$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]

S = TypeVar("S", bound=str)
N = TypeVar("N", bound=int)


def unique_sorted(values: tuple[S, ...]) -> tuple[S, ...]:
    """Refuse duplicates; store sorted so equal rules serialise to equal JSON."""
    if len(set(values)) != len(values):
        raise ValueError("values must be unique")
    return tuple(sorted(values))


def unique_sorted_ints(values: tuple[N, ...]) -> tuple[N, ...]:
    if len(set(values)) != len(values):
        raise ValueError("values must be unique")
    return tuple(sorted(values))


def _to_japan(value: datetime) -> datetime:
    return value.astimezone(JAPAN)


JapanTime = Annotated[AwareDatetime, AfterValidator(_to_japan)]
"""An aware datetime (naive ones are refused), normalised to Japan time."""

StrSet = Annotated[tuple[S, ...], Field(min_length=1), AfterValidator(unique_sorted)]
"""A non-empty set of strings, stored as a sorted tuple."""


class Schema(BaseModel):
    """Every rule and every part of one: unknown fields refused, instances immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class LocalizedName(Schema):
    ja: Text
    en: Text


class Summary(NamedTuple):
    """A short human summary of a rule for the staff console."""

    ja: str
    en: str


def percent(bp: int) -> str:
    """2000 → "20%", 175 → "1.75%", 150 → "1.5%"."""
    whole, hundredths = divmod(bp, 100)
    decimals = f"{hundredths:02d}".rstrip("0")
    return f"{whole}.{decimals}%" if decimals else f"{whole}%"


def yen(amount: int, lang: Literal["ja", "en"]) -> str:
    return f"{amount:,}円" if lang == "ja" else f"¥{amount:,}"
