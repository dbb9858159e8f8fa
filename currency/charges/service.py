"""Charging a wallet: coins bought with yen at the counter, at a kiosk or through a payment
provider, with a campaign's premium when one applies.

One charge is one ledger operation of kind ``charge``: a coin lot of the yen charged,
from ``issued:coin`` and expiring per the expiry policy, and, when a campaign applies,
its premium as a second lot of the same operation (currency/charges/premium.py). All or
nothing.

The order of the work, and why:

1. Outside any lock: check the request, find the resident, read the rules in force.
2. The ledger's begin: the idempotency key first. A replay returns the stored result
   there, before anything else runs, so a provider's retry neither queues on a campaign
   counter nor counts a premium twice. Then the wallet is locked.
3. Under the wallet lock (the builder): may this resident charge; the campaign counters,
   locked and read; the premium; the balance cap against the locked balance, so two
   charges into one wallet can never both slip under it.
4. Written, and not a replay: the counters count the premium; a staff charge is audited.

A refusal raises before anything is counted or written (the caller rolls back). Locks are
taken wallet first, then counters in name order; anything else that touches premium
counters (reversing a charge) must keep that order.

Verification levels map to the wallet limits' levels: 1 (enrolled) → ``basic``, 2
(identity checked at the counter) → ``verified``. A blocked card does not stop a charge (a
lost card leaves the wallet intact); a resident whose status is not ``active``, or a
wallet that is blocked or closed, cannot be charged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from currency.audit import service as audit
from currency.charges import checks, premium, webhook
from currency.charges.checks import Payer
from currency.charges.result import Channel, ChargeResult, PremiumGiven
from currency.clock import JAPAN
from currency.errors import InvalidOperation, NotFound
from currency.issuance import policy, rulebook
from currency.issuance.policy import Premium
from currency.issuance.rules import ChargePremium, ExpiryPolicy, WalletLimits
from currency.ledger import operations, posting
from currency.ledger.operations import Context, Issue
from currency.ledger.posting import Request
from currency.ledger.types import Draft, Idempotency, Locked
from currency.residents import numbers
from currency.residents.models import resident

__all__ = ["CHARGE_EVENT", "ChargeResult", "PremiumGiven", "charge", "charge_from_webhook"]

CHARGE_EVENT = "charge.succeeded"


async def charge(
    session: AsyncSession,
    *,
    currency_id: int,
    resident_number: str,
    yen: int,
    channel: Channel,
    reference: str | None,
    actor: str,
    idempotency: Idempotency | None,
    now: datetime,
) -> ChargeResult:
    """Sell ``yen`` worth of coins to the resident, with a premium if a campaign applies."""
    checks.request(yen=yen, channel=channel, reference=reference, now=now)
    payer = await _payer(session, currency_id, resident_number)
    terms = await _terms(session, currency_id, channel, now)
    work = _Charge(session, currency_id, payer, terms, yen, channel, reference, now)
    request = Request(actor, (payer.wallet,), work.build, idempotency=idempotency)
    posted = await posting.post_request(session, currency_id=currency_id, request=request)
    if posted.replayed:
        return ChargeResult.model_validate({**posted.response, "replayed": True})
    return await work.finish(posted.operation_id, actor)


async def charge_from_webhook(
    session: AsyncSession,
    *,
    currency_id: int,
    body: bytes,
    signature_header: str | None,
    secrets: Sequence[bytes],
    now: datetime,
) -> ChargeResult:
    """The provider's signed ``charge.succeeded`` event, charged once however often sent.

    ``webhook.WebhookRefused`` (not signed, stale, malformed) propagates untouched.
    """
    event = webhook.verify(body, signature_header, secrets, now)
    if event.type != CHARGE_EVENT:
        raise InvalidOperation(f"Event type {event.type!r} is not handled; only {CHARGE_EVENT}.")
    request = {
        "type": event.type,
        "resident_number": event.resident_number,
        "yen": event.yen,
        "reference": event.reference,
    }
    return await charge(
        session,
        currency_id=currency_id,
        resident_number=event.resident_number,
        yen=event.yen,
        channel="provider",
        reference=event.reference,
        actor="provider",
        idempotency=Idempotency("provider", event.id, request),
        now=now,
    )


async def _payer(session: AsyncSession, currency_id: int, number: str) -> Payer:
    r = resident.c
    row = (
        await session.execute(
            sa.select(r.id, r.wallet_account_id, r.verification_level, r.status).where(
                r.currency_id == currency_id, r.resident_number == numbers.canonical(number)
            )
        )
    ).one_or_none()
    if row is None:
        raise NotFound("No resident is enrolled with this number; check the number and retry.")
    return Payer(row.id, row.wallet_account_id, row.verification_level, row.status)


@dataclass(frozen=True)
class _Terms:
    """The rules in force for this charge, with the expiry dates they give."""

    limits: WalletLimits
    coin_expires_on: date
    campaign: ChargePremium | None
    premium_expires_on: date | None


async def _terms(session: AsyncSession, currency_id: int, channel: str, now: datetime) -> _Terms:
    expiry = await rulebook.standing(
        session, currency_id=currency_id, kind="expiry_policy", model=ExpiryPolicy, now=now
    )
    limits = await rulebook.standing(
        session, currency_id=currency_id, kind="wallet_limits", model=WalletLimits, now=now
    )
    campaign = await premium.campaign_for(
        session, currency_id=currency_id, channel=channel, now=now
    )
    today = now.astimezone(JAPAN).date()
    coin_expires_on = policy.lot_expiry(expiry, kind="coin", issued_on=today)
    premium_on = premium.lot_expiry(expiry, campaign, issued_on=today) if campaign else None
    return _Terms(limits, coin_expires_on, campaign, premium_on)


@dataclass
class _Charge:
    """One charge: what was asked, and what its builder decided under the wallet lock."""

    session: AsyncSession
    currency_id: int
    payer: Payer
    terms: _Terms
    yen: int
    channel: Channel
    reference: str | None
    now: datetime
    granted: Premium | None = None
    result: ChargeResult | None = None

    async def build(self, locked: Locked) -> Draft:
        """Called by the ledger under the wallet lock, and only when not a replay."""
        wallet = checks.chargeable(self.payer, locked.accounts.get(self.payer.wallet))
        level = checks.level_name(self.payer.level)
        self.granted = await self._premium()
        extra = self.granted.amount if self.granted else 0
        checks.within_balance_cap(self.terms.limits, level, wallet.balance, self.yen, extra)
        self.result = self._result(balance_after=wallet.balance + self.yen + extra)
        ctx = Context(
            actor="",
            details=self._details(),
            response=self.result.model_dump(mode="json", exclude={"operation_id", "replayed"}),
        )
        issuing = operations.issue_request(
            wallet=self.payer.wallet, issues=await self._issues(), kind="charge", ctx=ctx
        )
        draft = issuing.build(locked)
        assert isinstance(draft, Draft)
        return draft

    async def _premium(self) -> Premium | None:
        campaign = self.terms.campaign
        if campaign is None:
            return None
        used = await premium.lock_used(
            self.session, currency_id=self.currency_id, campaign=campaign, resident_id=self.payer.id
        )
        return policy.premium_for_charge(
            campaign,
            channel=self.channel,
            charged=self.yen,
            now=self.now,
            resident_received=used.resident,
            campaign_spent=used.budget,
        )

    def _result(self, *, balance_after: int) -> ChargeResult:
        return ChargeResult(
            operation_id=0,  # known once written
            yen=self.yen,
            coins=self.yen,
            coin_expires_on=self.terms.coin_expires_on,
            balance_after=balance_after,
            channel=self.channel,
            reference=self.reference,
            premium=self._premium_given(),
        )

    def _premium_given(self) -> PremiumGiven | None:
        campaign, granted = self.terms.campaign, self.granted
        if campaign is None or granted is None:
            return None
        return PremiumGiven(
            campaign=campaign.code,
            amount=granted.amount,
            full_amount=granted.full_amount,
            kind=granted.kind,
            expires_on=self.terms.premium_expires_on if granted.amount else None,
            reason=granted.reason,
            note=premium.reduction_note(granted, campaign),
        )

    async def _issues(self) -> list[Issue]:
        coins = await premium.source_account(
            self.session, currency_id=self.currency_id, kind="coin"
        )
        issues = [Issue(coins, self.yen, "coin", self.terms.coin_expires_on)]
        granted, expires_on = self.granted, self.terms.premium_expires_on
        if granted is not None and granted.amount > 0 and expires_on is not None:
            source = await premium.source_account(
                self.session, currency_id=self.currency_id, kind=granted.kind
            )
            kind = f"charge.premium.{granted.kind}"
            issues.append(Issue(source, granted.amount, granted.kind, expires_on, leg_kind=kind))
        return issues

    def _details(self) -> dict[str, Any]:
        given = self.result.premium if self.result else None
        return {
            "resident_id": self.payer.id,
            "yen": self.yen,
            "channel": self.channel,
            "reference": self.reference,
            "campaign": given.campaign if given else None,
            "premium": given.amount if given else 0,
            "premium_kind": given.kind if given else None,
            "premium_reason": given.reason if given else None,
        }

    async def finish(self, operation_id: int, actor: str) -> ChargeResult:
        """After the write (not a replay): count the premium, audit a staff charge."""
        assert self.result is not None
        result = self.result.model_copy(update={"operation_id": operation_id})
        campaign, granted = self.terms.campaign, self.granted
        if campaign is not None and granted is not None and granted.amount > 0:
            await premium.add_granted(
                self.session,
                currency_id=self.currency_id,
                campaign=campaign,
                resident_id=self.payer.id,
                amount=granted.amount,
            )
        if actor.startswith("staff:"):
            await audit.record(
                self.session,
                currency_id=self.currency_id,
                actor=actor,
                action="charge",
                target=f"resident:{self.payer.id}",
                after=result.model_dump(mode="json"),
            )
        return result
