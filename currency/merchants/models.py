"""Merchants: shops and city departments that take payments. Their balance is plain (no lots)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from currency.db.metadata import (
    created_at_column,
    currency_column,
    currency_fk,
    id_column,
    metadata,
)

merchant = sa.Table(
    "merchant",
    metadata,
    currency_column(),
    id_column(),
    sa.Column("code", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("name_kana", sa.Text),
    sa.Column("district", sa.Text, nullable=False),
    sa.Column("category", sa.Text, nullable=False),
    sa.Column("tags", pg.ARRAY(sa.Text), nullable=False, server_default="{}"),
    sa.Column("is_public_body", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("account_id", sa.BigInteger, nullable=False),
    sa.Column("status", sa.Text, nullable=False, server_default="active"),
    created_at_column(),
    currency_fk(["account_id"], "ledger_account.id"),
    sa.UniqueConstraint("currency_id", "code"),
    sa.UniqueConstraint("currency_id", "account_id"),
)
