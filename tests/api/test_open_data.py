"""The open-data pages and files, fetched as a citizen would: no sign-in, nothing identifying."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession
from typer.testing import CliRunner

from api.v1 import deps
from currency import clock
from currency.ledger import chain, operations
from currency.ledger.models import currency
from currency.ledger.operations import Context
from currency.merchants.models import merchant
from currency.opendata import heads
from currency.opendata.tables import month_label, next_month
from currency.residents.models import resident
from currency.settings import Settings
from tests.factories import Books

HEADERS = ["年月", "表", "地区", "業種", "事業", "年齢層", "件数", "金額", "人数"]


@dataclass
class Town:
    month: str  # the month the activity happened in, closed as the app sees the clock
    secrets: list[str] = field(default_factory=list)  # what must never be published


def app_of(client: AsyncClient) -> FastAPI:
    transport = client._transport
    assert isinstance(transport, ASGITransport) and isinstance(transport.app, FastAPI)
    return transport.app


async def build_town(session: AsyncSession, settings: Settings) -> tuple[Books, Town]:
    books = await Books.open(session)
    settings.currency_code = str(
        await session.scalar(sa.select(currency.c.code).where(currency.c.id == books.currency_id))
    )
    shops = [await books.shop(district="佐伯", tags=(tag,)) for tag in ("food",) * 3 + ("cafe",)]
    for n in range(14):
        payer = await books.resident(district="鶴見", birth_year=1950 + n % 2 * 30)
        await books.charge(payer.wallet, 5000)
        shop = shops[n % len(shops)]
        await operations.spend(
            session,
            currency_id=books.currency_id,
            wallet=payer.wallet,
            to_account=shop.account_id,
            amount=300 + n,
            kind="payment",
            today=clock.today(),
            ctx=Context(actor="test"),
        )
    await chain.seal_all(session, currency_id=books.currency_id)
    town = Town(month_label(clock.today().replace(day=1)))
    for table, columns in ((resident, ("resident_number", "name")), (merchant, ("code", "name"))):
        rows = await session.execute(
            sa.select(*(table.c[c] for c in columns)).where(
                table.c.currency_id == books.currency_id
            )
        )
        town.secrets += [str(value) for row in rows for value in row]
    return books, town


@pytest.fixture
async def town(client: AsyncClient, session: AsyncSession, settings: Settings) -> Town:
    """A month of payments, seen from the middle of the next month (so it is closed)."""
    _, built = await build_town(session, settings)
    later = next_month(clock.today().replace(day=1)) + timedelta(days=14)
    app_of(client).dependency_overrides[deps.now] = lambda: datetime.combine(
        later, time(12), clock.JAPAN
    )
    return built


class TestIndex:
    async def test_lists_closed_months_with_their_downloads_without_sign_in(
        self, client: AsyncClient, town: Town
    ) -> None:
        page = await client.get("/open-data")
        assert page.status_code == 200
        assert f'href="/open-data/{town.month}.csv"' in page.text
        assert f'href="/open-data/{town.month}.json"' in page.text
        assert "/open-data/dictionary.csv" in page.text and "オープンデータ" in page.text

    async def test_in_english_on_request(self, client: AsyncClient, town: Town) -> None:
        page = await client.get("/open-data?lang=en")
        assert "Monthly tables" in page.text

    async def test_the_current_month_is_not_published(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        _, town = await build_town(session, settings)
        page = await client.get("/open-data")
        assert page.status_code == 200 and town.month not in page.text
        assert (await client.get(f"/open-data/{town.month}.csv")).status_code == 404
        assert (await client.get(f"/open-data/{town.month}.json")).status_code == 404


class TestFiles:
    async def test_csv_opens_in_excel_with_japanese_headers(
        self, client: AsyncClient, town: Town
    ) -> None:
        response = await client.get(f"/open-data/{town.month}.csv")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        assert response.content.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert rows[0] == HEADERS
        assert {r[0] for r in rows[1:]} == {town.month}
        grand = next(r for r in rows[1:] if r[1] == "支払" and r[2] == r[3] == r[5] == "計")
        assert grand[6:] == ["14", str(sum(300 + n for n in range(14))), "14"]
        assert any("X" in r[6:] for r in rows[1:])  # small cells are suppressed

    async def test_json_marks_suppressed_cells_with_null(
        self, client: AsyncClient, town: Town
    ) -> None:
        document = (await client.get(f"/open-data/{town.month}.json")).json()
        assert document["month"] == town.month and document["method"]["k"] == 10
        payments = next(t for t in document["tables"] if t["name"] == "payments")
        assert payments["dimensions"] == ["district", "merchant_category", "age_band"]
        for cell in payments["cells"]:
            assert set(cell) == {
                *payments["dimensions"],
                "count",
                "amount",
                "residents",
                "suppressed",
            }
            assert (cell["count"] is None) == cell["suppressed"]
            assert cell["suppressed"] or cell["residents"] >= 10

    async def test_no_identifier_appears_anywhere(self, client: AsyncClient, town: Town) -> None:
        paths = [
            "/open-data",
            f"/open-data/{town.month}.csv",
            f"/open-data/{town.month}.json",
            "/open-data/chain",
            "/open-data/chain.json",
            "/open-data/chain.csv",
            "/open-data/dictionary.json",
            "/open-data/dictionary.csv",
        ]
        published = [(await client.get(p)).content.decode("utf-8-sig") for p in paths]
        assert len(town.secrets) == 2 * 14 + 2 * 4
        for secret in town.secrets:
            assert not any(secret in text for text in published), secret

    async def test_unchanged_files_answer_304_to_their_etag(
        self, client: AsyncClient, town: Town
    ) -> None:
        first = await client.get(f"/open-data/{town.month}.json")
        again = await client.get(
            f"/open-data/{town.month}.json", headers={"If-None-Match": first.headers["etag"]}
        )
        assert again.status_code == 304 and again.content == b""

    async def test_the_dictionary_explains_every_column(self, client: AsyncClient) -> None:
        document = (await client.get("/open-data/dictionary.json")).json()
        assert [c["ja"] for c in document["columns"]] == HEADERS
        assert document["method"]["suppression_marker_csv"] == "X"
        assert all(c["description_en"] and c["description_ja"] for c in document["columns"])

    async def test_a_month_that_is_not_a_month_is_not_found(self, client: AsyncClient) -> None:
        assert (await client.get("/open-data/2026-13.csv")).status_code == 404

    async def test_a_month_not_published_is_a_documented_404(self, client: AsyncClient) -> None:
        paths = (await client.get("/openapi.json")).json()["paths"]
        for kind in ("csv", "json"):
            r = await client.get(f"/open-data/0.{kind}")
            assert r.status_code == 404
            assert r.headers["content-type"] == "application/problem+json"
            assert "2026-10" in r.json()["detail"]  # how a month is written
            assert "404" in paths[f"/open-data/{{month}}.{kind}"]["get"]["responses"]


class TestChainHeads:
    async def test_the_published_heads_are_the_ledgers(
        self, client: AsyncClient, town: Town
    ) -> None:
        document = (await client.get("/open-data/chain.json")).json()
        api = (await client.get("/v1/public/chain-heads")).json()
        assert document["heads"] == api["heads"] and document["heads"]
        head = document["heads"][0]
        page = await client.get("/open-data/chain")
        assert page.status_code == 200 and head["head_hash"] in page.text
        table = (await client.get("/open-data/chain.csv")).content.decode("utf-8-sig")
        assert f"{head['day']},{head['last_sequence']},{head['head_hash']}" in table
        assert head["last_sequence"] >= 14


class TestVerifyHeadsCommand:
    def test_an_outsider_checks_an_export_without_a_database(self, tmp_path: Path) -> None:
        from api.cli import app
        from api.cli_open_data import verify_heads  # noqa: F401  (registers the command)
        from tests.currency.opendata.test_heads import ledger

        rows, published = ledger()
        heads_file = tmp_path / "chain.csv"
        heads_file.write_text(
            "\ufeffday,last_sequence,head_hash\r\n"
            + "".join(f"{h.day},{h.last_sequence},{h.head_hash}\r\n" for h in published)
        )
        export = tmp_path / "ledger.jsonl"
        lines = [json.dumps(heads.header("saiki")), *(json.dumps(r) for r in rows)]
        export.write_text("\n".join(lines) + "\n")
        args = ["verify-heads", str(heads_file), "--export", str(export)]
        ok = CliRunner().invoke(app, args)
        assert ok.exit_code == 0 and "3 published heads match" in ok.output
        export.write_text("\n".join(lines).replace('"amount": 30', '"amount": 31') + "\n")
        bad = CliRunner().invoke(app, args)
        assert bad.exit_code == 1 and "First bad sequence 3" in bad.output
