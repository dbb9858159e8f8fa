"""For ``--profile`` only: the same payment, same SQL, same planner — without SQLAlchemy.

Five round trips on a bare asyncpg connection (BEGIN, the shop, ``ledger_begin``,
``ledger_post``, COMMIT) with the ledger's own planning and checks in between. The gap
to ``payments.pay`` is what the session / Core layer costs; what remains is the cost of
the SQL design itself. It reuses private helpers of currency/ledger on purpose: it must
do exactly what the service does, and it is never used by the product.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import Counter

import asyncpg

from bench.workload import AMOUNTS, PaymentRun, World, summarise
from currency import clock
from currency.db.engine import plain_url
from currency.ledger import operations, posting, spending
from currency.ledger.checks import check
from currency.ledger.operations import Context
from currency.ledger.types import Idempotency

SHOP = "SELECT account_id, tags, district, status FROM merchant WHERE currency_id = $1 AND id = $2"
BEGIN = "SELECT ledger_begin($1::smallint, $2, $3, $4, $5::bigint[], $6::bigint[])"
POST = "SELECT ledger_post($1::smallint, $2::jsonb)"


async def pay_raw(
    conn: asyncpg.Connection, world: World, wallet: int, shop_id: int, amount: int, key: str
) -> None:
    principal = f"resident:{wallet}"
    idem = Idempotency(principal, key, {"wallet": wallet, "merchant": shop_id, "amount": amount})
    async with conn.transaction():
        shop = await conn.fetchrow(SHOP, world.currency_id, shop_id)
        payee = spending.Payee(frozenset(shop["tags"]), shop["district"])
        begun = json.loads(
            await conn.fetchval(
                BEGIN, world.currency_id, principal, key, idem.fingerprint, [wallet], [wallet]
            )
        )
        if begun["status"] != "ok":
            raise RuntimeError(begun["status"])
        locked = posting._locked(begun)
        plan = spending.plan(
            locked.lots_of(wallet),
            amount=amount,
            today=clock.today(),
            accept=spending.for_payee(payee),
        )
        legs, moves = operations._take(plan, wallet, shop["account_id"], "payment")
        details = {"merchant_id": shop_id, "amount": amount}
        draft = operations._draft(
            "payment",
            legs,
            moves,
            Context(actor=principal, idempotency=idem, details=details, response=details),
        )
        check(draft, locked, {wallet})
        payload = posting._payload(draft, actor=principal, idempotency=idem)
        await conn.fetchval(POST, world.currency_id, json.dumps(payload))


async def connect(url: str, clients: int) -> list[asyncpg.Connection]:
    return [await asyncpg.connect(plain_url(url)) for _ in range(clients)]


async def measure_raw(
    conns: list[asyncpg.Connection], world: World, *, seconds: float, seed: int
) -> PaymentRun:
    clients = len(conns)
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    end = time.perf_counter() + seconds

    async def client(n: int, conn: asyncpg.Connection) -> None:
        rng = random.Random(seed * 1000 + n)
        while (started := time.perf_counter()) < end:
            try:
                await pay_raw(
                    conn,
                    world,
                    rng.choice(world.wallets),
                    rng.choice(world.shops).id,
                    rng.randint(*AMOUNTS),
                    f"{rng.getrandbits(128):032x}",
                )
            except Exception as exc:  # counted and shown
                errors[type(exc).__name__] += 1
                continue
            if (finished := time.perf_counter()) <= end:
                latencies.append(finished - started)

    await asyncio.gather(*(client(n, c) for n, c in enumerate(conns)))
    return summarise("raw asyncpg", clients, seconds, latencies, errors)
