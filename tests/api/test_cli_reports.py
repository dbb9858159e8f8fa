"""``meguri report base-date`` and ``meguri rollup rebuild`` from the command line."""

from __future__ import annotations

import asyncio
import json
from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from typer.testing import CliRunner, Result

from api.cli import app
from api.cli_reports import report_base_date  # noqa: F401  (registers the commands)
from currency.ledger import chain
from currency.ledger.models import currency
from tests.conftest import DatabaseUnderTest
from tests.currency.reports.ledger_story import Story
from tests.currency.reports.test_base_date import march_history, stamp_sql
from tests.factories import Books, as_superuser


def run(*args: str, url: str = "postgresql://nobody@127.0.0.1:1/none") -> Result:
    return CliRunner().invoke(app, list(args), env={"MEGURI_DATABASE_URL": url})


def test_a_date_that_is_not_a_date_is_refused_before_the_database_is_opened() -> None:
    done = run("report", "base-date", "--on", "31/03/2026")
    assert done.exit_code == 1
    assert "takes a date like 2026-03-31" in " ".join(done.stderr.split())


@pytest.mark.committing
async def test_the_march_report_as_csv_for_excel_and_as_json(
    committing_engine: AsyncEngine, test_db: DatabaseUnderTest
) -> None:
    sessions = async_sessionmaker(committing_engine, expire_on_commit=False)
    async with sessions() as session, session.begin():
        books = await Books.open(session)
        books.today = date(2026, 1, 1)
        built = await march_history(Story(books))
        code = await session.scalar(
            sa.select(currency.c.code).where(currency.c.id == books.currency_id)
        )
    assert code is not None
    await as_superuser(test_db, stamp_sql(built))
    url = test_db.runtime_url
    base = ("report", "base-date", "--on", "2026-03-31", "--currency", code)
    as_csv = await asyncio.to_thread(run, *base, url=url)
    assert as_csv.exit_code == 0, as_csv.stderr
    text = as_csv.stdout_bytes.decode("utf-8")
    assert text.startswith("\ufeff基準日,期間開始日,基準日未使用残高(円)")
    assert "\r\n2026-03-31,2025-10-01,17200,10000000,0,5000,22200," in text
    as_json = await asyncio.to_thread(run, *base, "--format", "json", url=url)
    assert json.loads(as_json.stdout)["unused"] == 17_200

    async with sessions() as session, session.begin():
        await chain.seal_all(session, currency_id=built.currency_id)
    rebuilt = await asyncio.to_thread(run, "rollup", "rebuild", "--currency", code, url=url)
    assert rebuilt.exit_code == 0, rebuilt.stderr
    assert f"Rollups of {code} rebuilt from" in " ".join(rebuilt.stderr.split())
