"""After the run: each key took effect once, every acknowledged operation is there,
nothing was created that no client asked for, and ``meguri verify`` is clean."""

from __future__ import annotations

from dataclasses import dataclass, field

import asyncpg

from proof.chaos.workload import Record

OPERATIONS = """
SELECT o.id, o.kind, o.idempotency_key, i.operation_id AS stored
  FROM ledger_operation o
  LEFT JOIN ledger_idempotency i
    ON i.currency_id = o.currency_id AND i.operation_id = o.id
 WHERE o.currency_id = $1
"""


@dataclass
class Findings:
    lost: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    operations: int = 0


async def audit(url: str, currency_id: int, record: Record) -> Findings:
    conn = await asyncpg.connect(url, server_settings={"default_transaction_read_only": "on"})
    try:
        rows = await conn.fetch(OPERATIONS, currency_id)
    finally:
        await conn.close()
    return judge(rows, record)


def judge(rows: list[asyncpg.Record], record: Record) -> Findings:
    found = Findings(operations=len(rows))
    by_key: dict[str, list[int]] = {}
    for row in rows:
        key = row["idempotency_key"]
        if key is None or key not in record.sent or row["stored"] is None:
            found.created.append(f"operation {row['id']} ({row['kind']}, key {key!r})")
        else:
            by_key.setdefault(key, []).append(row["id"])
    for key, ids in by_key.items():
        if len(ids) > 1:
            found.duplicates.append(f"key {key} took effect {len(ids)} times: {ids}")
    found.duplicates += [
        f"duplicate submit answered differently: {d}" for d in record.duplicates_wrong
    ]
    for key, ack in record.acked.items():
        if ack.operation_id not in by_key.get(key, []):
            found.lost.append(f"{ack.kind} {ack.operation_id} (key {key}) acknowledged, not found")
    return found
