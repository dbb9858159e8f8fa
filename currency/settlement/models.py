"""Settlements (a merchant's balance up to a cut-off, paid out in yen) and the bank
accounts they are paid to (account number and holder name encrypted at rest)."""

from __future__ import annotations

import sqlalchemy as sa

from currency.db.metadata import (
    created_at_column,
    currency_column,
    currency_fk,
    id_column,
    metadata,
)

settlement = sa.Table(
    "settlement",
    metadata,
    currency_column(),
    id_column(),
    sa.Column("merchant_id", sa.BigInteger, nullable=False),
    sa.Column("period_start", sa.Date, nullable=False),
    sa.Column("period_end", sa.Date, nullable=False),  # the cut-off day, included
    sa.Column("amount", sa.BigInteger, nullable=False),  # taken from the merchant
    sa.Column("fee_rate_bp", sa.Integer, nullable=False),
    sa.Column("fee", sa.BigInteger, nullable=False),
    sa.Column("payout", sa.BigInteger, nullable=False),  # amount - fee, in yen
    sa.Column("payout_on", sa.Date, nullable=False),
    sa.Column("operation_id", sa.BigInteger),  # none for a zero settlement
    sa.Column("created_by", sa.Text, nullable=False),
    created_at_column(),
    currency_fk(["merchant_id"], "merchant.id"),
    currency_fk(["operation_id"], "ledger_operation.id"),
    sa.CheckConstraint("period_end >= period_start", name="period"),
    sa.CheckConstraint(
        "amount >= 0 AND fee >= 0 AND payout = amount - fee AND payout >= 0", name="amounts"
    ),
    sa.UniqueConstraint("currency_id", "merchant_id", "period_end"),
)

bank_account = sa.Table(
    "merchant_bank_account",
    metadata,
    currency_column(),
    sa.Column("merchant_id", sa.BigInteger, primary_key=True),
    sa.Column("bank_code", sa.Text, nullable=False),
    sa.Column("bank_name_kana", sa.Text, nullable=False),
    sa.Column("branch_code", sa.Text, nullable=False),
    sa.Column("branch_name_kana", sa.Text, nullable=False),
    sa.Column("account_type", sa.SmallInteger, nullable=False),
    sa.Column("account_number_sealed", sa.LargeBinary, nullable=False),
    sa.Column("holder_kana_sealed", sa.LargeBinary, nullable=False),
    sa.Column("key_id", sa.Text, nullable=False),
    sa.Column(
        "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
    currency_fk(["merchant_id"], "merchant.id"),
)

APPEND_ONLY_TABLES = ("settlement",)
