"""Settling a period and taking its payout files, over HTTP: once per shop and period; the
bank file parsed back; every download audited; the auditor reads but never runs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime, time, timedelta

import pytest
import sqlalchemy as sa
from httpx import AsyncClient, Response
from sqlalchemy.ext.asyncio import AsyncSession

from api.v1.staff import settlements as routes
from currency.clock import JAPAN
from currency.settings import Settings
from currency.settlement import zengin
from currency.settlement.models import settlement
from tests.api.v1.card_support import audit_rows
from tests.api.v1.staff_support import Office, open_office, refused
from tests.api.v1.world import app_of
from tests.currency.settlement.test_payouts import csv_rows, with_account
from tests.currency.settlement.test_settlement_service import pay, period_of_sales


@pytest.fixture
async def office(client: AsyncClient, session: AsyncSession, settings: Settings) -> Office:
    return await open_office(client, session, settings)


@pytest.fixture
async def period(office: Office, settings: Settings) -> AsyncIterator[date]:
    """Two shops with sales (¥8,000 and ¥999) and bank accounts, one without sales; the
    clock of the settlement route set an hour after their period closed."""
    books = office.books
    shops = [await books.shop() for _ in range(3)]
    await pay(books, shops[0], 3_000, 5_000)
    await pay(books, shops[1], 999)
    for n, shop in enumerate(shops, start=1):
        await with_account(books, shop, settings, f"100000{n}")
    period_end, now = await period_of_sales(books)
    app = app_of(office.client)
    app.dependency_overrides[routes.clock] = lambda: now
    yield period_end
    app.dependency_overrides.pop(routes.clock, None)


async def settle(office: Office, period: date, key: str = "run-1", role: str = "staff") -> Response:
    return await office.post("/v1/staff/settlements", {"period": period.isoformat()}, key=key,
                             role=role)  # fmt: skip


async def rows_of(office: Office, period: date) -> int:
    s = settlement.c
    count = await office.books.session.scalar(
        sa.select(sa.func.count()).where(
            s.currency_id == office.books.currency_id, s.period_end == period
        )
    )
    return int(count or 0)


class TestRun:
    async def test_a_period_is_settled_once_per_shop(self, office: Office, period: date) -> None:
        first = await settle(office, period)
        assert first.status_code == 201, first.text
        assert [s["payout"] for s in first.json()] == [7_880, 985, 0]
        assert first.headers["Idempotent-Replayed"] == "false"
        again = await settle(office, period, key="run-2")
        assert (again.status_code, again.json()) == (201, first.json())
        assert again.headers["Idempotent-Replayed"] == "true"
        assert await rows_of(office, period) == 3

    async def test_refusals(self, office: Office, period: date) -> None:
        r = await office.post("/v1/staff/settlements", {"period": period.isoformat()})
        refused(r, 400, "idempotency-key-missing")
        r = await settle(office, period - timedelta(days=1))
        assert "not a cut-off day" in refused(r, 422, "invalid-operation")["detail"]
        refused(await settle(office, period, role="auditor"), 403, "not-permitted")
        refused(await office.post("/v1/staff/settlements", {"period": "soon"}, key="k"), 422,
                "validation")  # fmt: skip
        assert await rows_of(office, period) == 0, "every refusal changes nothing"

    async def test_a_period_not_closed_yet_is_refused(self, office: Office, period: date) -> None:
        app = app_of(office.client)
        noon = datetime.combine(period, time(12), JAPAN)  # the cut-off day itself
        app.dependency_overrides[routes.clock] = lambda: noon
        r = await settle(office, period)
        assert "closes at midnight" in refused(r, 422, "invalid-operation")["detail"]


class TestRead:
    async def test_one_settlement_by_id_and_the_auditor_reads_it(
        self, office: Office, period: date
    ) -> None:
        done = (await settle(office, period)).json()
        settled = await office.books.session.scalar(
            sa.select(settlement.c.id).where(
                settlement.c.currency_id == office.books.currency_id,
                settlement.c.merchant_id == done[0]["merchant_id"],
            )
        )
        r = await office.get(f"/v1/staff/settlements/{settled}", role="auditor")
        assert (r.status_code, r.json()) == (200, done[0])
        refused(await office.get("/v1/staff/settlements/999999999"), 404, "not-found")
        refused(await office.get(f"/v1/staff/settlements/{settled}", role="shop"), 403,
                "not-permitted")  # fmt: skip


class TestFiles:
    async def test_the_bank_file_is_120_byte_cp932_records_as_an_attachment(
        self, office: Office, period: date
    ) -> None:
        await settle(office, period)
        r = await office.get(f"/v1/staff/settlements/files/{period}/zengin", role="auditor")
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "text/plain; charset=Shift_JIS"
        assert r.headers["content-disposition"].startswith("attachment;")
        records = zengin.parse(r.content)
        zengin.check(records)
        _header, *data, trailer, _end = records
        assert [d.number("amount") for d in data] == [7_880, 985]
        assert trailer.number("total") == 8_865
        [download] = await audit_rows(office, f"settlement-period:{period}")
        assert download["actor"] == f"staff:{office.ids['auditor']}"
        assert download["after"]["file"] == "zengin"

    async def test_the_sheet_is_utf8_with_a_bom(self, office: Office, period: date) -> None:
        await settle(office, period)
        r = await office.get(f"/v1/staff/settlements/files/{period}/csv")
        assert r.status_code == 200, r.text
        assert r.headers["content-disposition"].endswith('.csv"')
        rows = csv_rows(r.content)
        assert [row[8] for row in rows[1:]] == ["7880", "985", "8865"]

    async def test_an_unsettled_period_has_no_file(self, office: Office, period: date) -> None:
        r = await office.get(f"/v1/staff/settlements/files/{period}/zengin")
        assert "not been settled" in refused(r, 422, "invalid-operation")["detail"]
        assert await audit_rows(office, f"settlement-period:{period}") == []
        refused(await office.get(f"/v1/staff/settlements/files/{period}/csv", role="shop"), 403,
                "not-permitted")  # fmt: skip
