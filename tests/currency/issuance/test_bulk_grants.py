"""Bulk grants from an office's CSV file: preview every row, commit all or nothing, once."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from currency.audit import service as audit
from currency.errors import InvalidOperation
from currency.issuance import bulk
from currency.issuance.bulk import service as bulk_service
from currency.ledger.models import currency
from currency.residents.models import resident
from currency.users.models import user
from tests.conftest import DatabaseUnderTest
from tests.currency.issuance.test_grants import counters, now, open_programme, operations_of, today
from tests.factories import Books

HEADER = "住民番号,活動,ポイント,活動日,備考"


def csv_file(*rows: str, header: str = HEADER, encoding: str = "utf-8") -> bytes:
    return "".join(f"{line}\r\n" for line in (header, *rows)).encode(encoding)


async def preview(books: Books, data: bytes, programme: str = "clean") -> bulk.Preview:
    return await bulk.preview(
        books.session, currency_id=books.currency_id, programme_code=programme, data=data,
        staff_id=await books.staff(), now=now(),
    )  # fmt: skip


async def commit(
    books: Books, data: bytes, programme: str = "clean", staff: int | None = None
) -> bulk.CommitResult:
    return await bulk.commit(
        books.session, currency_id=books.currency_id, programme_code=programme, data=data,
        staff_id=staff or await books.staff(), now=now(),
    )  # fmt: skip


def codes(found: bulk.Preview) -> dict[int, list[str]]:
    return {row.line: [p.code for p in row.problems] for row in found.rows}


class TestPreview:
    async def test_every_row_gets_its_outcome_and_nothing_is_written(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        await open_programme(books)
        one, two, away = await books.resident(), await books.resident(), await books.resident()
        await session.execute(
            sa.update(resident).where(resident.c.id == away.id).values(status="suspended")
        )
        tomorrow = today() + timedelta(days=1)
        found = await preview(books, csv_file(
            f"{one.number},cleanup,,,", f"{two.number},見守り,250,,朝の見守り",
            "9999999,cleanup,,,", f"{one.number},karaoke,,,", f"{two.number},patrol,abc,,",
            f"{one.number},patrol,,{tomorrow:%Y/%m/%d},", f"{away.number},patrol,,,",
        ))  # fmt: skip
        assert codes(found) == {
            2: [], 3: [], 4: ["unknown_resident"], 5: ["unknown_activity"], 6: ["bad_points"],
            7: ["future_date"], 8: ["resident_not_active"],
        }  # fmt: skip
        assert [(r.resident_number, r.activity, r.points) for r in found.rows[:2]] == [
            (one.number, "cleanup", 500), (two.number, "見守り", 250),
        ]  # fmt: skip
        assert found.totals == bulk.Totals(rows=7, ok=2, errors=5, points=750)
        unknown = found.rows[3].problems[0]
        assert "karaoke" in unknown.ja and "ごみ拾い（cleanup）" in unknown.ja
        assert found.rows[2].problems[0].en == "No resident has the number 9999999."
        assert await counters(books) == {}
        assert await operations_of(books) == []

    async def test_earlier_rows_of_the_file_count_toward_the_caps_of_later_ones(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        await open_programme(books, monthly_cap=1000, budget=1300)
        one, two = await books.resident(), await books.resident()
        found = await preview(books, csv_file(
            f"{one.number},cleanup,600,,", f"{one.number},cleanup,600,,",
            f"{two.number},cleanup,800,,", f"{two.number},patrol,100,,",
        ))  # fmt: skip
        assert codes(found) == {2: [], 3: ["monthly_cap"], 4: ["budget"], 5: []}
        over = found.rows[1].problems[0]
        assert "を200pt超えます" in over.ja and "あと400ptまで" in over.ja
        assert "by 200 pt" in over.en and "600 pt are already granted" in over.en
        assert "the programme's budget of 1,300 pt by 100 pt" in found.rows[2].problems[0].en

    async def test_a_programme_not_in_force_is_a_problem_on_every_row(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        await open_programme(books, approve=False)
        person = await books.resident()
        found = await preview(books, csv_file(f"{person.number},cleanup,,,"))
        assert codes(found) == {2: ["programme_not_in_force"]}
        assert "「clean」は現在実施されていません" in found.rows[0].problems[0].ja

    async def test_a_likely_double_row_is_flagged_but_does_not_block(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        await open_programme(books)
        person = await books.resident()
        data = csv_file(f"{person.number},cleanup,,,", f"{person.number},cleanup,,,")
        found = await preview(books, data)
        assert found.totals.errors == 0
        assert [w.code for w in found.rows[1].warnings] == ["duplicate"]
        await commit(books, data)
        assert await books.balance(person.wallet) == 1000

    async def test_an_unusable_file_is_refused_in_plain_japanese(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        await open_programme(books)
        with pytest.raises(bulk.GrantFileRefused) as refused:
            await preview(books, "名前,金額\r\n佐伯,100\r\n".encode())
        assert "見出し行が見つかりません" in refused.value.problem.ja
        assert "No header row" in str(refused.value)


class TestCommit:
    async def test_a_shift_jis_file_with_full_width_digits_is_granted(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        programme_id = await open_programme(books)
        one, two = await books.resident(), await books.resident()
        wide = one.number.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
        data = csv_file(
            f"{wide},ごみ拾い,５００pt,令和8年11月1日,河川敷", f"{two.number},見守り,,,",
            header="住民番号,活動名,付与ポイント,活動日,備考", encoding="cp932",
        )  # fmt: skip
        done = await commit(books, data)
        assert (done.rows, done.points, done.replayed) == (2, 800, False)
        assert await books.balance(one.wallet) == 500
        assert await books.balance(two.wallet) == 300
        assert await books.balance(await books.granted(programme_id)) == -800
        ops = {op["details"]["line"]: op["details"] for op in await operations_of(books)}
        assert ops[2]["on"] == "2026-11-01" and ops[2]["note"] == "河川敷"
        assert ops[3]["import"] == done.sha256

    async def test_a_long_file_naming_residents_several_times_is_granted_in_full(
        self, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(bulk_service, "BATCH", 2)  # several ledger batches, small file
        books = await Books.open(session)
        await open_programme(books)
        people = [await books.resident() for _ in range(3)]
        rows = [f"{p.number},cleanup,,," for p in people] + [f"{people[1].number},patrol,,,"] * 3
        done = await commit(books, csv_file(*rows))
        assert (done.rows, done.points, len(done.operation_ids)) == (6, 2400, 6)
        assert [await books.balance(p.wallet) for p in people] == [500, 1400, 500]
        assert (await counters(books))["programme:clean:budget"] == 2400

    async def test_a_utf8_file_with_a_bom_is_read(self, session: AsyncSession) -> None:
        books = await Books.open(session)
        await open_programme(books)
        person = await books.resident()
        done = await commit(books, b"\xef\xbb\xbf" + csv_file(f"{person.number},patrol,,,"))
        assert done.points == 300
        assert await books.balance(person.wallet) == 300

    async def test_one_bad_row_refuses_the_whole_file_and_nothing_is_written(
        self, session: AsyncSession
    ) -> None:
        books = await Books.open(session)
        await open_programme(books)
        person = await books.resident()
        data = csv_file(
            f"{person.number},cleanup,,,", "12345678,cleanup,,,", f"{person.number},patrol,,,"
        )
        with pytest.raises(InvalidOperation) as refused:
            await commit(books, data)
        assert str(refused.value).startswith("1 of 3 rows have problems (line 3); nothing was")
        assert await books.balance(person.wallet) == 0
        assert await counters(books) == {}
        assert await operations_of(books) == []
        trail = await audit.entries(session, currency_id=books.currency_id)
        assert [e["action"] for e in trail if e["action"].startswith("grant")] == []

    async def test_the_same_file_committed_twice_grants_once(self, session: AsyncSession) -> None:
        books = await Books.open(session)
        await open_programme(books, monthly_cap=1000)
        person = await books.resident()
        data = csv_file(f"{person.number},cleanup,,,", f"{person.number},patrol,,,")
        staff = await books.staff()
        first = await commit(books, data, staff=staff)
        again = await commit(books, data)  # by someone else, the cap too full for it now
        assert (again.replayed, again.points, again.sha256) == (True, 800, first.sha256)
        assert len(first.operation_ids) == 2
        assert await books.balance(person.wallet) == 800
        assert (await counters(books))["programme:clean:budget"] == 800
        trail = await audit.entries(
            session, currency_id=books.currency_id, target=f"grant-file:{first.sha256}"
        )
        assert [(e["action"], e["actor"]) for e in trail] == [("grant.bulk", f"staff:{staff}")]
        assert (trail[0]["after"]["rows"], trail[0]["after"]["points"]) == (2, 800)
        assert (await preview(books, data)).imported_at is not None


@pytest.mark.committing
async def test_the_same_file_committed_twice_at_once_grants_once(
    committing_engine: AsyncEngine,
) -> None:
    sessions = async_sessionmaker(committing_engine, expire_on_commit=False)
    async with sessions() as session, session.begin():
        books = await Books.open(session)
        await open_programme(books)
        people = [await books.resident() for _ in range(5)]
        staff = await books.staff()
    data = csv_file(*(f"{p.number},cleanup,,," for p in people))

    async def one() -> bulk.CommitResult:
        async with sessions() as mine, mine.begin():
            return await bulk.commit(
                mine, currency_id=books.currency_id, programme_code="clean", data=data,
                staff_id=staff, now=now(),
            )  # fmt: skip

    results = await asyncio.gather(one(), one())
    assert sorted(r.replayed for r in results) == [False, True]
    async with sessions() as session:
        books.session = session
        assert [await books.balance(p.wallet) for p in people] == [500] * 5


# --- the command line --------------------------------------------------------------------

CLI = "import sys, api.cli_grants; from api.cli import app; sys.argv[0] = 'meguri'; app()"


def meguri(db: DatabaseUnderTest, *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MEGURI_")}
    env = {
        **clean, "MEGURI_DATABASE_URL": db.runtime_url, "MEGURI_OWNER_DATABASE_URL": db.owner_url,
        "COLUMNS": "200",
    }  # fmt: skip
    return subprocess.run(
        [sys.executable, "-c", CLI, *args], env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.committing
async def test_meguri_grant_import_previews_refuses_a_bad_file_and_commits_a_good_one(
    committing_engine: AsyncEngine, test_db: DatabaseUnderTest, tmp_path: Path
) -> None:
    sessions = async_sessionmaker(committing_engine, expire_on_commit=False)
    async with sessions() as session, session.begin():
        books = await Books.open(session)
        await open_programme(books)
        person = await books.resident()
        staff_id = await books.staff()
        named = sa.select(currency.c.code).where(currency.c.id == books.currency_id)
        code = await session.scalar(named)
        username = await session.scalar(sa.select(user.c.username).where(user.c.id == staff_id))
    assert code and username
    bad, good = tmp_path / "bad.csv", tmp_path / "good.csv"
    rows = (f"{person.number},cleanup,,,", "7777777,cleanup,,,")
    bad.write_bytes(csv_file(*rows, encoding="cp932"))
    good.write_bytes(csv_file(f"{person.number},cleanup,,,"))
    common = ("grant", "import", "--programme", "clean", "--currency", code)

    shown = await asyncio.to_thread(meguri, test_db, *common, str(bad))
    assert shown.returncode == 0, shown.stderr
    assert "7777777" in shown.stdout and "No resident has the number 7777777." in shown.stdout
    assert "rows 2 · ok 1 · errors 1 · points 500" in shown.stdout

    refused = await asyncio.to_thread(
        meguri, test_db, *common, str(bad), "--commit", "--staff", username
    )
    assert refused.returncode == 1
    assert "1 rows have problems; nothing was granted." in refused.stderr

    done = await asyncio.to_thread(
        meguri, test_db, *common, str(good), "--commit", "--staff", username
    )
    assert done.returncode == 0, done.stderr
    assert "Granted 500 pt in 1 grants." in done.stdout
    async with sessions() as session:
        books.session = session
        assert await books.balance(person.wallet) == 500
