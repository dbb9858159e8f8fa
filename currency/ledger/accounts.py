"""Opening accounts and finding the system accounts of a currency."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from currency.errors import NotFound
from currency.ledger.models import account, balance_delta

ISSUED_COINS = "issued:coin"
REDEEMED = "redeemed"
FEES = "fees"
SUSPENSE = "suspense"


def granted_points(programme_id: int | None) -> str:
    return f"granted:{programme_id or 0}"


def expired(kind: str) -> str:
    return f"expired:{kind}"


async def open_account(session: AsyncSession, *, currency_id: int, kind: str) -> int:
    """A new wallet or merchant account (balance 0, open)."""
    new_id = await session.scalar(
        sa.insert(account).values(currency_id=currency_id, kind=kind).returning(account.c.id)
    )
    assert new_id is not None
    return int(new_id)


async def system_account(session: AsyncSession, *, currency_id: int, code: str) -> int:
    """The system account with this code (``issued:coin``, ``granted:7``…), made on first use."""
    kind = code.split(":", 1)[0]
    found = await session.scalar(
        sa.select(account.c.id).where(account.c.currency_id == currency_id, account.c.code == code)
    )
    if found is not None:
        return int(found)
    await session.execute(
        insert(account)
        .values(currency_id=currency_id, kind=kind, code=code)
        .on_conflict_do_nothing(index_elements=["currency_id", "code"])
    )
    return await system_account(session, currency_id=currency_id, code=code)


async def balance(session: AsyncSession, *, currency_id: int, account_id: int) -> int:
    """The balance of any account: the cached value plus deltas not yet rolled up."""
    pending = (
        sa.select(sa.func.coalesce(sa.func.sum(balance_delta.c.amount), 0))
        .where(balance_delta.c.currency_id == currency_id, balance_delta.c.account_id == account_id)
        .scalar_subquery()
    )
    value = await session.scalar(
        sa.select(account.c.balance + pending).where(
            account.c.currency_id == currency_id, account.c.id == account_id
        )
    )
    if value is None:
        raise NotFound(f"account {account_id} does not exist")
    return int(value)
