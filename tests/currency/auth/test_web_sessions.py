"""Browser sessions: who they speak for, how long they last for whom, and how they end."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from currency.auth import login, web_sessions
from currency.auth.models import web_session
from currency.errors import Unauthenticated
from currency.residents import service as residents
from tests.currency.auth.support import NOW, add_resident, add_user, currency_code, set_user
from tests.factories import Books


@pytest.fixture
async def books(session: AsyncSession) -> Books:
    return await Books.open(session)


async def resident_principal(books: Books) -> tuple[login.Principal, str]:
    person = await add_resident(books)
    code = await currency_code(books)
    who = login.Principal("resident", person.id, "resident", 0, code, None, person.wallet)
    return who, person.number


async def user_principal(books: Books, role: str) -> login.Principal:
    person = await add_user(books, role=role)
    merchant_id = await books.session.scalar(
        sa.text("SELECT merchant_id FROM app_user WHERE id = :id"), {"id": person.id}
    )
    token_role = login.TOKEN_ROLE[role]
    return login.Principal(
        "user", person.id, token_role, 0, await currency_code(books), merchant_id
    )


async def start(books: Books, who: login.Principal) -> web_sessions.Started:
    return await web_sessions.start(
        books.session, currency_id=books.currency_id, principal=who, now=NOW
    )


async def resolve(books: Books, token: str, after: timedelta) -> web_sessions.WebSession:
    who, found = await web_sessions.resolve(
        books.session, currency_id=books.currency_id, token=token, now=NOW + after
    )
    assert who.name == found.principal
    return found


async def refused(books: Books, token: str, after: timedelta) -> bool:
    try:
        await resolve(books, token, after)
    except Unauthenticated:
        return True
    return False


class TestWhoASessionSpeaksFor:
    async def test_a_session_resolves_to_its_principal_and_stores_no_token(
        self, books: Books
    ) -> None:
        who, _ = await resident_principal(books)
        started = await start(books, who)
        found, _ = await web_sessions.resolve(
            books.session, currency_id=books.currency_id, token=started.token, now=NOW
        )
        assert found == who
        stored = (await books.session.execute(sa.select(web_session))).mappings().one()
        assert started.token.encode() not in stored["token_hash"]
        assert stored["csrf_hash"] != stored["token_hash"]

    async def test_an_unknown_token_is_refused(self, books: Books) -> None:
        assert await refused(books, "not-a-session", timedelta(0))

    async def test_a_session_of_another_currency_is_refused(self, books: Books) -> None:
        who, _ = await resident_principal(books)
        started = await start(books, who)
        other = await Books.open(books.session)
        with pytest.raises(Unauthenticated):
            await web_sessions.resolve(
                books.session, currency_id=other.currency_id, token=started.token, now=NOW
            )


class TestLifetimes:
    async def test_a_resident_stays_signed_in_while_using_the_wallet_every_few_weeks(
        self, books: Books
    ) -> None:
        who, _ = await resident_principal(books)
        started = await start(books, who)
        for week in (3, 6, 9, 12):  # three weeks between uses, three months in all
            await resolve(books, started.token, timedelta(weeks=week))
        assert await refused(books, started.token, timedelta(weeks=12, days=31))

    async def test_a_shop_session_ends_after_two_idle_hours_or_twelve_in_all(
        self, books: Books
    ) -> None:
        who = await user_principal(books, "merchant_clerk")
        started = await start(books, who)
        assert started.idle_seconds == 2 * 3600
        assert await refused(books, started.token, timedelta(hours=2, seconds=1))
        busy = await start(books, who)
        for hour in range(1, 12):
            await resolve(books, busy.token, timedelta(hours=hour))
        assert await refused(books, busy.token, timedelta(hours=12, minutes=1))

    async def test_a_staff_session_ends_after_thirty_idle_minutes(self, books: Books) -> None:
        who = await user_principal(books, "city_staff")
        started = await start(books, who)
        found = await resolve(books, started.token, timedelta(minutes=29))
        assert found.idle_seconds_left(NOW + timedelta(minutes=29)) == 30 * 60
        assert await refused(books, started.token, timedelta(minutes=59, seconds=1))

    async def test_extending_restarts_the_idle_time_but_not_past_the_shift(
        self, books: Books
    ) -> None:
        who = await user_principal(books, "city_staff")
        started = await start(books, who)
        found = await web_sessions.extend(
            books.session, currency_id=books.currency_id, token=started.token,
            now=NOW + timedelta(minutes=25),
        )  # fmt: skip
        assert found.idle_seconds_left(NOW + timedelta(minutes=25)) == 30 * 60
        await resolve(books, started.token, timedelta(minutes=50))
        late = NOW + timedelta(hours=9, minutes=50)
        for minutes in range(75, 9 * 60 + 50, 25):
            await resolve(books, started.token, timedelta(minutes=minutes))
        last = await resolve(books, started.token, late - NOW)
        assert last.idle_seconds_left(late) == 10 * 60, "the shift's end comes first"

    async def test_last_seen_is_written_at_most_once_a_minute(self, books: Books) -> None:
        who, _ = await resident_principal(books)
        started = await start(books, who)
        found = await resolve(books, started.token, timedelta(seconds=30))
        assert found.last_seen_at == NOW
        found = await resolve(books, started.token, timedelta(seconds=70))
        assert found.last_seen_at == NOW + timedelta(seconds=70)


class TestEnding:
    async def test_signing_out_ends_the_session(self, books: Books) -> None:
        who, _ = await resident_principal(books)
        started = await start(books, who)
        await web_sessions.end(
            books.session, currency_id=books.currency_id, token=started.token, now=NOW
        )
        assert await refused(books, started.token, timedelta(0))

    async def test_ending_all_signs_out_every_browser_of_that_person_only(
        self, books: Books
    ) -> None:
        who, _ = await resident_principal(books)
        other, _ = await resident_principal(books)
        phone, tablet, theirs = (
            await start(books, who),
            await start(books, who),
            await start(books, other),
        )
        ended = await web_sessions.end_all(
            books.session, currency_id=books.currency_id, principal=who.name, now=NOW
        )
        assert ended == 2
        assert await refused(books, phone.token, timedelta(0))
        assert await refused(books, tablet.token, timedelta(0))
        assert not await refused(books, theirs.token, timedelta(0))

    async def test_a_blocked_resident_is_signed_out_at_once(self, books: Books) -> None:
        who, number = await resident_principal(books)
        started = await start(books, who)
        staff_id = await books.staff()
        await residents.set_status(
            books.session, currency_id=books.currency_id, resident_number=number,
            status="blocked", reason="lost phone reported at the counter", staff_id=staff_id,
        )  # fmt: skip
        assert await refused(books, started.token, timedelta(0))

    async def test_a_disabled_user_is_signed_out_at_once(self, books: Books) -> None:
        who = await user_principal(books, "city_staff")
        started = await start(books, who)
        await set_user(books, who.id, status="disabled")
        assert await refused(books, started.token, timedelta(0))

    async def test_a_token_version_bump_ends_the_session(self, books: Books) -> None:
        who = await user_principal(books, "merchant_owner")
        started = await start(books, who)
        await login.bump_token_version(
            books.session, currency_id=books.currency_id, principal=who.name
        )
        assert await refused(books, started.token, timedelta(0))


class TestCsrf:
    async def test_only_the_sessions_own_csrf_token_passes(self, books: Books) -> None:
        who, _ = await resident_principal(books)
        started, other = await start(books, who), await start(books, who)
        found = await resolve(books, started.token, timedelta(0))
        web_sessions.check_csrf(found, started.csrf_token)
        assert web_sessions.csrf_token_for(started.token) == started.csrf_token
        for wrong in (other.csrf_token, "", None, started.token):
            with pytest.raises(web_sessions.CsrfRefused):
                web_sessions.check_csrf(found, wrong)


async def test_housekeeping_deletes_ended_sessions_only(books: Books) -> None:
    staff = await user_principal(books, "city_staff")
    resident, _ = await resident_principal(books)
    ended, live = await start(books, staff), await start(books, resident)
    await web_sessions.end(books.session, currency_id=books.currency_id, token=ended.token, now=NOW)
    purged = await web_sessions.purge(
        books.session, currency_id=books.currency_id, now=NOW + timedelta(hours=1)
    )
    assert purged == 1
    assert not await refused(books, live.token, timedelta(hours=1))
