"""WebAuthn challenges, browser sessions and a shop owner's PIN

A passkey ceremony keeps its challenge (hashed, single use) between the options and the
answer; the pages keep a browser session (opaque cookie, stored hashed, with its CSRF
secret); a shop owner may set a PIN that lets a clerk's refund through.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def _created_at() -> sa.Column[object]:
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def _keys(table: str) -> list[sa.Constraint]:
    return [
        sa.ForeignKeyConstraint(
            ["currency_id"], ["currency.id"], name=op.f(f"fk_{table}_currency_id_currency")
        ),
        sa.PrimaryKeyConstraint("currency_id", "id", name=op.f(f"pk_{table}")),
    ]


def upgrade() -> None:
    op.add_column("app_user", sa.Column("pin_hash", sa.Text(), nullable=True))
    op.create_table(
        "auth_challenge",
        sa.Column("currency_id", sa.SmallInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("principal", sa.Text(), nullable=True),
        sa.Column("challenge_hash", sa.LargeBinary(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        _created_at(),
        *_keys("auth_challenge"),
        sa.UniqueConstraint(
            "currency_id",
            "challenge_hash",
            name=op.f("uq_auth_challenge_currency_id_challenge_hash"),
        ),
    )
    op.create_table(
        "auth_web_session",
        sa.Column("currency_id", sa.SmallInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("principal", sa.Text(), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(), nullable=False),
        sa.Column("csrf_hash", sa.LargeBinary(), nullable=False),
        sa.Column("token_version", sa.Integer(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        _created_at(),
        *_keys("auth_web_session"),
        sa.UniqueConstraint(
            "currency_id", "token_hash", name=op.f("uq_auth_web_session_currency_id_token_hash")
        ),
    )
    op.create_index(
        op.f("ix_auth_web_session_currency_id_principal"),
        "auth_web_session",
        ["currency_id", "principal"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_auth_web_session_currency_id_principal"), "auth_web_session")
    op.drop_table("auth_web_session")
    op.drop_table("auth_challenge")
    op.drop_column("app_user", "pin_hash")
