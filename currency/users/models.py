"""Sign-in users: city staff and merchant owners/clerks (residents sign in with their PIN)."""

from __future__ import annotations

import sqlalchemy as sa

from currency.db.metadata import (
    created_at_column,
    currency_column,
    currency_fk,
    id_column,
    metadata,
)

ROLES = ("city_staff", "city_admin", "city_auditor", "merchant_owner", "merchant_clerk")

user = sa.Table(
    "app_user",
    metadata,
    currency_column(),
    id_column(),
    sa.Column("username", sa.Text, nullable=False),
    sa.Column("display_name", sa.Text, nullable=False),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("merchant_id", sa.BigInteger),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("token_version", sa.Integer, nullable=False, server_default="0"),
    sa.Column("totp_secret_sealed", sa.LargeBinary),  # AES-GCM, like bank accounts
    sa.Column("totp_enabled_at", sa.DateTime(timezone=True)),
    sa.Column("status", sa.Text, nullable=False, server_default="active"),
    # A shop owner's PIN (argon2): lets a clerk's refund through on the owner's word.
    sa.Column("pin_hash", sa.Text),
    created_at_column(),
    currency_fk(["merchant_id"], "merchant.id"),
    sa.CheckConstraint(f"role IN ({', '.join(repr(r) for r in ROLES)})", name="role"),
    sa.CheckConstraint(
        "(role LIKE 'merchant_%') = (merchant_id IS NOT NULL)", name="merchant_roles_have_a_shop"
    ),
    sa.UniqueConstraint("currency_id", "username"),
)
