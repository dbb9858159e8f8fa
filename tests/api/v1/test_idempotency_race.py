"""Two identical requests racing with one Idempotency-Key: one effect, the same answer.

Real commits and real concurrency (two connections), not the rolled-back test session: a
counter clerk double-clicks "charge" and the two requests reach two workers at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa
from httpx import ASGITransport, AsyncClient
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from api.main import create_app
from currency.ledger.models import operation
from currency.settings import Settings
from tests.currency.auth.support import PASSWORD, add_resident, add_user, currency_code
from tests.factories import Books, Resident

pytestmark = pytest.mark.committing

KEY = "c0ffee00-race-4a1b-9d2e-000000000001"


@pytest.fixture
async def counter(
    committing_engine: AsyncEngine, settings: Settings
) -> AsyncIterator[tuple[AsyncClient, Books, Resident]]:
    async with AsyncSession(committing_engine, expire_on_commit=False) as session:
        books = await Books.open(session)
        clerk = await add_user(books, role="city_staff")
        person = await add_resident(books)
        settings.currency_code = await currency_code(books)
        await session.commit()
    app = create_app(settings, engine=committing_engine)
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://testserver") as c:
        login = {"username": clerk.username, "password": PASSWORD}
        signed = await c.post("/v1/auth/login", json=login)
        assert signed.status_code == 200, signed.text
        c.headers["Authorization"] = f"Bearer {signed.json()['access_token']}"
        yield c, books, person


async def test_a_double_click_charges_once_and_both_clicks_get_the_same_answer(
    counter: tuple[AsyncClient, Books, Resident], committing_engine: AsyncEngine
) -> None:
    client, books, person = counter
    body = {"resident_number": person.number, "yen": 3_000, "channel": "counter"}

    async def click() -> tuple[int, dict[str, object]]:
        r = await client.post("/v1/staff/charges", json=body, headers={"Idempotency-Key": KEY})
        return r.status_code, r.json()

    answers = await asyncio.gather(click(), click(), click())
    done = [b for status, b in answers if status == 201]
    busy = [b for status, b in answers if status == 409]
    assert done and len(done) + len(busy) == 3, answers
    assert all(b == done[0] for b in done)  # the stored answer, word for word
    assert all(str(b["type"]).endswith("/request-in-progress") for b in busy)
    later = await click()
    assert later == (201, done[0])
    async with AsyncSession(committing_engine) as session:
        charges = await session.scalar(
            sa.select(sa.func.count()).where(
                operation.c.currency_id == books.currency_id, operation.c.idempotency_key == KEY
            )
        )
        wallet = await Books(session, books.currency_id).balance(person.wallet)
    assert charges == 1
    assert wallet == 3_000
