"""QR payment codes: the resident's one-time code (CPM), the shop's printed link (static
MPM) and the shop's code for a fixed amount (dynamic MPM)."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from currency.clock import JAPAN
from currency.errors import (
    AccountUnavailable,
    IdempotencyConflict,
    InsufficientBalance,
    InvalidCode,
    InvalidOperation,
    LimitExceeded,
    NotFound,
)
from currency.ledger.types import Idempotency, Posted
from currency.payments import codes
from currency.payments.models import payment_request, payment_token
from tests.currency.payments.test_pay import LIMITS, in_force
from tests.factories import Books, Resident, Shop

SECRET = b"test-code-secret"
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=JAPAN)
CLERK = "merchant_user:7"


@dataclass
class Till:
    """A currency with a resident holding 30,000 and a shop."""

    books: Books
    payer: Resident
    shop: Shop

    async def token(self, now: datetime = NOW) -> codes.PaymentToken:
        return await codes.issue_payment_token(
            self.books.session, currency_id=self.books.currency_id,
            wallet_account_id=self.payer.wallet, now=now,
        )  # fmt: skip

    async def scan(
        self, text: str, amount: int = 1_200, *, now: datetime = NOW, key: str | None = None
    ) -> Posted:
        idem = Idempotency(CLERK, key, {"token": text, "amount": amount}) if key else None
        return await codes.pay_with_token(
            self.books.session, currency_id=self.books.currency_id, token_text=text,
            merchant_id=self.shop.id, amount=amount, actor=CLERK, idempotency=idem,
            today=self.books.today, now=now,
        )  # fmt: skip

    async def request(self, amount: int = 850, *, shop: Shop | None = None) -> codes.PaymentRequest:
        return await codes.create_payment_request(
            self.books.session, currency_id=self.books.currency_id,
            merchant_id=(shop or self.shop).id, amount=amount,
            created_by=await self.books.staff(), secret=SECRET, now=NOW,
        )  # fmt: skip

    async def pay_request(
        self,
        text: str,
        *,
        now: datetime = NOW,
        key: str | None = None,
        payer: Resident | None = None,
    ) -> Posted:
        idem = Idempotency("resident:1", key, {"request": text}) if key else None
        return await codes.pay_request(
            self.books.session, currency_id=self.books.currency_id, request_text=text,
            wallet_account_id=(payer or self.payer).wallet, actor="resident:1", idempotency=idem,
            today=self.books.today, now=now, secret=SECRET,
        )  # fmt: skip

    async def balances(self) -> tuple[int, int]:
        return await self.books.balance(self.payer.wallet), await self.books.balance(
            self.shop.account_id
        )


async def open_till(session: AsyncSession, *, limits: bool = False) -> Till:
    books = await Books.open(session)
    if limits:
        await in_force(books, LIMITS)  # basic: 3,000 a payment
    payer = await books.resident()
    await books.charge(payer.wallet, 30_000)
    return Till(books, payer, await books.shop())


async def token_row(till: Till, text: str) -> sa.Row[tuple[object, ...]]:
    raw = base64.b32decode(text.split(".")[1] + "======")
    t = payment_token.c
    rows = await till.books.session.execute(
        sa.select(payment_token).where(
            t.currency_id == till.books.currency_id, t.token_hash == hashlib.sha256(raw).digest()
        )
    )
    return rows.one()


def one_char_changed(text: str, at: int) -> str:
    swapped = "B" if text[at] != "B" else "C"
    return text[:at] + swapped + text[at + 1 :]


def same_bytes_other_spelling(text: str) -> str:
    """The last base32 character carries two spare bits; flip one."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    return text[:-1] + alphabet[alphabet.index(text[-1]) ^ 1]


class TestCustomerPresentedCode:
    async def test_a_scanned_code_pays_the_shop_and_is_marked_used(
        self, session: AsyncSession
    ) -> None:
        till = await open_till(session)
        token = await till.token()
        assert token.expires_at == NOW + timedelta(seconds=120)
        assert token.text.startswith("MGP1.") and len(token.text) == 31
        posted = await till.scan(token.text)
        assert await till.balances() == (28_800, 1_200)
        row = await token_row(till, token.text)
        assert row.operation_id == posted.operation_id and row.used_at == NOW
        assert token.text.encode() not in row.token_hash  # only the hash is kept

    async def test_the_same_code_scanned_again_is_refused_and_charges_nothing(
        self, session: AsyncSession
    ) -> None:
        till = await open_till(session)
        token = await till.token()
        await till.scan(token.text)
        with pytest.raises(
            InvalidCode, match=r"already used\. Ask the customer to show a new code"
        ):
            await till.scan(token.text, 500)
        assert await till.balances() == (28_800, 1_200)

    async def test_a_code_pays_until_two_minutes_are_up_and_not_after(
        self, session: AsyncSession
    ) -> None:
        till = await open_till(session)
        late, in_time = await till.token(), await till.token()
        with pytest.raises(InvalidCode, match="expired"):
            await till.scan(late.text, now=NOW + timedelta(seconds=121))
        await till.scan(in_time.text, now=NOW + timedelta(seconds=119))
        assert await till.balances() == (28_800, 1_200)

    @pytest.mark.parametrize(
        "alter",
        [
            pytest.param(lambda t: one_char_changed(t, 12), id="one-character-changed"),
            pytest.param(lambda t: t[:-1], id="truncated"),
            pytest.param(lambda t: t + "A", id="one-character-more"),
            pytest.param(same_bytes_other_spelling, id="spare-bits-changed"),
            pytest.param(lambda t: "MGR1" + t[4:], id="other-prefix"),
            pytest.param(lambda t: t.replace(".", ""), id="no-dot"),
            pytest.param(lambda t: "", id="empty"),
            pytest.param(lambda t: t[:10] + "０" + t[11:], id="full-width-digit"),
        ],
    )
    async def test_an_altered_code_is_refused_and_charges_nothing(
        self, session: AsyncSession, alter: object
    ) -> None:
        till = await open_till(session)
        token = await till.token()
        assert callable(alter)
        with pytest.raises(InvalidCode, match="Ask the customer to show a new code"):
            await till.scan(alter(token.text))
        assert await till.balances() == (30_000, 0)
        assert (await token_row(till, token.text)).used_at is None

    async def test_a_code_typed_in_lower_case_or_with_a_scanners_line_end_still_pays(
        self, session: AsyncSession
    ) -> None:
        till = await open_till(session)
        lower, padded = await till.token(), await till.token()
        await till.scan(lower.text.lower())
        await till.scan(f" {padded.text}\r\n")
        assert await till.balances() == (27_600, 2_400)

    async def test_another_currencys_code_is_refused(self, session: AsyncSession) -> None:
        here, there = await open_till(session), await open_till(session)
        token = await there.token()
        with pytest.raises(InvalidCode, match="not a Meguri payment code"):
            await here.scan(token.text)
        assert await there.balances() == (30_000, 0)

    async def test_a_retry_with_the_same_key_returns_the_stored_payment(
        self, session: AsyncSession
    ) -> None:
        till = await open_till(session)
        token = await till.token()
        first = await till.scan(token.text, key="k-1")
        again = await till.scan(token.text, key="k-1", now=NOW + timedelta(minutes=10))
        assert again.replayed and again.operation_id == first.operation_id
        assert await till.balances() == (28_800, 1_200)

    async def test_a_used_code_under_another_key_or_amount_is_not_a_retry(
        self, session: AsyncSession
    ) -> None:
        till = await open_till(session)
        token = await till.token()
        await till.scan(token.text, key="k-1")
        with pytest.raises(InvalidCode, match="already used"):
            await till.scan(token.text, key="k-2")
        with pytest.raises(IdempotencyConflict):
            await till.scan(token.text, 9_999, key="k-1")
        assert await till.balances() == (28_800, 1_200)

    async def test_a_refused_payment_leaves_the_code_usable_for_a_smaller_amount(
        self, session: AsyncSession
    ) -> None:
        till = await open_till(session, limits=True)  # 3,000 a payment
        till.payer = await till.books.resident()
        await till.books.charge(till.payer.wallet, 2_000)
        token = await till.token()
        with pytest.raises(InsufficientBalance):
            await till.scan(token.text, 2_500)
        with pytest.raises(LimitExceeded):
            await till.scan(token.text, 3_500)
        assert (await token_row(till, token.text)).used_at is None
        await till.scan(token.text, 1_500)
        assert await till.balances() == (500, 1_500)

    async def test_a_code_is_only_issued_for_a_wallet_of_this_currency(
        self, session: AsyncSession
    ) -> None:
        here, there = await open_till(session), await open_till(session)
        with pytest.raises(NotFound):
            await codes.issue_payment_token(
                session, currency_id=here.books.currency_id,
                wallet_account_id=there.payer.wallet, now=NOW,
            )  # fmt: skip
        with pytest.raises(NotFound):
            await codes.issue_payment_token(
                session, currency_id=here.books.currency_id,
                wallet_account_id=here.shop.account_id, now=NOW,
            )  # fmt: skip


class TestShopLink:
    async def test_a_printed_link_leads_to_the_registered_shop(self, session: AsyncSession) -> None:
        till = await open_till(session)
        link = codes.shop_link(
            base_url="https://saiki.example.jp/", merchant_code=till.shop.code, secret=SECRET
        )
        assert link.startswith(f"https://saiki.example.jp/m/{till.shop.code}?s=")
        code, s = codes.read_shop_link(link)
        shop = await codes.shop_for_link(
            session, currency_id=till.books.currency_id, merchant_code=code, s=s, secret=SECRET
        )
        assert (shop.id, shop.code, shop.district, shop.takes_payments) == (
            till.shop.id, till.shop.code, "佐伯", True,
        )  # fmt: skip
        assert shop.name.startswith("テスト商店")

    async def test_an_altered_or_swapped_link_is_refused(self, session: AsyncSession) -> None:
        till = await open_till(session)
        other = await till.books.shop()
        s = codes.read_shop_link(
            codes.shop_link(base_url="https://x.jp", merchant_code=till.shop.code, secret=SECRET)
        )[1]
        for code, mac, secret in [
            (till.shop.code, one_char_changed(s, 3), SECRET),  # MAC altered
            (other.code, s, SECRET),  # another shop's code under this MAC
            (till.shop.code, s[:-1], SECRET),  # truncated
            (till.shop.code, "", SECRET),
            (till.shop.code, s, b"another-city"),  # signed with another key
        ]:
            with pytest.raises(InvalidCode, match="not genuine"):
                await codes.shop_for_link(
                    session, currency_id=till.books.currency_id, merchant_code=code, s=mac,
                    secret=secret,
                )  # fmt: skip

    async def test_a_suspended_shop_is_shown_as_unable_to_take_payments(
        self, session: AsyncSession
    ) -> None:
        till = await open_till(session)
        closed = await till.books.shop(status="suspended")
        s = codes.read_shop_link(
            codes.shop_link(base_url="https://x.jp", merchant_code=closed.code, secret=SECRET)
        )[1]
        shop = await codes.shop_for_link(
            session, currency_id=till.books.currency_id, merchant_code=closed.code, s=s,
            secret=SECRET,
        )  # fmt: skip
        assert not shop.takes_payments

    async def test_a_genuine_link_for_a_shop_this_city_does_not_have_is_not_found(
        self, session: AsyncSession
    ) -> None:
        till = await open_till(session)
        s = codes.read_shop_link(
            codes.shop_link(base_url="https://x.jp", merchant_code="NOPE-1", secret=SECRET)
        )[1]
        with pytest.raises(NotFound, match="not registered"):
            await codes.shop_for_link(
                session, currency_id=till.books.currency_id, merchant_code="NOPE-1", s=s,
                secret=SECRET,
            )  # fmt: skip

    async def test_the_resident_pays_the_confirmed_shop_by_its_code(
        self, session: AsyncSession
    ) -> None:
        till = await open_till(session)
        await codes.pay_shop(
            session, currency_id=till.books.currency_id, merchant_code=till.shop.code,
            wallet_account_id=till.payer.wallet, amount=640, actor="resident:1",
            today=till.books.today,
        )  # fmt: skip
        assert await till.balances() == (29_360, 640)

    def test_links_that_are_not_shop_links_are_refused_when_read(self) -> None:
        for url in ["https://x.jp/pay?s=AAA", "https://x.jp/m/?s=A", "https://x.jp/m/M1", "MGR1"]:
            with pytest.raises(InvalidCode):
                codes.read_shop_link(url)


class TestShopPaymentRequest:
    async def test_a_request_shows_its_shop_and_amount_and_pays_them_once(
        self, session: AsyncSession
    ) -> None:
        till = await open_till(session)
        request = await till.request(850)
        assert request.expires_at == NOW + timedelta(minutes=5)
        shown = await codes.describe_request(
            session, currency_id=till.books.currency_id, request_text=request.text,
            secret=SECRET, now=NOW,
        )  # fmt: skip
        assert (shown.amount, shown.shop.id) == (850, till.shop.id)
        posted = await till.pay_request(request.text)
        with pytest.raises(InvalidCode, match=r"already paid\. Ask the shop to show a new code"):
            await till.pay_request(request.text)
        assert await till.balances() == (29_150, 850)
        row = (await session.execute(sa.select(payment_request.c.operation_id))).all()
        assert (posted.operation_id,) in row

    async def test_a_request_older_than_five_minutes_is_refused(
        self, session: AsyncSession
    ) -> None:
        till = await open_till(session)
        request = await till.request()
        with pytest.raises(InvalidCode, match="expired"):
            await till.pay_request(request.text, now=NOW + timedelta(minutes=5, seconds=1))
        assert await till.balances() == (30_000, 0)

    async def test_an_altered_or_foreign_request_is_refused(self, session: AsyncSession) -> None:
        till, elsewhere = await open_till(session), await open_till(session)
        request, other = await till.request(), await till.request(9_000)
        foreign = await elsewhere.request()
        prefix, rid, nonce, mac = request.text.split(".")
        for text in [
            one_char_changed(request.text, len(request.text) - 3),  # MAC
            f"{prefix}.{rid}.{one_char_changed(nonce, 2)}.{mac}",  # nonce
            f"{prefix}.{other.id}.{nonce}.{mac}",  # another request's id
            request.text[:-1],
            foreign.text,  # another currency's
        ]:
            with pytest.raises(InvalidCode, match="not a Meguri payment code"):
                await till.pay_request(text)
        assert await till.balances() == (30_000, 0)

    async def test_a_request_signed_for_another_amount_is_refused(
        self, session: AsyncSession
    ) -> None:
        till = await open_till(session)
        request = await till.request(100)
        r = payment_request.c
        await session.execute(sa.update(payment_request).where(r.id == request.id).values(amount=9))
        with pytest.raises(InvalidCode):
            await till.pay_request(request.text)

    async def test_a_retry_with_the_same_key_returns_the_stored_payment(
        self, session: AsyncSession
    ) -> None:
        till = await open_till(session)
        request = await till.request()
        first = await till.pay_request(request.text, key="r-1")
        again = await till.pay_request(request.text, key="r-1")
        assert again.replayed and again.operation_id == first.operation_id
        assert await till.balances() == (29_150, 850)

    async def test_a_refused_payment_leaves_the_request_open_for_another_resident(
        self, session: AsyncSession
    ) -> None:
        till = await open_till(session)
        request = await till.request(850)
        broke = await till.books.resident()
        with pytest.raises(InsufficientBalance):
            await till.pay_request(request.text, payer=broke)
        await till.pay_request(request.text)
        assert await till.balances() == (29_150, 850)

    async def test_a_request_needs_a_real_amount_and_an_open_shop(
        self, session: AsyncSession
    ) -> None:
        till = await open_till(session)
        with pytest.raises(InvalidOperation):
            await till.request(0)
        with pytest.raises(AccountUnavailable, match="cannot take payments"):
            await till.request(100, shop=await till.books.shop(status="suspended"))


async def test_codes_that_expired_unused_are_forgotten_and_used_ones_kept(
    session: AsyncSession,
) -> None:
    till = await open_till(session)
    used, unused = await till.token(), await till.token()
    await till.request()
    await till.scan(used.text)
    removed = await codes.forget_unused(
        session, currency_id=till.books.currency_id, expired_before=NOW + timedelta(hours=1)
    )
    assert removed == 2
    assert (await token_row(till, used.text)).used_at == NOW
    with pytest.raises(InvalidCode):
        await till.scan(unused.text)
