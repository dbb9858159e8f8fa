"""Merchants' bank accounts: sealed at rest, bound to their merchant, masked in the audit log."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from currency.audit import service as audit
from currency.errors import InvalidOperation, NotFound
from currency.settlement import bank, zengin
from currency.settlement.models import bank_account
from tests.factories import Books, Shop

SECRET = b"meguri-test-secret-0123456789abcdef"
NUMBER = "7654321"


def details(**overrides: Any) -> dict[str, Any]:
    return {
        "bank_code": "0184",
        "bank_name_kana": "オオイタ",
        "branch_code": "301",
        "branch_name_kana": "サイキ",
        "account_type": 1,
        "account_number": NUMBER,
        "holder_kana": "ヤマダ ハナコ",
        **overrides,
    }


async def set_account(books: Books, shop: Shop, staff: int, **overrides: Any) -> bank.BankAccount:
    return await bank.set_account(
        books.session, currency_id=books.currency_id, merchant_id=shop.id, staff_id=staff,
        secret=SECRET, **details(**overrides),
    )  # fmt: skip


async def get_account(books: Books, shop: Shop, secret: bytes = SECRET) -> bank.BankAccount:
    return await bank.get_account(
        books.session, currency_id=books.currency_id, merchant_id=shop.id, secret=secret
    )


async def stored_row(books: Books, shop: Shop) -> sa.RowMapping:
    t = bank_account
    query = sa.select(t).where(t.c.currency_id == books.currency_id, t.c.merchant_id == shop.id)
    return (await books.session.execute(query)).mappings().one()


class TestBankAccount:
    async def test_an_account_reads_back_as_entered_with_names_in_bank_kana(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        shop, staff = await books.shop(), await books.staff()
        await set_account(books, shop, staff, account_number="７６５４３２１")  # typed full-width
        account = await get_account(books, shop)
        assert account.account_number == NUMBER
        assert account.holder_kana == "ﾔﾏﾀﾞ ﾊﾅｺ"
        assert (account.bank_code, account.bank_name_kana) == ("0184", "ｵｵｲﾀ")
        assert account.account_type is zengin.AccountType.ORDINARY
        payee = account.payee(amount=1000, customer_code="12")
        assert zengin.normalized_payee(payee) == payee

    async def test_the_stored_row_holds_neither_the_number_nor_the_name(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        shop, staff = await books.shop(), await books.staff()
        await set_account(books, shop, staff)
        row = await stored_row(books, shop)
        raw = row["account_number_sealed"] + row["holder_kana_sealed"]
        assert NUMBER.encode() not in raw and b"4321" not in raw
        assert "ﾔﾏﾀﾞ".encode("cp932") not in raw and "ﾔﾏﾀﾞ".encode() not in raw
        assert row["key_id"] == bank.KEY_ID

    async def test_sealing_the_same_number_twice_gives_different_bytes(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        shop, staff = await books.shop(), await books.staff()
        await set_account(books, shop, staff)
        first = (await stored_row(books, shop))["account_number_sealed"]
        await set_account(books, shop, staff)
        second = (await stored_row(books, shop))["account_number_sealed"]
        assert first != second, "a fresh nonce for every value"
        assert (await get_account(books, shop)).account_number == NUMBER

    async def test_an_account_copied_to_another_merchant_does_not_open(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        victim, thief, staff = await books.shop(), await books.shop(), await books.staff()
        await set_account(books, victim, staff, account_number="1111111")
        await set_account(books, thief, staff, account_number="2222222")
        victims = await stored_row(books, victim)
        t = bank_account
        await session.execute(
            sa.update(t)
            .where(t.c.currency_id == books.currency_id, t.c.merchant_id == thief.id)
            .values(
                account_number_sealed=victims["account_number_sealed"],
                holder_kana_sealed=victims["holder_kana_sealed"],
            )
        )
        with pytest.raises(bank.BankAccountUnreadable, match="does not open"):
            await get_account(books, thief)
        assert (await get_account(books, victim)).account_number == "1111111"

    async def test_the_number_moved_into_the_name_column_does_not_open(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        shop, staff = await books.shop(), await books.staff()
        await set_account(books, shop, staff)
        row = await stored_row(books, shop)
        t = bank_account
        await session.execute(
            sa.update(t)
            .where(t.c.currency_id == books.currency_id, t.c.merchant_id == shop.id)
            .values(holder_kana_sealed=row["account_number_sealed"])
        )
        with pytest.raises(bank.BankAccountUnreadable):
            await get_account(books, shop)

    async def test_an_altered_byte_or_another_key_does_not_open(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        shop, staff = await books.shop(), await books.staff()
        await set_account(books, shop, staff)
        with pytest.raises(bank.BankAccountUnreadable):
            await get_account(books, shop, secret=b"another deployment's secret key")
        sealed = bytearray((await stored_row(books, shop))["account_number_sealed"])
        sealed[-1] ^= 0x01
        t = bank_account
        await session.execute(
            sa.update(t)
            .where(t.c.currency_id == books.currency_id, t.c.merchant_id == shop.id)
            .values(account_number_sealed=bytes(sealed))
        )
        with pytest.raises(bank.BankAccountUnreadable, match="Enter it again"):
            await get_account(books, shop)

    async def test_the_audit_log_shows_only_the_last_four_digits(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        shop, staff = await books.shop(), await books.staff()
        await set_account(books, shop, staff, account_number="1234567")
        await set_account(books, shop, staff)
        code = await session.scalar(sa.text(f"SELECT code FROM merchant WHERE id = {shop.id}"))
        trail = await audit.entries(
            session, currency_id=books.currency_id, target=f"merchant:{code}"
        )
        assert [e["action"] for e in trail] == ["bank_account.set", "bank_account.set"]
        changed = trail[0]
        assert changed["actor"] == f"staff:{staff}"
        assert changed["before"]["account_number"] == "***4567"
        assert changed["after"]["account_number"] == "***4321"
        logged = [e["before"] for e in trail] + [e["after"] for e in trail]
        everything = json.dumps(logged, ensure_ascii=False)
        assert "1234567" not in everything and NUMBER not in everything
        assert "ﾔﾏﾀﾞ ﾊﾅｺ" not in everything and changed["after"]["holder_kana"] == "ﾔ*******"

    async def test_an_account_a_bank_would_refuse_is_not_stored(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        shop, staff = await books.shop(), await books.staff()
        with pytest.raises(InvalidOperation, match="account_number must be 7 digits"):
            await set_account(books, shop, staff, account_number="12345")
        with pytest.raises(InvalidOperation, match="in kana"):
            await set_account(books, shop, staff, holder_kana="山田花子")
        with pytest.raises(InvalidOperation, match="account type"):
            await set_account(books, shop, staff, account_type=3)
        with pytest.raises(NotFound, match="no bank account"):
            await get_account(books, shop)
        assert await audit.entries(session, currency_id=books.currency_id) == []
