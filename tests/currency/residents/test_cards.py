"""Printed QR cards: issue, PIN, pay-time check with lockout, block and reissue."""

from __future__ import annotations

import asyncio
import json
import re

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from currency.audit import service as audit
from currency.errors import (
    AccountUnavailable,
    AlreadyDone,
    InvalidCode,
    InvalidOperation,
    NotFound,
)
from currency.residents import card_codes, cards
from currency.residents.models import resident
from tests.factories import Books, Resident

SECRET = b"test-card-secret"
PIN = "4827"


async def card_holder(session: AsyncSession) -> tuple[Books, Resident, int, cards.IssuedCard]:
    """A resident without a smartphone, born 1948, with a card and the PIN 4827."""
    books = await Books.open(session)
    person = await books.resident(has_smartphone=False, birth_year=1948)
    staff = await books.staff()
    issued = await cards.issue_card(
        session, currency_id=books.currency_id, resident_number=person.number, staff_id=staff,
        secret=SECRET,
    )  # fmt: skip
    await cards.set_pin(
        session, currency_id=books.currency_id, resident_number=person.number, pin=PIN,
        staff_id=staff,
    )  # fmt: skip
    return books, person, staff, issued


async def pay_with(
    session: AsyncSession, books: Books, qr: str, pin: str = PIN, secret: bytes = SECRET
) -> cards.CardHolder:
    return await cards.authenticate_card(
        session, currency_id=books.currency_id, qr=qr, pin=pin, secret=secret
    )


def luhn_ok(number: str) -> bool:
    return card_codes.luhn_digit(number[:-1]) == number[-1]


class TestIssue:
    async def test_an_issued_card_pays_with_its_qr_and_pin(self, session: AsyncSession) -> None:
        books, person, staff, issued = await card_holder(session)
        assert re.fullmatch(r"MGC1\.[1-9][0-9]{15}\.[A-Z2-7]{16}", issued.qr)
        assert luhn_ok(issued.card_number)
        assert re.fullmatch(r"\d{4} \d{4} \d{4} \d{4}", issued.printed_number)
        holder = await pay_with(session, books, issued.qr)
        assert holder == cards.CardHolder(
            person.id, person.number, person.wallet, issued.card_number
        )
        trail = await audit.entries(
            session, currency_id=books.currency_id, target=f"card:{issued.card_number}"
        )
        assert [e["action"] for e in trail] == ["card.issue"]
        assert trail[0]["actor"] == f"staff:{staff}"

    async def test_a_resident_has_one_active_card_at_a_time(self, session: AsyncSession) -> None:
        books, person, staff, _ = await card_holder(session)
        with pytest.raises(AlreadyDone, match="block the old card first"):
            await cards.issue_card(
                session, currency_id=books.currency_id, resident_number=person.number,
                staff_id=staff, secret=SECRET,
            )  # fmt: skip

    async def test_no_card_for_someone_who_is_not_a_resident(self, session: AsyncSession) -> None:
        books = await Books.open(session)
        with pytest.raises(NotFound, match="no resident with number 0000000000"):
            await cards.issue_card(
                session, currency_id=books.currency_id, resident_number="0000000000",
                staff_id=await books.staff(), secret=SECRET,
            )  # fmt: skip


class TestTheCodeOnTheCard:
    def test_every_single_mistyped_digit_of_a_card_number_is_caught(self) -> None:
        assert card_codes.luhn_digit("7992739871") == "3"  # the textbook example
        number = card_codes.new_card_number()
        for i, digit in enumerate(number):
            for other in "0123456789".replace(digit, ""):
                typo = number[:i] + other + number[i + 1 :]
                with pytest.raises(InvalidCode, match="typing mistake"):
                    card_codes.parse_payload(f"MGC1.{typo}.{'A' * 16}")

    async def test_a_forged_altered_or_foreign_code_is_not_a_card(
        self, session: AsyncSession
    ) -> None:
        books, _, _, issued = await card_holder(session)
        number = issued.card_number
        other = number[:-2] + str((int(number[-2]) + 1) % 10)
        other += card_codes.luhn_digit(other)  # a well-formed number the MAC does not cover
        mac = issued.qr.rsplit(".", 1)[1]
        for qr in (
            card_codes.qr_payload(b"someone else's key", books.currency_id, number),
            f"MGC1.{other}.{mac}",
            card_codes.qr_payload(SECRET, books.currency_id + 1, number),  # another city
            "https://example.com/pay?to=me",
            "",
        ):
            with pytest.raises(InvalidCode, match="not a Meguri card"):
                await pay_with(session, books, qr)

    async def test_a_code_typed_in_lower_case_or_read_with_a_line_end_still_works(
        self, session: AsyncSession
    ) -> None:
        books, person, _, issued = await card_holder(session)
        for qr in (issued.qr.lower(), f"{issued.qr}\r\n"):
            assert (await pay_with(session, books, qr)).resident_id == person.id

    @given(st.text(max_size=80) | st.from_regex(r"MGC1\.[0-9]{14,17}\.[A-Za-z2-9=]{14,18}"))
    def test_the_code_reader_refuses_anything_else_plainly(self, text: str) -> None:
        try:
            code = card_codes.parse_payload(text)
        except InvalidCode as refused:
            assert "not a Meguri card" in str(refused)
        else:
            assert luhn_ok(code.card_number) and len(code.mac) == 16


class TestPin:
    @pytest.mark.parametrize(
        ("pin", "why"),
        [
            ("0000", "same"),
            ("1111", "same"),
            ("1234", "in order"),
            ("9876", "in order"),
            ("7890", "in order"),
            ("1212", "repeats"),
            ("1948", "birth year"),
            ("123", "exactly 4 digits"),
            ("48271", "exactly 4 digits"),
            ("48a7", "exactly 4 digits"),
        ],
    )
    async def test_easy_or_malformed_pins_are_refused_with_the_reason(
        self, session: AsyncSession, pin: str, why: str
    ) -> None:
        books, person, staff, issued = await card_holder(session)
        with pytest.raises(InvalidOperation, match=why):
            await cards.set_pin(
                session, currency_id=books.currency_id, resident_number=person.number, pin=pin,
                staff_id=staff,
            )  # fmt: skip
        assert (await pay_with(session, books, issued.qr)).resident_id == person.id  # unchanged

    async def test_full_width_digits_from_a_japanese_keyboard_are_accepted(
        self, session: AsyncSession
    ) -> None:
        books, person, staff, issued = await card_holder(session)
        await cards.set_pin(
            session, currency_id=books.currency_id, resident_number=person.number, pin="５０３８",
            staff_id=staff,
        )  # fmt: skip
        assert (await pay_with(session, books, issued.qr, pin="5038")).resident_id == person.id

    async def test_five_wrong_pins_lock_the_card_and_then_even_the_right_pin_is_refused(
        self, session: AsyncSession
    ) -> None:
        books, _, _, issued = await card_holder(session)
        for left in (4, 3, 2, 1):
            with pytest.raises(cards.WrongPin, match=f"After {left} more wrong tr") as wrong:
                await pay_with(session, books, issued.qr, pin="0001")
            assert wrong.value.tries_left == left
        with pytest.raises(AccountUnavailable, match="ask the city office to reset the PIN"):
            await pay_with(session, books, issued.qr, pin="0001")
        with pytest.raises(cards.PinLocked, match="reset the PIN"):
            await pay_with(session, books, issued.qr)
        trail = await audit.entries(
            session, currency_id=books.currency_id, target=f"card:{issued.card_number}"
        )
        assert trail[0]["action"] == "card.pin_lock"

    async def test_a_right_pin_clears_the_wrong_ones_before_it(self, session: AsyncSession) -> None:
        books, person, _, issued = await card_holder(session)
        for _ in range(4):
            with pytest.raises(cards.WrongPin):
                await pay_with(session, books, issued.qr, pin="0001")
        assert (await pay_with(session, books, issued.qr)).resident_id == person.id
        with pytest.raises(cards.WrongPin) as wrong:
            await pay_with(session, books, issued.qr, pin="0001")
        assert wrong.value.tries_left == 4

    async def test_staff_setting_a_new_pin_unlocks_the_card_and_the_log_never_holds_it(
        self, session: AsyncSession
    ) -> None:
        books, person, staff, issued = await card_holder(session)
        for _ in range(5):
            with pytest.raises((cards.WrongPin, cards.PinLocked)):
                await pay_with(session, books, issued.qr, pin="0001")
        await cards.set_pin(
            session, currency_id=books.currency_id, resident_number=person.number, pin="3051",
            staff_id=staff,
        )  # fmt: skip
        assert (await pay_with(session, books, issued.qr, pin="3051")).wallet_account_id == (
            person.wallet
        )
        trail = await audit.entries(
            session, currency_id=books.currency_id, target=f"resident:{person.id}"
        )
        assert [e["action"] for e in trail] == ["card.pin", "card.pin"]
        assert trail[0]["before"] == {"pin_set": True, "pin_failures": 5}
        logged = json.dumps(trail, default=str)
        assert "3051" not in logged and PIN not in logged and "argon2" not in logged

    async def test_a_card_without_a_pin_cannot_pay_yet(self, session: AsyncSession) -> None:
        books = await Books.open(session)
        person = await books.resident(has_smartphone=False)
        issued = await cards.issue_card(
            session, currency_id=books.currency_id, resident_number=person.number,
            staff_id=await books.staff(), secret=SECRET,
        )  # fmt: skip
        with pytest.raises(AccountUnavailable, match="No PIN has been set"):
            await pay_with(session, books, issued.qr, pin="0000")


class TestBlockAndReissue:
    async def test_a_blocked_card_is_refused_at_once_naming_the_day(
        self, session: AsyncSession
    ) -> None:
        books, person, staff, issued = await card_holder(session)
        await books.charge(person.wallet, 3000)
        await cards.block_card(
            session, currency_id=books.currency_id, card_number=issued.card_number,
            reason="落とした (lost at the market)", actor=f"staff:{staff}",
        )  # fmt: skip
        with pytest.raises(AccountUnavailable, match=r"blocked on \d{4}-\d\d-\d\d"):
            await pay_with(session, books, issued.qr)
        with pytest.raises(AlreadyDone, match="already blocked"):
            await cards.block_card(
                session, currency_id=books.currency_id, card_number=issued.card_number,
                reason="again", actor=f"staff:{staff}",
            )  # fmt: skip
        assert await books.balance(person.wallet) == 3000
        trail = await audit.entries(
            session, currency_id=books.currency_id, target=f"card:{issued.card_number}"
        )
        assert trail[0]["action"] == "card.block" and trail[0]["reason"].startswith("落とした")

    async def test_blocking_needs_a_reason(self, session: AsyncSession) -> None:
        books, _, staff, issued = await card_holder(session)
        with pytest.raises(InvalidOperation, match="Say why"):
            await cards.block_card(
                session, currency_id=books.currency_id, card_number=issued.card_number,
                reason=" ", actor=f"staff:{staff}",
            )  # fmt: skip

    async def test_a_reissued_card_works_the_old_one_does_not_and_the_balance_stays(
        self, session: AsyncSession
    ) -> None:
        books, person, staff, old = await card_holder(session)
        await books.charge(person.wallet, 3000)
        new = await cards.reissue_card(
            session, currency_id=books.currency_id, resident_number=person.number,
            staff_id=staff, secret=SECRET, reason="damaged in the wash",
        )  # fmt: skip
        assert new.replaces_card_id == old.card_id and new.card_number != old.card_number
        with pytest.raises(AccountUnavailable, match="replaced by a new one"):
            await pay_with(session, books, old.qr)
        holder = await pay_with(session, books, new.qr)  # the same PIN
        assert holder.wallet_account_id == person.wallet
        assert await books.balance(person.wallet) == 3000

    async def test_a_card_blocked_by_phone_is_reissued_at_the_counter(
        self, session: AsyncSession
    ) -> None:
        books, person, staff, old = await card_holder(session)
        await cards.block_card(
            session, currency_id=books.currency_id, card_number=old.card_number,
            reason="lost", actor="staff:hotline",
        )  # fmt: skip
        new = await cards.reissue_card(
            session, currency_id=books.currency_id, resident_number=person.number,
            staff_id=staff, secret=SECRET, reason="lost",
        )  # fmt: skip
        assert new.replaces_card_id == old.card_id
        with pytest.raises(AccountUnavailable, match="blocked on"):
            await pay_with(session, books, old.qr)  # still blocked, not "replaced"
        assert (await pay_with(session, books, new.qr)).resident_id == person.id

    async def test_a_closed_resident_gets_no_new_card(self, session: AsyncSession) -> None:
        books, person, staff, old = await card_holder(session)
        await session.execute(
            sa.update(resident).where(resident.c.id == person.id).values(status="closed")
        )
        with pytest.raises(AccountUnavailable, match="not active"):
            await cards.reissue_card(
                session, currency_id=books.currency_id, resident_number=person.number,
                staff_id=staff, secret=SECRET, reason="lost",
            )  # fmt: skip
        with pytest.raises(AccountUnavailable, match="wallet is not in use"):
            await pay_with(session, books, old.qr)  # the old card was left as it was


@pytest.mark.committing
async def test_guesses_at_the_same_moment_cannot_pass_the_limit(
    committing_engine: AsyncEngine,
) -> None:
    sessions = async_sessionmaker(committing_engine, expire_on_commit=False)
    async with sessions() as session, session.begin():
        books, person, _, issued = await card_holder(session)

    async def guess(pin: str) -> object:
        async with sessions() as auth:  # as the API does: commit whatever happens
            try:
                return await pay_with(auth, books, issued.qr, pin=pin)
            except Exception as refused:
                return refused
            finally:
                await auth.commit()

    results = await asyncio.gather(*(guess(f"{n:04d}") for n in range(2000, 2012)))
    assert sum(isinstance(r, cards.WrongPin) for r in results) == 4
    assert all(isinstance(r, (cards.WrongPin, cards.PinLocked)) for r in results)
    assert isinstance(await guess(PIN), cards.PinLocked)
    async with sessions() as session:
        failures = await session.scalar(
            sa.select(resident.c.pin_failures).where(resident.c.id == person.id)
        )
    assert failures == cards.MAX_PIN_FAILURES
