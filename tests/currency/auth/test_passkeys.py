"""Passkeys: a resident registers one, then signs in with it; challenges work once."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from currency.auth import login, passkeys
from currency.auth.models import passkey as stored_passkeys
from currency.errors import AccountUnavailable, InvalidOperation, NotFound, Unauthenticated
from currency.residents import service as residents
from tests.currency.auth.authenticator import ORIGIN, RP_ID, SoftAuthenticator
from tests.currency.auth.support import NOW, SECRET
from tests.factories import Books, Resident

RP = passkeys.RelyingParty(RP_ID, "Meguri", (ORIGIN,))


@pytest.fixture
async def books(session: AsyncSession) -> Books:
    return await Books.open(session)


async def register(books: Books, who: Resident, device: SoftAuthenticator) -> passkeys.Passkey:
    ids = {"currency_id": books.currency_id, "resident_id": who.id}
    options = await passkeys.registration_options(
        books.session, **ids, rp=RP, now=NOW, secret=SECRET
    )
    return await passkeys.register(
        books.session, **ids, credential=device.create(options), rp=RP, now=NOW, name="電話"
    )


async def sign_in_answer(books: Books, device: SoftAuthenticator, **kw: int) -> dict[str, object]:
    options = await passkeys.sign_in_options(
        books.session, currency_id=books.currency_id, rp=RP, now=NOW
    )
    assert options["allowCredentials"] == []  # any passkey of this site: no number typed
    return device.get(options, **kw)


async def authenticate(
    books: Books, answer: dict[str, object], *, later: int = 0
) -> login.Principal:
    return await passkeys.authenticate(
        books.session, currency_id=books.currency_id, credential=answer, rp=RP,
        now=NOW + timedelta(seconds=later), secret=SECRET,
    )  # fmt: skip


class TestRegister:
    async def test_a_registered_passkey_is_listed_and_signs_the_resident_in(
        self, books: Books
    ) -> None:
        who, device = await books.resident(), SoftAuthenticator()
        added = await register(books, who, device)
        listed = await passkeys.passkeys(
            books.session, currency_id=books.currency_id, resident_id=who.id
        )
        assert [(p.id, p.name, p.last_used_at) for p in listed] == [(added.id, "電話", None)]
        principal = await authenticate(books, await sign_in_answer(books, device))
        assert (principal.kind, principal.id) == ("resident", who.id)
        listed = await passkeys.passkeys(
            books.session, currency_id=books.currency_id, resident_id=who.id
        )
        assert listed[0].last_used_at == NOW

    async def test_the_options_ask_for_a_resident_key_and_exclude_existing_passkeys(
        self, books: Books
    ) -> None:
        who, device = await books.resident(), SoftAuthenticator()
        await register(books, who, device)
        options = await passkeys.registration_options(
            books.session, currency_id=books.currency_id, resident_id=who.id, rp=RP, now=NOW,
            secret=SECRET,
        )  # fmt: skip
        assert options["rp"] == {"name": "Meguri", "id": "localhost"}
        assert options["authenticatorSelection"]["residentKey"] == "preferred"
        assert options["authenticatorSelection"]["userVerification"] == "preferred"
        assert [c["id"] for c in options["excludeCredentials"]] == [device.create(options)["id"]]

    async def test_an_answer_from_another_site_is_refused(self, books: Books) -> None:
        who = await books.resident()
        with pytest.raises(InvalidOperation):
            await register(books, who, SoftAuthenticator(origin="https://evil.example"))
        listed = await passkeys.passkeys(
            books.session, currency_id=books.currency_id, resident_id=who.id
        )
        assert listed == []

    async def test_registration_options_of_one_resident_do_not_register_for_another(
        self, books: Books
    ) -> None:
        alice, bob, device = await books.resident(), await books.resident(), SoftAuthenticator()
        options = await passkeys.registration_options(
            books.session, currency_id=books.currency_id, resident_id=alice.id, rp=RP, now=NOW,
            secret=SECRET,
        )  # fmt: skip
        with pytest.raises(InvalidOperation):
            await passkeys.register(
                books.session, currency_id=books.currency_id, resident_id=bob.id,
                credential=device.create(options), rp=RP, now=NOW,
            )  # fmt: skip


class TestSignIn:
    async def test_a_replayed_answer_is_refused(self, books: Books) -> None:
        who, device = await books.resident(), SoftAuthenticator()
        await register(books, who, device)
        answer = await sign_in_answer(books, device)
        await authenticate(books, answer)
        with pytest.raises(Unauthenticated):
            await authenticate(books, answer)

    async def test_an_answer_after_five_minutes_is_refused(self, books: Books) -> None:
        who, device = await books.resident(), SoftAuthenticator()
        await register(books, who, device)
        with pytest.raises(Unauthenticated):
            await authenticate(books, await sign_in_answer(books, device), later=301)

    async def test_a_sign_count_that_goes_back_is_refused_as_a_cloned_key(
        self, books: Books
    ) -> None:
        who, device = await books.resident(), SoftAuthenticator()
        await register(books, who, device)
        await authenticate(books, await sign_in_answer(books, device, count=5))
        with pytest.raises(Unauthenticated):
            await authenticate(books, await sign_in_answer(books, device, count=3))

    async def test_an_unknown_passkey_is_refused(self, books: Books) -> None:
        with pytest.raises(Unauthenticated):
            await authenticate(books, await sign_in_answer(books, SoftAuthenticator()))

    async def test_a_signature_by_another_key_is_refused(self, books: Books) -> None:
        who, device = await books.resident(), SoftAuthenticator()
        await register(books, who, device)
        impostor = SoftAuthenticator(credential_id=device.credential_id)
        impostor.user_handle = device.user_handle
        with pytest.raises(Unauthenticated):
            await authenticate(books, await sign_in_answer(books, impostor))

    async def test_a_suspended_resident_cannot_sign_in(self, books: Books) -> None:
        who, device = await books.resident(), SoftAuthenticator()
        await register(books, who, device)
        await residents.set_status(
            books.session, currency_id=books.currency_id, resident_number=who.number,
            status="suspended", staff_id=await books.staff(), reason="card lost and misused",
        )  # fmt: skip
        with pytest.raises(AccountUnavailable):
            await authenticate(books, await sign_in_answer(books, device))


class TestRemove:
    async def test_a_removed_passkey_no_longer_signs_in(self, books: Books) -> None:
        who, device = await books.resident(), SoftAuthenticator()
        added = await register(books, who, device)
        await passkeys.remove(
            books.session, currency_id=books.currency_id, resident_id=who.id, passkey_id=added.id
        )
        with pytest.raises(Unauthenticated):
            await authenticate(books, await sign_in_answer(books, device))

    async def test_another_residents_passkey_is_not_found_and_stays(self, books: Books) -> None:
        alice, bob = await books.resident(), await books.resident()
        added = await register(books, alice, SoftAuthenticator())
        with pytest.raises(NotFound):
            await passkeys.remove(
                books.session, currency_id=books.currency_id, resident_id=bob.id,
                passkey_id=added.id,
            )  # fmt: skip
        count = sa.select(sa.func.count()).select_from(stored_passkeys)
        assert await books.session.scalar(count) == 1
