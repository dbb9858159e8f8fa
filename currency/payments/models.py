"""One-time payment codes: a resident's code shown at the till (CPM) and a shop's code
for a fixed amount (dynamic MPM). Stored hashed or signed; used once, inside the
payment's own transaction, so a copy can never pay twice."""

from __future__ import annotations

import sqlalchemy as sa

from currency.db.metadata import (
    created_at_column,
    currency_column,
    currency_fk,
    id_column,
    metadata,
)

payment_token = sa.Table(
    "payment_token",
    metadata,
    currency_column(),
    id_column(),
    sa.Column("wallet_account_id", sa.BigInteger, nullable=False),
    sa.Column("token_hash", sa.LargeBinary, nullable=False),  # sha256 of the 128-bit token
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("used_at", sa.DateTime(timezone=True)),
    sa.Column("operation_id", sa.BigInteger),
    created_at_column(),
    currency_fk(["wallet_account_id"], "ledger_account.id"),
    currency_fk(["operation_id"], "ledger_operation.id"),
    sa.UniqueConstraint("currency_id", "token_hash"),
    sa.CheckConstraint("(used_at IS NULL) = (operation_id IS NULL)", name="used_by_a_payment"),
)

payment_request = sa.Table(
    "payment_request",
    metadata,
    currency_column(),
    id_column(),
    sa.Column("merchant_id", sa.BigInteger, nullable=False),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("nonce", sa.Text, nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("used_at", sa.DateTime(timezone=True)),
    sa.Column("operation_id", sa.BigInteger),
    sa.Column("created_by", sa.BigInteger, nullable=False),
    created_at_column(),
    currency_fk(["merchant_id"], "merchant.id"),
    currency_fk(["operation_id"], "ledger_operation.id"),
    currency_fk(["created_by"], "app_user.id"),
    sa.CheckConstraint("amount > 0", name="positive_amount"),
    sa.CheckConstraint("(used_at IS NULL) = (operation_id IS NULL)", name="used_by_a_payment"),
    sa.UniqueConstraint("currency_id", "nonce"),
)
