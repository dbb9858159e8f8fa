"""The audit log: who did what to what, when and why; append-only like ledger history."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from currency.db.metadata import created_at_column, currency_column, id_column, metadata

audit_log = sa.Table(
    "audit_log",
    metadata,
    currency_column(),
    id_column(),
    sa.Column("actor", sa.Text, nullable=False),  # "staff:12", "merchant_user:3", "system"
    sa.Column("action", sa.Text, nullable=False),  # "rule.draft", "card.block", "settle" …
    sa.Column("target", sa.Text, nullable=False),  # "rule:7", "card:0012…", "merchant:4"
    sa.Column("before", pg.JSONB),
    sa.Column("after", pg.JSONB),
    sa.Column("reason", sa.Text),
    sa.Column("request_id", sa.Text),
    created_at_column(),
    sa.Index(None, "currency_id", "target"),
    sa.Index(None, "currency_id", "created_at"),
)

APPEND_ONLY_TABLES = ("audit_log",)
