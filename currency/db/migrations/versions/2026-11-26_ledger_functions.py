"""ledger write path: ledger_begin and ledger_post

One round trip to lock and read, one to write. See currency/ledger/sql.py.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from alembic import op

from currency.ledger import sql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for statement in sql.FUNCTIONS_V1:
        op.execute(statement)
    op.execute(
        "CREATE INDEX ix_ledger_operation_refund_of ON ledger_operation "
        "(currency_id, ((details->>'refund_of')::bigint)) WHERE kind = 'refund'"
    )


def downgrade() -> None:
    op.execute("DROP INDEX ix_ledger_operation_refund_of")
    op.execute("DROP FUNCTION ledger_post(smallint, jsonb)")
    op.execute("DROP FUNCTION ledger_begin(smallint, text, text, bytea, bigint[], bigint[])")
