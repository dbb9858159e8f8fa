"""(b)/(c)/(d)/(e): the payment path — ``payments.payment`` through the service layer — under load.

One currency, 1,000 wallets, 50 shops in five districts. Every wallet holds three lots
(restricted points expiring first, then two coin lots), so each payment plans FEFO over
the lots the shop accepts. Every payment has its own idempotency key. Payments go
through the group committer as the API posts them (payments arriving together share a
transaction; each caller returns only after its commit), or, for reference, each in a
session and transaction of its own. (e) charges coins from the one ``issued:coin``
system account the same way.
"""

from __future__ import annotations

import asyncio
import math
import random
import statistics
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from currency import clock
from currency.issuance import rulebook
from currency.issuance.rules import LevelLimits, WalletLimits
from currency.ledger import accounts, operations, posting, rollup
from currency.ledger.group import GroupCommit
from currency.ledger.models import account, currency
from currency.ledger.operations import Context, Issue
from currency.ledger.posting import Request
from currency.ledger.types import Idempotency
from currency.merchants.models import merchant
from currency.payments import service as payments
from currency.users.models import user

DISTRICTS = ("中央", "北", "南", "東", "西")
TAGS = (("food",), ("retail",), ("service",), ("food", "retail"), ("health",))
POINT_DISTRICTS = frozenset(DISTRICTS[:2])  # points are spendable at 2 of 5 districts
COINS_PER_LOT = 10_000_000
POINTS_PER_WALLET = 2_000_000
CHARGE_BATCH = 250  # wallets charged per transaction
AMOUNTS = (100, 5_000)  # yen per payment, uniform


@dataclass(frozen=True)
class Shop:
    id: int
    account_id: int
    district: str


@dataclass
class World:
    currency_id: int
    wallets: list[int]
    shops: list[Shop]
    issued_account: int
    setup_seconds: float = 0.0

    @property
    def hot_shop(self) -> Shop:
        return self.shops[0]


@dataclass
class PaymentRun:
    label: str
    clients: int
    seconds: float
    payments: int
    per_second: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float
    errors: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def build_world(
    maker: async_sessionmaker[AsyncSession],
    *,
    wallets: int = 1000,
    shops: int = 50,
    today: date | None = None,
) -> World:
    """Currency, shops, wallets, and three lots in every wallet (a few hundred per commit)."""
    started = time.perf_counter()
    today = today or clock.today()
    async with maker() as s, s.begin():
        currency_id = await s.scalar(
            sa.insert(currency)
            .values(code="BENCH", name="ベンチコイン", coin_unit="コイン", point_unit="pt")
            .returning(currency.c.id)
        )
        assert currency_id is not None
        issued = await accounts.system_account(
            s, currency_id=currency_id, code=accounts.ISSUED_COINS
        )
        granted = await accounts.system_account(
            s, currency_id=currency_id, code=accounts.granted_points(None)
        )
        shop_accounts = await _open_accounts(s, currency_id, "merchant", shops)
        shop_list = []
        for n, account_id in enumerate(shop_accounts):
            district = DISTRICTS[n % len(DISTRICTS)]
            shop_id = await s.scalar(
                sa.insert(merchant)
                .values(
                    currency_id=currency_id,
                    code=f"S{n:03d}",
                    name=f"ベンチ商店 {n}",
                    district=district,
                    category=TAGS[n % len(TAGS)][0],
                    tags=list(TAGS[n % len(TAGS)]),
                    account_id=account_id,
                )
                .returning(merchant.c.id)
            )
            assert shop_id is not None
            shop_list.append(Shop(shop_id, account_id, district))
        wallet_ids = await _open_accounts(s, currency_id, "wallet", wallets)
        await _bench_limits(s, currency_id)
    issues = [
        Issue(
            granted,
            POINTS_PER_WALLET,
            "point",
            today + timedelta(days=90),
            allowed_districts=POINT_DISTRICTS,
        ),
        Issue(issued, COINS_PER_LOT, "coin", today + timedelta(days=180)),
        Issue(issued, COINS_PER_LOT, "coin", today + timedelta(days=365)),
    ]
    for start in range(0, len(wallet_ids), CHARGE_BATCH):
        async with maker() as s, s.begin():
            for wallet in wallet_ids[start : start + CHARGE_BATCH]:
                await operations.issue(
                    s,
                    currency_id=currency_id,
                    wallet=wallet,
                    issues=issues,
                    kind="charge",
                    ctx=Context(actor="bench", idempotency=_setup_key(wallet)),
                )
    world = World(currency_id, wallet_ids, shop_list, issued)
    world.setup_seconds = time.perf_counter() - started
    return world


async def _bench_limits(s: AsyncSession, currency_id: int) -> None:
    """Wallet limits as a city would approve them, high enough for a day of bench load:
    every payment reads the rule in force and the wallet's spending today."""
    staff = [
        await s.scalar(
            sa.insert(user)
            .values(
                currency_id=currency_id,
                username=f"bench-staff-{n}",
                display_name="bench",
                role="city_staff",
                password_hash="!",  # noqa: S106  (no sign-in: an impossible hash)
            )
            .returning(user.c.id)
        )
        for n in (1, 2)
    ]
    high = LevelLimits(balance_cap=10**11, payment_cap=10**6, daily_spend_cap=10**11)
    drafted = await rulebook.draft(
        s,
        currency_id=currency_id,
        staff_id=staff[0],
        rule=WalletLimits(levels={"basic": high, "verified": high}),
        starts_at=datetime.now(UTC) - timedelta(minutes=1),
    )
    await rulebook.approve(s, currency_id=currency_id, staff_id=staff[1], rule_id=drafted.id)


def _setup_key(wallet: int) -> Idempotency:
    """Setup charges carry keys as real ones do, so the idempotency table is not empty
    when the statistics are taken (an empty table would be planned as one forever)."""
    return Idempotency("bench:setup", f"charge-{wallet}", {"wallet": wallet})


async def _open_accounts(s: AsyncSession, currency_id: int, kind: str, n: int) -> list[int]:
    rows = [{"currency_id": currency_id, "kind": kind} for _ in range(n)]
    result = await s.scalars(
        sa.insert(account).returning(account.c.id, sort_by_parameter_order=True), rows
    )
    return list(result)


async def settle(maker: async_sessionmaker[AsyncSession], world: World) -> None:
    """Fold balance deltas into balances, as ``meguri worker`` keeps doing (not timed)."""
    while True:
        async with maker() as s, s.begin():
            if not await rollup.roll_up(s, currency_id=world.currency_id):
                return


async def warm_pool(engine: AsyncEngine, size: int) -> None:
    """Open ``size`` connections up front so no measurement pays for connecting."""

    async def hold(gate: asyncio.Event) -> None:
        async with engine.connect() as conn:
            await conn.execute(sa.text("SELECT 1"))
            await gate.wait()

    gate = asyncio.Event()
    tasks = [asyncio.create_task(hold(gate)) for _ in range(size)]
    await asyncio.sleep(0.5)
    gate.set()
    await asyncio.gather(*tasks)


async def measure(
    maker: async_sessionmaker[AsyncSession],
    world: World,
    *,
    label: str,
    clients: int,
    seconds: float,
    warmup: float,
    seed: int,
    hot: bool = False,
    group: GroupCommit | None = None,
) -> PaymentRun:
    """``clients`` tasks pay in a loop; payments finishing inside the window are counted."""

    async def one(rng: random.Random) -> None:
        wallet = rng.choice(world.wallets)
        shop = world.hot_shop if hot else rng.choice(world.shops)
        amount = rng.randint(*AMOUNTS)
        key = f"{rng.getrandbits(128):032x}"
        body = {"wallet": wallet, "merchant": shop.id, "amount": amount}
        request = payments.payment(
            wallet_account_id=wallet,
            merchant_id=shop.id,
            amount=amount,
            actor=f"resident:{wallet}",
            idempotency=Idempotency(f"resident:{wallet}", key, body),
        )
        await _post(maker, group, world.currency_id, request)

    return await _drive(
        one, label=label, clients=clients, seconds=seconds, warmup=warmup, seed=seed
    )


async def measure_charges(
    maker: async_sessionmaker[AsyncSession],
    world: World,
    *,
    label: str,
    clients: int,
    seconds: float,
    warmup: float,
    seed: int,
    group: GroupCommit | None = None,
) -> PaymentRun:
    """(e) ``clients`` tasks charge coins from the one ``issued:coin`` account into random
    wallets, each charge in its own transaction: is the system account a lock hot-spot?"""
    expires_on = clock.today() + timedelta(days=180)

    async def one(rng: random.Random) -> None:
        wallet = rng.choice(world.wallets)
        amount = rng.randint(*AMOUNTS)
        key = f"{rng.getrandbits(128):032x}"
        body = {"wallet": wallet, "amount": amount, "kind": "charge"}
        request = operations.issue_request(
            wallet=wallet,
            issues=[Issue(world.issued_account, amount, "coin", expires_on)],
            kind="charge",
            ctx=Context(actor="bench", idempotency=Idempotency("bench", key, body)),
        )
        await _post(maker, group, world.currency_id, request)

    return await _drive(
        one, label=label, clients=clients, seconds=seconds, warmup=warmup, seed=seed
    )


async def _post(
    maker: async_sessionmaker[AsyncSession],
    group: GroupCommit | None,
    currency_id: int,
    request: Request,
) -> None:
    """Through the group committer as the API does, or in a transaction of its own."""
    if group is not None:
        await group.post(currency_id, request)
        return
    async with maker() as s, s.begin():
        await posting.post_request(s, currency_id=currency_id, request=request)


async def _drive(
    one: Callable[[random.Random], Awaitable[None]],
    *,
    label: str,
    clients: int,
    seconds: float,
    warmup: float,
    seed: int,
) -> PaymentRun:
    """``clients`` tasks run ``one`` in a loop; calls finishing inside the window are counted."""
    now = time.perf_counter  # loop.time() is millisecond-grained under uvloop
    begin = now() + warmup
    end = begin + seconds
    latencies: list[float] = []
    errors: Counter[str] = Counter()

    async def client(n: int) -> None:
        rng = random.Random(seed * 1000 + n)
        while (started := now()) < end:
            try:
                await one(rng)
            except Exception as exc:  # counted and shown: a benchmark must not stop here
                errors[type(exc).__name__] += 1
                continue
            finished = now()
            if begin <= started and finished <= end:
                latencies.append(finished - started)

    await asyncio.gather(*(client(n) for n in range(clients)))
    return summarise(label, clients, seconds, latencies, errors)


def summarise(
    label: str, clients: int, seconds: float, latencies: list[float], errors: Counter[str]
) -> PaymentRun:
    ms = sorted(x * 1000 for x in latencies) or [float("nan")]
    return PaymentRun(
        label=label,
        clients=clients,
        seconds=seconds,
        payments=len(latencies),
        per_second=len(latencies) / seconds,
        p50_ms=_pct(ms, 50),
        p95_ms=_pct(ms, 95),
        p99_ms=_pct(ms, 99),
        mean_ms=statistics.fmean(ms),
        errors=dict(errors),
    )


def _pct(ordered: list[float], p: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]
