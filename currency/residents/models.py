"""Residents and their printed QR cards. Personal data kept to what the service needs."""

from __future__ import annotations

import sqlalchemy as sa

from currency.db.metadata import (
    created_at_column,
    currency_column,
    currency_fk,
    id_column,
    metadata,
)

resident = sa.Table(
    "resident",
    metadata,
    currency_column(),
    id_column(),
    sa.Column("resident_number", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("name_kana", sa.Text),
    sa.Column("district", sa.Text, nullable=False),
    sa.Column("birth_year", sa.SmallInteger),
    sa.Column("verification_level", sa.SmallInteger, nullable=False, server_default="1"),
    sa.Column("has_smartphone", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("pin_hash", sa.Text),
    sa.Column("pin_failures", sa.SmallInteger, nullable=False, server_default="0"),
    sa.Column("wallet_account_id", sa.BigInteger, nullable=False),
    sa.Column("status", sa.Text, nullable=False, server_default="active"),
    # Raised by a block or a PIN reset: tokens issued before stop working at once.
    sa.Column("token_version", sa.Integer, nullable=False, server_default="0"),
    created_at_column(),
    currency_fk(["wallet_account_id"], "ledger_account.id"),
    sa.UniqueConstraint("currency_id", "resident_number"),
    sa.UniqueConstraint("currency_id", "wallet_account_id"),
)

card = sa.Table(
    "card",
    metadata,
    currency_column(),
    id_column(),
    sa.Column("resident_id", sa.BigInteger, nullable=False),
    sa.Column("card_number", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False, server_default="active"),
    sa.Column("blocked_at", sa.DateTime(timezone=True)),
    sa.Column("block_reason", sa.Text),
    sa.Column("replaces_card_id", sa.BigInteger),  # the card this one was issued instead of
    created_at_column(),
    currency_fk(["resident_id"], "resident.id"),
    currency_fk(["replaces_card_id"], "card.id"),
    sa.CheckConstraint("(status = 'active') = (blocked_at IS NULL)", name="blocked_when"),
    sa.CheckConstraint("status IN ('active', 'blocked', 'replaced')", name="status"),
    sa.UniqueConstraint("currency_id", "card_number"),
    sa.Index(  # one card in use per resident
        "uq_card_one_active_per_resident",
        "currency_id",
        "resident_id",
        unique=True,
        postgresql_where=sa.text("status = 'active'"),
    ),
)
