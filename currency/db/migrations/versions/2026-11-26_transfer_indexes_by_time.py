"""transfers indexed by account and time

Today's spending of a wallet (wallet limits) and a merchant's receipts up to a cut-off
(settlement) read one account's transfers in a time range; the account indexes gain
created_at so they stop at the range instead of reading the account's whole history.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for side in ("debit", "credit"):
        op.drop_index(f"ix_ledger_transfer_currency_id_{side}_account_id", "ledger_transfer")
        op.create_index(
            f"ix_ledger_transfer_currency_id_{side}_account_id_created_at",
            "ledger_transfer",
            ["currency_id", f"{side}_account_id", "created_at"],
        )


def downgrade() -> None:
    for side in ("debit", "credit"):
        op.drop_index(
            f"ix_ledger_transfer_currency_id_{side}_account_id_created_at", "ledger_transfer"
        )
        op.create_index(
            f"ix_ledger_transfer_currency_id_{side}_account_id",
            "ledger_transfer",
            ["currency_id", f"{side}_account_id"],
        )
