"""Nobody is ever shown someone else's object (BOLA): two residents A and B, two shops X
and Y, and a second town Z (another currency on the same service) with a resident, a shop
and a staff member of its own.

For every GET route, each caller allowed on it (per the auth matrix) asks with its own ids
(and must see only what concerns it) and with every id of the others' objects (and must get
404: never the object, never a 403 that says it exists). Answers are searched for the other
residents' names, numbers and cards, the other shops' names, users and bank accounts (in
the text, NFKC-normalized so that a bank file's half-width kana count), for the others'
operation ids (in every ``…operation_id`` and ``refund_of`` field: a bare number search
would hit amounts) and for the others' settlements (their ``id`` on settlement routes).

Objects a path names: payments, residents (numbers), shops (codes), cards, settlements,
events and passkeys, each of a party (``MINE`` says whose a caller's are). A period is a date
every town has, no one's object: the sweep asks for its own town's period (the files must
hold its town's payees only), and town Z's staff ask for the very period town A settled.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from httpx import AsyncClient, Response
from sqlalchemy.ext.asyncio import AsyncSession

from currency.merchants.models import merchant
from currency.payments import service as payments
from currency.reports.models import MEASURES
from currency.settings import Settings
from currency.users.models import user
from tests.api.v1.test_auth_matrix import EXPECTED, PUBLIC
from tests.api.v1.world import (
    PROBLEM,
    World,
    minimal,
    office,
    open_world,
    sign_in_resident,
    sign_in_user,
    v1_routes,
)
from tests.api.v1.world.town import ShopRef
from tests.currency.auth.support import add_resident, add_user, currency_code
from tests.factories import Books

ROLE = {
    "A": "resident", "B": "resident", "X": "merchant_owner", "X-clerk": "merchant_clerk",
    "Y": "merchant_owner", "Z-resident": "resident", "Z-shop": "merchant_owner",
    "Z-staff": "staff",
}  # fmt: skip
PARAM = re.compile(r"\{(\w+)\}")
# answers to a browser's session cookie, which bearer callers do not have: 401 whoever asks
# (tests/api/v1/test_web_session_api.py shows a session only its own principal)
COOKIE_ONLY = {"/v1/auth/web-session"}
# whose objects each caller may be shown by id (its own, its shop's, its town's)
MINE = {"X-clerk": {"X"}, "Z-staff": {"Z-shop", "Z-resident"}}


@pytest.fixture
async def world(
    client: AsyncClient, session: AsyncSession, settings: Settings
) -> AsyncIterator[World]:
    async with open_world(client, session, settings) as built:
        await _office_records(built)
        await _second_town(built)
        yield built


async def _office_records(world: World) -> None:
    """Records of town A's office that town Z's staff must never read: an audit entry that
    names A, a reversal request for B's charge."""
    a = world.residents["A"].number
    checked = {"method": "driving licence"}
    r = await world.call("staff", "POST", f"/v1/staff/residents/{a}/verify", json=checked)
    assert r.status_code == 200, r.text
    asked = {"operation_id": world.ops["charge B"], "reason": "charged twice at the counter"}
    r = await world.call("staff", "POST", "/v1/staff/reversals", json=asked)
    assert r.status_code == 201, r.text


async def _second_town(world: World) -> None:
    """Town Z: its own currency, a resident with a card who paid its one shop, which was
    settled and paid out like X and Y; the service keeps serving A's."""
    home, books = world.settings.currency_code, await Books.open(world.session)
    world.settings.currency_code = await currency_code(books)
    person = await add_resident(books)
    world.headers["Z-resident"] = await sign_in_resident(world.client, person.number)
    world.own_numbers["Z-staff"] = person.number
    world.cards["Z-resident"] = await office.issue_card(books, person.number, world.settings)
    for label, role in (("Z-shop", "merchant_owner"), ("Z-staff", "city_staff")):
        user = await add_user(books, role=role)
        world.headers[label] = await sign_in_user(world.client, user.username)
        world.private[label] = [user.username]
    world.settings.currency_code = home
    shop = await _z_shop(world, books)
    await books.charge(person.wallet, 1_000)
    paid = await payments.pay(
        world.session, currency_id=books.currency_id, wallet_account_id=person.wallet,
        merchant_id=shop, amount=600, actor=f"resident:{person.id}",
    )  # fmt: skip
    payee = office.Payee("Z-shop", shop, office.HOLDERS["Z-shop"])
    world.periods["Z-staff"], done = await office.settle(books, [payee], world.settings)
    world.settlements["Z-shop"] = done[shop].id
    world.private["Z-shop"].append(payee.holder_kana)
    world.private["Z-resident"] = [person.number, world.cards["Z-resident"]]
    world.ops["pay Z"] = paid.operation_id
    world.sees.update({"Z-resident": {paid.operation_id}, "Z-shop": {paid.operation_id},
                       "Z-staff": set()})  # fmt: skip


async def _z_shop(world: World, books: Books) -> int:
    """The id of the shop Z's owner works for, and its code in ``world.shops``."""
    m = merchant.c
    query = (
        sa.select(m.id, m.account_id, m.name, m.code).join(user, user.c.merchant_id == m.id)
        .where(user.c.currency_id == books.currency_id, user.c.role == "merchant_owner")
    )  # fmt: skip
    row = (await world.session.execute(query)).one()
    world.shops["Z-shop"] = ShopRef(row.id, row.account_id, row.name, 0, row.code)
    return int(row.id)


def _get_routes(world: World) -> Iterator[tuple[str, list[str]]]:
    """(path template, callers allowed on it) of every GET route."""
    for method, path in v1_routes(world.app):
        if method == "GET" and path not in COOKIE_ONLY:
            allowed = EXPECTED[f"GET {path}"]
            yield path, [c for c, role in ROLE.items() if allowed == PUBLIC or role in allowed]


def _objects(world: World, param: str) -> dict[str, list[object]]:
    """Party → its objects of the kind a path parameter names (payments and residents'
    numbers are asked for below); "town" is town A's office."""
    kinds: dict[str, dict[str, list[object]]] = {
        "code": {label: [shop.code] for label, shop in world.shops.items()},
        "settlement_id": {label: [s] for label, s in world.settlements.items()},
        "card_number": {label: [card] for label, card in world.cards.items()},
        "passkey_id": {label: [p] for label, p in world.passkeys.items()},
        "event_id": {"town": [world.event_id]},
    }
    if param not in kinds:
        raise AssertionError(f"teach the BOLA sweep whose object a {{{param}}} names")
    return kinds[param]


def _foreign(world: World, caller: str, param: str) -> Sequence[object]:
    if param == "payment_id":
        return sorted(world.foreign_ops(caller))
    if param == "number":
        return [person.number for person in world.residents.values()]
    if param == "period":
        return []  # no one's object (module docstring)
    mine = MINE.get(caller, {caller})
    return [o for party, objs in _objects(world, param).items() if party not in mine
            for o in objs]  # fmt: skip


def _own(world: World, caller: str, param: str) -> Sequence[object]:
    if param == "payment_id":
        return sorted(op for name, op in world.ops.items() if name.startswith("pay") and
                      op in world.sees[caller])  # fmt: skip
    if param == "number":
        return [world.own_numbers[caller]] if caller in world.own_numbers else []
    if param == "period":
        return [world.periods[caller]] if caller in world.periods else []
    mine = MINE.get(caller, {caller})
    return [o for party, objs in _objects(world, param).items() if party in mine for o in objs]


def _filled(path: str, values: dict[str, object]) -> str:
    return PARAM.sub(lambda m: str(values[m[1]]), path)


async def test_another_callers_object_is_not_found_by_its_id(world: World) -> None:
    wrong, checked = [], 0
    for path, callers in _get_routes(world):
        for caller in callers:
            for param in PARAM.findall(path):
                for value in _foreign(world, caller, param):
                    r = await world.call(caller, "GET", _filled(path, {param: value}))
                    checked += 1
                    if r.status_code != 404 or r.headers["content-type"] != PROBLEM:
                        wrong.append(f"{caller} GET {path} {param}={value}: {r.status_code}")
    assert checked >= 20, "the sweep found almost nothing to try"
    assert not wrong, "\n".join(wrong)


async def test_every_get_route_shows_a_caller_nothing_of_anyone_else(world: World) -> None:
    wrong: list[str] = []
    for path, callers in _get_routes(world):
        for caller in callers:
            for r in await _own_answers(world, caller, path):
                leaks = _leaks(world, caller, r) if r.status_code == 200 else [r.status_code]
                wrong += [f"{caller} GET {path}: {leak}" for leak in leaks]
    assert not wrong, "\n".join(wrong)


async def _own_answers(world: World, caller: str, path: str) -> list[Response]:
    params = PARAM.findall(path)
    if not params:
        return await _pages(world, caller, path)
    own = [_own(world, caller, p) for p in params]
    if not all(own):
        return []  # nothing of its own to ask for (the other test asks for others')
    return [
        await world.call(caller, "GET", _filled(path, {p: v}))
        for p, values in zip(params, own, strict=True)
        for v in values
    ]


async def _pages(world: World, caller: str, path: str) -> list[Response]:
    """The answer, or every page of it (two entries a page, to walk the cursors)."""
    answers = [await world.call(caller, "GET", path, params=_query(world, path))]
    while answers[-1].status_code == 200 and _next(answers[-1]):
        params = {**_query(world, path), "cursor": _next(answers[-1])}
        answers.append(await world.call(caller, "GET", path, params=params))
    return answers


def _query(world: World, path: str) -> dict[str, Any]:
    """The required query parameters; two entries a page of a history."""
    spec = world.app.openapi()
    query = {
        p["name"]: minimal(p["schema"], spec)
        for p in spec["paths"][path]["get"].get("parameters", [])
        if p["in"] == "query" and p.get("required")
    }
    known = {"measure": MEASURES[0], "on": (date.today() - timedelta(days=2)).isoformat()}
    query |= {name: known[name] for name in query if name in known}
    return {**query, "limit": 2} if path.endswith("/history") else query


def _next(r: Response) -> str | None:
    body = r.json() if r.headers["content-type"] == "application/json" else None
    return body.get("next_cursor") if isinstance(body, dict) else None


def _leaks(world: World, caller: str, r: Response) -> list[str]:
    if r.status_code >= 500:
        return [f"a server error {r.status_code}"]
    answer = unicodedata.normalize("NFKC", r.text)
    found = [
        f"shows {text!r}"
        for text in world.foreign_people(caller)
        if re.search(re.escape(unicodedata.normalize("NFKC", text)) + r"(?!\d)", answer)
    ]  # "店 1" is not in "店 12"
    if r.headers["content-type"].startswith("application/json"):
        others = _operation_ids(r.json()) & world.foreign_ops(caller)
        found += [f"shows operations {sorted(others)}"] if others else []
        if "/settlements" in str(r.request.url):
            theirs = set(_foreign(world, caller, "settlement_id"))
            shown = _ids(r.json(), ("id", "settlement_id")) & theirs
            found += [f"shows settlements {sorted(shown)}"] if shown else []
    return found


def _ids(body: Any, keys: tuple[str, ...]) -> set[int]:
    if isinstance(body, list):
        return set().union(*(_ids(x, keys) for x in body))
    if not isinstance(body, dict):
        return set()
    found = {v for k, v in body.items() if isinstance(v, int) and k in keys}
    return found.union(*(_ids(v, keys) for v in body.values()))


def _operation_ids(body: Any) -> set[int]:
    if isinstance(body, list):
        return set().union(*(_operation_ids(x) for x in body))
    if not isinstance(body, dict):
        return set()
    ids = {v for k, v in body.items() if isinstance(v, int) and _is_operation_key(k)}
    return ids.union(*(_operation_ids(v) for v in body.values()))


def _is_operation_key(key: str) -> bool:
    return key.endswith("operation_id") or key == "refund_of"


@pytest.mark.parametrize("me", ["A", "B"])
async def test_a_residents_history_holds_exactly_their_own_operations(
    world: World, me: str
) -> None:
    pages = await _pages(world, me, "/v1/me/history")
    assert all(r.status_code == 200 for r in pages)
    seen = set().union(*(_operation_ids(r.json()) for r in pages))
    assert seen == world.sees[me]
    send = next(e for r in pages for e in r.json()["items"] if e["kind"] == "send")
    assert send["counterpart"] == "another resident"


async def test_a_cursor_from_anothers_history_only_continues_ones_own(world: World) -> None:
    """A cursor names a point in time, not a wallet (currency/wallets/history.py)."""
    theirs = await world.call("B", "GET", "/v1/me/history", params={"limit": 1})
    cursor = theirs.json()["next_cursor"]
    r = await world.call("A", "GET", "/v1/me/history", params={"cursor": cursor})
    assert r.status_code == 200, r.text
    assert _leaks(world, "A", r) == []
    assert _operation_ids(r.json()) <= world.sees["A"]


@pytest.mark.parametrize(("shop", "other"), [("X", "Y"), ("Y", "X")])
async def test_a_shop_cannot_refund_another_shops_payment(
    world: World, shop: str, other: str
) -> None:
    before = await _balances(world)
    for payment_id in sorted(world.foreign_ops(shop)):
        path = f"/v1/merchant/payments/{payment_id}/refunds"
        headers = {"Idempotency-Key": f"bola-{payment_id}"}
        r = await world.call(shop, "POST", path, json={"amount": 1}, headers=headers)
        assert r.status_code == 404, r.text
        assert r.headers["content-type"] == PROBLEM
    assert await _balances(world) == before


async def _balances(world: World) -> list[int]:
    accounts = [s.account_id for label, s in world.shops.items() if label != "Z-shop"]
    accounts += [p.wallet for p in world.residents.values()]
    return [await world.books.balance(a) for a in accounts]


@pytest.mark.parametrize(("me", "other"), [("A", "B"), ("B", "A"), ("Z-resident", "A")])
async def test_a_resident_cannot_remove_anothers_passkey(world: World, me: str, other: str) -> None:
    r = await world.call(me, "DELETE", f"/v1/me/passkeys/{world.passkeys[other]}")
    assert (r.status_code, r.headers["content-type"]) == (404, PROBLEM), r.text
    theirs = await world.call(other, "GET", "/v1/me/passkeys")
    assert world.passkeys[other] in {p["id"] for p in theirs.json()}


@pytest.mark.parametrize("me", ["A", "B", "Z-resident"])
async def test_a_resident_sees_only_their_own_card(world: World, me: str) -> None:
    r = await world.call(me, "GET", "/v1/me/card")
    assert r.status_code == 200, r.text
    assert world.cards[me].endswith(r.json()["last4"])
    assert r.json()["status"] == "active"
