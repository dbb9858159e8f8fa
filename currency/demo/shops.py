"""The demo's shops, and the bank accounts their sales are paid out to.

Shops are inserted directly (there is no merchant enrolment service yet); their bank
accounts go through ``currency.settlement.bank``, sealed as staff would enter them.
Every bank detail is invented: one bank, a branch per district, account numbers
``99000NN``. No payout is made in the demo itself: all demo sales are today's, after the
last cut-off, so ``meguri settle`` finds them once the next cut-off (the 10th or the
25th) has passed, and can write a payout file with these accounts.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from currency.demo import data
from currency.demo.people import new_merchant_code, unique
from currency.demo.town import ShopRow
from currency.ledger import accounts
from currency.merchants.models import merchant
from currency.settlement import bank
from currency.settlement.zengin import AccountType

BANK_CODE = "0184"
BANK_NAME = "ｵｵｲﾀ"


async def add_shops(session: AsyncSession, currency_id: int) -> dict[str, ShopRow]:
    rows: dict[str, ShopRow] = {}
    codes: set[str] = set()
    for shop in data.SHOPS:
        account_id = await accounts.open_account(session, currency_id=currency_id, kind="merchant")
        code = unique(new_merchant_code, codes)
        merchant_id = await session.scalar(
            sa.insert(merchant)
            .values(
                currency_id=currency_id,
                code=code,
                name=shop.name,
                name_kana=shop.kana,
                district=shop.district,
                category=shop.category,
                tags=list(shop.tags),
                is_public_body=shop.public_body,
                account_id=account_id,
            )
            .returning(merchant.c.id)
        )
        assert merchant_id is not None
        rows[shop.key] = ShopRow(shop, merchant_id, account_id, code)
    return rows


async def open_bank_accounts(
    session: AsyncSession,
    *,
    currency_id: int,
    shops: dict[str, ShopRow],
    staff_id: int,
    secret: bytes,
) -> None:
    """Every shop's payout account, at the branch of its district."""
    for n, row in enumerate(shops.values(), start=1):
        shop = row.shop
        await bank.set_account(
            session,
            currency_id=currency_id,
            merchant_id=row.id,
            bank_code=BANK_CODE,
            bank_name_kana=BANK_NAME,
            branch_code=f"{data.DISTRICT_CODES[shop.district] + 1:03d}",
            branch_name_kana=data.DISTRICT_KANA[shop.district],
            account_type=AccountType.CURRENT if shop.public_body else AccountType.ORDINARY,
            account_number=f"{9_900_000 + n:07d}",
            holder_kana=shop.holder or shop.kana,
            staff_id=staff_id,
            secret=secret,
        )
