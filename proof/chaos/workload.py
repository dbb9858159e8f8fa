"""What the clients do: CPM and MPM payments, sends, refunds and charges, each keyed,
with 5% deliberate duplicate submits, and a record of every key and every 2xx answer."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from proof.chaos.http import Answer, Api, Principal
from proof.chaos.people import Shop, Town

DUPLICATE_SHARE = 0.05
MIX = (("cpm", 30), ("mpm", 20), ("mpm_request", 10), ("send", 15), ("refund", 20), ("charge", 5))


@dataclass
class Ack:
    kind: str
    key: str
    operation_id: int
    amount: int


@dataclass
class Record:
    """Everything the clients asked for and were told, for the checks after the run."""

    sent: dict[str, str] = field(default_factory=dict)  # key -> kind
    acked: dict[str, Ack] = field(default_factory=dict)  # key -> the 2xx answer
    refused: dict[str, int] = field(default_factory=dict)  # key -> 4xx status
    duplicates_sent: int = 0
    duplicates_wrong: list[str] = field(default_factory=list)
    refundable: dict[int, list[list[int]]] = field(default_factory=dict)  # shop -> [[id, left]]
    done: int = 0


@dataclass
class Actors:
    staff: Principal
    residents: list[Principal]
    owners: list[Principal]


def actors(town: Town) -> Actors:
    def resident(number: str, pin: str) -> Principal:
        return Principal("/v1/auth/resident", {"resident_number": number, "pin": pin})

    def user(name: str) -> Principal:
        return Principal("/v1/auth/login", {"username": name, "password": "chaos-harness-only"})

    return Actors(
        staff=user(town.staff),
        residents=[resident(p.number, p.pin) for p in town.people],
        owners=[user(s.owner) for s in town.shops],
    )


@dataclass
class Client:
    n: int
    api: Api
    town: Town
    who: Actors
    record: Record
    rng: random.Random
    seq: int = 0

    def key(self) -> str:
        self.seq += 1
        return f"chaos-{self.n}-{self.seq}"

    async def step(self) -> None:
        kinds, weights = zip(*MIX, strict=True)
        kind = self.rng.choices(kinds, weights)[0]
        action: Callable[[], Any] = getattr(self, f"_{kind}")
        await action()
        self.record.done += 1

    async def keyed(
        self, kind: str, who: Principal, path: str, body: dict[str, Any], amount: int
    ) -> Answer:
        key = self.key()
        self.record.sent[key] = kind
        answer = await self.api.call(who, path, body, key)
        if 200 <= answer.status < 300:
            ack = Ack(kind, key, int(answer.body["operation_id"]), amount)
            self.record.acked[key] = ack
            if self.rng.random() < DUPLICATE_SHARE:
                await self._duplicate(who, path, body, ack)
        else:
            self.record.refused[key] = answer.status
        return answer

    async def _duplicate(self, who: Principal, path: str, body: dict[str, Any], ack: Ack) -> None:
        """The same key and body again after success: the stored answer, no second effect."""
        self.record.duplicates_sent += 1
        again = await self.api.call(who, path, body, ack.key)
        same = again.status // 100 == 2 and again.body.get("operation_id") == ack.operation_id
        if not (same and again.replayed):
            self.record.duplicates_wrong.append(f"{ack.key}: {again.status} {again.body}")

    def _resident(self) -> tuple[int, Principal]:
        i = self.rng.randrange(len(self.who.residents))
        return i, self.who.residents[i]

    def _shop(self) -> tuple[int, Shop, Principal]:
        i = self.rng.randrange(len(self.town.shops))
        return i, self.town.shops[i], self.who.owners[i]

    def _amount(self) -> int:
        return self.rng.randint(1, 500)

    async def _cpm(self) -> None:
        _, resident = self._resident()
        i, _, owner = self._shop()
        code = await self.api.call(resident, "/v1/me/payment-token", {})
        if code.status != 201:
            return
        amount = self._amount()
        body = {"payment_token": code.body["token"], "amount": amount}
        self._paid(i, await self.keyed("cpm", owner, "/v1/merchant/payments", body, amount))

    async def _mpm(self) -> None:
        _, resident = self._resident()
        i, shop, _ = self._shop()
        amount = self._amount()
        body = {"merchant_code": shop.code, "amount": amount}
        self._paid(i, await self.keyed("mpm", resident, "/v1/me/payments", body, amount))

    async def _mpm_request(self) -> None:
        _, resident = self._resident()
        i, _, owner = self._shop()
        amount = self._amount()
        made = await self.api.call(owner, "/v1/merchant/payment-requests", {"amount": amount})
        if made.status != 201:
            return
        body = {"payment_request": made.body["text"]}
        self._paid(i, await self.keyed("mpm", resident, "/v1/me/payments", body, amount))

    def _paid(self, shop: int, answer: Answer) -> None:
        if answer.status // 100 == 2:
            pool = self.record.refundable.setdefault(shop, [])
            pool.append([int(answer.body["operation_id"]), int(answer.body["amount"])])

    async def _send(self) -> None:
        a, sender = self._resident()
        b = self.rng.randrange(len(self.town.people))
        if a == b:
            b = (b + 1) % len(self.town.people)
        amount = self._amount()
        body = {"to_resident_number": self.town.people[b].number, "amount": amount}
        await self.keyed("send", sender, "/v1/me/transfers", body, amount)

    async def _refund(self) -> None:
        i, _, owner = self._shop()
        pool = self.record.refundable.get(i)
        if not pool:
            return await self._mpm()
        payment = pool.pop(self.rng.randrange(len(pool)))  # no two clients on one payment
        amount = self.rng.randint(1, payment[1])
        path = f"/v1/merchant/payments/{payment[0]}/refunds"
        answer = await self.keyed("refund", owner, path, {"amount": amount}, amount)
        if answer.status // 100 == 2:
            payment[1] -= amount
        if payment[1] > 0:
            pool.append(payment)
        return None

    async def _charge(self) -> None:
        await charge(self, self.rng.randrange(len(self.town.people)), 3_000)


async def charge(client: Client, person: int, yen: int) -> Answer:
    body = {"resident_number": client.town.people[person].number, "yen": yen, "channel": "counter"}
    return await client.keyed("charge", client.who.staff, "/v1/staff/charges", body, yen)


async def sign_in_everyone(api: Api, who: Actors) -> None:
    everyone = [who.staff, *who.owners, *who.residents]
    limit = asyncio.Semaphore(4)  # PIN hashing is CPU-bound: do not drown the app

    async def one(p: Principal) -> None:
        async with limit:
            await api.sign_in(p)

    await asyncio.gather(*(one(p) for p in everyone))
