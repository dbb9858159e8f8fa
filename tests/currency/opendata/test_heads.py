"""A ledger export checked against published chain heads: honest passes, any rewrite fails."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from currency.ledger import chain
from currency.opendata import export, heads
from currency.opendata.heads import Head
from tests.factories import Books

START = datetime(2026, 10, 1, 1, 0, tzinfo=UTC)


def ledger(n: int = 6) -> tuple[list[dict[str, Any]], list[Head]]:
    """An export of ``n`` transfers over three days, and the heads published for those days."""
    rows, previous, found = [], chain.GENESIS, []
    for i in range(1, n + 1):
        transfer = {
            "id": 100 + i,
            "currency_id": 1,
            "operation_id": 50 + i,
            "leg": 0,
            "debit_account_id": 7,
            "credit_account_id": 8,
            "amount": 10 * i,
            "kind": "payment.coin",
            "reverses_transfer_id": None,
            "created_at": START + timedelta(hours=10 * i, microseconds=i),
        }
        previous = chain.link_hash(previous, transfer)
        rows.append(heads.export_row(i, previous, transfer))
        if i % 2 == 0:
            found.append(Head(date(2026, 10, i // 2), i, previous.hex()))
    return rows, found


def reseal(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What a careful forger does: renumber and recompute every row's link hash."""
    previous, out = chain.GENESIS, []
    for i, row in enumerate(rows, start=1):
        previous = chain.link_hash(previous, heads._transfer(row))
        out.append({**row, "sequence": i, "hash": previous.hex()})
    return out


class TestVerify:
    def test_an_honest_export_matches_every_published_head(self) -> None:
        rows, published = ledger()
        verdict = heads.verify(rows, published)
        assert verdict.ok and verdict.links == 6 and verdict.heads_matched == 3

    def test_a_rewritten_amount_fails_at_its_sequence(self) -> None:
        rows, published = ledger()
        rows[3]["amount"] = 1
        verdict = heads.verify(rows, published)
        assert not verdict.ok and verdict.first_bad_sequence == 4

    def test_a_rewritten_amount_with_rehashed_rows_fails_at_the_day_it_changed(self) -> None:
        rows, published = ledger()
        rows[3]["amount"] = 1
        verdict = heads.verify(reseal(rows), published)
        assert verdict.first_bad_sequence == 3  # day 2 holds sequences 3–4
        assert "rewritten" in (verdict.problem or "")

    def test_a_dropped_row_fails_at_the_missing_sequence(self) -> None:
        rows, published = ledger()
        del rows[2]
        assert heads.verify(rows, published).first_bad_sequence == 3

    def test_a_dropped_row_renumbered_fails_at_its_day(self) -> None:
        rows, published = ledger()
        del rows[4]
        assert heads.verify(reseal(rows), published).first_bad_sequence == 5

    def test_an_inserted_row_fails(self) -> None:
        rows, published = ledger()
        extra = {**rows[1], "id": 999, "amount": 5}
        verdict = heads.verify([*rows[:2], extra, *rows[2:]], published)
        assert verdict.first_bad_sequence == 3
        assert (
            heads.verify(reseal([*rows[:2], extra, *rows[2:]]), published).first_bad_sequence == 3
        )

    def test_a_reordered_pair_fails_at_the_first_of_them(self) -> None:
        rows, published = ledger()
        rows[2], rows[3] = rows[3], rows[2]
        assert heads.verify(rows, published).first_bad_sequence == 3
        assert heads.verify(reseal(rows), published).first_bad_sequence == 3

    def test_a_forged_head_fails(self) -> None:
        rows, published = ledger()
        published[1] = Head(published[1].day, 4, "00" * 32)
        verdict = heads.verify(rows, published)
        assert verdict.first_bad_sequence == 3 and verdict.heads_matched == 1

    def test_a_truncated_export_fails_where_rows_go_missing(self) -> None:
        rows, published = ledger()
        assert heads.verify(rows[:5], published).first_bad_sequence == 5  # day 3: 5–6


class TestFiles:
    def test_heads_are_read_from_the_published_json_and_csv(self) -> None:
        _, published = ledger()
        as_json = json.dumps(
            {
                "heads": [
                    {
                        "day": h.day.isoformat(),
                        "last_sequence": h.last_sequence,
                        "head_hash": h.head_hash,
                    }
                    for h in published
                ]
            }
        )
        as_csv = "\ufeffday,last_sequence,head_hash\r\n" + "".join(
            f"{h.day},{h.last_sequence},{h.head_hash}\r\n" for h in published
        )
        assert heads.read_heads(as_json) == heads.read_heads(as_csv) == published


async def test_the_real_ledger_export_verifies_against_its_heads(session: AsyncSession) -> None:
    books = await Books.open(session)
    wallet = await books.wallet()
    for amount in (100, 200, 300):
        await books.charge(wallet, amount)
    await chain.seal_all(session, currency_id=books.currency_id)
    out = io.StringIO()
    written = await export.write_ledger(
        session, currency_id=books.currency_id, currency_code="T", out=out
    )
    lines = out.getvalue().splitlines()
    h = chain.chain_head.c
    published = [
        Head(r.day, r.last_sequence, r.head_hash.hex())
        for r in await session.execute(
            chain.sa.select(h.day, h.last_sequence, h.head_hash).where(
                h.currency_id == books.currency_id
            )
        )
    ]
    assert written == 3 and published
    assert heads.verify(heads.read_export(lines), published).ok
    forged = [lines[0], lines[1].replace('"amount": 100', '"amount": 1000'), *lines[2:]]
    assert heads.verify(heads.read_export(forged), published).first_bad_sequence == 1
