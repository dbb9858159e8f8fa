"""What a grant needs to find first: the resident, the programme in force, its activity.

A programme has no table of its own: it is its rule versions, which share a code. Its
id (the programme of its lots, and its system account ``granted:<id>``) is the id of
its first rule version: stable across versions, unique in the currency, and visible in
the rulebook's history.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from currency.clock import JAPAN
from currency.errors import AccountUnavailable, InvalidOperation, NotFound
from currency.issuance import policy, rulebook
from currency.issuance.counters import text_array
from currency.issuance.models import rule as rule_table
from currency.issuance.rules import Activity, ExpiryPolicy, PointProgramme
from currency.ledger import accounts
from currency.residents import numbers
from currency.residents.models import resident as resident_table


@dataclass(frozen=True, slots=True)
class Resident:
    id: int
    number: str
    wallet: int
    status: str


@dataclass(frozen=True, slots=True)
class Programme:
    id: int  # the id of its first rule version
    rule: PointProgramme

    @property
    def code(self) -> str:
        return self.rule.code


def japan_date(now: datetime) -> date:
    if now.tzinfo is None or now.utcoffset() is None:
        raise InvalidOperation("now must be an aware datetime")
    return now.astimezone(JAPAN).date()


def normalise_number(text: str) -> str:
    """As staff type it: full-width digits, spaces and hyphens are forgiven."""
    return numbers.canonical(text)


async def find_residents(
    session: AsyncSession, *, currency_id: int, numbers: Iterable[str]
) -> dict[str, Resident]:
    r = resident_table.c
    rows = await session.execute(
        sa.select(r.id, r.resident_number, r.wallet_account_id, r.status).where(
            r.currency_id == currency_id, r.resident_number == sa.any_(text_array(numbers))
        )
    )
    return {row[1]: Resident(*row) for row in rows}


async def resident_for_grant(session: AsyncSession, *, currency_id: int, number: str) -> Resident:
    wanted = normalise_number(number)
    found = await find_residents(session, currency_id=currency_id, numbers=[wanted])
    if wanted not in found:
        raise NotFound(f"No resident has the number {wanted}. Please check the number.")
    person = found[wanted]
    if person.status != "active":
        raise AccountUnavailable(
            f"Resident {wanted}'s registration is {person.status}: points cannot be granted now."
        )
    return person


async def programme_in_force(
    session: AsyncSession, *, currency_id: int, code: str, now: datetime
) -> Programme:
    try:
        rule = await rulebook.programme(session, currency_id=currency_id, code=code, now=now)
    except NotFound:
        raise NotFound(
            f'There is no point programme "{code}" in force now. Check the code, or ask '
            "for the programme's rule to be approved."
        ) from None
    assert isinstance(rule, PointProgramme)
    t = rule_table.c
    first = await session.scalar(
        sa.select(sa.func.min(t.id)).where(
            t.currency_id == currency_id, t.kind == "point_programme", t.code == code
        )
    )
    assert first is not None
    return Programme(int(first), rule)


async def source_account(session: AsyncSession, *, currency_id: int, programme: Programme) -> int:
    """The programme's system account, which carries the negative side of its grants."""
    code = accounts.granted_points(programme.id)
    return await accounts.system_account(session, currency_id=currency_id, code=code)


def find_activity(programme: Programme, text: str) -> Activity | None:
    """By its code, or by its Japanese or English name as an office spreadsheet writes it."""
    wanted = unicodedata.normalize("NFKC", text).strip().casefold()
    for activity in programme.rule.activities:
        names = (activity.code, activity.name.ja, activity.name.en)
        if wanted in (unicodedata.normalize("NFKC", n).casefold() for n in names):
            return activity
    return None


def activity_of(programme: Programme, text: str) -> Activity:
    found = find_activity(programme, text)
    if found is None:
        known = ", ".join(f"{a.code} ({a.name.ja})" for a in programme.rule.activities)
        raise NotFound(
            f'The programme "{programme.code}" has no activity "{text}". Its activities: {known}.'
        )
    return found


async def lot_expiry(
    session: AsyncSession, *, currency_id: int, programme: Programme, now: datetime
) -> date:
    """The last usable day of a lot granted ``now`` (the programme's expiry, or the policy's)."""
    standing = await rulebook.standing(
        session, currency_id=currency_id, kind="expiry_policy", model=ExpiryPolicy, now=now
    )
    return policy.programme_lot_expiry(standing, programme.rule, granted_on=japan_date(now))
