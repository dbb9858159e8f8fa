"""The city office's records in a town (this module holds no tests): the owner's refund PIN,
residents' cards and passkeys, an attendance event, and a settled period whose payout files
can be downloaded (each shop with sales has a bank account).

Settling pays each shop's takings out, so afterwards A pays X once more: X can still refund.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from currency.auth.models import passkey
from currency.issuance import events
from currency.merchants import users
from currency.residents import cards
from currency.settings import Settings
from currency.settlement import bank
from currency.settlement import service as settlements
from tests.currency.auth.support import PASSWORD
from tests.currency.issuance.test_grants import open_programme
from tests.currency.settlement.test_settlement_service import period_of_sales
from tests.factories import Books

OWNER_PIN = "390417"  # X's owner's refund PIN: X's clerk refunds with it
EVENT = "番匠川 河川敷清掃"
HOLDERS = {
    "X": "カ)サイキセンギヨテン",
    "Y": "カ)カマエシヨウテン",
    "Z-shop": "カ)カミウラシヨクドウ",
}


@dataclass(frozen=True)
class Payee:
    label: str  # whose shop ("X")
    id: int  # the merchant's id
    holder_kana: str  # the account holder, as the bank file writes it


async def set_owner_pin(books: Books, owner_id: int) -> None:
    await users.set_owner_pin(
        books.session, currency_id=books.currency_id, user_id=owner_id,
        current_password=PASSWORD, pin=OWNER_PIN, now=datetime.now(UTC),
    )  # fmt: skip


async def issue_card(books: Books, number: str, settings: Settings) -> str:
    """A new card for the resident; its printed number."""
    card = await cards.issue_card(
        books.session, currency_id=books.currency_id, resident_number=number,
        staff_id=await books.staff(), secret=settings.secret_key,
    )  # fmt: skip
    return card.printed_number


async def add_passkey(books: Books, resident_id: int) -> int:
    """A stored passkey of the resident (its keys are never used here); its id."""
    made = await books.session.scalar(
        sa.insert(passkey)
        .values(
            currency_id=books.currency_id,
            resident_id=resident_id,
            credential_id=secrets.token_bytes(32),
            public_key=secrets.token_bytes(77),
            name="iPhone",
        )
        .returning(passkey.c.id)
    )
    assert made is not None
    return int(made)


async def open_event(books: Books, settings: Settings) -> int:
    """A river clean-up under the "clean" programme, open now; its id."""
    await open_programme(books)
    now = datetime.now(UTC)
    made = await events.create_event(
        books.session, currency_id=books.currency_id, programme_code="clean",
        activity_code="cleanup", name=EVENT, starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=3), staff_id=await books.staff(),
        secret=settings.secret_key, now=now,
    )  # fmt: skip
    return made.id


async def settle(
    books: Books, payees: Iterable[Payee], settings: Settings
) -> tuple[date, dict[int, settlements.Settlement]]:
    """Bank accounts for the payees, then every active shop settled for the period of the
    latest sales (as if an hour after it closed): the period, and merchant id → settlement."""
    staff_id = await books.staff()
    for n, payee in enumerate(payees, start=1):
        await bank.set_account(
            books.session, currency_id=books.currency_id, merchant_id=payee.id,
            bank_code="0177", bank_name_kana="フクオカ", branch_code="123",
            branch_name_kana="サイキ", account_type=1, account_number=f"100000{n}",
            holder_kana=payee.holder_kana, staff_id=staff_id, secret=settings.secret_key,
        )  # fmt: skip
    period, after_close = await period_of_sales(books)
    done = await settlements.settle_all(
        books.session, currency_id=books.currency_id, period_end=period,
        actor=f"staff:{staff_id}", now=after_close,
    )  # fmt: skip
    return period, {s.merchant_id: s for s in done}
