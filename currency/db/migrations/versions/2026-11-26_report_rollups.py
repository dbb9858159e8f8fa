"""daily report rollups and their high-water mark

``report_daily`` holds the ledger's daily aggregates (issued, spent, refunded, sent,
settled, expired …) by value kind, programme, merchant category, district and age band;
``report_rollup_mark`` remembers up to which chain sequence they were folded in.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_KEY = ("day", "measure", "value_kind", "programme_id", "category", "district", "age_band")


def _currency_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["currency_id"], ["currency.id"], name=op.f(f"fk_{table}_currency_id_currency")
    )


def upgrade() -> None:
    op.create_table(
        "report_daily",
        sa.Column("currency_id", sa.SmallInteger(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("measure", sa.Text(), nullable=False),
        sa.Column("value_kind", sa.Text(), nullable=False),
        sa.Column("programme_id", sa.BigInteger(), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("district", sa.Text(), nullable=False),
        sa.Column("age_band", sa.Text(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        _currency_fk("report_daily"),
        sa.PrimaryKeyConstraint("currency_id", *_KEY, name=op.f("pk_report_daily")),
    )
    op.create_table(
        "report_rollup_mark",
        sa.Column("currency_id", sa.SmallInteger(), nullable=False),
        sa.Column("last_sequence", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column(
            "refreshed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        _currency_fk("report_rollup_mark"),
        sa.PrimaryKeyConstraint("currency_id", name=op.f("pk_report_rollup_mark")),
    )


def downgrade() -> None:
    op.drop_table("report_rollup_mark")
    op.drop_table("report_daily")
