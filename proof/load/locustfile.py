# ruff: noqa: S311  (a simulated shopper's choices, not secrets)
"""A shopping day in Saiki, for ``locust``: each simulated resident signs in from their own
phone (their own loopback address), then, with a few seconds' thought between steps,
pays (5), looks at the wallet or a shop at its sales (3), or charges at a kiosk (1).

Payments alternate between the resident's one-time code scanned by the shop (CPM) and the
shop's code for an amount paid from the wallet (dynamic MPM). The people, shops and
pre-signed-in clerk and kiosk tokens come from ``PROOF_LOAD_PEOPLE`` (a JSON file written
by ``python -m proof.load``).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import uuid
from typing import Any

from locust import HttpUser, between, task
from requests.adapters import HTTPAdapter

PEOPLE: dict[str, Any] = json.loads(open(os.environ["PROOF_LOAD_PEOPLE"], encoding="utf-8").read())
_numbering = itertools.count()


class FromAddress(HTTPAdapter):
    """Connections from one loopback address: one phone."""

    def __init__(self, source: str) -> None:
        self.source = source
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self.source, 0)
        super().init_poolmanager(*args, **kwargs)


def bearer(token: str, *, idempotent: bool = False) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    return headers | {"Idempotency-Key": str(uuid.uuid4())} if idempotent else headers


class Shopper(HttpUser):
    wait_time = between(1, 5)  # reading the screen, finding a coin purse, talking at the till

    def on_start(self) -> None:
        n = next(_numbering) % len(PEOPLE["residents"])
        self.resident = PEOPLE["residents"][n]
        self.client.mount("http://", FromAddress(self.resident["address"]))
        self.shop = PEOPLE["shops"][n % len(PEOPLE["shops"])]
        body = {"resident_number": self.resident["number"], "pin": self.resident["pin"]}
        with self.client.post(
            "/v1/auth/resident", json=body, name="sign in (resident)", catch_response=True
        ) as answer:
            self.token = answer.json()["access_token"] if answer.ok else ""
        self.cpm = random.random() < 0.5

    @task(5)
    def pay(self) -> None:
        amount = random.randint(1, 15) * 100
        self.cpm = not self.cpm
        (self._pay_by_code if self.cpm else self._pay_shop_request)(amount)

    def _pay_by_code(self, amount: int) -> None:
        answer = self.client.post(
            "/v1/me/payment-token", headers=bearer(self.token), name="pay CPM: resident's code"
        )
        if answer.ok:
            body = {"payment_token": answer.json()["token"], "amount": amount}
            self.client.post(
                "/v1/merchant/payments",
                json=body,
                name="pay CPM: shop scans",
                headers=bearer(self.shop["clerk_token"], idempotent=True),
            )

    def _pay_shop_request(self, amount: int) -> None:
        answer = self.client.post(
            "/v1/merchant/payment-requests",
            json={"amount": amount},
            headers=bearer(self.shop["clerk_token"]),
            name="pay MPM: shop's code",
        )
        if answer.ok:
            body = {"payment_request": answer.json()["text"]}
            self.client.post(
                "/v1/me/payments",
                json=body,
                name="pay MPM: resident pays",
                headers=bearer(self.token, idempotent=True),
            )

    @task(3)
    def read(self) -> None:
        choice = random.choice(("wallet", "history", "sales"))
        if choice == "sales":
            self.client.get(
                "/v1/merchant/payments",
                name="read: shop's sales",
                headers=bearer(self.shop["clerk_token"]),
            )
        else:
            self.client.get(f"/v1/me/{choice}", name=f"read: {choice}", headers=bearer(self.token))

    @task(1)
    def charge(self) -> None:
        body = {
            "resident_number": self.resident["number"],
            "channel": "kiosk",
            "yen": random.choice((1000, 2000, 3000)),
        }
        self.client.post(
            "/v1/staff/charges",
            json=body,
            name="charge at a kiosk",
            headers=bearer(PEOPLE["kiosk_token"], idempotent=True),
        )
