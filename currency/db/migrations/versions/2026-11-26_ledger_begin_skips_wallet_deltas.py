"""ledger_begin: no balance-delta sum for wallets

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

from currency.ledger import sql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(sql.LEDGER_BEGIN_V2)


def downgrade() -> None:
    op.execute(sql.LEDGER_BEGIN_V1.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION"))
