"""The demo's shops, and the bank accounts their sales are paid out to.

Shops are onboarded through ``currency.merchants.service`` (audited, codes made there);
their bank accounts go through ``currency.settlement.bank``, sealed as staff would enter
them.
Every bank detail is invented: one bank, a branch per district, account numbers
``99000NN``. No payout is made in the demo itself: all demo sales are today's, after the
last cut-off, so ``meguri settle`` finds them once the next cut-off (the 10th or the
25th) has passed, and can write a payout file with these accounts.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from currency.demo import data
from currency.demo.town import ShopRow
from currency.merchants import service as merchants
from currency.settlement import bank
from currency.settlement.zengin import AccountType

BANK_CODE = "0184"
BANK_NAME = "ｵｵｲﾀ"
ACTOR = "system:demo"


async def add_shops(session: AsyncSession, currency_id: int) -> dict[str, ShopRow]:
    """Every demo shop, onboarded as city staff would (each with its ledger account)."""
    rows: dict[str, ShopRow] = {}
    for shop in data.SHOPS:
        made = await merchants.onboard(
            session, currency_id=currency_id, name=shop.name, name_kana=shop.kana,
            district=shop.district, category=shop.category, tags=shop.tags,
            public_body=shop.public_body, actor=ACTOR, now=datetime.now(UTC),
        )  # fmt: skip
        rows[shop.key] = ShopRow(shop, made.id, made.account_id, made.code)
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
