"""Two-step sign-in with an authenticator app: set up, sign in, replay, turn off, reset."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pyotp
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from currency.audit import service as audit
from currency.auth import login, totp
from currency.errors import (
    AlreadyDone,
    InvalidOperation,
    NotPermitted,
    RateLimited,
    StoredDataUnreadable,
    Unauthenticated,
)
from currency.users.models import user
from tests.currency.auth.support import IP, NOW, PASSWORD, SECRET, Person, add_user, the_key
from tests.factories import Books

STEP = timedelta(seconds=30)


async def enrolled(books: Books, person: Person) -> str:
    """Two-step sign-in on for ``person``, confirmed a few minutes before NOW."""
    setup = await totp.begin_enrolment(
        books.session, currency_id=books.currency_id, user_id=person.id, secret=SECRET
    )
    at = NOW - timedelta(minutes=5)
    await confirm(books, person, pyotp.TOTP(setup.shared_secret).at(at), at)
    return setup.shared_secret


async def confirm(books: Books, person: Person, code: str, at: datetime = NOW) -> None:
    await totp.confirm(
        books.session, currency_id=books.currency_id, user_id=person.id, code=code,
        secret=SECRET, now=at,
    )  # fmt: skip


async def sign_in(books: Books, person: Person, code: str | None) -> login.Tokens:
    return await login.login_user(
        books.session, currency_id=books.currency_id, username=person.username,
        password=PASSWORD, totp_code=code, ip=IP, now=NOW, key=the_key(), secret=SECRET,
    )  # fmt: skip


async def stored(books: Books, person: Person) -> sa.RowMapping:
    query = sa.select(user).where(user.c.currency_id == books.currency_id, user.c.id == person.id)
    return (await books.session.execute(query)).mappings().one()


class TestEnrolment:
    async def test_setting_up_gives_a_link_for_the_app_and_seals_the_secret(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        person = await add_user(books)
        setup = await totp.begin_enrolment(
            session, currency_id=books.currency_id, user_id=person.id, secret=SECRET
        )
        link = urlparse(setup.uri)
        assert (link.scheme, link.netloc) == ("otpauth", "totp")
        assert person.username in link.path and link.path.startswith("/Meguri:")
        assert parse_qs(link.query)["secret"] == [setup.shared_secret]
        row = await stored(books, person)
        assert setup.shared_secret.encode() not in row["totp_secret_sealed"]
        assert row["totp_enabled_at"] is None, "on only once a code is confirmed"
        assert (await sign_in(books, person, None)).role == "staff"

    async def test_a_wrong_code_leaves_it_off_and_the_right_one_turns_it_on(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        person = await add_user(books)
        setup = await totp.begin_enrolment(
            session, currency_id=books.currency_id, user_id=person.id, secret=SECRET
        )
        code = pyotp.TOTP(setup.shared_secret).at(NOW)
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        with pytest.raises(InvalidOperation, match="does not match"):
            await confirm(books, person, wrong)
        assert (await stored(books, person))["totp_enabled_at"] is None
        await confirm(books, person, code)
        assert (await stored(books, person))["totp_enabled_at"] == NOW
        entries = await audit.entries(session, currency_id=books.currency_id)
        assert entries[0]["action"] == "user.totp_on"
        with pytest.raises(AlreadyDone):
            await totp.begin_enrolment(
                session, currency_id=books.currency_id, user_id=person.id, secret=SECRET
            )

    async def test_guessing_the_setup_code_is_limited(self, session: AsyncSession) -> None:
        books = await Books.open(session)
        person = await add_user(books)
        await totp.begin_enrolment(
            session, currency_id=books.currency_id, user_id=person.id, secret=SECRET
        )
        for guess in range(5):
            with pytest.raises(InvalidOperation):
                await confirm(books, person, f"{guess:06d}")
        with pytest.raises(RateLimited):
            await confirm(books, person, "000005")


class TestSignIn:
    async def test_with_two_step_on_the_password_alone_is_not_enough(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        person = await add_user(books)
        shared = await enrolled(books, person)
        with pytest.raises(totp.TotpRequired, match="6-digit code"):
            await sign_in(books, person, None)
        with pytest.raises(Unauthenticated, match="does not match") as caught:
            await sign_in(books, person, "000000")
        assert type(caught.value) is Unauthenticated
        signed = await sign_in(books, person, pyotp.TOTP(shared).at(NOW))
        assert signed.principal == person.principal

    async def test_a_code_from_one_step_either_side_is_accepted_but_not_two(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        person = await add_user(books)
        app = pyotp.TOTP(await enrolled(books, person))
        for code in (app.at(NOW - STEP), app.at(NOW + STEP)):
            assert await check(books, person, code)
        assert not await check(books, person, app.at(NOW + 2 * STEP))
        assert not await check(books, person, app.at(NOW - 2 * STEP))

    async def test_a_code_is_accepted_once(self, session: AsyncSession) -> None:
        books = await Books.open(session)
        person = await add_user(books)
        code = pyotp.TOTP(await enrolled(books, person)).at(NOW)
        await sign_in(books, person, code)
        with pytest.raises(Unauthenticated):
            await sign_in(books, person, code)  # read over a shoulder, typed again

    async def test_a_secret_copied_to_another_user_does_not_open(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        victim, thief = await add_user(books), await add_user(books)
        shared = await enrolled(books, victim)
        sealed = (await stored(books, victim))["totp_secret_sealed"]
        await session.execute(
            sa.update(user)
            .where(user.c.currency_id == books.currency_id, user.c.id == thief.id)
            .values(totp_secret_sealed=sealed, totp_enabled_at=NOW)
        )
        with pytest.raises(StoredDataUnreadable):
            await check(books, thief, pyotp.TOTP(shared).at(NOW))


class TestTurningOff:
    async def test_turning_off_needs_a_current_code(self, session: AsyncSession) -> None:
        books = await Books.open(session)
        person = await add_user(books)
        app = pyotp.TOTP(await enrolled(books, person))
        with pytest.raises(InvalidOperation):
            await disable(books, person, "123456" if app.at(NOW) != "123456" else "654321")
        assert (await stored(books, person))["totp_enabled_at"] is not None
        await disable(books, person, app.at(NOW))
        row = await stored(books, person)
        assert row["totp_enabled_at"] is None and row["totp_secret_sealed"] is None
        assert (await sign_in(books, person, None)).role == "staff"

    async def test_an_administrator_resets_it_for_a_lost_phone_but_not_their_own(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        person, admin = await add_user(books), await add_user(books, role="city_admin")
        await enrolled(books, person)
        with pytest.raises(NotPermitted):
            await reset(books, person, person.id)
        await reset(books, person, admin.id)
        assert (await sign_in(books, person, None)).role == "staff"
        entry = (await audit.entries(session, currency_id=books.currency_id))[0]
        assert (entry["action"], entry["actor"], entry["reason"]) == (
            "user.totp_reset", f"staff:{admin.id}", "phone lost",
        )  # fmt: skip


async def check(books: Books, person: Person, code: str) -> bool:
    return await totp.check(
        books.session, currency_id=books.currency_id, user_id=person.id, code=code,
        secret=SECRET, now=NOW,
    )  # fmt: skip


async def disable(books: Books, person: Person, code: str) -> None:
    await totp.disable(
        books.session, currency_id=books.currency_id, user_id=person.id, code=code,
        secret=SECRET, now=NOW,
    )  # fmt: skip


async def reset(books: Books, person: Person, by: int) -> None:
    await totp.reset(
        books.session, currency_id=books.currency_id, user_id=person.id, staff_id=by,
        reason="phone lost",
    )  # fmt: skip
