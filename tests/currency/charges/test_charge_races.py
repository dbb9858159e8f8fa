"""Charges racing for a campaign's budget and caps, with real commits: never one too many."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from currency.charges import service as charges
from currency.charges.result import ChargeResult
from currency.errors import IdempotencyInFlight
from currency.issuance.models import counter
from currency.ledger import chain
from currency.ledger.models import transfer
from currency.ledger.types import Idempotency
from currency.ledger.verify import verify
from tests.currency.charges.test_charge_service import SECRET, event, jst_now, open_campaign, signed
from tests.factories import Books, Resident

pytestmark = pytest.mark.committing
Sessions = async_sessionmaker[AsyncSession]


async def campaign_books(
    sessions: Sessions, residents: int, *, cap: int, budget: int
) -> tuple[Books, list[Resident]]:
    """A currency with a 20% point campaign and ``residents`` verified residents, committed."""
    async with sessions() as session, session.begin():
        books = await Books.open(session)
        await open_campaign(session, books, cap=cap, budget=budget)
        people = [await books.resident(level=2) for _ in range(residents)]
    return books, people


async def charge_in_own_transaction(
    sessions: Sessions, books: Books, payer: Resident, yen: int, key: str
) -> ChargeResult:
    async with sessions() as session, session.begin():
        return await charges.charge(
            session,
            currency_id=books.currency_id,
            resident_number=payer.number,
            yen=yen,
            channel="kiosk",
            reference=key,
            actor=f"resident:{payer.id}",
            idempotency=Idempotency(f"resident:{payer.id}", key, {"yen": yen}),
            now=jst_now(),
        )


async def race(sessions: Sessions, books: Books, payers: Sequence[Resident]) -> list[ChargeResult]:
    """Everyone charges ¥1,000 at once, each in a transaction of its own; all must succeed."""
    results = await asyncio.gather(
        *(
            charge_in_own_transaction(sessions, books, payer, 1000, f"k-{n}")
            for n, payer in enumerate(payers)
        ),
        return_exceptions=True,
    )
    errors = [r for r in results if isinstance(r, BaseException)]
    assert errors == []
    return [r for r in results if isinstance(r, ChargeResult)]


async def ledger_premiums_and_counter(sessions: Sessions, books: Books, name: str) -> list[int]:
    """Premium transfers in the ledger, and the counter: after the chain is sealed and
    the whole ledger verified."""
    async with sessions() as session, session.begin():
        in_ledger = await session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(transfer.c.amount), 0)).where(
                transfer.c.currency_id == books.currency_id,
                transfer.c.kind == "charge.premium.point",
            )
        )
        counted = await session.scalar(
            sa.select(counter.c.used).where(
                counter.c.currency_id == books.currency_id, counter.c.name == name
            )
        )
        await chain.seal_all(session, currency_id=books.currency_id)
        report = await verify(session, currency_id=books.currency_id)
    assert report.ok, report.problem
    return [int(in_ledger or 0), int(counted or 0)]


class TestChargeRaces:
    async def test_fifty_residents_racing_for_a_budget_of_twenty_premiums_get_exactly_twenty(
        self, committing_engine: AsyncEngine
    ) -> None:
        sessions = async_sessionmaker(committing_engine, expire_on_commit=False)
        books, payers = await campaign_books(sessions, 50, cap=1000, budget=20 * 200)
        results = await race(sessions, books, payers)
        premiums = [r.premium for r in results if r.premium is not None]
        assert sorted(p.amount for p in premiums) == [0] * 30 + [200] * 20
        assert {p.reason for p in premiums if p.amount == 0} == {"budget"}
        assert all(r.coins == 1000 for r in results)
        name = "premium:summer:budget"
        assert await ledger_premiums_and_counter(sessions, books, name) == [4000, 4000]

    async def test_ten_charges_at_once_by_one_resident_get_exactly_the_three_premiums_the_cap_fits(
        self, committing_engine: AsyncEngine
    ) -> None:
        sessions = async_sessionmaker(committing_engine, expire_on_commit=False)
        books, [payer] = await campaign_books(sessions, 1, cap=3 * 200, budget=100_000)
        results = await race(sessions, books, [payer] * 10)
        premiums = sorted(r.premium.amount for r in results if r.premium is not None)
        assert premiums == [0] * 7 + [200] * 3
        assert max(r.balance_after for r in results) == 10 * 1000 + 3 * 200
        name = f"premium:summer:resident:{payer.id}"
        assert await ledger_premiums_and_counter(sessions, books, name) == [600, 600]

    async def test_a_webhook_delivered_five_times_at_once_charges_once(
        self, committing_engine: AsyncEngine
    ) -> None:
        sessions = async_sessionmaker(committing_engine, expire_on_commit=False)
        books, [payer] = await campaign_books(sessions, 1, cap=5000, budget=100_000)
        body = event(payer, yen=3000)

        async def deliver() -> ChargeResult:
            async with sessions() as session, session.begin():
                return await charges.charge_from_webhook(
                    session,
                    currency_id=books.currency_id,
                    body=body,
                    signature_header=signed(body),
                    secrets=[SECRET],
                    now=jst_now(),
                )

        results = await asyncio.gather(*(deliver() for _ in range(5)), return_exceptions=True)
        done = [r for r in results if isinstance(r, ChargeResult)]
        busy = [r for r in results if isinstance(r, IdempotencyInFlight)]
        assert len(done) + len(busy) == 5 and [r.replayed for r in done].count(False) == 1
        retried = await deliver()  # the provider retries what was answered 409
        assert retried.replayed and retried.total == 3600
        name = f"premium:summer:resident:{payer.id}"
        assert await ledger_premiums_and_counter(sessions, books, name) == [600, 600]
