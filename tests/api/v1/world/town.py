"""A small town for the cross-cutting API security tests (this module holds no tests).

Two residents, A and B, each with money; two shops, X (an owner and a clerk) and Y (an
owner); city staff, an admin and an auditor; everyone signed in over HTTP. A paid X twice
and X refunded part of one payment; B paid Y and Y refunded part of it; A sent coins to B.
Then the office (office.py): A and B have cards and passkeys, X's owner a refund PIN, the
town an attendance event; the period was settled (X and Y paid out to their bank accounts)
and A paid X once more. ``sees`` says which operations each party may ever be shown;
``private`` what identifies a party to nobody else (usernames, card numbers, accounts).

The HTTP client here answers a crash as a 500 instead of raising it in the test, so that a
sweep over many routes reports every failure at once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from fastapi import FastAPI
from httpx import AsyncClient, Response
from sqlalchemy.ext.asyncio import AsyncSession

from currency.corrections import service as corrections
from currency.issuance import rulebook
from currency.issuance.rules import MerchantFee
from currency.ledger.types import Posted
from currency.merchants.models import merchant
from currency.payments import service as payments
from currency.payments import transfers
from currency.residents import cards
from currency.residents.models import resident
from currency.settings import Settings
from currency.users.models import user
from tests.api.v1.world import office
from tests.api.v1.world.http import STREAMS, alone, app_of, crash_as_500, stream_start
from tests.currency.auth.support import PASSWORD, PIN, add_resident, add_user, currency_code
from tests.currency.auth.support import set_user as update_user
from tests.factories import Books, Resident

# Who signs in as which role in the auth matrix.
ROLE_CALLER = {
    "resident": "A", "merchant_clerk": "X-clerk", "merchant_owner": "X", "staff": "staff",
    "admin": "admin", "auditor": "auditor",
}  # fmt: skip
USER_ROLES = {"staff": "city_staff", "admin": "city_admin", "auditor": "city_auditor"}
# whose shop's names a caller has dealt with; whose private marks are its own
DEALT_WITH = {"A": "X", "B": "Y", "X-clerk": "X", "Z-resident": "Z-shop", "Z-staff": "Z-shop"}
OWN_MARKS = {"X-clerk": {"X"}, "Z-staff": {"Z-shop", "Z-resident"}}


@dataclass(frozen=True)
class ShopRef:
    id: int
    account_id: int
    name: str
    owner_id: int
    code: str


@dataclass
class World:
    books: Books
    app: FastAPI
    client: AsyncClient
    settings: Settings
    residents: dict[str, Resident] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # "A" → A's name
    shops: dict[str, ShopRef] = field(default_factory=dict)
    headers: dict[str, dict[str, str]] = field(default_factory=dict)  # caller → bearer
    ops: dict[str, int] = field(default_factory=dict)  # "pay A→X 1" → operation id
    sees: dict[str, set[int]] = field(default_factory=dict)  # caller → operation ids
    own_numbers: dict[str, str] = field(default_factory=dict)  # staff → a resident of theirs
    private: dict[str, list[str]] = field(default_factory=dict)  # party → its private marks
    cards: dict[str, str] = field(default_factory=dict)  # resident → printed card number
    passkeys: dict[str, int] = field(default_factory=dict)  # resident → a passkey's id
    settlements: dict[str, int] = field(default_factory=dict)  # shop → its settlement's id
    period: date = date.min  # the settled period's cut-off day
    periods: dict[str, date] = field(default_factory=dict)  # staff → its town's settled period
    event_id: int = 0  # the town's attendance event
    isolated: bool = False  # each request rolled back after it (see ``alone``)

    @property
    def session(self) -> AsyncSession:
        return self.books.session

    async def call(self, caller: str | None, method: str, path: str, **kwargs: Any) -> Response:
        headers = {**(self.headers[caller] if caller else {}), **kwargs.pop("headers", {})}
        async with alone(self.session) if self.isolated else nullcontext():
            if urlsplit(path).path in STREAMS:
                return await stream_start(self.app, method, path, headers, kwargs.get("params"))
            return await self.client.request(method, path, headers=headers, **kwargs)

    def foreign_ops(self, caller: str) -> set[int]:
        return set(self.ops.values()) - self.sees[caller]

    def foreign_people(self, caller: str) -> list[str]:
        """Names and numbers of the other residents; names of shops ``caller`` never dealt with."""
        people = [
            text
            for label, person in self.residents.items()
            if label != caller
            for text in (person.number, self.names[label])
        ]
        dealt_with = DEALT_WITH.get(caller, caller)
        shops = [s.name for label, s in self.shops.items() if label != dealt_with]
        mine = OWN_MARKS.get(caller, {caller})
        return people + shops + [t for p, ts in self.private.items() if p not in mine for t in ts]


@asynccontextmanager
async def open_world(
    client: AsyncClient, session: AsyncSession, settings: Settings
) -> AsyncIterator[World]:
    books = await Books.open(session)
    settings.currency_code = await currency_code(books)
    async with crash_as_500(client) as quiet:
        world = World(books, app_of(client), quiet, settings)
        await _people(world)
        await _money(world)
        await _office(world)
        yield world


async def _people(world: World) -> None:
    for label in ("A", "B"):
        person = await add_resident(world.books)
        world.residents[label] = person
        world.names[label] = await _name(world.session, person.id)
        world.headers[label] = await sign_in_resident(world.client, person.number)
    for label in ("X", "Y"):
        owner = await add_user(world.books, role="merchant_owner")
        world.shops[label] = await _shop_of(world, owner.id)
        world.headers[label] = await sign_in_user(world.client, owner.username)
        world.private[label] = [owner.username]
    clerk = await add_user(world.books, role="merchant_clerk")
    await update_user(world.books, clerk.id, merchant_id=world.shops["X"].id)
    world.headers["X-clerk"] = await sign_in_user(world.client, clerk.username)
    world.private["X"].append(clerk.username)
    for role, user_role in USER_ROLES.items():
        staff = await add_user(world.books, role=user_role)
        world.headers[role] = await sign_in_user(world.client, staff.username)


async def _money(world: World) -> None:
    a, b, x, y = (world.residents["A"], world.residents["B"], *world.shops.values())
    ops = world.ops
    ops["charge A"] = (await world.books.charge(a.wallet, 5_000)).operation_id
    ops["charge B"] = (await world.books.charge(b.wallet, 5_000)).operation_id
    ops["pay A→X 1"] = (await _pay(world, a, x, 300)).operation_id
    ops["pay A→X 2"] = (await _pay(world, a, x, 200)).operation_id
    ops["pay B→Y"] = (await _pay(world, b, y, 400)).operation_id
    ops["refund X→A"] = (await _refund(world, x, ops["pay A→X 1"], 50)).operation_id
    ops["refund Y→B"] = (await _refund(world, y, ops["pay B→Y"], 100)).operation_id
    sent = await transfers.send(
        world.session, currency_id=world.books.currency_id, sender_wallet=a.wallet,
        to_resident_number=b.number, amount=150, actor=f"resident:{a.id}",
    )  # fmt: skip
    ops["send A→B"] = sent.operation_id
    shop_x = {ops["pay A→X 1"], ops["pay A→X 2"], ops["refund X→A"]}
    shop_y = {ops["pay B→Y"], ops["refund Y→B"]}
    world.sees = {
        "A": {ops["charge A"], ops["send A→B"], *shop_x},
        "B": {ops["charge B"], ops["send A→B"], *shop_y},
        "X": shop_x, "X-clerk": shop_x, "Y": shop_y,
    }  # fmt: skip


async def _office(world: World) -> None:
    books, settings, x = world.books, world.settings, world.shops["X"]
    await office.set_owner_pin(books, x.owner_id)
    for label, person in world.residents.items():
        world.cards[label] = await office.issue_card(books, person.number, settings)
        world.passkeys[label] = await office.add_passkey(books, person.id)
        world.private[label] = [world.cards[label], world.cards[label].replace(" ", "")]
    world.event_id = await office.open_event(books, settings)
    world.private["town"] = [office.EVENT]
    payees = [office.Payee(label, s.id, office.HOLDERS[label]) for label, s in world.shops.items()]
    world.period, done = await office.settle(books, payees, settings)
    world.periods.update(dict.fromkeys(USER_ROLES, world.period))
    for payee in payees:
        settled = done[payee.id]
        world.settlements[payee.label] = settled.id
        world.private[payee.label].append(payee.holder_kana)
        if settled.operation_id is not None:
            world.ops[f"settle {payee.label}"] = settled.operation_id
            world.sees[payee.label].add(settled.operation_id)
    world.sees["X-clerk"] = world.sees["X"]
    paid = await _pay(world, world.residents["A"], x, 100)  # X holds something to refund
    world.ops["pay A→X 3"] = paid.operation_id
    for caller in ("A", "X", "X-clerk"):
        world.sees[caller].add(paid.operation_id)


async def counter_work(world: World) -> dict[str, object]:
    """Objects for the staff routes' paths: a resident with a card, a draft rule and a
    reversal request by another staff member (so that the four-eyes rule lets staff decide)."""
    books, cid = world.books, world.books.currency_id
    other_staff = await books.staff()
    person = await add_resident(books)
    charged = await books.charge(person.wallet, 1_000)
    card = await cards.issue_card(
        books.session, currency_id=cid, resident_number=person.number, staff_id=other_staff,
        secret=world.settings.secret_key,
    )  # fmt: skip
    rule = await rulebook.draft(
        books.session, currency_id=cid, staff_id=other_staff,
        rule=MerchantFee(default_rate_bp=150), starts_at=datetime(2031, 4, 1, tzinfo=UTC),
    )  # fmt: skip
    asked = await corrections.request_reversal(
        books.session, currency_id=cid, operation_id=charged.operation_id,
        reason="charged twice at the counter", staff_id=other_staff,
    )  # fmt: skip
    return {
        "payment_id": world.ops["pay A→X 1"], "number": person.number,
        "card_number": card.printed_number, "rule_id": rule.id, "request_id": asked.id,
        "code": world.shops["X"].code, "settlement_id": world.settlements["X"],
        "period": world.period.isoformat(), "event_id": world.event_id,
        "passkey_id": world.passkeys["A"], "owner_pin": office.OWNER_PIN,
    }  # fmt: skip


async def _pay(world: World, who: Resident, shop: ShopRef, amount: int) -> Posted:
    return await payments.pay(
        world.session, currency_id=world.books.currency_id, wallet_account_id=who.wallet,
        merchant_id=shop.id, amount=amount, actor=f"resident:{who.id}",
    )  # fmt: skip


async def _refund(world: World, shop: ShopRef, payment_id: int, amount: int) -> Posted:
    return await payments.refund(
        world.session, currency_id=world.books.currency_id,
        merchant_account_id=shop.account_id, payment_id=payment_id, amount=amount,
        actor=f"user:{shop.owner_id}", grace_days=world.settings.refund_grace_days,
    )  # fmt: skip


async def _name(session: AsyncSession, resident_id: int) -> str:
    name = await session.scalar(sa.select(resident.c.name).where(resident.c.id == resident_id))
    assert name is not None
    return str(name)


async def _shop_of(world: World, owner_id: int) -> ShopRef:
    query = (
        sa.select(merchant.c.id, merchant.c.account_id, merchant.c.name, merchant.c.code)
        .join(user, user.c.merchant_id == merchant.c.id)
        .where(user.c.currency_id == world.books.currency_id, user.c.id == owner_id)
    )
    row = (await world.session.execute(query)).one()
    return ShopRef(row.id, row.account_id, row.name, owner_id, row.code)


async def sign_in_resident(client: AsyncClient, number: str) -> dict[str, str]:
    r = await client.post("/v1/auth/resident", json={"resident_number": number, "pin": PIN})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def sign_in_user(client: AsyncClient, username: str) -> dict[str, str]:
    r = await client.post("/v1/auth/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}
