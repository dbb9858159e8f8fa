"""Activation letters: a code printed at the counter opens the wallet once, with a new PIN."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from currency.audit import service as audit
from currency.auth import activation, login
from currency.auth.models import activation as letters
from currency.auth.models import passkey
from currency.errors import AccountUnavailable, InvalidCode, InvalidOperation, RateLimited
from currency.residents import service as residents
from currency.security import verify_secret
from tests.currency.auth.support import IP, NOW, SECRET, resident_row, the_key
from tests.factories import Books, Resident

NEW_PIN = "4827"


async def letter_for(books: Books, who: Resident, *, at: datetime = NOW) -> activation.Letter:
    return await activation.create(
        books.session, currency_id=books.currency_id, resident_number=who.number,
        staff_user_id=await books.staff(), now=at, secret=SECRET,
    )  # fmt: skip


async def activate(
    books: Books,
    who: Resident,
    code: str,
    *,
    pin: str = NEW_PIN,
    at=NOW,
    ip: str = IP,  # type: ignore[no-untyped-def]
) -> login.Principal:
    return await activation.activate(
        books.session, currency_id=books.currency_id, resident_number=who.number, code=code,
        new_pin=pin, now=at, ip=ip, secret=SECRET,
    )  # fmt: skip


@pytest.fixture
async def books(session: AsyncSession) -> Books:
    return await Books.open(session)


class TestLetter:
    async def test_the_code_is_short_grouped_and_free_of_look_alike_characters(
        self, books: Books
    ) -> None:
        letter = await letter_for(books, await books.resident())
        groups = letter.code.split("-")
        assert [len(g) for g in groups] == [5, 5, 5]
        assert not set("".join(groups)) & set("0O1IlL")
        assert letter.expires_at == NOW + timedelta(days=30)

    async def test_only_a_keyed_hash_is_stored_and_the_audit_never_holds_the_code(
        self, books: Books
    ) -> None:
        who = await books.resident()
        letter = await letter_for(books, who)
        stored = await books.session.scalar(sa.select(letters.c.code_hash))
        assert stored == activation.code_hash(SECRET, who.id, letter.code)
        assert letter.code.encode() not in stored
        entry = (await audit.entries(books.session, currency_id=books.currency_id))[0]
        assert entry["action"] == "resident.activation_letter"
        assert letter.code not in str(entry) and letter.code.replace("-", "") not in str(entry)

    async def test_a_suspended_resident_gets_no_letter(self, books: Books) -> None:
        who = await books.resident()
        await residents.set_status(
            books.session, currency_id=books.currency_id, resident_number=who.number,
            status="suspended", staff_id=await books.staff(), reason="moved away",
        )  # fmt: skip
        with pytest.raises(AccountUnavailable):
            await letter_for(books, who)


class TestActivate:
    async def test_the_code_sets_the_pin_and_signs_the_resident_in(self, books: Books) -> None:
        who = await books.resident()
        letter = await letter_for(books, who)
        principal = await activate(books, who, letter.code.lower().replace("-", " "))
        assert (principal.kind, principal.id, principal.role) == ("resident", who.id, "resident")
        row = await resident_row(books, who.id)
        assert verify_secret(row["pin_hash"], NEW_PIN)
        assert row["token_version"] == 0  # a first activation ends nothing
        tokens = await login.login_resident(
            books.session, currency_id=books.currency_id, resident_number=who.number,
            pin=NEW_PIN, ip=IP, now=NOW, key=the_key(),
        )  # fmt: skip
        assert tokens.principal == f"resident:{who.id}"

    @pytest.mark.parametrize("case", ["wrong", "used", "expired", "superseded", "another's"])
    async def test_a_code_that_cannot_be_used_is_refused_with_one_message(
        self, books: Books, case: str
    ) -> None:
        who, other = await books.resident(), await books.resident()
        letter = await letter_for(books, who)
        code, at = letter.code, NOW
        if case == "wrong":
            code = "K7QXM-4PR9T-WD5HC"
        elif case == "used":
            await activate(books, who, code)
        elif case == "expired":
            at = NOW + timedelta(days=30, seconds=1)
        elif case == "superseded":
            await letter_for(books, who)
        else:
            who = other
        with pytest.raises(InvalidCode) as refused:
            await activate(books, who, code, pin="5903", at=at)
        assert str(refused.value) == activation.WRONG_CODE

    @pytest.mark.parametrize("pin", ["0000", "1234", "111111", "987654", "121212", "1960", "12a4",
                                     "123", "1234567"])  # fmt: skip
    async def test_a_guessable_or_malformed_pin_is_refused_and_the_code_still_works(
        self, books: Books, pin: str
    ) -> None:
        who = await books.resident(birth_year=1960)
        letter = await letter_for(books, who)
        with pytest.raises(InvalidOperation, match="PIN"):
            await activate(books, who, letter.code, pin=pin)
        assert (await activate(books, who, letter.code, pin="583920")).id == who.id

    async def test_activating_again_ends_the_old_phones_sign_ins_and_passkeys(
        self, books: Books
    ) -> None:
        who = await books.resident()
        await activate(books, who, (await letter_for(books, who)).code)
        await books.session.execute(
            sa.insert(passkey).values(
                currency_id=books.currency_id, resident_id=who.id, credential_id=b"old-phone",
                public_key=b"k",
            )
        )  # fmt: skip
        await books.session.execute(sa.update(letters).values(used_at=NOW))
        principal = await activate(books, who, (await letter_for(books, who)).code, pin="3958")
        assert principal.token_version == 1
        assert await books.session.scalar(sa.select(sa.func.count()).select_from(passkey)) == 0

    async def test_too_many_tries_for_one_resident_are_refused_with_a_wait(
        self, books: Books
    ) -> None:
        who = await books.resident()
        letter = await letter_for(books, who)
        for _ in range(activation.RESIDENT_LIMIT.attempts):
            with pytest.raises(InvalidCode):
                await activate(books, who, "AAAAA-AAAAA-AAAAA")
        with pytest.raises(RateLimited) as limited:
            await activate(books, who, letter.code)  # even the right code must wait
        assert limited.value.retry_after > 0

    async def test_a_suspended_resident_cannot_activate(self, books: Books) -> None:
        who = await books.resident()
        letter = await letter_for(books, who)
        await residents.set_status(
            books.session, currency_id=books.currency_id, resident_number=who.number,
            status="suspended", staff_id=await books.staff(), reason="moved away",
        )  # fmt: skip
        with pytest.raises(AccountUnavailable):
            await activate(books, who, letter.code)
        assert (await resident_row(books, who.id))["pin_hash"] is None


@pytest.mark.parametrize(
    ("pin", "weak"),
    [("0000", True), ("1234", True), ("4321", True), ("111111", True), ("123123", True),
     ("4827", False), ("583920", False), ("90210", False)],
)  # fmt: skip
def test_pin_weakness_spots_runs_and_repeats(pin: str, weak: bool) -> None:
    assert (activation.pin_weakness(pin, birth_year=None) is not None) is weak
