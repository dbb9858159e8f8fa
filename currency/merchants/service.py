"""Shops on the city's books: onboarding, changes of name, place or status, the bank
account they are paid to, and their sign-in users (users.py, re-exported here).

Every change is audited with what it was before and after. A shop's status is one of

- ``active``: takes payments;
- ``suspended``: takes no payments (the payment services refuse a shop that is not
  active) and is left out of settlement runs until it is active again, but its users
  still sign in, read their sales and statements, and may refund;
- ``closed``: for good. A shop is closed only once its balance has been settled (paid
  out), so no money is stranded; a closed shop is never reopened (onboard it again).

A fee is not set here: the merchant fee is an issuance rule (``merchant_fee``, with
per-shop overrides by code) and changes by draft and a second staff member's approval.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from currency.audit import service as audit
from currency.errors import InvalidOperation, NotFound
from currency.ledger import accounts
from currency.merchants import fields
from currency.merchants.models import merchant
from currency.merchants.users import (
    NewUser,
    ShopUser,
    add_user,
    set_owner_pin,
    users_of,
    verify_owner_pin,
)
from currency.settlement import bank

__all__ = [
    "Merchant",
    "NewUser",
    "ShopUser",
    "add_user",
    "get",
    "onboard",
    "search",
    "set_bank_account",
    "set_owner_pin",
    "update",
    "users_of",
    "verify_owner_pin",
]

STATUSES = fields.STATUSES
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud, typed by hand
CODE_LENGTH = 6
PAGE = 50


@dataclass(frozen=True, slots=True)
class Merchant:
    id: int
    code: str
    name: str
    name_kana: str | None
    district: str
    category: str
    tags: tuple[str, ...]
    is_public_body: bool
    account_id: int
    status: str
    created_at: datetime

    def summary(self) -> dict[str, Any]:
        """What the audit log keeps of it."""
        found = asdict(self)
        del found["created_at"]
        return found


def new_code() -> str:
    """Six characters nobody misreads on a poster or over the phone."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


async def onboard(
    session: AsyncSession,
    *,
    currency_id: int,
    name: str,
    district: str,
    category: str,
    tags: Sequence[str] = (),
    name_kana: str | None = None,
    code: str | None = None,
    public_body: bool = False,
    actor: str,
    now: datetime,
) -> Merchant:
    """A new shop (active) with its ledger account; its code is generated unless given."""
    values = fields.checked(
        name=name, name_kana=name_kana, district=district, category=category, tags=tags
    )
    account_id = await accounts.open_account(session, currency_id=currency_id, kind="merchant")
    row = {**values, "is_public_body": public_body, "account_id": account_id}
    merchant_id = await _insert(session, currency_id, row, fields.checked_code(code))
    shop = await _by(session, currency_id, merchant.c.id == merchant_id)
    await audit.record(
        session, currency_id=currency_id, actor=actor, action="merchant.onboard",
        target=f"merchant:{shop.code}", after=shop.summary(),
    )  # fmt: skip
    return shop


async def get(session: AsyncSession, *, currency_id: int, code: str) -> Merchant:
    """The shop with this code; NotFound otherwise."""
    return await _by(session, currency_id, merchant.c.code == code)


async def search(
    session: AsyncSession,
    *,
    currency_id: int,
    q: str | None = None,
    district: str | None = None,
    category: str | None = None,
    status: str | None = None,
    after_id: int = 0,
    limit: int = PAGE,
) -> list[Merchant]:
    """Shops in id order after ``after_id``: by part of the code, name or kana, and filters."""
    m = merchant.c
    where = [m.currency_id == currency_id, m.id > after_id]
    if q:
        like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where.append(sa.or_(m.code.ilike(like), m.name.ilike(like), m.name_kana.ilike(like)))
    where += [col == v for col, v in ((m.district, district), (m.category, category),
                                     (m.status, status)) if v]  # fmt: skip
    rows = await session.execute(sa.select(merchant).where(*where).order_by(m.id).limit(limit))
    return [_merchant(row) for row in rows.mappings()]


async def update(
    session: AsyncSession,
    *,
    currency_id: int,
    code: str,
    changes: dict[str, Any],
    reason: str | None = None,
    actor: str,
    now: datetime,
) -> Merchant:
    """Change name, name_kana, district, category, tags or status (a status needs a reason).

    ``changes`` holds only what changes; keys other than those are refused."""
    before = await _by(session, currency_id, merchant.c.code == code, lock=True)
    values = fields.changes(before.status, changes, reason=reason)
    if values.get("status") == "closed":
        await _require_settled(session, currency_id, before)
    if not values:
        return before
    await session.execute(
        sa.update(merchant)
        .where(merchant.c.currency_id == currency_id, merchant.c.id == before.id)
        .values(**values)
    )
    after = await _by(session, currency_id, merchant.c.id == before.id)
    action = "merchant.status" if "status" in values else "merchant.update"
    await audit.record(
        session, currency_id=currency_id, actor=actor, action=action,
        target=f"merchant:{code}", before=before.summary(), after=after.summary(), reason=reason,
    )  # fmt: skip
    return after


async def set_bank_account(
    session: AsyncSession,
    *,
    currency_id: int,
    code: str,
    bank_code: str,
    bank_name_kana: str,
    branch_code: str,
    branch_name_kana: str,
    account_type: int,
    account_number: str,
    holder_kana: str,
    staff_id: int,
    secret: bytes,
) -> bank.BankAccount:
    """The account the shop is paid to, checked as the bank file checks it, sealed, and
    audited with the last four digits only (currency/settlement/bank.py)."""
    shop = await get(session, currency_id=currency_id, code=code)
    fields.check_bank_fields(bank_code, branch_code, account_number)
    return await bank.set_account(
        session, currency_id=currency_id, merchant_id=shop.id, bank_code=bank_code,
        bank_name_kana=fields.kana(bank_name_kana, "bank name"),
        branch_code=branch_code, branch_name_kana=fields.kana(branch_name_kana, "branch name"),
        account_type=account_type, account_number=account_number,
        holder_kana=fields.kana(holder_kana, "account holder's name"), staff_id=staff_id,
        secret=secret,
    )  # fmt: skip


# --- rows -------------------------------------------------------------------------------


async def _insert(
    session: AsyncSession, currency_id: int, row: dict[str, Any], code: str | None
) -> int:
    """Insert with the given code (taken → refused) or a fresh one (taken → draw again)."""
    for _ in range(20):
        statement = insert(merchant).values(currency_id=currency_id, code=code or new_code(), **row)
        statement = statement.on_conflict_do_nothing(index_elements=["currency_id", "code"])
        new_id = await session.scalar(statement.returning(merchant.c.id))
        if new_id is not None:
            return int(new_id)
        if code is not None:
            raise InvalidOperation(f"The shop code {code} is taken; choose another or leave it "
                                   "empty to have one made.")  # fmt: skip
    raise InvalidOperation("No free shop code was found; please try again.")


async def _by(
    session: AsyncSession, currency_id: int, which: sa.ColumnElement[bool], *, lock: bool = False
) -> Merchant:
    query = sa.select(merchant).where(merchant.c.currency_id == currency_id, which)
    row = (await session.execute(query.with_for_update() if lock else query)).mappings().first()
    if row is None:
        raise NotFound("There is no such shop in this city.")
    return _merchant(row)


def _merchant(row: sa.RowMapping) -> Merchant:
    return Merchant(
        id=row["id"], code=row["code"], name=row["name"], name_kana=row["name_kana"],
        district=row["district"], category=row["category"], tags=tuple(row["tags"]),
        is_public_body=row["is_public_body"], account_id=row["account_id"],
        status=row["status"], created_at=row["created_at"],
    )  # fmt: skip


async def _require_settled(session: AsyncSession, currency_id: int, shop: Merchant) -> None:
    held = await accounts.balance(session, currency_id=currency_id, account_id=shop.account_id)
    if held:
        raise InvalidOperation(
            f"{shop.name} still holds {held:,}. Settle it (pay it out) before closing the shop; "
            "suspend it meanwhile if it must stop taking payments."
        )
