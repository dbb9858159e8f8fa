"""Issuance rules (versioned, approved by a second staff member), the counters that make
caps and budgets hold under concurrency, and attendance events."""

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

# A rule version is never edited: a change is a new version. Its decision is a row of
# its own, written once (both tables are append-only).
rule = sa.Table(
    "issuance_rule",
    metadata,
    currency_column(),
    id_column(),
    sa.Column("kind", sa.Text, nullable=False),  # charge_premium, point_programme, …
    sa.Column("code", sa.Text, nullable=False),  # campaign / programme code; kind for the rest
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("body", pg.JSONB, nullable=False),
    sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("drafted_by", sa.BigInteger, nullable=False),
    sa.Column("note", sa.Text),
    created_at_column(),
    currency_fk(["drafted_by"], "app_user.id"),
    sa.CheckConstraint("version > 0", name="positive_version"),
    sa.UniqueConstraint("currency_id", "kind", "code", "version"),
)

rule_decision = sa.Table(
    "issuance_rule_decision",
    metadata,
    currency_column(),
    sa.Column("rule_id", sa.BigInteger, primary_key=True),
    sa.Column("decision", sa.Text, nullable=False),
    sa.Column("decided_by", sa.BigInteger, nullable=False),
    sa.Column("reason", sa.Text),
    created_at_column(),
    currency_fk(["rule_id"], "issuance_rule.id"),
    currency_fk(["decided_by"], "app_user.id"),
    sa.CheckConstraint("decision IN ('approved', 'rejected')", name="decision"),
    sa.CheckConstraint(
        "decision = 'approved' OR reason IS NOT NULL", name="a_rejection_has_a_reason"
    ),
)

# How much of a cap or budget is used, e.g. "premium:SUMMER26:budget",
# "premium:SUMMER26:resident:42", "programme:CLEANUP:resident:42:2026-11". The row is
# locked (FOR UPDATE) by the operation that uses it, so concurrent charges queue on it
# and exactly the value that fits is ever granted. It is a cache of ledger facts.
counter = sa.Table(
    "issuance_counter",
    metadata,
    currency_column(),
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("used", sa.BigInteger, nullable=False, server_default="0"),
    sa.CheckConstraint("used >= 0", name="not_negative"),
)

event = sa.Table(
    "issuance_event",
    metadata,
    currency_column(),
    id_column(),
    sa.Column("programme_code", sa.Text, nullable=False),
    sa.Column("activity_code", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("nonce", sa.Text, nullable=False),  # part of the signed claim QR
    sa.Column("created_by", sa.BigInteger, nullable=False),
    created_at_column(),
    currency_fk(["created_by"], "app_user.id"),
    sa.CheckConstraint("ends_at > starts_at", name="window"),
)

event_claim = sa.Table(
    "issuance_event_claim",
    metadata,
    currency_column(),
    sa.Column("event_id", sa.BigInteger, primary_key=True),
    sa.Column("resident_id", sa.BigInteger, primary_key=True),
    sa.Column("operation_id", sa.BigInteger, nullable=False),
    created_at_column(),
    currency_fk(["event_id"], "issuance_event.id"),
    currency_fk(["resident_id"], "resident.id"),
)

APPEND_ONLY_TABLES = ("issuance_rule", "issuance_rule_decision", "issuance_event_claim")
