"""Reversal requests and their decisions (four eyes), append-only."""

from __future__ import annotations

import sqlalchemy as sa

from currency.db.metadata import (
    created_at_column,
    currency_column,
    currency_fk,
    id_column,
    metadata,
)

reversal_request = sa.Table(
    "reversal_request",
    metadata,
    currency_column(),
    id_column(),
    sa.Column("operation_id", sa.BigInteger, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("requested_by", sa.BigInteger, nullable=False),
    created_at_column(),
    currency_fk(["operation_id"], "ledger_operation.id"),
    currency_fk(["requested_by"], "app_user.id"),
    sa.CheckConstraint("length(trim(reason)) > 0", name="reason_given"),
)

reversal_decision = sa.Table(
    "reversal_decision",
    metadata,
    currency_column(),
    sa.Column("request_id", sa.BigInteger, primary_key=True),
    sa.Column("decision", sa.Text, nullable=False),
    sa.Column("decided_by", sa.BigInteger, nullable=False),
    sa.Column("reason", sa.Text),
    sa.Column("reversal_operation_id", sa.BigInteger),
    created_at_column(),
    currency_fk(["request_id"], "reversal_request.id"),
    currency_fk(["decided_by"], "app_user.id"),
    currency_fk(["reversal_operation_id"], "ledger_operation.id"),
    sa.CheckConstraint("decision IN ('approved', 'rejected')", name="decision"),
    sa.CheckConstraint(
        "(decision = 'approved') = (reversal_operation_id IS NOT NULL)",
        name="approved_means_reversed",
    ),
)

APPEND_ONLY_TABLES = ("reversal_request", "reversal_decision")
