"""Shops on the city's books: onboarding, changes, the bank account, users and the owner's
refund PIN — each audited, none leaking a password, PIN or account number."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from currency.audit import service as audit
from currency.errors import (
    AccountUnavailable,
    InvalidOperation,
    NotFound,
    NotPermitted,
    RateLimited,
    WrongPin,
)
from currency.merchants import service as merchants
from currency.merchants.users import checked_pin
from currency.payments import service as payments
from currency.security import hash_secret
from currency.users.models import user
from tests.factories import Books

NOW = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)
SECRET = b"meguri-test-secret-0123456789abcdef"
OWNER_PASSWORD = "pw-owner-1"
BANK: dict[str, Any] = {
    "bank_code": "0184", "bank_name_kana": "オオイタ", "branch_code": "301",
    "branch_name_kana": "サイキ", "account_type": 1, "account_number": "7654321",
    "holder_kana": "ヤマダ ハナコ",
}  # fmt: skip


@pytest.fixture
async def books(session: AsyncSession) -> Books:
    return await Books.open(session)


async def onboard(books: Books, **overrides: Any) -> merchants.Merchant:
    fields: dict[str, Any] = {
        "name": "さいき朝市 まるよし青果", "name_kana": "マルヨシセイカ", "district": "佐伯",
        "category": "食料品", "tags": ["small-business", "food"], **overrides,
    }  # fmt: skip
    return await merchants.onboard(
        books.session, currency_id=books.currency_id, actor="user:1", now=NOW, **fields
    )


async def change(books: Books, code: str, reason: str | None = None, **changes: Any) -> Any:
    return await merchants.update(
        books.session, currency_id=books.currency_id, code=code, changes=changes,
        reason=reason, actor="user:1", now=NOW,
    )  # fmt: skip


def audit_text(rows: list[Any]) -> str:
    return json.dumps([dict(r) for r in rows], default=str, ensure_ascii=False)


class TestOnboard:
    async def test_a_new_shop_is_active_with_an_empty_account_and_a_printable_code(
        self, books: Books
    ) -> None:
        shop = await onboard(books)
        assert shop.status == "active"
        assert re.fullmatch(r"[2-9A-HJ-NP-Z]{6}", shop.code)
        assert await books.balance(shop.account_id) == 0
        assert shop.tags == ("food", "small-business")
        found = await merchants.get(books.session, currency_id=books.currency_id, code=shop.code)
        assert found == shop

    async def test_onboarding_is_audited(self, books: Books) -> None:
        shop = await onboard(books)
        rows = await audit.entries(
            books.session, currency_id=books.currency_id, target=f"merchant:{shop.code}"
        )
        assert [r["action"] for r in rows] == ["merchant.onboard"]
        assert rows[0]["after"]["name"] == "さいき朝市 まるよし青果"

    async def test_a_given_code_is_kept_and_a_taken_one_refused(self, books: Books) -> None:
        shop = await onboard(books, code="SAIKI-01")
        assert shop.code == "SAIKI-01"
        with pytest.raises(InvalidOperation, match="taken"):
            await onboard(books, code="SAIKI-01")

    @pytest.mark.parametrize(
        ("field", "value", "words"),
        [
            ("name", "  ", "name"),
            ("name_kana", "丸吉", "kana"),
            ("tags", ["Small Business"], "tag"),
            ("code", "ゆ", "shop code"),
        ],
    )
    async def test_a_field_a_shop_cannot_have_is_refused_in_words(
        self, books: Books, field: str, value: Any, words: str
    ) -> None:
        with pytest.raises(InvalidOperation, match=words):
            await onboard(books, **{field: value})


class TestUpdate:
    async def test_a_change_is_audited_with_before_and_after(self, books: Books) -> None:
        shop = await onboard(books)
        changed = await change(books, shop.code, district="上浦", tags=["food"])
        assert (changed.district, changed.tags) == ("上浦", ("food",))
        row = (await audit.entries(books.session, currency_id=books.currency_id, limit=1))[0]
        assert (row["action"], row["before"]["district"], row["after"]["district"]) == (
            "merchant.update", "佐伯", "上浦",
        )  # fmt: skip

    async def test_a_status_change_needs_a_reason(self, books: Books) -> None:
        shop = await onboard(books)
        with pytest.raises(InvalidOperation, match="why"):
            await change(books, shop.code, status="suspended")
        done = await change(books, shop.code, reason="保健所の指導", status="suspended")
        assert done.status == "suspended"

    async def test_a_suspended_shop_takes_no_payment(self, books: Books) -> None:
        shop = await onboard(books)
        payer = await books.resident()
        await books.charge(payer.wallet, 1_000)
        await change(books, shop.code, reason="調査中", status="suspended")
        with pytest.raises(AccountUnavailable):
            await payments.pay(
                books.session, currency_id=books.currency_id, wallet_account_id=payer.wallet,
                merchant_id=shop.id, amount=500, actor="user:1",
            )  # fmt: skip
        assert await books.balance(payer.wallet) == 1_000

    async def test_a_shop_holding_money_is_not_closed_until_paid_out(self, books: Books) -> None:
        shop = await onboard(books)
        payer = await books.resident()
        await books.charge(payer.wallet, 1_000)
        await payments.pay(
            books.session, currency_id=books.currency_id, wallet_account_id=payer.wallet,
            merchant_id=shop.id, amount=300, actor="user:1",
        )  # fmt: skip
        with pytest.raises(InvalidOperation, match="300"):
            await change(books, shop.code, reason="廃業", status="closed")

    async def test_a_closed_shop_stays_closed(self, books: Books) -> None:
        shop = await onboard(books)
        await change(books, shop.code, reason="廃業", status="closed")
        with pytest.raises(InvalidOperation, match="closed"):
            await change(books, shop.code, reason="再開", status="active")

    async def test_an_unknown_shop_is_not_found(self, books: Books) -> None:
        with pytest.raises(NotFound):
            await change(books, "NOSUCH", name="x")


class TestSearch:
    async def test_by_part_of_the_name_or_kana_and_filters(self, books: Books) -> None:
        fish = await onboard(books, name="しおさい鮮魚店", name_kana="シオサイ", district="上浦")
        await onboard(books, name="しろやま珈琲", name_kana="シロヤマ")
        found = await merchants.search(books.session, currency_id=books.currency_id, q="シオ")
        assert [s.code for s in found] == [fish.code]
        by_district = await merchants.search(
            books.session, currency_id=books.currency_id, district="上浦"
        )
        assert [s.code for s in by_district] == [fish.code]

    async def test_a_percent_sign_is_searched_for_not_a_wildcard(self, books: Books) -> None:
        await onboard(books)
        assert await merchants.search(books.session, currency_id=books.currency_id, q="%") == []


class TestBankAccount:
    async def test_stored_sealed_and_audited_with_the_last_four_digits_only(
        self, books: Books
    ) -> None:
        shop = await onboard(books)
        stored = await merchants.set_bank_account(
            books.session, currency_id=books.currency_id, code=shop.code, staff_id=1,
            secret=SECRET, **BANK,
        )  # fmt: skip
        assert (stored.masked_number, stored.holder_kana) == ("***4321", "ﾔﾏﾀﾞ ﾊﾅｺ")
        text = audit_text(await audit.entries(books.session, currency_id=books.currency_id))
        assert "7654321" not in text and "***4321" in text

    @pytest.mark.parametrize(
        ("field", "value", "words"),
        [
            ("bank_code", "184", "4 digits"),
            ("branch_code", "30", "3 digits"),
            ("account_number", "12345678", "7 digits"),
            ("holder_kana", "山田花子", "kana"),
        ],
    )
    async def test_what_the_bank_would_refuse_is_refused_now(
        self, books: Books, field: str, value: str, words: str
    ) -> None:
        shop = await onboard(books)
        with pytest.raises(InvalidOperation, match=words):
            await merchants.set_bank_account(
                books.session, currency_id=books.currency_id, code=shop.code, staff_id=1,
                secret=SECRET, **{**BANK, field: value},
            )  # fmt: skip


class TestUsers:
    async def test_a_new_clerk_signs_in_with_a_one_time_password_kept_only_hashed(
        self, books: Books
    ) -> None:
        shop = await onboard(books)
        made = await merchants.add_user(
            books.session, currency_id=books.currency_id, merchant_id=shop.id,
            role="merchant_clerk", display_name="佐藤", actor="user:1", now=NOW,
        )  # fmt: skip
        assert made.username == f"{shop.code.lower()}-1"
        assert re.fullmatch(r"([2-9a-z]{4}-){3}[2-9a-z]{4}", made.initial_password)
        hashed = await books.session.scalar(sa.select(user.c.password_hash).where(
            user.c.id == made.id))  # fmt: skip
        assert hashed is not None and made.initial_password not in hashed
        text = audit_text(await audit.entries(books.session, currency_id=books.currency_id))
        assert made.initial_password not in text and "merchant_user.add" in text

    async def test_a_closed_shop_gets_no_new_user(self, books: Books) -> None:
        shop = await onboard(books)
        await change(books, shop.code, reason="廃業", status="closed")
        with pytest.raises(InvalidOperation, match="closed"):
            await merchants.add_user(
                books.session, currency_id=books.currency_id, merchant_id=shop.id,
                role="merchant_clerk", display_name="佐藤", actor="user:1", now=NOW,
            )  # fmt: skip


async def owner_with_password(books: Books, shop_id: int) -> int:
    made = await merchants.add_user(
        books.session, currency_id=books.currency_id, merchant_id=shop_id,
        role="merchant_owner", display_name="店主", actor="user:1", now=NOW,
    )  # fmt: skip
    await books.session.execute(
        sa.update(user)
        .where(user.c.id == made.id)
        .values(password_hash=hash_secret(OWNER_PASSWORD))
    )
    return made.id


async def owner_with_pin(books: Books, shop_id: int, pin: str) -> int:
    """The shop's owner, who set ``pin`` with their password."""
    owner = await owner_with_password(books, shop_id)
    await merchants.set_owner_pin(
        books.session, currency_id=books.currency_id, user_id=owner,
        current_password=OWNER_PASSWORD, pin=pin, now=NOW,
    )  # fmt: skip
    return owner


class TestOwnerPin:
    async def test_set_on_the_password_then_verified_and_never_audited(self, books: Books) -> None:
        shop = await onboard(books)
        owner = await owner_with_pin(books, shop.id, "390417")
        verified = await merchants.verify_owner_pin(
            books.session, currency_id=books.currency_id, merchant_id=shop.id, pin="390417",
            now=NOW,
        )  # fmt: skip
        assert verified == owner
        assert "390417" not in audit_text(
            await audit.entries(books.session, currency_id=books.currency_id)
        )

    async def test_a_wrong_password_changes_nothing(self, books: Books) -> None:
        shop = await onboard(books)
        owner = await owner_with_password(books, shop.id)
        with pytest.raises(InvalidOperation, match="password"):
            await merchants.set_owner_pin(
                books.session, currency_id=books.currency_id, user_id=owner,
                current_password="wrong", pin="3904", now=NOW,
            )  # fmt: skip
        pin = await books.session.scalar(sa.select(user.c.pin_hash).where(user.c.id == owner))
        assert pin is None

    @pytest.mark.parametrize("pin", ["1111", "1234", "987654", "1212", "123123", "2580", "12a4"])
    def test_a_guessable_or_malformed_pin_is_refused(self, pin: str) -> None:
        with pytest.raises(InvalidOperation):
            checked_pin(pin)

    def test_full_width_digits_are_taken_as_digits(self) -> None:
        assert checked_pin("３９０４") == "3904"

    async def test_five_wrong_pins_then_the_shop_waits(self, books: Books) -> None:
        shop = await onboard(books)
        owner = await owner_with_pin(books, shop.id, "3904")

        async def verify(pin: str, at: datetime = NOW) -> int:
            return await merchants.verify_owner_pin(
                books.session, currency_id=books.currency_id, merchant_id=shop.id, pin=pin, now=at
            )

        for _ in range(5):
            with pytest.raises(WrongPin):
                await verify("0000")
        with pytest.raises(RateLimited) as limited:
            await verify("3904")  # even the right one, until the window ends
        assert limited.value.retry_after > 0
        assert await verify("3904", NOW + timedelta(minutes=15)) == owner

    async def test_a_shop_without_an_owner_pin_cannot_let_clerks_refund(self, books: Books) -> None:
        shop = await onboard(books)
        with pytest.raises(NotPermitted, match="not set"):
            await merchants.verify_owner_pin(
                books.session, currency_id=books.currency_id, merchant_id=shop.id, pin="3904",
                now=NOW,
            )  # fmt: skip
