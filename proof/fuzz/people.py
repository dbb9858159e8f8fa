"""Peers made through the API, as the city office would: shops with an owner and a clerk,
residents enrolled, activated with their letter's code and charged at the counter.

Every name carries a marker (``PEER-A`` …) so that a response can be searched for another
peer's objects.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from currency.demo import new_pin

DISTRICT = "佐伯"


@dataclass(frozen=True)
class Login:
    username: str
    password: str
    display_name: str


@dataclass(frozen=True)
class Shop:
    code: str
    name: str
    owner: Login
    clerk: Login


@dataclass(frozen=True)
class Resident:
    number: str
    pin: str
    name: str


@dataclass
class Peer:
    """One side of a pair: a shop, a resident, and the objects they made (for leak checks)."""

    label: str
    shop: Shop
    resident: Resident
    payment_ids: list[int] = field(default_factory=list)

    def markers(self) -> list[str]:
        """Strings that only this peer's objects contain."""
        return [
            self.shop.code,
            self.shop.name,
            self.shop.owner.display_name,
            self.shop.clerk.display_name,
            self.resident.number,
            self.resident.name,
        ]


def loopback(n: int) -> str:
    """The n-th loopback address (127.0.1.2 …): each simulated phone or counter has its own,
    as in town, so the per-address sign-in limits apply to each one, not to the harness."""
    return f"127.0.{1 + n // 250}.{2 + n % 250}"


def client(base_url: str, n: int, *, timeout: float = 30.0) -> httpx.Client:
    """A client whose connections come from ``loopback(n)``."""
    transport = httpx.HTTPTransport(local_address=loopback(n))
    return httpx.Client(base_url=base_url, timeout=timeout, transport=transport)


def ok(response: httpx.Response) -> dict[str, Any]:
    if response.status_code >= 300:
        raise RuntimeError(
            f"{response.request.method} {response.request.url.path} -> "
            f"{response.status_code}: {response.text[:500]}"
        )
    body: dict[str, Any] = response.json()
    return body


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


def staff_login(client: httpx.Client, username: str, password: str) -> str:
    body = ok(client.post("/v1/auth/login", json={"username": username, "password": password}))
    return str(body["access_token"])


def user_login(client: httpx.Client, login: Login) -> str:
    return staff_login(client, login.username, login.password)


def resident_login(client: httpx.Client, resident: Resident) -> str:
    body = {"resident_number": resident.number, "pin": resident.pin}
    return str(ok(client.post("/v1/auth/resident", json=body))["access_token"])


def add_shop(client: httpx.Client, staff: str, label: str) -> Shop:
    name = f"検証商店 {label}"
    body = {"name": name, "district": DISTRICT, "category": "食料品", "tags": ["food"]}
    code = str(ok(client.post("/v1/staff/merchants", json=body, headers=bearer(staff)))["code"])
    users = [
        _add_user(client, staff, code, role, f"{role[9:]} {label}")
        for role in ("merchant_owner", "merchant_clerk")
    ]
    return Shop(code, name, users[0], users[1])


def _add_user(client: httpx.Client, staff: str, code: str, role: str, name: str) -> Login:
    body = {"role": role, "display_name": name}
    path = f"/v1/staff/merchants/{code}/users"
    made = ok(client.post(path, json=body, headers=bearer(staff)))
    return Login(str(made["username"]), str(made["initial_password"]), name)


def add_resident(client: httpx.Client, staff: str, number: str, name: str, yen: int) -> Resident:
    """Enrolled, activated with the letter's code and a fresh PIN, charged ``yen``."""
    body = {
        "resident_number": number,
        "name": name,
        "district": DISTRICT,
        "birth_year": 1960,
        "has_smartphone": True,
    }
    ok(client.post("/v1/staff/residents", json=body, headers=bearer(staff)))
    letter_path = f"/v1/staff/residents/{number}/activation-letter"
    letter = ok(client.post(letter_path, headers=bearer(staff) | {"Accept": "application/json"}))
    pin = new_pin(1960)
    activation = {"resident_number": number, "activation_code": letter["code"], "pin": pin}
    ok(client.post("/v1/auth/activate", json=activation))
    if yen:
        charge = {"resident_number": number, "yen": yen, "channel": "counter"}
        ok(client.post("/v1/staff/charges", json=charge, headers=bearer(staff) | key()))
    return Resident(number, pin, name)


def pay_by_code(client: httpx.Client, resident: str, clerk: str, amount: int) -> int:
    """The resident shows a one-time code; the shop scans it (CPM). The payment's id."""
    token = ok(client.post("/v1/me/payment-token", headers=bearer(resident)))["token"]
    body = {"payment_token": token, "amount": amount}
    taken = ok(client.post("/v1/merchant/payments", json=body, headers=bearer(clerk) | key()))
    return int(taken["operation_id"])


def make_peer(client: httpx.Client, staff: str, label: str, serial: int) -> Peer:
    """A shop and a resident who has paid it twice (one payment refunded)."""
    shop = add_shop(client, staff, label)
    resident = add_resident(client, staff, f"S100{serial:04d}", f"検証 {label} 花子", 5000)
    resident_token = resident_login(client, resident)
    clerk_token = user_login(client, shop.clerk)
    peer = Peer(label, shop, resident)
    for amount in (480, 1200):
        peer.payment_ids.append(pay_by_code(client, resident_token, clerk_token, amount))
    owner = user_login(client, shop.owner)
    refund = {"amount": 100, "reason": "返品"}
    client.post(
        f"/v1/merchant/payments/{peer.payment_ids[0]}/refunds",
        json=refund,
        headers=bearer(owner) | key(),
    )
    return peer


def random_serial() -> int:
    return 9000 + secrets.randbelow(900)
