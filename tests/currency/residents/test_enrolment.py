"""Enrolment, identity verification and suspension at the city counter."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from currency.audit import service as audit
from currency.errors import AccountUnavailable, AlreadyDone, InvalidOperation, NotFound
from currency.payments import service as payments
from currency.residents import service as residents
from tests.factories import Books


async def enrol(books: Books, staff: int, number: str = "S-100-0042") -> residents.Enrolled:
    return await residents.enrol(
        books.session, currency_id=books.currency_id, resident_number=number,
        name="佐伯 花子", name_kana="サイキ ハナコ", district="佐伯", birth_year=1950,
        has_smartphone=False, staff_id=staff,
    )  # fmt: skip


class TestEnrolment:
    async def test_a_new_resident_gets_an_empty_wallet_and_an_audit_record(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        staff = await books.staff()
        enrolled = await enrol(books, staff, number="ｓ－１００－００４２")  # as typed, full width
        assert enrolled.resident_number == "S1000042"  # one canonical form, however typed
        assert await books.balance(enrolled.wallet_account_id) == 0
        trail = await audit.entries(session, currency_id=books.currency_id)
        assert trail[0]["action"] == "resident.enrol" and trail[0]["actor"] == f"staff:{staff}"
        with pytest.raises(AlreadyDone):
            await enrol(books, staff)

    @pytest.mark.parametrize("number", ["", "ab", "S 100 ??", "X" * 40, "佐伯100"])
    async def test_impossible_numbers_are_refused(self, session: AsyncSession, number: str) -> None:
        books = await Books.open(session)
        with pytest.raises(InvalidOperation):
            await enrol(books, await books.staff(), number=number)

    async def test_verification_raises_the_level_once(self, session: AsyncSession) -> None:
        books = await Books.open(session)
        staff = await books.staff()
        enrolled = await enrol(books, staff)
        verified = await residents.verify_identity(
            session, currency_id=books.currency_id, resident_number=enrolled.resident_number,
            staff_id=staff, method="運転免許証",
        )  # fmt: skip
        assert verified.verification_level == 2
        with pytest.raises(AlreadyDone):
            await residents.verify_identity(
                session, currency_id=books.currency_id, resident_number="S-100-0042",
                staff_id=staff, method="運転免許証",
            )  # fmt: skip
        with pytest.raises(NotFound):
            await residents.verify_identity(
                session, currency_id=books.currency_id, resident_number="S-999-9999",
                staff_id=staff, method="運転免許証",
            )  # fmt: skip

    async def test_a_suspended_resident_cannot_pay_and_keeps_the_value(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        staff = await books.staff()
        enrolled = await enrol(books, staff)
        await books.charge(enrolled.wallet_account_id, 1_000)
        shop = await books.shop()
        await residents.set_status(
            session, currency_id=books.currency_id, resident_number="S-100-0042",
            status="suspended", reason="カード紛失の届出", staff_id=staff,
        )  # fmt: skip
        with pytest.raises(AccountUnavailable):
            await payments.pay(
                session, currency_id=books.currency_id,
                wallet_account_id=enrolled.wallet_account_id, merchant_id=shop.id,
                amount=100, actor="resident", today=books.today,
            )  # fmt: skip
        assert await books.balance(enrolled.wallet_account_id) == 1_000
        await residents.set_status(
            session, currency_id=books.currency_id, resident_number="S-100-0042",
            status="active", reason="本人確認のうえ再開", staff_id=staff,
        )  # fmt: skip
        await payments.pay(
            session, currency_id=books.currency_id,
            wallet_account_id=enrolled.wallet_account_id, merchant_id=shop.id,
            amount=100, actor="resident", today=books.today,
        )  # fmt: skip
        assert await books.balance(shop.account_id) == 100


async def test_a_number_typed_any_way_finds_the_same_resident(session: AsyncSession) -> None:
    from currency.payments import transfers

    books = await Books.open(session)
    staff = await books.staff()
    receiver = await enrol(books, staff, number="S-100-0042")
    sender = await books.resident()
    await books.charge(sender.wallet, 1_000)
    await transfers.send(
        session, currency_id=books.currency_id, sender_wallet=sender.wallet,
        to_resident_number="ｓ－１００－００４２", amount=300, actor="resident",
        today=books.today,
    )  # fmt: skip
    assert await books.balance(receiver.wallet_account_id) == 300
