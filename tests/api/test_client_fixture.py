"""The test client answers as production does: a request that fails part-way leaves
nothing behind (production rolls its transaction back), one that succeeds keeps its writes."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi import Depends
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import get_session
from currency.errors import NotFound
from currency.residents.models import resident
from tests.api.v1.world import app_of
from tests.factories import Books


async def test_a_refused_request_leaves_no_partial_write_and_a_good_one_keeps_it(
    client: AsyncClient, session: AsyncSession
) -> None:
    books = await Books.open(session)
    someone = await books.resident(district="佐伯")
    here = resident.c.id == someone.id

    async def move(refuse: bool, db: AsyncSession = Depends(get_session, scope="function")) -> None:
        await db.execute(sa.update(resident).where(here).values(district="蒲江"))
        if refuse:
            raise NotFound("there is no such shop")

    app_of(client).add_api_route("/probe", move, methods=["POST"])
    assert (await client.post("/probe", params={"refuse": True})).status_code == 404
    assert await session.scalar(sa.select(resident.c.district).where(here)) == "佐伯"
    assert (await client.post("/probe", params={"refuse": False})).status_code == 200
    assert await session.scalar(sa.select(resident.c.district).where(here)) == "蒲江"
