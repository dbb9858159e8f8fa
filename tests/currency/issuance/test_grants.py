"""Granting volunteer points: programme in force, caps and budget under their locks, retries."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from currency.audit import service as audit
from currency.clock import JAPAN
from currency.errors import (
    AccountUnavailable,
    IdempotencyConflict,
    InvalidOperation,
    LimitExceeded,
    NotFound,
)
from currency.issuance import grants, rulebook
from currency.issuance.models import counter
from currency.issuance.rules import (
    Activity,
    LocalizedName,
    LotExpiry,
    PointProgramme,
    Restrictions,
)
from currency.ledger import chain
from currency.ledger.models import lot, operation
from currency.ledger.verify import verify
from currency.residents.models import resident
from tests.factories import Books

ACTIVITIES = (("cleanup", "ごみ拾い", "Litter picking", 500), ("patrol", "見守り", "Patrol", 300))


def now() -> datetime:
    """Real time: rule versions are in force from their approval, which is the real now."""
    return datetime.now(UTC)


def today() -> date:
    return now().astimezone(JAPAN).date()


async def open_programme(
    books: Books,
    *,
    code: str = "clean",
    monthly_cap: int | None = None,
    yearly_cap: int | None = None,
    budget: int = 1_000_000,
    activities: Sequence[tuple[str, str, str, int]] = ACTIVITIES,
    expiry: LotExpiry | None = None,
    restrictions: Restrictions | None = None,
    approve: bool = True,
) -> int:
    """A point programme drafted by one staff member and approved by another; its id."""
    rule = PointProgramme(
        code=code,
        name=LocalizedName(ja="清掃ボランティア", en="Clean-up volunteers"),
        activities=tuple(
            Activity(code=c, name=LocalizedName(ja=ja, en=en), points=p)
            for c, ja, en, p in activities
        ),
        monthly_cap=monthly_cap,
        yearly_cap=yearly_cap,
        budget=budget,
        expiry=expiry,
        restrictions=restrictions or Restrictions(),
    )
    alice, bob = await books.staff(), await books.staff()
    drafted = await rulebook.draft(
        books.session, currency_id=books.currency_id, staff_id=alice, rule=rule,
        starts_at=now() - timedelta(days=1),
    )  # fmt: skip
    if approve:
        await rulebook.approve(
            books.session, currency_id=books.currency_id, staff_id=bob, rule_id=drafted.id
        )
    return drafted.id


async def give(
    books: Books, number: str, *, activity: str = "cleanup", **options: object
) -> grants.GrantResult:
    staff = options.pop("staff_id", None) or await books.staff()
    return await grants.grant(
        books.session, currency_id=books.currency_id, resident_number=number,
        programme_code=str(options.pop("programme", "clean")), activity_code=activity,
        staff_id=int(staff), now=now(), **options,  # type: ignore[arg-type]
    )  # fmt: skip


async def counters(books: Books) -> dict[str, int]:
    rows = await books.session.execute(
        sa.select(counter.c.name, counter.c.used).where(counter.c.currency_id == books.currency_id)
    )
    return {name: used for name, used in rows}


async def operations_of(books: Books, kind: str = "grant") -> list[sa.RowMapping]:
    rows = await books.session.execute(
        sa.select(operation).where(
            operation.c.currency_id == books.currency_id, operation.c.kind == kind
        )
    )
    return list(rows.mappings())


class TestGrant:
    async def test_a_grant_gives_the_activitys_points_as_a_lot_of_the_programme(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        programme_id = await open_programme(
            books,
            expiry=LotExpiry(days_from_grant=90),
            restrictions=Restrictions(allowed_tags=("small-business",)),
        )
        person = await books.resident()
        staff = await books.staff()
        result = await give(books, person.number, staff_id=staff, note="河川敷の清掃")
        assert (result.points, result.programme, result.activity) == (500, "clean", "cleanup")
        assert result.expires_on == today() + timedelta(days=90)
        assert await books.balance(person.wallet) == 500
        assert await books.balance(await books.granted(programme_id)) == -500
        made = (await session.execute(sa.select(lot).where(lot.c.id == result.lot_id))).one()
        assert (made.kind, made.programme_id, made.allowed_tags) == (
            "point", programme_id, ["small-business"],
        )  # fmt: skip
        [op] = await operations_of(books)
        assert op["actor"] == f"staff:{staff}"
        assert op["details"] == {
            "programme": "clean", "activity": "cleanup", "points": 500, "staff": staff,
            "note": "河川敷の清掃", "on": today().isoformat(),
        }  # fmt: skip
        [record] = await audit.entries(
            session, currency_id=books.currency_id, target=f"resident:{person.number}"
        )
        assert (record["action"], record["actor"]) == ("grant", f"staff:{staff}")
        assert record["after"]["operation_id"] == result.operation_id

    async def test_staff_may_grant_other_points_than_the_activitys_and_type_the_number_loosely(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        await open_programme(books)
        person = await books.resident()
        wide = person.number.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
        result = await give(books, f" {wide} ", activity="PATROL", points=120)
        assert (result.points, result.activity, result.resident_number) == (
            120, "patrol", person.number,
        )  # fmt: skip
        assert await books.balance(person.wallet) == 120

    async def test_an_unknown_or_suspended_resident_gets_nothing(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        await open_programme(books)
        with pytest.raises(NotFound, match="No resident has the number 999"):
            await give(books, "999")
        person = await books.resident()
        await session.execute(
            sa.update(resident).where(resident.c.id == person.id).values(status="suspended")
        )
        with pytest.raises(AccountUnavailable, match="suspended"):
            await give(books, person.number)
        assert await books.balance(person.wallet) == 0

    async def test_a_programme_not_yet_approved_is_not_in_force(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        await open_programme(books, approve=False)
        person = await books.resident()
        with pytest.raises(NotFound, match='no point programme "clean" in force now'):
            await give(books, person.number)
        with pytest.raises(NotFound, match='no point programme "other"'):
            await give(books, person.number, programme="other")

    async def test_an_activity_outside_the_programme_is_refused_naming_its_activities(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        await open_programme(books)
        person = await books.resident()
        with pytest.raises(NotFound, match=r'no activity "karaoke".*cleanup \(ごみ拾い\)'):
            await give(books, person.number, activity="karaoke")

    async def test_an_activity_date_in_the_future_or_nonpositive_points_are_refused(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        await open_programme(books)
        person = await books.resident()
        with pytest.raises(InvalidOperation, match="in the future"):
            await give(books, person.number, on=today() + timedelta(days=1))
        with pytest.raises(InvalidOperation, match="1 or more"):
            await give(books, person.number, points=0)
        assert await books.balance(person.wallet) == 0


class TestCaps:
    async def test_the_monthly_cap_refuses_naming_it_and_by_how_much_and_changes_nothing(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        await open_programme(books, monthly_cap=1000)
        person = await books.resident()
        await give(books, person.number)
        await give(books, person.number, points=400)
        before = await counters(books)
        with pytest.raises(LimitExceeded) as refused:
            await give(books, person.number)
        assert (refused.value.code, refused.value.used, refused.value.remaining) == (
            "monthly_cap", 900, 100,
        )  # fmt: skip
        month = f"{today():%Y-%m}"
        assert str(refused.value) == (
            f"500 pt would pass the monthly cap for {month} of 1,000 pt by 400 pt: 900 pt are "
            "already granted to this resident that month, so at most 100 pt more can be granted."
        )
        assert await books.balance(person.wallet) == 900
        assert await counters(books) == before
        assert len(await operations_of(books)) == 2

    async def test_each_month_has_its_own_cap_by_the_activity_date(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        await open_programme(books, monthly_cap=500)
        person = await books.resident()
        last_month = today().replace(day=1) - timedelta(days=1)
        await give(books, person.number, on=last_month)
        await give(books, person.number)
        with pytest.raises(LimitExceeded, match=f"monthly cap for {last_month:%Y-%m}"):
            await give(books, person.number, on=last_month, points=1)
        assert await books.balance(person.wallet) == 1000
        found = await counters(books)
        assert found[f"programme:clean:resident:{person.id}:{last_month:%Y-%m}"] == 500
        assert found[f"programme:clean:resident:{person.id}:{today():%Y-%m}"] == 500
        assert found["programme:clean:budget"] == 1000

    async def test_the_yearly_cap_counts_every_month_of_that_year(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        await open_programme(books, monthly_cap=1000, yearly_cap=1500)
        person = await books.resident()
        year = today().year - 1
        await give(books, person.number, on=date(year, 1, 15), points=1000)
        await give(books, person.number, on=date(year, 2, 15), points=400)
        with pytest.raises(LimitExceeded) as refused:
            await give(books, person.number, on=date(year, 3, 15), points=300)
        assert refused.value.code == "yearly_cap"
        assert f"the yearly cap for {year} of 1,500 pt by 200 pt" in str(refused.value)
        await give(books, person.number, points=300)  # a new year, a new cap
        assert await books.balance(person.wallet) == 1700

    async def test_the_budget_is_shared_by_every_resident(self, session: AsyncSession) -> None:
        books = await Books.open(session)
        await open_programme(books, budget=1000)
        first, second = await books.resident(), await books.resident()
        await give(books, first.number, points=600)
        with pytest.raises(LimitExceeded) as refused:
            await give(books, second.number)
        assert (refused.value.code, refused.value.remaining) == ("budget", 400)
        assert "the programme's budget of 1,000 pt by 100 pt" in str(refused.value)
        await give(books, second.number, points=400)
        assert await books.balance(second.wallet) == 400


class TestRetries:
    async def test_a_retried_grant_is_granted_and_counted_once(self, session: AsyncSession) -> None:
        books = await Books.open(session)
        await open_programme(books, monthly_cap=1000)
        person = await books.resident()
        staff = await books.staff()
        first = await give(books, person.number, staff_id=staff, idempotency="req-1")
        again = await give(books, person.number, staff_id=staff, idempotency="req-1")
        assert again.replayed and not first.replayed
        assert (again.operation_id, again.lot_id, again.points) == (
            first.operation_id, first.lot_id, 500,
        )  # fmt: skip
        assert await books.balance(person.wallet) == 500
        assert (await counters(books))["programme:clean:budget"] == 500
        await give(books, person.number, staff_id=staff)  # the cap still has room for 500
        target = f"resident:{person.number}"
        trail = await audit.entries(session, currency_id=books.currency_id, target=target)
        assert [e["action"] for e in trail] == ["grant", "grant"]  # not one for the retry

    async def test_a_retry_after_the_cap_filled_still_gets_its_first_answer(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        await open_programme(books, monthly_cap=500)
        person = await books.resident()
        staff = await books.staff()
        first = await give(books, person.number, staff_id=staff, idempotency="k")
        again = await give(books, person.number, staff_id=staff, idempotency="k")
        assert again.replayed and again.operation_id == first.operation_id

    async def test_the_same_key_for_another_grant_is_refused(self, session: AsyncSession) -> None:
        books = await Books.open(session)
        await open_programme(books)
        person = await books.resident()
        staff = await books.staff()
        await give(books, person.number, staff_id=staff, idempotency="k")
        with pytest.raises(IdempotencyConflict):
            await give(books, person.number, staff_id=staff, idempotency="k", points=10)
        assert await books.balance(person.wallet) == 500


@pytest.mark.committing
async def test_twenty_racing_grants_against_a_monthly_cap_that_fits_five_grant_five(
    committing_engine: AsyncEngine,
) -> None:
    sessions = async_sessionmaker(committing_engine, expire_on_commit=False)
    async with sessions() as session, session.begin():
        books = await Books.open(session)
        await open_programme(books, monthly_cap=2500)
        person = await books.resident()
        staff = await books.staff()

    async def one() -> grants.GrantResult:
        async with sessions() as mine, mine.begin():
            return await grants.grant(
                mine, currency_id=books.currency_id, resident_number=person.number,
                programme_code="clean", activity_code="cleanup", staff_id=staff, now=now(),
            )  # fmt: skip

    results = await asyncio.gather(*(one() for _ in range(20)), return_exceptions=True)
    assert sum(isinstance(r, grants.GrantResult) for r in results) == 5
    assert all(isinstance(r, grants.GrantResult | LimitExceeded) for r in results), results
    async with sessions() as session, session.begin():
        books.session = session
        assert await books.balance(person.wallet) == 2500
        month = f"programme:clean:resident:{person.id}:{today():%Y-%m}"
        assert (await counters(books))[month] == 2500
        await chain.seal_all(session, currency_id=books.currency_id)
        report = await verify(session, currency_id=books.currency_id)
    assert report.ok, report.problem
