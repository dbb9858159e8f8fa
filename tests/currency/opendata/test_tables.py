"""A month's tables from the ledger, on constructed months whose figures are known by hand."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from currency import clock
from currency.errors import InvalidOperation
from currency.ledger import corrections, operations
from currency.ledger.operations import Context
from currency.opendata import service
from currency.opendata.cells import TOTAL
from currency.opendata.suppression import Rule
from currency.opendata.tables import (
    GRANTS,
    PAYMENTS,
    MonthTables,
    PublishedCell,
    age_band,
    parse_month,
)
from tests.factories import Books

SMALL = Rule(k=2, min_shops=3)
CTX = Context(actor="test")


async def pay(books: Books, wallet: int, shop_account: int, amount: int) -> int:
    posted = await operations.spend(
        books.session,
        currency_id=books.currency_id,
        wallet=wallet,
        to_account=shop_account,
        amount=amount,
        kind="payment",
        today=clock.today(),
        ctx=CTX,
    )
    return posted.operation_id


def cells_of(month: MonthTables, name: str) -> dict[tuple[str, ...], PublishedCell]:
    table = next(t for t in month.tables if t.name == name)
    return {c.dims: c for c in table.cells}


class TestAgeBands:
    @pytest.mark.parametrize(
        ("birth_year", "band"),
        [
            (1986, "40-49"),
            (1987, "30-39"),
            (2026, "0-9"),
            (1936, "90+"),
            (None, "不明"),
            (2030, "不明"),
        ],
    )
    def test_ten_year_bands_of_the_age_reached_this_year(
        self, birth_year: int | None, band: str
    ) -> None:
        assert age_band(birth_year, 2026) == band


class TestMonths:
    def test_a_month_is_written_like_2026_10(self) -> None:
        assert parse_month("2026-10") == date(2026, 10, 1)
        for bad in ("2026-13", "10/2026", "2026-1"):
            with pytest.raises(InvalidOperation):
                parse_month(bad)

    def test_the_current_month_is_not_published(self) -> None:
        assert service.is_published(date(2026, 10, 1), date(2026, 11, 1))
        assert not service.is_published(date(2026, 11, 1), date(2026, 11, 30))


async def test_payments_net_of_refunds_by_shop_district_category_and_age(
    session: AsyncSession,
) -> None:
    books = await Books.open(session)
    shops = [await books.shop(district="蒲江", tags=("food",)) for _ in range(3)]
    for shop, amount in zip(shops, (1000, 1200, 800), strict=True):
        payer = await books.resident(district="佐伯", birth_year=1986)
        await books.charge(payer.wallet, 5000)
        paid = await pay(books, payer.wallet, shop.account_id, amount)
    await corrections.refund(
        session,
        currency_id=books.currency_id,
        payment_id=paid,
        amount=300,
        today=clock.today(),
        grace_days=30,
        ctx=CTX,
    )
    month = await service.month_tables(
        session, currency_id=books.currency_id, month=clock.today().replace(day=1), rule=SMALL
    )
    cells = cells_of(month, PAYMENTS)
    expected = (3, 1000 + 1200 + 800 - 300, 3)
    for key in [("蒲江", "food", "40-49"), ("蒲江", TOTAL, TOTAL), (TOTAL, TOTAL, TOTAL)]:
        assert (cells[key].count, cells[key].amount, cells[key].residents) == expected


async def test_grants_by_resident_district_and_programme(session: AsyncSession) -> None:
    books = await Books.open(session)
    for birth_year in (1950, 1955):
        resident = await books.resident(district="米水津", birth_year=birth_year)
        await books.grant(resident.wallet, 500)
    month = await service.month_tables(
        session, currency_id=books.currency_id, month=clock.today().replace(day=1), rule=SMALL
    )
    total = cells_of(month, GRANTS)[("米水津", service.UNSPECIFIED_PROGRAMME, "70-79")]
    assert (total.count, total.amount, total.residents) == (2, 1000, 2)


async def test_with_the_default_k_a_handful_of_payers_shows_no_figure(
    session: AsyncSession,
) -> None:
    books = await Books.open(session)
    shops = [await books.shop(tags=("food",)) for _ in range(3)]
    for shop in shops:
        payer = await books.resident()
        await books.charge(payer.wallet, 1000)
        await pay(books, payer.wallet, shop.account_id, 500)
    rule = service.rule_from(object())
    month = await service.month_tables(
        session, currency_id=books.currency_id, month=clock.today().replace(day=1), rule=rule
    )
    assert rule.k == 10
    assert all(c.suppressed for c in cells_of(month, PAYMENTS).values())


async def test_a_month_without_activity_has_empty_tables(session: AsyncSession) -> None:
    books = await Books.open(session)
    month = await service.month_tables(
        session, currency_id=books.currency_id, month=date(2020, 1, 1), rule=SMALL
    )
    assert all(t.cells == () for t in month.tables)
