"""Payout files of a settled period: everyone owed is paid, or no file is written."""

from __future__ import annotations

import asyncio
import csv
import io
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from typer.testing import CliRunner, Result

from api.cli import app
from api.cli_settle import settle as settle_command  # noqa: F401  (registers the command)
from currency.ledger.models import currency
from currency.settings import Settings
from currency.settlement import bank, payouts, zengin
from currency.settlement import service as settlements
from tests.conftest import DatabaseUnderTest
from tests.currency.settlement.test_settlement_service import (
    ACTOR,
    backdate_sql,
    pay,
    period_of_sales,
    settlement_operations,
)
from tests.factories import Books, Shop, as_superuser


async def with_account(books: Books, shop: Shop, settings: Settings, number: str) -> None:
    await bank.set_account(
        books.session, currency_id=books.currency_id, merchant_id=shop.id, bank_code="0177",
        bank_name_kana="フクオカ", branch_code="123", branch_name_kana="ハカタ",
        account_type=1, account_number=number, holder_kana=f"カ)ショウテン{number[-1]}",
        staff_id=await books.staff(), secret=settings.secret_key,
    )  # fmt: skip


async def settled_period(
    books: Books, settings: Settings, *, accounts: bool = True
) -> tuple[date, datetime, list[Shop]]:
    """Two shops with sales (¥8,000 and ¥999) and one without; settled."""
    shops = [await books.shop() for _ in range(3)]
    await pay(books, shops[0], 3_000, 5_000)
    await pay(books, shops[1], 999)
    if accounts:
        for n, shop in enumerate(shops, start=1):
            await with_account(books, shop, settings, f"100000{n}")
    period_end, now = await period_of_sales(books)
    await settlements.settle_all(
        books.session, currency_id=books.currency_id, period_end=period_end, actor=ACTOR, now=now
    )
    return period_end, now, shops


async def files(
    books: Books, settings: Settings, period_end: date, transfer_on: date | None = None
) -> tuple[bytes, bytes]:
    return await payouts.payout_files(
        books.session, currency_id=books.currency_id, period_end=period_end, settings=settings,
        transfer_on=transfer_on,
    )  # fmt: skip


def csv_rows(sheet: bytes) -> list[list[str]]:
    assert sheet.startswith(b"\xef\xbb\xbf"), "a BOM, so Excel reads the Japanese headers"
    return list(csv.reader(io.StringIO(sheet.decode("utf-8-sig"))))


class TestPayoutFiles:
    async def test_the_bank_file_and_the_sheet_pay_every_settlement_owed(
        self, session: AsyncSession, settings: Settings
    ) -> None:
        books = await Books.open(session)
        period_end, _, shops = await settled_period(books, settings)
        bank_file, sheet = await files(books, settings, period_end)

        records = zengin.parse(bank_file)
        zengin.check(records)
        header, *data, trailer, _end = records
        owed = [s for s in await settlements.for_period(
            session, currency_id=books.currency_id, period_end=period_end
        ) if s.payout > 0]  # fmt: skip
        assert [r.number("amount") for r in data] == [s.payout for s in owed] == [7_880, 985]
        assert trailer.number("count") == 2 and trailer.number("total") == 8_865
        assert [r.text("account_number") for r in data] == ["1000001", "1000002"]
        assert [r.number("customer_code_1") for r in data] == [shops[0].id, shops[1].id]
        assert header.text("remitter_code") == settings.payout_remitter_code
        assert header.text("transfer_date") == owed[0].payout_on.strftime("%m%d")

        rows = csv_rows(sheet)
        assert len(rows) == 1 + 2 + 1  # headers, two merchants, the total
        assert [row[8] for row in rows[1:]] == ["7880", "985", "8865"]
        assert rows[1][-1] == owed[0].payout_on.isoformat()

    async def test_a_merchant_owed_money_without_a_bank_account_stops_the_file(
        self, session: AsyncSession, settings: Settings
    ) -> None:
        books = await Books.open(session)
        period_end, _, shops = await settled_period(books, settings, accounts=False)
        await with_account(books, shops[0], settings, "1000001")
        with pytest.raises(payouts.PayoutBlocked) as blocked:
            await files(books, settings, period_end)
        assert isinstance(blocked.value, zengin.PayoutFileError)
        [problem] = blocked.value.problems
        code = await session.scalar(sa.text(f"SELECT code FROM merchant WHERE id = {shops[1].id}"))
        assert f"{code} " in problem and "no bank account" in problem
        assert "1 merchant(s) owed money cannot be paid" in str(blocked.value)
        await with_account(books, shops[1], settings, "1000002")
        bank_file, _ = await files(books, settings, period_end)
        assert zengin.parse(bank_file)[-2].number("count") == 2

    async def test_a_given_transfer_date_replaces_the_payout_date(
        self, session: AsyncSession, settings: Settings
    ) -> None:
        books = await Books.open(session)
        period_end, _, _ = await settled_period(books, settings)
        chosen = period_end + timedelta(days=7)
        bank_file, sheet = await files(books, settings, period_end, transfer_on=chosen)
        assert zengin.parse(bank_file)[0].text("transfer_date") == chosen.strftime("%m%d")
        assert csv_rows(sheet)[1][-1] == chosen.isoformat()

    async def test_writing_the_files_again_gives_the_same_bytes(
        self, session: AsyncSession, settings: Settings
    ) -> None:
        books = await Books.open(session)
        period_end, _, _ = await settled_period(books, settings)
        assert await files(books, settings, period_end) == await files(books, settings, period_end)

    async def test_a_period_with_nothing_owed_has_no_bank_file(
        self, session: AsyncSession, settings: Settings
    ) -> None:
        books = await Books.open(session)
        shop = await books.shop()
        period_end, now = await period_of_sales(books)
        with pytest.raises(payouts.NothingToPay, match="has not been settled"):
            await files(books, settings, period_end)
        await settlements.settle(
            session, currency_id=books.currency_id, merchant_id=shop.id,
            period_end=period_end, actor=ACTOR, now=now,
        )  # fmt: skip
        with pytest.raises(payouts.NothingToPay, match="No merchant is owed anything"):
            await files(books, settings, period_end)


def run_settle(url: str, settings: Settings, *args: str) -> Result:
    env = {"MEGURI_DATABASE_URL": url, "MEGURI_DATA_DIR": str(settings.data_dir)}
    return CliRunner().invoke(app, ["settle", *args], env=env)


def written(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in folder.glob("*") if path.is_file()}


def said(result: Result) -> str:
    return " ".join((result.stdout + result.stderr).split())


def test_a_period_that_is_not_a_date_is_refused_before_anything_is_opened(
    settings: Settings,
) -> None:
    done = run_settle(
        "postgresql://nobody@127.0.0.1:1/none", settings, "--period", "11/10", "--out", "."
    )
    assert done.exit_code == 1
    assert "takes the cut-off day like 2026-11-10" in said(done)


@pytest.mark.committing
async def test_meguri_settle_twice_settles_once_and_writes_the_same_files(
    committing_engine: AsyncEngine, test_db: DatabaseUnderTest, settings: Settings, tmp_path: Path
) -> None:
    sessions = async_sessionmaker(committing_engine, expire_on_commit=False)
    async with sessions() as session, session.begin():
        books = await Books.open(session)
        shops = [await books.shop() for _ in range(2)]
        await pay(books, shops[0], 3_000, 5_000)
        await pay(books, shops[1], 999)
        await with_account(books, shops[0], settings, "1000001")
        code = await session.scalar(
            sa.select(currency.c.code).where(currency.c.id == books.currency_id)
        )
    assert code is not None
    await as_superuser(test_db, backdate_sql(books.currency_id, days=20))  # a closed period
    async with sessions() as session, session.begin():
        period_end, _ = await period_of_sales(replace(books, session=session))
    args = ("--period", period_end.isoformat(), "--currency", code)
    url = test_db.runtime_url

    wrong_day = ("--period", str(period_end - timedelta(days=1)), "--currency", code)
    refused = await asyncio.to_thread(run_settle, url, settings, *wrong_day, "--out", ".")
    assert refused.exit_code == 1 and "is not a cut-off day" in said(refused)
    blocked = await asyncio.to_thread(run_settle, url, settings, *args, "--out", str(tmp_path))
    assert blocked.exit_code == 1
    assert "no bank account on file" in said(blocked) and "7,880" in said(blocked)
    assert written(tmp_path) == {}

    async with sessions() as session, session.begin():
        books.session = session
        await with_account(books, shops[1], settings, "1000002")
    first = await asyncio.to_thread(run_settle, url, settings, *args, "--out", str(tmp_path / "a"))
    again = await asyncio.to_thread(run_settle, url, settings, *args, "--out", str(tmp_path / "b"))
    assert (first.exit_code, again.exit_code) == (0, 0), first.stderr + again.stderr
    files = written(tmp_path / "a")
    assert set(files) == {f"zengin-{period_end}.txt", f"payouts-{period_end}.csv"}
    assert written(tmp_path / "b") == files
    zengin.check(zengin.parse(files[f"zengin-{period_end}.txt"]))
    assert "8,865" in said(first) and "2 merchants" in said(first)
    assert "2 of them were settled by an earlier run" in said(again)
    async with sessions() as session, session.begin():
        books.session = session
        assert await settlement_operations(books) == 2
