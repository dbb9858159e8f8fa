"""Charge premiums: which campaign pays one, its expiry, and the counters that bound it.

Choosing a campaign. Campaigns are rule versions identified by their code and several
may be in force at once (the rulebook allows it: a city may run a kiosk-only campaign
inside a wider one). A charge earns at most one premium, never a sum of several: of the
campaigns whose window holds ``now`` and whose channels include the charge's, the one
with the highest rate wins, then the lowest code. The choice is made from the rules
alone, never from what is left of a budget, so it does not change from one charge to the
next, and one campaign running dry never moves its charges onto another's budget.

Counters. ``premium:<code>:budget`` (the campaign's premiums so far) and
``premium:<code>:resident:<resident_id>`` (one resident's) are rows of
``issuance_counter``. A charge takes both FOR UPDATE (in name order, so two charges
never wait on each other crosswise), decides with ``policy.premium_for_charge``, and
adds what it granted, all in its own transaction: concurrent charges queue on the
budget row and exactly what fits is ever granted. A counter belongs to a code, not a
version: a new version of a campaign (a larger budget, a later end) keeps counting.

Source accounts. Premium coins come from ``issued:coin`` like bought ones; premium
points from ``granted:0`` (``accounts.granted_points(None)``), the account of points
given outside a point programme. What each campaign cost is not a separate account but
the transfers of kind ``charge.premium.coin`` / ``charge.premium.point``, whose
operation details name the campaign; the budget counter must always equal their sum.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from currency.issuance import counters, policy, rulebook
from currency.issuance.policy import Premium, RuleRefused
from currency.issuance.rules import ChargePremium, ExpiryPolicy, Rule
from currency.ledger import accounts


def budget_counter(code: str) -> str:
    return f"premium:{code}:budget"


def resident_counter(code: str, resident_id: int) -> str:
    return f"premium:{code}:resident:{resident_id}"


def choose(campaigns: Iterable[Rule], *, channel: str, now: datetime) -> ChargePremium | None:
    """The campaign that pays a premium on this charge: highest rate, then lowest code."""
    open_now = [
        c
        for c in campaigns
        if isinstance(c, ChargePremium) and channel in c.channels and c.starts_at <= now < c.ends_at
    ]
    return min(open_now, key=lambda c: (-c.rate_bp, c.code), default=None)


async def campaign_for(
    session: AsyncSession, *, currency_id: int, channel: str, now: datetime
) -> ChargePremium | None:
    found = await rulebook.in_force(
        session, currency_id=currency_id, kind="charge_premium", now=now
    )
    return choose(found, channel=channel, now=now)


def lot_expiry(expiry: ExpiryPolicy, campaign: ChargePremium, *, issued_on: date) -> date:
    """The premium lot's last day; a coin premium never outlives the six-month limit.

    A campaign whose ``premium_expiry_days`` passes six months under ``six_month_limit``
    is cut to the last legal day rather than refusing every charge it applies to: the
    resident keeps the premium, for as long as the law allows.
    """
    try:
        return policy.premium_lot_expiry(expiry, campaign, issued_on=issued_on)
    except RuleRefused:
        return policy.six_months_last_day(issued_on)


async def source_account(session: AsyncSession, *, currency_id: int, kind: str) -> int:
    code = accounts.ISSUED_COINS if kind == "coin" else accounts.granted_points(None)
    return await accounts.system_account(session, currency_id=currency_id, code=code)


@dataclass(frozen=True)
class Used:
    """What the campaign and this resident have received so far, read under lock."""

    budget: int
    resident: int


async def lock_used(
    session: AsyncSession, *, currency_id: int, campaign: ChargePremium, resident_id: int
) -> Used:
    names = (budget_counter(campaign.code), resident_counter(campaign.code, resident_id))
    found = await counters.lock(session, currency_id=currency_id, names=names)
    return Used(budget=found[names[0]], resident=found[names[1]])


async def add_granted(
    session: AsyncSession,
    *,
    currency_id: int,
    campaign: ChargePremium,
    resident_id: int,
    amount: int,
) -> None:
    """Count a granted premium (both rows were locked by ``lock_used``)."""
    names = [budget_counter(campaign.code), resident_counter(campaign.code, resident_id)]
    await counters.add(session, currency_id=currency_id, amounts=dict.fromkeys(names, amount))


def reduction_note(premium: Premium, campaign: ChargePremium) -> str | None:
    """Why the premium is below the campaign's rate, in words a resident can act on."""
    instead = f"The premium is {premium.amount:,} instead of {premium.full_amount:,}"
    if premium.reason == "cap_per_resident":
        cap = campaign.cap_per_resident
        return f"{instead}: this campaign gives at most {cap:,} per person, now reached."
    if premium.reason == "budget":
        return f"{instead}: the campaign's budget is used up."
    return None
