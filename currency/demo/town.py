"""The demo town as loaded so far: its currency, staff, shops and residents, and its clock."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from currency.clock import JAPAN
from currency.demo import data
from currency.residents.card_codes import IssuedCard
from currency.settings import Settings


@dataclass(frozen=True)
class ShopRow:
    shop: data.Shop
    id: int
    account_id: int
    code: str

    @property
    def actor(self) -> str:
        return f"merchant:{self.code}"


@dataclass(frozen=True)
class ResidentRow:
    person: data.Person
    id: int
    wallet: int
    number: str
    pin: str
    card: IssuedCard | None = None

    @property
    def actor(self) -> str:
        return f"resident:{self.number}"


@dataclass(frozen=True)
class Town:
    currency_id: int
    now: datetime
    """The loading transaction's time (the database's ``now()``), in Japan time: the whole
    demo happens at this instant, so every rule approved in it is in force for the rest."""
    staff: tuple[int, int]  # staff1 (city admin), staff2 (city staff)
    shops: Mapping[str, ShopRow]
    people: Mapping[str, ResidentRow]
    settings: Settings

    @property
    def today(self) -> date:
        return self.now.astimezone(JAPAN).date()

    @property
    def drafter(self) -> int:
        return self.staff[0]

    @property
    def approver(self) -> int:
        return self.staff[1]
