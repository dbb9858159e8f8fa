"""Signing in: staff by password (and TOTP), residents by PIN; limits, lockout, checks."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from sqlalchemy.ext.asyncio import AsyncSession

from currency import security
from currency.audit import service as audit
from currency.auth import login, refresh, tokens
from currency.errors import AccountUnavailable, RateLimited, Unauthenticated
from currency.residents import cards
from currency.residents import service as residents
from currency.residents.card_codes import PinLocked
from currency.security import needs_rehash
from currency.users.models import user
from tests.currency.auth.support import (
    IP,
    NOW,
    PASSWORD,
    PIN,
    SECRET,
    add_resident,
    add_user,
    currency_code,
    resident_row,
    set_user,
    the_key,
    the_ring,
)
from tests.factories import Books, Resident

LATER = NOW + timedelta(minutes=15)  # the next rate-limit window


async def sign_in(
    books: Books, username: str, password: str = PASSWORD, *, ip: str = IP, at: datetime = NOW
) -> login.Tokens:
    return await login.login_user(
        books.session, currency_id=books.currency_id, username=username, password=password,
        ip=ip, now=at, key=the_key(), secret=SECRET,
    )  # fmt: skip


async def pin_sign_in(
    books: Books, number: str, pin: str = PIN, *, ip: str = IP, at: datetime = NOW
) -> login.Tokens:
    return await login.login_resident(
        books.session, currency_id=books.currency_id, resident_number=number, pin=pin, ip=ip,
        now=at, key=the_key(),
    )  # fmt: skip


async def principal_of(books: Books, access: str, at: datetime = NOW) -> login.Principal:
    claims = tokens.verify_access(access, ring=the_ring(), now=at)
    return await login.current_principal(
        books.session, currency_id=books.currency_id, claims=claims
    )


async def refreshed(books: Books, token: str, at: datetime = NOW) -> login.Tokens:
    return await login.refresh(
        books.session, currency_id=books.currency_id, token=token, now=at, key=the_key()
    )


async def refused(call: Any, error: type[Exception] = Unauthenticated) -> str:
    with pytest.raises(error) as caught:
        await call
    assert type(caught.value) is error
    return str(caught.value)


class TestUserSignIn:
    @pytest.mark.parametrize(
        ("role", "token_role"),
        [("city_staff", "staff"), ("city_admin", "admin"),
         ("merchant_owner", "merchant_owner"), ("merchant_clerk", "merchant_clerk")],
    )  # fmt: skip
    async def test_a_user_signs_in_with_the_role_of_their_job(
        self, session: AsyncSession, role: str, token_role: str
    ) -> None:
        books = await Books.open(session)
        person = await add_user(books, role=role)
        signed = await sign_in(books, person.username)
        assert (signed.role, signed.principal, signed.expires_in) == (
            token_role, person.principal, 600,
        )  # fmt: skip
        who = await principal_of(books, signed.access)
        assert (who.kind, who.id, who.role) == ("user", person.id, token_role)
        assert who.currency == await currency_code(books)
        assert (who.merchant_id is not None) == role.startswith("merchant_")

    async def test_a_wrong_password_and_an_unknown_user_take_the_same_path(
        self, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        books = await Books.open(session)
        person = await add_user(books)
        checked: list[str] = []
        real = security._hasher
        security._dummy_hash()  # made once per process, before the spy counts

        class Spy:
            def verify(self, hashed: str, text: str) -> bool:
                checked.append(hashed)
                return real.verify(hashed, text)

        monkeypatch.setattr(security, "_hasher", Spy())
        wrong = await refused(sign_in(books, person.username, "not-the-password"))
        unknown = await refused(sign_in(books, "nobody-here", PASSWORD))
        assert wrong == unknown == "The username or password is not right."
        assert len(checked) == 2, "one argon2 verification each, the same work"
        assert all(h.startswith("$argon2id$") for h in checked)

    async def test_a_disabled_account_is_told_so_only_with_the_right_password(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        person = await add_user(books, status="disabled")
        await refused(sign_in(books, person.username, "guess"))
        message = await refused(sign_in(books, person.username), AccountUnavailable)
        assert "not in use" in message

    async def test_five_tries_per_username_then_a_wait_even_from_another_address(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        person, colleague = await add_user(books), await add_user(books)
        for _ in range(5):
            await refused(sign_in(books, person.username, "guess"))
        with pytest.raises(RateLimited) as caught:
            await sign_in(books, person.username, ip="198.51.100.9")
        assert 0 < caught.value.retry_after <= 15 * 60
        assert (await sign_in(books, colleague.username)).principal == colleague.principal
        assert (await sign_in(books, person.username, at=LATER)).principal == person.principal

    async def test_twenty_tries_per_address_then_a_wait_for_every_username(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        person = await add_user(books)
        for n in range(20):
            await refused(sign_in(books, f"guess{n}", "guess"))
        with pytest.raises(RateLimited):
            await sign_in(books, person.username)
        assert (await sign_in(books, person.username, ip="198.51.100.9")).role == "staff"

    async def test_an_old_password_hash_is_upgraded_at_sign_in(self, session: AsyncSession) -> None:
        books = await Books.open(session)
        person = await add_user(books)
        weak = PasswordHasher(time_cost=1, memory_cost=8_192).hash(PASSWORD)
        await set_user(books, person.id, password_hash=weak)
        await sign_in(books, person.username)
        await sign_in(books, person.username)  # the new hash verifies too
        stored = await session.scalar(sa.select(user.c.password_hash).where(user.c.id == person.id))
        assert stored is not None
        assert stored != weak and not needs_rehash(stored)


class TestResidentSignIn:
    async def test_a_resident_signs_in_with_number_and_pin(self, session: AsyncSession) -> None:
        books = await Books.open(session)
        person = await add_resident(books)
        signed = await pin_sign_in(books, person.number, "４８２７")  # a Japanese keyboard
        assert (signed.role, signed.principal) == ("resident", f"resident:{person.id}")
        who = await principal_of(books, signed.access)
        assert (who.kind, who.id, who.wallet_account_id) == ("resident", person.id, person.wallet)

    async def test_a_wrong_pin_and_an_unknown_number_get_the_same_answer(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        person = await add_resident(books)
        wrong = await refused(pin_sign_in(books, person.number, "1357"))
        unknown = await refused(pin_sign_in(books, "9999999999"))
        nonsense = await refused(pin_sign_in(books, "<script>"))
        assert wrong == unknown == nonsense
        assert "5 wrong PINs in a row" in wrong

    async def test_five_wrong_pins_lock_sign_in_and_the_card_until_the_office_resets(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        person, card = await resident_with_card(books)
        for _ in range(4):
            await refused(pin_sign_in(books, person.number, "1357"))
        message = await refused(pin_sign_in(books, person.number, "1357"), PinLocked)
        assert "city office" in message and "1357" not in message
        await refused(pin_sign_in(books, person.number, at=LATER), PinLocked)  # right PIN too
        with pytest.raises(PinLocked):
            await cards.authenticate_card(
                session, currency_id=books.currency_id, qr=card.qr, pin=PIN, secret=SECRET
            )
        trail = await audit.entries(session, currency_id=books.currency_id)
        assert trail[0]["action"] == "resident.pin_lock"

    async def test_the_right_pin_clears_earlier_mistakes(self, session: AsyncSession) -> None:
        books = await Books.open(session)
        person = await add_resident(books)
        for _ in range(3):
            await refused(pin_sign_in(books, person.number, "1357"))
        assert (await resident_row(books, person.id))["pin_failures"] == 3
        await pin_sign_in(books, person.number)
        assert (await resident_row(books, person.id))["pin_failures"] == 0

    async def test_a_suspended_resident_is_told_to_ask_the_city_office(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        person = await add_resident(books)
        await suspend(books, person)
        assert "city office" in await refused(pin_sign_in(books, person.number), AccountUnavailable)

    async def test_attempts_are_limited_per_resident_and_per_address(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        person, neighbour = await add_resident(books), await add_resident(books)
        for _ in range(2):
            await refused(pin_sign_in(books, person.number, "1357"))
        for _ in range(3):
            await pin_sign_in(books, person.number)
        with pytest.raises(RateLimited):
            await pin_sign_in(books, person.number, ip="198.51.100.9")
        for n in range(50 - 5):  # the refused try above came from another address
            await refused(pin_sign_in(books, f"{n:010d}9", "1357"))
        with pytest.raises(RateLimited):
            await pin_sign_in(books, neighbour.number)
        assert (await pin_sign_in(books, neighbour.number, ip="198.51.100.9")).role == "resident"


class TestStayingSignedIn:
    async def test_a_refresh_gives_new_tokens_and_the_old_refresh_token_is_spent(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        person = await add_user(books)
        first = await sign_in(books, person.username)
        later = NOW + timedelta(minutes=20)
        second = await refreshed(books, first.refresh, later)
        assert (second.principal, second.role) == (person.principal, "staff")
        assert (await principal_of(books, second.access, later)).id == person.id
        await refused(refreshed(books, first.refresh, later))
        await refused(refreshed(books, second.refresh, later))  # reuse revoked the family

    async def test_signing_out_ends_the_refresh(self, session: AsyncSession) -> None:
        books = await Books.open(session)
        person = await add_resident(books)
        signed = await pin_sign_in(books, person.number)
        await refresh.revoke_family(
            session, currency_id=books.currency_id, token=signed.refresh, now=NOW
        )
        await refused(refreshed(books, signed.refresh))

    async def test_a_token_version_bump_stops_access_and_refresh_at_once(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        person = await add_user(books)
        signed = await sign_in(books, person.username)
        assert await bump(books, person.principal) == 1
        await refused(principal_of(books, signed.access))
        await refused(refreshed(books, signed.refresh))
        again = await sign_in(books, person.username)
        assert (await principal_of(books, again.access)).token_version == 1

    async def test_a_role_change_takes_effect_before_the_token_expires(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        person = await add_user(books, role="city_admin")
        signed = await sign_in(books, person.username)
        await set_user(books, person.id, role="city_staff")
        await refused(principal_of(books, signed.access))

    async def test_a_blocked_user_or_suspended_resident_is_out_at_once(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        person, resident = await add_user(books), await add_resident(books)
        staff, wallet = (
            await sign_in(books, person.username),
            await pin_sign_in(books, resident.number),
        )
        await set_user(books, person.id, status="disabled")
        await suspend(books, resident)
        for signed in (staff, wallet):
            await refused(principal_of(books, signed.access))
            await refused(refreshed(books, signed.refresh))

    async def test_a_token_naming_another_currency_is_refused(self, session: AsyncSession) -> None:
        books = await Books.open(session)
        person = await add_user(books)
        forged = tokens.issue_access(
            key=the_key(), principal=person.principal, role="staff", currency="ELSEWHERE",
            token_version=0, now=NOW,
        )  # fmt: skip
        await refused(principal_of(books, forged.token))
        other = await Books.open(session)
        signed = await sign_in(books, person.username)
        claims = tokens.verify_access(signed.access, ring=the_ring(), now=NOW)
        await refused(
            login.current_principal(session, currency_id=other.currency_id, claims=claims)
        )


async def bump(books: Books, principal: str) -> int:
    return await login.bump_token_version(
        books.session, currency_id=books.currency_id, principal=principal
    )


async def suspend(books: Books, person: Resident) -> None:
    await residents.set_status(
        books.session, currency_id=books.currency_id, resident_number=person.number,
        status="suspended", reason="moved away", staff_id=await books.staff(),
    )  # fmt: skip


async def resident_with_card(books: Books) -> tuple[Resident, cards.IssuedCard]:
    person = await add_resident(books)
    card = await cards.issue_card(
        books.session, currency_id=books.currency_id, resident_number=person.number,
        staff_id=await books.staff(), secret=SECRET,
    )  # fmt: skip
    return person, card
