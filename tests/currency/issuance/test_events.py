"""Attendance events: a signed QR at the venue, one claim per resident, in the event's window."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from currency.audit import service as audit
from currency.errors import AlreadyDone, InvalidCode, InvalidOperation, LimitExceeded, NotFound
from currency.issuance import events
from currency.issuance.grants import GrantResult
from currency.issuance.models import event_claim
from tests.currency.issuance.test_grants import now, open_programme, operations_of
from tests.factories import Books

SECRET = b"meguri-test-secret-key"


async def open_event(
    books: Books,
    *,
    activity: str = "cleanup",
    opens_in: timedelta = timedelta(hours=1),
    lasts: timedelta = timedelta(hours=2),
) -> events.Event:
    starts_at = now() + opens_in
    return await events.create_event(
        books.session, currency_id=books.currency_id, programme_code="clean",
        activity_code=activity, name="番匠川 河川敷清掃", starts_at=starts_at,
        ends_at=starts_at + lasts, staff_id=await books.staff(), secret=SECRET, now=now(),
    )  # fmt: skip


async def claim(
    books: Books, number: str, token: str, at: datetime, secret: bytes = SECRET
) -> GrantResult:
    return await events.claim(
        books.session, currency_id=books.currency_id, resident_number=number, token=token,
        now=at, secret=secret,
    )  # fmt: skip


def during(event: events.Event) -> datetime:
    return event.starts_at + timedelta(minutes=30)


class TestCreate:
    async def test_an_event_has_a_compact_signed_code_and_is_audited(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        await open_programme(books)
        event = await open_event(books)
        assert re.fullmatch(rf"MGE1\.{event.id}\.[A-Z2-7]{{16}}\.[A-Z2-7]{{26}}", event.token)
        [record] = await audit.entries(
            session, currency_id=books.currency_id, target=f"event:{event.id}"
        )
        assert (record["action"], record["actor"]) == ("event.create", f"staff:{event.created_by}")
        assert record["after"]["points"] == 500

    async def test_an_event_needs_a_programme_in_force_an_activity_of_it_and_a_real_window(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        with pytest.raises(NotFound, match="no point programme"):
            await open_event(books)
        await open_programme(books)
        with pytest.raises(NotFound, match='no activity "bingo"'):
            await open_event(books, activity="bingo")
        with pytest.raises(InvalidOperation, match="end after it starts"):
            await open_event(books, lasts=timedelta(0))
        with pytest.raises(InvalidOperation, match="already be over"):
            await open_event(books, opens_in=-timedelta(hours=3))


class TestClaim:
    async def test_a_resident_at_the_event_gets_the_activitys_points_once(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        await open_programme(books)
        event = await open_event(books, activity="patrol")
        person = await books.resident()
        result = await claim(books, person.number, event.token, during(event))
        assert (result.points, result.activity) == (300, "patrol")
        assert await books.balance(person.wallet) == 300
        [op] = await operations_of(books)
        assert op["actor"] == f"resident:{person.number}"
        assert op["details"]["event"] == event.id and op["details"]["note"] == "番匠川 河川敷清掃"
        stored = await session.scalar(
            sa.select(event_claim.c.operation_id).where(event_claim.c.event_id == event.id)
        )
        assert stored == result.operation_id
        with pytest.raises(AlreadyDone, match="already received the points for this event"):
            await claim(books, person.number, event.token, during(event) + timedelta(minutes=5))
        assert await books.balance(person.wallet) == 300

    async def test_a_lower_case_scan_of_the_code_still_works(self, session: AsyncSession) -> None:
        books = await Books.open(session)
        await open_programme(books)
        event = await open_event(books)
        person = await books.resident()
        await claim(books, person.number, f" {event.token.lower()}\n", during(event))
        assert await books.balance(person.wallet) == 500

    async def test_a_forged_or_altered_code_is_not_a_meguri_event_code(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        await open_programme(books)
        event = await open_event(books)
        person = await books.resident()
        prefix, event_id, nonce, mac = event.token.split(".")
        other_mac = ("A" if mac[0] != "A" else "B") + mac[1:]
        forged = [
            f"{prefix}.{event_id}.{nonce}.{other_mac}",  # altered signature
            f"{prefix}.{int(event_id) + 1}.{nonce}.{mac}",  # another event's id
            f"{prefix}.{event_id}.{'A' * 16}.{mac}",  # another nonce
            "https://example.com/pay?x=1",  # not ours at all
            event.token + ".X",
        ]
        for token in forged:
            with pytest.raises(InvalidCode, match="not a Meguri event code"):
                await claim(books, person.number, token, during(event))
        with pytest.raises(InvalidCode, match="not a Meguri event code"):
            await claim(books, person.number, event.token, during(event), secret=b"other key")
        assert await books.balance(person.wallet) == 0

    async def test_a_code_of_another_currency_is_refused(self, session: AsyncSession) -> None:
        books, other = await Books.open(session), await Books.open(session)
        await open_programme(books)
        await open_programme(other)
        event = await open_event(books)
        person = await other.resident()
        with pytest.raises(InvalidCode, match="not a Meguri event code"):
            await claim(other, person.number, event.token, during(event))

    async def test_claims_open_at_the_start_and_close_at_the_end(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        await open_programme(books)
        event = await open_event(books)
        person = await books.resident()
        with pytest.raises(InvalidOperation, match="can be claimed from") as early:
            await claim(books, person.number, event.token, event.starts_at - timedelta(seconds=1))
        opens = event.starts_at.astimezone(events.JAPAN)
        assert f"{opens:%Y-%m-%d %H:%M} (Japan time)" in str(early.value)
        with pytest.raises(InvalidOperation, match="closed at"):
            await claim(books, person.number, event.token, event.ends_at)
        assert await books.balance(person.wallet) == 0
        await claim(books, person.number, event.token, event.starts_at)
        assert await books.balance(person.wallet) == 500

    async def test_the_programmes_caps_apply_to_claims(self, session: AsyncSession) -> None:
        books = await Books.open(session)
        await open_programme(books, monthly_cap=700)
        first, second = await open_event(books), await open_event(books)
        person = await books.resident()
        await claim(books, person.number, first.token, during(first))
        with pytest.raises(LimitExceeded, match="monthly cap"):
            await claim(books, person.number, second.token, during(second))
        assert await books.balance(person.wallet) == 500


@pytest.mark.committing
async def test_two_claims_of_one_event_at_once_grant_once(committing_engine: AsyncEngine) -> None:
    sessions = async_sessionmaker(committing_engine, expire_on_commit=False)
    async with sessions() as session, session.begin():
        books = await Books.open(session)
        await open_programme(books)
        event = await open_event(books)
        person = await books.resident()

    async def one() -> GrantResult:
        async with sessions() as mine, mine.begin():
            return await events.claim(
                mine, currency_id=books.currency_id, resident_number=person.number,
                token=event.token, now=during(event), secret=SECRET,
            )  # fmt: skip

    results = await asyncio.gather(one(), one(), return_exceptions=True)
    assert sum(isinstance(r, GrantResult) for r in results) == 1
    assert sum(isinstance(r, AlreadyDone) for r in results) == 1, results
    async with sessions() as session:
        books.session = session
        assert await books.balance(person.wallet) == 500
