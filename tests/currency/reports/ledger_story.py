"""Operations for report tests, each one ledger operation through the ledger's API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from currency.ledger import accounts, corrections, operations, posting
from currency.ledger.operations import Context, Issue
from currency.ledger.types import Draft, Leg, Locked, Posted
from currency.payments import transfers
from tests.factories import Books, Resident, Shop

PROGRAMME = 7  # a point programme's id (lots carry it; no rule row is needed here)


@dataclass
class Story:
    books: Books

    @property
    def cid(self) -> int:
        return self.books.currency_id

    async def charge(
        self, who: Resident, amount: int, *, days: int = 180, expires_on: date | None = None
    ) -> Posted:
        expires = expires_on or self.books.today + timedelta(days=days)
        issue = Issue(await self.books.issued(), amount, "coin", expires)
        return await self._issue(who, [issue], "charge")

    async def premium(
        self, who: Resident, paid: int, bonus: int, *, expires_on: date | None = None
    ) -> Posted:
        """A charge with a premium in coins (two coin lots)."""
        source = await self.books.issued()
        expires = expires_on or self.books.today + timedelta(days=180)
        issues = [
            Issue(source, paid, "coin", expires),
            Issue(source, bonus, "coin", expires, leg_kind="charge.premium.coin"),
        ]
        return await self._issue(who, issues, "charge")

    async def grant(self, who: Resident, amount: int, *, days: int = 90) -> Posted:
        source = await accounts.system_account(
            self.books.session, currency_id=self.cid, code=accounts.granted_points(PROGRAMME)
        )
        expires = self.books.today + timedelta(days=days)
        issue = Issue(source, amount, "point", expires, programme_id=PROGRAMME)
        return await self._issue(who, [issue], "grant")

    async def _issue(self, who: Resident, issues: list[Issue], kind: str) -> Posted:
        return await operations.issue(
            self.books.session, currency_id=self.cid, wallet=who.wallet, issues=issues,
            kind=kind, ctx=Context(actor="test"),
        )  # fmt: skip

    async def pay(self, who: Resident, shop: Shop, amount: int) -> Posted:
        return await operations.spend(
            self.books.session, currency_id=self.cid, wallet=who.wallet,
            to_account=shop.account_id, amount=amount, kind="payment",
            today=self.books.today, ctx=Context(actor="test"),
        )  # fmt: skip

    async def refund(self, payment: Posted, amount: int) -> Posted:
        return await corrections.refund(
            self.books.session, currency_id=self.cid, payment_id=payment.operation_id,
            amount=amount, today=self.books.today, grace_days=30, ctx=Context(actor="test"),
        )  # fmt: skip

    async def reverse(self, done: Posted) -> Posted:
        return await corrections.reverse(
            self.books.session, currency_id=self.cid, operation_id=done.operation_id,
            today=self.books.today, grace_days=30, ctx=Context(actor="test", reason="mistake"),
        )  # fmt: skip

    async def send(self, sender: Resident, receiver: Resident, amount: int) -> Posted:
        return await operations.send(
            self.books.session, currency_id=self.cid, sender=sender.wallet,
            receiver=receiver.wallet, amount=amount, today=self.books.today,
            ctx=Context(actor="test"),
        )  # fmt: skip

    async def shop_pays(self, payer: Shop, payee: Shop, amount: int) -> Posted:
        return await transfers.merchant_pay(
            self.books.session, currency_id=self.cid, payer_merchant_id=payer.id,
            payee_code=payee.code, amount=amount, actor="test",
        )  # fmt: skip

    async def settle(self, shop: Shop, payout: int, fee: int) -> Posted:
        """The ledger side of a settlement: payout to ``redeemed``, fee to ``fees``."""
        session = self.books.session
        redeemed, fees = [
            await accounts.system_account(session, currency_id=self.cid, code=code)
            for code in (accounts.REDEEMED, accounts.FEES)
        ]
        legs = [
            Leg(shop.account_id, redeemed, payout, "settlement.payout"),
            Leg(shop.account_id, fees, fee, "settlement.fee"),
        ]

        def build(locked: Locked) -> Draft:
            return Draft(kind="settlement", legs=legs)

        return await posting.post(
            session, currency_id=self.cid, actor="test", lock=[shop.account_id], build=build
        )
