from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from currency.ledger import chain, corrections, expiry, operations
from currency.ledger.operations import Context
from currency.ledger.verify import verify
from tests.factories import Books


async def test_a_day_in_the_ledger_verifies(session: AsyncSession) -> None:
    books = await Books.open(session)
    alice, bob, shop = await books.wallet(), await books.wallet(), await books.merchant()
    await books.charge(alice, 1000)
    await books.grant(alice, 300, days=10)
    paid = await operations.spend(
        session,
        currency_id=books.currency_id,
        wallet=alice,
        to_account=shop,
        amount=500,
        kind="payment",
        today=books.today,
        ctx=Context(actor="test"),
    )
    await corrections.refund(
        session,
        currency_id=books.currency_id,
        payment_id=paid.operation_id,
        amount=100,
        today=books.today,
        grace_days=30,
        ctx=Context(actor="test"),
    )
    await operations.send(
        session,
        currency_id=books.currency_id,
        sender=alice,
        receiver=bob,
        amount=200,
        today=books.today,
        ctx=Context(actor="test"),
    )
    assert await books.balance(alice) == 1300 - 500 + 100 - 200
    assert await books.balance(bob) == 200
    assert await books.balance(shop) == 400
    from datetime import timedelta

    await expiry.expire_due(
        session, currency_id=books.currency_id, as_of=books.today + timedelta(days=11)
    )
    assert await chain.seal_all(session, currency_id=books.currency_id) > 0
    report = await verify(session, currency_id=books.currency_id)
    assert report.ok, report.problem
