"""Settling a merchant: its takings up to a cut-off, paid out in yen less the fee (換金).

For the period ending on cut-off day ``D`` the merchant is owed::

    amount = max(0, min(receipts(D) - settled_before, balance))

- ``receipts(D)``: credits minus debits of the merchant's account in transfers stamped
  before the end of ``D`` (the next midnight in the currency's time zone, JST), settlement
  operations left out: payments add, refunds and reversals subtract, and a reversed
  settlement gives its amount back to be settled again;
- ``settled_before``: the sum of the merchant's earlier settlements;
- ``balance``: what the account holds, read under its lock. A refund made after the
  cut-off may have taken part of those receipts back already: nothing is paid twice.

``receipts`` is cumulative, so nothing falls between periods: what the cap held back, or
a payment whose transaction began before midnight and committed after the settlement
read, is settled with the next period, like every sale after the cut-off.

The schedule and the fee are the rules in force at the last moment of the cut-off day:
a period is settled under the rules its sales were made under, however late it is run.
The fee is floored (:func:`policy.merchant_fee`); the payout is ``amount - fee``. One
ledger operation (kind ``settlement``) moves the payout to ``redeemed`` and the fee to
``fees``. Calls for one merchant queue on a transaction lock and the row is unique per
(currency, merchant, period end), so a second call returns the first settlement; the
operation also carries the idempotency key ``settle:<merchant>:<period end>``.

A merchant with nothing to settle gets a settlement of 0 and no ledger operation: the
city's statement for a period lists every active merchant, and "nothing was due" is on
record rather than a gap that looks like a forgotten shop.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from functools import partial
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from currency.audit import service as audit
from currency.errors import InvalidOperation, NotFound
from currency.issuance import policy, rulebook
from currency.issuance.schedule import SettlementPeriod, settlement_period
from currency.issuance.standing_rules import MerchantFee, SettlementSchedule
from currency.ledger import accounts, posting
from currency.ledger.types import Draft, Idempotency, Leg, Locked
from currency.merchants.models import merchant
from currency.settlement import repository
from currency.settlement.models import settlement
from currency.settlement.repository import Merchant, Settlement

__all__ = [
    "Figures",
    "Settlement",
    "Terms",
    "by_id",
    "figures",
    "for_period",
    "get",
    "settle",
    "settle_all",
    "terms",
]

SETTLEMENT = "settlement"
IDEMPOTENCY_PRINCIPAL = "settlement"
Progress = Callable[[int, int], None]  # (merchants done, merchants in all)


@dataclass(frozen=True, slots=True)
class Figures:
    """How a settlement's amount was reached (see the module docstring)."""

    receipts: int
    settled_before: int
    balance: int
    amount: int
    fee_rate_bp: int
    fee: int

    @property
    def payout(self) -> int:
        return self.amount - self.fee


def figures(
    *, receipts: int, settled_before: int, balance: int, fee_rule: MerchantFee, merchant_code: str
) -> Figures:
    """The amount due (never above the balance, never below zero) and its fee."""
    amount = max(0, min(receipts - settled_before, balance))
    fee = policy.merchant_fee(fee_rule, merchant_code=merchant_code, amount=amount)
    rate = fee_rule.rate_for(merchant_code)
    return Figures(receipts, settled_before, balance, amount, rate, fee)


@dataclass(frozen=True, slots=True)
class Terms:
    """A period that may be settled now, and the rules it is settled under."""

    period: SettlementPeriod
    closes_at: datetime
    fee_rule: MerchantFee


class _NothingToSettle(Exception):
    """Raised from the builder (so no operation is written) when the amount is 0."""

    def __init__(self, found: Figures) -> None:
        self.found = found


async def settle(
    session: AsyncSession,
    *,
    currency_id: int,
    merchant_id: int,
    period_end: date,
    actor: str,
    now: datetime,
) -> Settlement:
    """Settle one merchant for the period ending on cut-off day ``period_end``.

    ``amount = max(0, min(receipts up to the end of the cut-off day - all earlier
    settlements, the balance now))``, less the fee of the rule in force (module
    docstring). A period settled before returns its settlement; a day that is not a
    cut-off, or a cut-off whose day has not ended (JST) at ``now``, is refused.
    """
    await repository.lock(session, currency_id, merchant_id)
    if found := await get(
        session, currency_id=currency_id, merchant_id=merchant_id, period_end=period_end
    ):
        return found
    shop = await repository.merchant_row(session, currency_id, merchant_id)
    agreed = await terms(session, currency_id=currency_id, period_end=period_end, now=now)
    result, operation_id = await _post(session, currency_id, shop, agreed, actor)
    row = _details(shop, agreed, result)
    settlement_id = await repository.insert(session, currency_id, row, operation_id, actor)
    await audit.record(
        session, currency_id=currency_id, actor=actor, action="settle",
        target=f"merchant:{shop.code}",
        after={**row, "settlement_id": settlement_id, "operation_id": operation_id},
    )  # fmt: skip
    settled = await get(
        session, currency_id=currency_id, merchant_id=merchant_id, period_end=period_end
    )
    assert settled is not None
    return settled


async def settle_all(
    session: AsyncSession,
    *,
    currency_id: int,
    period_end: date,
    actor: str,
    now: datetime,
    progress: Progress | None = None,
) -> list[Settlement]:
    """Settle every active merchant, shops and city facilities alike, in merchant order."""
    await terms(session, currency_id=currency_id, period_end=period_end, now=now)
    one = partial(settle, session, currency_id=currency_id, period_end=period_end, actor=actor)
    merchant_ids = list(
        await session.scalars(
            sa.select(merchant.c.id)
            .where(merchant.c.currency_id == currency_id, merchant.c.status == "active")
            .order_by(merchant.c.id)
        )
    )
    done: list[Settlement] = []
    for merchant_id in merchant_ids:
        done.append(await one(merchant_id=merchant_id, now=now))
        if progress is not None:
            progress(len(done), len(merchant_ids))
    return done


async def terms(
    session: AsyncSession, *, currency_id: int, period_end: date, now: datetime
) -> Terms:
    """The period ending on ``period_end``, refused unless it is a cut-off that has passed."""
    if now.tzinfo is None:
        raise InvalidOperation("now must be an aware datetime")
    zone = await repository.zone(session, currency_id)
    closes_at = datetime.combine(period_end + timedelta(days=1), time(), zone)
    last_moment = closes_at - timedelta(microseconds=1)
    schedule = await rulebook.standing(
        session, currency_id=currency_id, kind="settlement_schedule",
        model=SettlementSchedule, now=last_moment,
    )  # fmt: skip
    period = settlement_period(schedule, day=period_end)
    if period.ends_on != period_end:
        raise InvalidOperation(
            f"{period_end} is not a cut-off day; the period it falls in ends on "
            f"{period.ends_on}. {schedule.describe().en}."
        )
    if now < closes_at:
        raise InvalidOperation(
            f"The period ending {period_end} closes at midnight ({closes_at:%Y-%m-%d %H:%M} "
            f"{zone.key}); it can be settled after that, when no more sales can fall into it."
        )
    fee_rule = await rulebook.standing(
        session, currency_id=currency_id, kind="merchant_fee", model=MerchantFee, now=last_moment
    )
    return Terms(period, closes_at, fee_rule)


async def get(
    session: AsyncSession, *, currency_id: int, merchant_id: int, period_end: date
) -> Settlement | None:
    """The merchant's settlement for this period, if it has been settled."""
    found = await repository.select(
        session, currency_id, settlement.c.merchant_id == merchant_id,
        settlement.c.period_end == period_end,
    )  # fmt: skip
    return found[0] if found else None


async def by_id(session: AsyncSession, *, currency_id: int, settlement_id: int) -> Settlement:
    """One settlement by its id; NotFound if it is not of this currency."""
    found = await repository.select(session, currency_id, settlement.c.id == settlement_id)
    if not found:
        raise NotFound(f"There is no settlement {settlement_id}.")
    return found[0]


async def for_period(
    session: AsyncSession, *, currency_id: int, period_end: date
) -> list[Settlement]:
    """Every settlement of the period, in merchant order: the city's statement."""
    return await repository.select(session, currency_id, settlement.c.period_end == period_end)


# --- the ledger operation ---------------------------------------------------------------


async def _post(
    session: AsyncSession, currency_id: int, shop: Merchant, agreed: Terms, actor: str
) -> tuple[Figures, int | None]:
    """Figures read under the merchant's lock; one operation unless the amount is 0."""
    redeemed, fees = [
        await accounts.system_account(session, currency_id=currency_id, code=code)
        for code in (accounts.REDEEMED, accounts.FEES)
    ]
    seen: list[Figures] = []

    async def build(locked: Locked) -> Draft:
        found = figures(
            **await repository.owed(session, currency_id, shop, agreed.closes_at),
            balance=locked.accounts[shop.account_id].balance,
            fee_rule=agreed.fee_rule,
            merchant_code=shop.code,
        )
        if found.amount == 0:
            raise _NothingToSettle(found)
        seen.append(found)
        legs = [
            Leg(shop.account_id, to, amount, f"settlement.{kind}")
            for to, amount, kind in ((redeemed, found.payout, "payout"), (fees, found.fee, "fee"))
            if amount > 0
        ]
        details = _details(shop, agreed, found)
        return Draft(kind=SETTLEMENT, legs=legs, details=details, response=details)

    try:
        posted = await posting.post(
            session, currency_id=currency_id, actor=actor, lock=[shop.account_id],
            build=build, idempotency=_idempotency(shop, agreed),
        )  # fmt: skip
    except _NothingToSettle as nothing:
        return nothing.found, None
    return (seen[0] if seen else _replayed(posted.response)), posted.operation_id


def _idempotency(shop: Merchant, agreed: Terms) -> Idempotency:
    end = agreed.period.ends_on.isoformat()
    request = {"merchant_id": shop.id, "period_end": end}
    return Idempotency(IDEMPOTENCY_PRINCIPAL, f"settle:{shop.id}:{end}", request)


def _details(shop: Merchant, agreed: Terms, found: Figures) -> dict[str, Any]:
    """The settlement as recorded with its operation, in its row and in the audit log."""
    period = agreed.period
    return {
        "merchant_id": shop.id,
        "period_start": period.starts_on,
        "period_end": period.ends_on,
        "payout_on": period.payout_on,
        **asdict(found),
        "payout": found.payout,
    }


def _replayed(response: Mapping[str, Any]) -> Figures:
    """The figures stored with the operation (its key was used, its row is ours to write)."""
    return Figures(**{name: int(response[name]) for name in Figures.__dataclass_fields__})
