"""Counters of caps and budgets (``issuance_counter``: name → used), shared by charges
(campaign premiums) and grants (point programmes).

An operation that uses a counter locks it (created at 0 on first use) in name order in
its own transaction, decides with the pure rule functions, and adds what it granted
before it commits: concurrent operations queue on the row and exactly what fits is ever
granted. Counters are caches of ledger facts (the sums of the lots they count).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession

from currency.issuance.models import counter


def text_array(values: Iterable[str]) -> sa.BindParameter[Sequence[str]]:
    """One array parameter, however many values (a file may name 100,000 residents)."""
    unique: Sequence[str] = sorted(set(values))
    return sa.bindparam(None, unique, type_=ARRAY(sa.Text))


async def read(session: AsyncSession, *, currency_id: int, names: Iterable[str]) -> dict[str, int]:
    """What is used so far, without locking (a preview); a counter not yet made is 0."""
    wanted = list(names)
    rows = await session.execute(
        sa.select(counter.c.name, counter.c.used).where(
            counter.c.currency_id == currency_id, counter.c.name == sa.any_(text_array(wanted))
        )
    )
    found = {name: int(used) for name, used in rows}
    return {name: found.get(name, 0) for name in wanted}


async def lock(session: AsyncSession, *, currency_id: int, names: Iterable[str]) -> dict[str, int]:
    """Take the rows (made on first use) in name order; what each has used."""
    wanted = sorted(set(names))
    await session.execute(
        insert(counter)
        .values([{"currency_id": currency_id, "name": name} for name in wanted])
        .on_conflict_do_nothing()
    )
    rows = await session.execute(
        sa.select(counter.c.name, counter.c.used)
        .where(counter.c.currency_id == currency_id, counter.c.name == sa.any_(text_array(wanted)))
        .order_by(counter.c.name)
        .with_for_update()
    )
    return {name: int(used) for name, used in rows}


_ADD = sa.text(
    "UPDATE issuance_counter AS c SET used = c.used + v.amount "
    "FROM unnest(CAST(:names AS text[]), CAST(:amounts AS bigint[])) AS v(name, amount) "
    "WHERE c.currency_id = :currency_id AND c.name = v.name"
)


async def add(session: AsyncSession, *, currency_id: int, amounts: Mapping[str, int]) -> None:
    """Count what was granted: one statement, each (locked) row updated once."""
    if amounts:
        names = sorted(amounts)
        values = {"names": names, "amounts": [amounts[n] for n in names]}
        await session.execute(_ADD, {"currency_id": currency_id, **values})
