"""A clerk refunds with the owner's PIN: the refund records both people, a wrong PIN is
`wrong-pin` (not `not-permitted`), five wrong PINs make the shop wait, a retry refunds once."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from httpx import AsyncClient, Response
from sqlalchemy.ext.asyncio import AsyncSession

from currency.audit import service as audit
from currency.ledger.models import operation
from currency.settings import Settings
from tests.api.v1.test_merchant_support import Till, clerk_of, keyed, open_till, problem
from tests.currency.auth.support import PASSWORD

OWNER_PIN = "390417"


@pytest.fixture
async def till(client: AsyncClient, session: AsyncSession, settings: Settings) -> Till:
    """A shop whose owner (signed in) has set a refund PIN."""
    opened = await open_till(client, session, settings)
    r = await client.put(
        "/v1/merchant/pin", json={"current_password": PASSWORD, "pin": OWNER_PIN},
        headers=opened.headers,
    )  # fmt: skip
    assert r.status_code == 200, r.text
    return opened


async def refund(
    till: Till, headers: dict[str, str], payment: int, body: dict[str, object], key: str = ""
) -> Response:
    return await till.client.post(
        f"/v1/merchant/payments/{payment}/refunds", json=body, headers=keyed(headers, key or None)
    )


async def sale(till: Till, amount: int = 1_000) -> tuple[int, int]:
    """(payment id, payer's wallet) of a payment by a resident holding 5,000."""
    payer = await till.customer(coins=5_000)
    return await till.paid(payer, amount), payer.wallet


async def user_id(till: Till, role: str) -> int:
    """The shop's (only) user with this role, as the owner's list shows it."""
    r = await till.client.get("/v1/merchant/users", headers=till.headers)
    return int(next(u["id"] for u in r.json() if u["role"] == role))


class TestClerkRefund:
    async def test_with_the_owners_pin_the_refund_is_made_and_names_both(self, till: Till) -> None:
        paid, wallet = await sale(till)
        clerk = await clerk_of(till)
        r = await refund(till, clerk, paid, {"amount": 400, "owner_pin": OWNER_PIN})
        assert r.status_code == 201, r.text
        assert await till.balance(wallet) == 4_400
        row = (
            await till.books.session.execute(
                sa.select(operation.c.actor, operation.c.details).where(
                    operation.c.id == r.json()["operation_id"]
                )
            )
        ).one()
        assert row.actor == f"user:{await user_id(till, 'merchant_clerk')}"
        assert row.details["approved_by"] == f"user:{await user_id(till, 'merchant_owner')}"
        assert OWNER_PIN not in json.dumps(row.details)

    async def test_without_the_pin_a_clerk_is_not_permitted(self, till: Till) -> None:
        paid, wallet = await sale(till)
        r = await refund(till, await clerk_of(till), paid, {"amount": 400})
        assert "owner's PIN" in str(problem(r, 403, "not-permitted")["detail"])
        assert await till.balance(wallet) == 4_000

    async def test_a_wrong_pin_is_wrong_pin_and_refunds_nothing(self, till: Till) -> None:
        paid, wallet = await sale(till)
        r = await refund(till, await clerk_of(till), paid, {"amount": 400, "owner_pin": "111111"})
        body = problem(r, 422, "wrong-pin")
        assert "owner" in str(body["detail"])
        assert await till.balance(wallet) == 4_000

    async def test_five_wrong_pins_then_the_shop_waits_even_with_the_right_one(
        self, till: Till
    ) -> None:
        paid, wallet = await sale(till)
        clerk = await clerk_of(till)
        for _ in range(5):
            wrong = await refund(till, clerk, paid, {"amount": 100, "owner_pin": "000000"})
            problem(wrong, 422, "wrong-pin")
        r = await refund(till, clerk, paid, {"amount": 100, "owner_pin": OWNER_PIN})
        problem(r, 429, "rate-limited")
        assert int(r.headers["retry-after"]) > 0
        assert await till.balance(wallet) == 4_000
        owner_refund = await refund(till, till.headers, paid, {"amount": 100})  # owner: no PIN
        assert owner_refund.status_code == 201, owner_refund.text

    async def test_a_retry_answers_the_same_and_refunds_once(self, till: Till) -> None:
        paid, wallet = await sale(till)
        clerk = await clerk_of(till)
        body = {"amount": 300, "owner_pin": OWNER_PIN}
        first = await refund(till, clerk, paid, body, key="clerk-refund-1")
        again = await refund(till, clerk, paid, body, key="clerk-refund-1")
        assert (first.status_code, again.status_code) == (201, 201)
        assert first.json() == again.json()
        assert again.headers["idempotent-replayed"] == "true"
        assert await till.balance(wallet) == 4_300
        other = await refund(till, clerk, paid, {**body, "amount": 200}, key="clerk-refund-1")
        problem(other, 422, "idempotency-key-reused")

    async def test_another_shops_payment_is_not_found_even_with_the_pin(
        self, till: Till, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        other = await open_till(client, session, settings, books=till.books)
        theirs, wallet = await sale(other)
        r = await refund(
            till, await clerk_of(till), theirs, {"amount": 100, "owner_pin": OWNER_PIN}
        )
        problem(r, 404, "not-found")
        assert await till.balance(wallet) == 4_000

    async def test_a_shop_without_an_owner_pin_says_so(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        bare = await open_till(client, session, settings)
        paid, _ = await sale(bare)
        r = await refund(bare, await clerk_of(bare), paid, {"amount": 100, "owner_pin": "390417"})
        assert "not set" in str(problem(r, 403, "not-permitted")["detail"])

    async def test_no_pin_or_password_reaches_the_audit_log(self, till: Till) -> None:
        paid, _ = await sale(till)
        await refund(till, await clerk_of(till), paid, {"amount": 100, "owner_pin": OWNER_PIN})
        rows = await audit.entries(till.books.session, currency_id=till.books.currency_id)
        text = json.dumps([dict(x) for x in rows], default=str)
        assert OWNER_PIN not in text and PASSWORD not in text
