"""For ``--profile`` only: the same payment, same SQL, same planner — without SQLAlchemy.

Each payment alone on a bare asyncpg connection: BEGIN, the shop, ``ledger_begin_many``,
``ledger_write``, COMMIT, through ``posting.post_many`` exactly as the service posts it.
The gap to the service path is what the session / pool layer costs; what remains is the
cost of the SQL design itself. It is never used by the product.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter

import asyncpg

from bench.workload import AMOUNTS, PaymentRun, World, summarise
from currency.db.engine import plain_url
from currency.ledger import posting
from currency.ledger.types import Idempotency, Posted
from currency.payments import service as payments


async def pay_raw(
    conn: asyncpg.Connection, world: World, wallet: int, shop_id: int, amount: int, key: str
) -> None:
    principal = f"resident:{wallet}"
    idem = Idempotency(principal, key, {"wallet": wallet, "merchant": shop_id, "amount": amount})
    request = payments.payment(
        wallet_account_id=wallet,
        merchant_id=shop_id,
        amount=amount,
        actor=principal,
        idempotency=idem,
    )
    async with conn.transaction():
        [outcome] = await posting.post_many(conn, world.currency_id, [request])
    if not isinstance(outcome, Posted):
        raise outcome


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
