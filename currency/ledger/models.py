"""Ledger tables. Transfers, operations, lot movements and chain links are append-only.

Balances of wallets and lot remainders are caches that ``verify`` recomputes from
transfers and movements. Plain accounts (merchants and system accounts) receive
insert-only balance deltas so that no payment queues on a hot account row.
"""

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

WALLET = "wallet"
MERCHANT = "merchant"
SYSTEM_KINDS = ("issued", "granted", "redeemed", "expired", "fees", "suspense")
ACCOUNT_KINDS = (WALLET, MERCHANT, *SYSTEM_KINDS)
LOT_KINDS = ("coin", "point")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


currency = sa.Table(
    "currency",
    metadata,
    sa.Column("id", sa.SmallInteger, sa.Identity(always=False), primary_key=True),
    sa.Column("code", sa.Text, nullable=False, unique=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("coin_unit", sa.Text, nullable=False),
    sa.Column("point_unit", sa.Text, nullable=False),
    sa.Column("timezone", sa.Text, nullable=False, server_default="Asia/Tokyo"),
    created_at_column(),
)

account = sa.Table(
    "ledger_account",
    metadata,
    currency_column(),
    id_column(),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("code", sa.Text),
    sa.Column("programme_id", sa.BigInteger),
    sa.Column("status", sa.Text, nullable=False, server_default="open"),
    sa.Column("balance", sa.BigInteger, nullable=False, server_default="0"),
    created_at_column(),
    sa.CheckConstraint(_in("kind", ACCOUNT_KINDS), name="kind"),
    sa.CheckConstraint(_in("status", ("open", "blocked", "closed")), name="status"),
    sa.CheckConstraint(
        f"balance >= 0 OR {_in('kind', SYSTEM_KINDS)}", name="no_negative_wallet_or_merchant"
    ),
    sa.UniqueConstraint("currency_id", "code"),
)

balance_delta = sa.Table(
    "ledger_balance_delta",
    metadata,
    currency_column(references=False),
    id_column(),
    sa.Column("account_id", sa.BigInteger, nullable=False),
    sa.Column("amount", sa.BigInteger, nullable=False),
    currency_fk(["account_id"], "ledger_account.id"),
    sa.CheckConstraint("amount <> 0", name="nonzero"),
    sa.Index(None, "currency_id", "account_id"),
)

operation = sa.Table(
    "ledger_operation",
    metadata,
    currency_column(references=False),
    id_column(),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("reason", sa.Text),
    sa.Column("idempotency_key", sa.Text),
    sa.Column("reverses_operation_id", sa.BigInteger),
    sa.Column("details", pg.JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    created_at_column(),
    currency_fk(["reverses_operation_id"], "ledger_operation.id"),
    sa.UniqueConstraint("currency_id", "reverses_operation_id"),
    sa.Index(  # the refunds of a payment (currency/ledger/history.py)
        "ix_ledger_operation_refund_of",
        "currency_id",
        sa.text("((details ->> 'refund_of')::bigint)"),
        postgresql_where=sa.text("kind = 'refund'"),
    ),
)

transfer = sa.Table(
    "ledger_transfer",
    metadata,
    currency_column(references=False),
    id_column(),
    sa.Column("operation_id", sa.BigInteger, nullable=False),
    sa.Column("leg", sa.SmallInteger, nullable=False),
    sa.Column("debit_account_id", sa.BigInteger, nullable=False),
    sa.Column("credit_account_id", sa.BigInteger, nullable=False),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("reverses_transfer_id", sa.BigInteger),
    created_at_column(),
    currency_fk(["operation_id"], "ledger_operation.id"),
    currency_fk(["debit_account_id"], "ledger_account.id"),
    currency_fk(["credit_account_id"], "ledger_account.id"),
    currency_fk(["reverses_transfer_id"], "ledger_transfer.id"),
    sa.CheckConstraint("amount > 0", name="positive_amount"),
    sa.CheckConstraint("debit_account_id <> credit_account_id", name="two_accounts"),
    sa.UniqueConstraint("currency_id", "operation_id", "leg"),
    # by time within an account: today's spending (limits), settlements up to a cut-off
    sa.Index(None, "currency_id", "debit_account_id", "created_at"),
    sa.Index(None, "currency_id", "credit_account_id", "created_at"),
)

lot = sa.Table(
    "ledger_lot",
    metadata,
    currency_column(references=False),
    id_column(),
    sa.Column("wallet_account_id", sa.BigInteger, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("programme_id", sa.BigInteger),
    sa.Column("amount_issued", sa.BigInteger, nullable=False),
    sa.Column("amount_remaining", sa.BigInteger, nullable=False),
    sa.Column("expires_on", sa.Date, nullable=False),
    sa.Column("allowed_tags", pg.ARRAY(sa.Text)),
    sa.Column("allowed_districts", pg.ARRAY(sa.Text)),
    sa.Column("origin_lot_id", sa.BigInteger),
    created_at_column(),
    currency_fk(["wallet_account_id"], "ledger_account.id"),
    currency_fk(["origin_lot_id"], "ledger_lot.id"),
    sa.CheckConstraint(_in("kind", LOT_KINDS), name="kind"),
    sa.CheckConstraint("amount_issued > 0", name="positive_issued"),
    sa.CheckConstraint(
        "amount_remaining >= 0 AND amount_remaining <= amount_issued", name="remaining_in_range"
    ),
    sa.Index(
        "ix_ledger_lot_spendable",
        "currency_id",
        "wallet_account_id",
        postgresql_where=sa.text("amount_remaining > 0"),
    ),
    sa.Index(
        "ix_ledger_lot_expiring",
        "currency_id",
        "expires_on",
        postgresql_where=sa.text("amount_remaining > 0"),
    ),
)

lot_movement = sa.Table(
    "ledger_lot_movement",
    metadata,
    currency_column(references=False),
    id_column(),
    sa.Column("transfer_id", sa.BigInteger, nullable=False),
    sa.Column("lot_id", sa.BigInteger, nullable=False),
    sa.Column("amount", sa.BigInteger, nullable=False),
    currency_fk(["transfer_id"], "ledger_transfer.id"),
    currency_fk(["lot_id"], "ledger_lot.id"),
    sa.CheckConstraint("amount <> 0", name="nonzero"),
    sa.Index(None, "currency_id", "transfer_id"),
    sa.Index(None, "currency_id", "lot_id"),
)

idempotency = sa.Table(
    "ledger_idempotency",
    metadata,
    currency_column(references=False),
    sa.Column("principal", sa.Text, primary_key=True),
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("fingerprint", sa.LargeBinary, nullable=False),
    sa.Column("operation_id", sa.BigInteger),
    sa.Column("response", pg.JSONB, nullable=False),
    created_at_column(),
)

chain_queue = sa.Table(
    "ledger_chain_queue",
    metadata,
    currency_column(references=False),
    sa.Column("transfer_id", sa.BigInteger, primary_key=True),
    currency_fk(["transfer_id"], "ledger_transfer.id"),
)

chain_link = sa.Table(
    "ledger_chain_link",
    metadata,
    currency_column(references=False),
    sa.Column("sequence", sa.BigInteger, primary_key=True),
    sa.Column("transfer_id", sa.BigInteger, nullable=False),
    sa.Column("previous_hash", sa.LargeBinary, nullable=False),
    sa.Column("hash", sa.LargeBinary, nullable=False),
    sa.Column("chained_at", sa.DateTime(timezone=True), nullable=False),
    currency_fk(["transfer_id"], "ledger_transfer.id"),
    sa.UniqueConstraint("currency_id", "transfer_id"),
)

chain_head = sa.Table(
    "ledger_chain_head",
    metadata,
    currency_column(),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("last_sequence", sa.BigInteger, nullable=False),
    sa.Column("head_hash", sa.LargeBinary, nullable=False),
)

APPEND_ONLY_TABLES = (
    "ledger_operation",
    "ledger_transfer",
    "ledger_lot_movement",
    "ledger_chain_link",
)
