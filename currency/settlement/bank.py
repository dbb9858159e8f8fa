"""Merchants' bank accounts, where their settlements are paid.

The account number and the holder's name are sealed at rest with AES-256-GCM: a bank
account is what a fraudster changes to divert a shop's money, and the number with the
name is personal data for a sole trader. Each value gets its own random 96-bit nonce and
is bound by associated data to its currency, merchant and field, so a sealed value
copied to another merchant's row (or into the other column) does not open. The key is
derived from ``Settings.secret_key`` with HKDF-SHA256 (see currency/sealing.py);
``key_id`` names the derivation, so a later version can be introduced and old rows
re-sealed.

Bank, branch and account type stay readable: they are not personal, and staff look for
"every merchant paid through ｵｵｲﾀ" without opening anything. Input is checked as the
bank file will check it (:func:`zengin.normalized_payee`) and names are stored already
converted to the bank character set. The audit record shows only the last four digits.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from currency import sealing
from currency.audit import service as audit
from currency.errors import InvalidOperation, NotFound, StoredDataUnreadable
from currency.merchants.models import merchant
from currency.settlement import zengin
from currency.settlement.models import bank_account

KEY_ID = sealing.KEY_ID
HKDF_INFO = b"meguri/bank-account/v1"
SEALED_FIELDS = ("account_number", "holder_kana")


class BankAccountUnreadable(StoredDataUnreadable):
    """A stored bank account does not open: altered, moved from another row, or sealed
    with another key. Nobody can be paid from it until staff enter the account again."""


@dataclass(frozen=True, slots=True)
class BankAccount:
    """A merchant's bank account, opened."""

    merchant_id: int
    bank_code: str
    bank_name_kana: str
    branch_code: str
    branch_name_kana: str
    account_type: zengin.AccountType
    account_number: str
    holder_kana: str
    updated_at: datetime

    @property
    def masked_number(self) -> str:
        return mask(self.account_number)

    def payee(self, *, amount: int, customer_code: str = "") -> zengin.Payee:
        """This account as the receiver of a transfer of ``amount`` yen."""
        return zengin.Payee(
            bank_code=self.bank_code,
            bank_name_kana=self.bank_name_kana,
            branch_code=self.branch_code,
            branch_name_kana=self.branch_name_kana,
            account_type=self.account_type,
            account_number=self.account_number,
            name_kana=self.holder_kana,
            amount=amount,
            customer_code=customer_code,
        )


def mask(account_number: str) -> str:
    """Only the last four digits: enough for a person to recognise the account."""
    return "*" * max(0, len(account_number) - 4) + account_number[-4:]


async def set_account(
    session: AsyncSession,
    *,
    currency_id: int,
    merchant_id: int,
    bank_code: str,
    bank_name_kana: str,
    branch_code: str,
    branch_name_kana: str,
    account_type: int,
    account_number: str,
    holder_kana: str,
    staff_id: int,
    secret: bytes,
) -> BankAccount:
    """Record (or replace) the account a merchant is paid to; audited, number masked."""
    code = await _merchant_code(session, currency_id, merchant_id)
    payee = _checked(
        zengin.Payee(
            bank_code=_digits(bank_code),
            bank_name_kana=bank_name_kana,
            branch_code=_digits(branch_code),
            branch_name_kana=branch_name_kana,
            account_type=_account_type(account_type),
            account_number=_digits(account_number),
            name_kana=holder_kana,
            amount=1,  # checked like a transfer; the amount is not stored
        )
    )
    before = await _previous(session, currency_id, merchant_id, secret)
    await _upsert(session, currency_id, merchant_id, payee, secret)
    stored = await get_account(
        session, currency_id=currency_id, merchant_id=merchant_id, secret=secret
    )
    await audit.record(
        session,
        currency_id=currency_id,
        actor=f"staff:{staff_id}",
        action="bank_account.set",
        target=f"merchant:{code}",
        before=before,
        after=_summary(stored),
    )
    return stored


async def get_account(
    session: AsyncSession, *, currency_id: int, merchant_id: int, secret: bytes
) -> BankAccount:
    """The merchant's account, opened; NotFound when none is on file."""
    t = bank_account
    query = sa.select(t).where(t.c.currency_id == currency_id, t.c.merchant_id == merchant_id)
    row = (await session.execute(query)).mappings().first()
    if row is None:
        raise NotFound(f"merchant {merchant_id} has no bank account on file")
    return _opened(row, secret)


# --- sealing ----------------------------------------------------------------------------


def _bound_to(currency_id: int, merchant_id: int, field: str) -> bytes:
    return sealing.bound_to(currency=currency_id, merchant=merchant_id, field=field)


def _seal(secret: bytes, value: str, *, currency_id: int, merchant_id: int, field: str) -> bytes:
    """nonce ‖ ciphertext ‖ tag of ``value``, bound to its merchant and field."""
    aad = _bound_to(currency_id, merchant_id, field)
    return sealing.seal(secret, value.encode(), info=HKDF_INFO, aad=aad)


def _open(secret: bytes, row: sa.RowMapping, field: str) -> str:
    if row["key_id"] != KEY_ID:
        raise BankAccountUnreadable(
            f"bank accounts sealed with key {row['key_id']!r} cannot be opened"
        )
    aad = _bound_to(row["currency_id"], row["merchant_id"], field)
    try:
        plain = sealing.open_sealed(secret, row[f"{field}_sealed"], info=HKDF_INFO, aad=aad)
    except StoredDataUnreadable:
        raise BankAccountUnreadable(
            f"The bank account of merchant {row['merchant_id']} does not open: it was altered, "
            "copied from another merchant or sealed with another key. Enter it again from "
            "the merchant's bank documents."
        ) from None
    return plain.decode()


def _opened(row: sa.RowMapping, secret: bytes) -> BankAccount:
    return BankAccount(
        merchant_id=row["merchant_id"],
        bank_code=row["bank_code"],
        bank_name_kana=row["bank_name_kana"],
        branch_code=row["branch_code"],
        branch_name_kana=row["branch_name_kana"],
        account_type=zengin.AccountType(row["account_type"]),
        account_number=_open(secret, row, "account_number"),
        holder_kana=_open(secret, row, "holder_kana"),
        updated_at=row["updated_at"],
    )


# --- checking and storing ---------------------------------------------------------------


def _digits(value: str) -> str:
    """Full-width digits (as typed on a Japanese keyboard) become ASCII; spaces go."""
    return unicodedata.normalize("NFKC", value).replace(" ", "").replace("-", "")


def _account_type(value: int) -> zengin.AccountType:
    try:
        return zengin.AccountType(value)
    except ValueError:
        raise InvalidOperation(
            f"The account type must be 1 (普通), 2 (当座), 4 (貯蓄) or 9 (その他), not {value!r}."
        ) from None


def _checked(payee: zengin.Payee) -> zengin.Payee:
    try:
        return zengin.normalized_payee(payee)
    except zengin.PayoutFileError as error:
        detail = str(error).removeprefix(f"payee 1 ({payee.name_kana!r}): ")  # there is one
        raise InvalidOperation(
            f"This bank account cannot receive transfers: {detail}. Bank codes have 4 digits, "
            "branch codes 3, account numbers 7; names are given in kana."
        ) from None


async def _merchant_code(session: AsyncSession, currency_id: int, merchant_id: int) -> str:
    code = await session.scalar(
        sa.select(merchant.c.code).where(
            merchant.c.currency_id == currency_id, merchant.c.id == merchant_id
        )
    )
    if code is None:
        raise NotFound(f"merchant {merchant_id} does not exist")
    return str(code)


async def _previous(
    session: AsyncSession, currency_id: int, merchant_id: int, secret: bytes
) -> dict[str, Any] | None:
    """The account being replaced, for the audit record (locked until the change commits)."""
    t = bank_account
    row = (
        (
            await session.execute(
                sa.select(t)
                .where(t.c.currency_id == currency_id, t.c.merchant_id == merchant_id)
                .with_for_update()
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        return None
    try:
        return _summary(_opened(row, secret))
    except BankAccountUnreadable:
        return {"bank_code": row["bank_code"], "account_number": "unreadable"}


async def _upsert(
    session: AsyncSession, currency_id: int, merchant_id: int, payee: zengin.Payee, secret: bytes
) -> None:
    def sealed(value: str, field: str) -> bytes:
        return _seal(secret, value, currency_id=currency_id, merchant_id=merchant_id, field=field)

    values = {
        "bank_code": payee.bank_code,
        "bank_name_kana": payee.bank_name_kana,
        "branch_code": payee.branch_code,
        "branch_name_kana": payee.branch_name_kana,
        "account_type": int(payee.account_type),
        "account_number_sealed": sealed(payee.account_number, "account_number"),
        "holder_kana_sealed": sealed(payee.name_kana, "holder_kana"),
        "key_id": KEY_ID,
    }
    statement = insert(bank_account).values(
        currency_id=currency_id, merchant_id=merchant_id, **values
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["currency_id", "merchant_id"],
            set_={**values, "updated_at": sa.func.now()},
        )
    )


def _summary(account: BankAccount) -> dict[str, Any]:
    """What the audit log may hold: never the full number, and only a hint of the name."""
    holder = account.holder_kana
    return {
        "bank_code": account.bank_code,
        "bank_name_kana": account.bank_name_kana,
        "branch_code": account.branch_code,
        "branch_name_kana": account.branch_name_kana,
        "account_type": int(account.account_type),
        "account_number": account.masked_number,
        "holder_kana": holder[:1] + "*" * (len(holder) - 1),
    }
