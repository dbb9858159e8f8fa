"""sign-in state and one-time payment codes

Refresh tokens, rate-limit buckets, activation codes and passkeys; token versions for
residents and TOTP for staff; one-time payment codes (CPM tokens, dynamic MPM requests).

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "auth_rate_limit",
        sa.Column("currency_id", sa.SmallInteger(), nullable=False),
        sa.Column("bucket", sa.Text(), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hits", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["currency_id"], ["currency.id"], name=op.f("fk_auth_rate_limit_currency_id_currency")
        ),
        sa.PrimaryKeyConstraint(
            "currency_id", "bucket", "window_start", name=op.f("pk_auth_rate_limit")
        ),
    )
    op.create_table(
        "auth_refresh_token",
        sa.Column("currency_id", sa.SmallInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("family", sa.Text(), nullable=False),
        sa.Column("principal", sa.Text(), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(), nullable=False),
        sa.Column("token_version", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["currency_id"],
            ["currency.id"],
            name=op.f("fk_auth_refresh_token_currency_id_currency"),
        ),
        sa.PrimaryKeyConstraint("currency_id", "id", name=op.f("pk_auth_refresh_token")),
        sa.UniqueConstraint(
            "currency_id", "token_hash", name=op.f("uq_auth_refresh_token_currency_id_token_hash")
        ),
    )
    op.create_index(
        op.f("ix_auth_refresh_token_currency_id_family"),
        "auth_refresh_token",
        ["currency_id", "family"],
        unique=False,
    )
    op.create_index(
        op.f("ix_auth_refresh_token_currency_id_principal"),
        "auth_refresh_token",
        ["currency_id", "principal"],
        unique=False,
    )
    op.create_table(
        "payment_token",
        sa.Column("currency_id", sa.SmallInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("wallet_account_id", sa.BigInteger(), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("operation_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "(used_at IS NULL) = (operation_id IS NULL)",
            name=op.f("ck_payment_token_used_by_a_payment"),
        ),
        sa.ForeignKeyConstraint(
            ["currency_id", "operation_id"],
            ["ledger_operation.currency_id", "ledger_operation.id"],
            name=op.f("fk_payment_token_currency_id_operation_id_ledger_operation"),
        ),
        sa.ForeignKeyConstraint(
            ["currency_id", "wallet_account_id"],
            ["ledger_account.currency_id", "ledger_account.id"],
            name=op.f("fk_payment_token_currency_id_wallet_account_id_ledger_account"),
        ),
        sa.ForeignKeyConstraint(
            ["currency_id"], ["currency.id"], name=op.f("fk_payment_token_currency_id_currency")
        ),
        sa.PrimaryKeyConstraint("currency_id", "id", name=op.f("pk_payment_token")),
        sa.UniqueConstraint(
            "currency_id", "token_hash", name=op.f("uq_payment_token_currency_id_token_hash")
        ),
    )
    op.create_table(
        "auth_passkey",
        sa.Column("currency_id", sa.SmallInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("resident_id", sa.BigInteger(), nullable=False),
        sa.Column("credential_id", sa.LargeBinary(), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("sign_count", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("transports", postgresql.ARRAY(sa.Text()), nullable=True),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["currency_id", "resident_id"],
            ["resident.currency_id", "resident.id"],
            name=op.f("fk_auth_passkey_currency_id_resident_id_resident"),
        ),
        sa.ForeignKeyConstraint(
            ["currency_id"], ["currency.id"], name=op.f("fk_auth_passkey_currency_id_currency")
        ),
        sa.PrimaryKeyConstraint("currency_id", "id", name=op.f("pk_auth_passkey")),
        sa.UniqueConstraint(
            "currency_id", "credential_id", name=op.f("uq_auth_passkey_currency_id_credential_id")
        ),
    )
    op.create_table(
        "auth_activation",
        sa.Column("currency_id", sa.SmallInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("resident_id", sa.BigInteger(), nullable=False),
        sa.Column("code_hash", sa.LargeBinary(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["currency_id", "created_by"],
            ["app_user.currency_id", "app_user.id"],
            name=op.f("fk_auth_activation_currency_id_created_by_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["currency_id", "resident_id"],
            ["resident.currency_id", "resident.id"],
            name=op.f("fk_auth_activation_currency_id_resident_id_resident"),
        ),
        sa.ForeignKeyConstraint(
            ["currency_id"], ["currency.id"], name=op.f("fk_auth_activation_currency_id_currency")
        ),
        sa.PrimaryKeyConstraint("currency_id", "id", name=op.f("pk_auth_activation")),
        sa.UniqueConstraint(
            "currency_id", "code_hash", name=op.f("uq_auth_activation_currency_id_code_hash")
        ),
    )
    op.create_table(
        "payment_request",
        sa.Column("currency_id", sa.SmallInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("merchant_id", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("nonce", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("operation_id", sa.BigInteger(), nullable=True),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "(used_at IS NULL) = (operation_id IS NULL)",
            name=op.f("ck_payment_request_used_by_a_payment"),
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_payment_request_positive_amount")),
        sa.ForeignKeyConstraint(
            ["currency_id", "created_by"],
            ["app_user.currency_id", "app_user.id"],
            name=op.f("fk_payment_request_currency_id_created_by_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["currency_id", "merchant_id"],
            ["merchant.currency_id", "merchant.id"],
            name=op.f("fk_payment_request_currency_id_merchant_id_merchant"),
        ),
        sa.ForeignKeyConstraint(
            ["currency_id", "operation_id"],
            ["ledger_operation.currency_id", "ledger_operation.id"],
            name=op.f("fk_payment_request_currency_id_operation_id_ledger_operation"),
        ),
        sa.ForeignKeyConstraint(
            ["currency_id"], ["currency.id"], name=op.f("fk_payment_request_currency_id_currency")
        ),
        sa.PrimaryKeyConstraint("currency_id", "id", name=op.f("pk_payment_request")),
        sa.UniqueConstraint(
            "currency_id", "nonce", name=op.f("uq_payment_request_currency_id_nonce")
        ),
    )
    op.add_column("app_user", sa.Column("totp_secret_sealed", sa.LargeBinary(), nullable=True))
    op.add_column(
        "app_user", sa.Column("totp_enabled_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "resident", sa.Column("token_version", sa.Integer(), server_default="0", nullable=False)
    )


def downgrade() -> None:
    op.drop_column("resident", "token_version")
    op.drop_column("app_user", "totp_enabled_at")
    op.drop_column("app_user", "totp_secret_sealed")
    op.drop_table("payment_request")
    op.drop_table("auth_activation")
    op.drop_table("auth_passkey")
    op.drop_table("payment_token")
    op.drop_index(
        op.f("ix_auth_refresh_token_currency_id_principal"), table_name="auth_refresh_token"
    )
    op.drop_index(op.f("ix_auth_refresh_token_currency_id_family"), table_name="auth_refresh_token")
    op.drop_table("auth_refresh_token")
    op.drop_table("auth_rate_limit")
