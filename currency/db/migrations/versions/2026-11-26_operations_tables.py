"""operations: issuance rules and counters, events, settlements, bank accounts,
reversal requests, the audit log, card blocking

The new history tables (rules and their decisions, event claims, settlements, reversal
requests and decisions, the audit log) are append-only like the ledger's.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

APPEND_ONLY = (
    "audit_log",
    "issuance_rule",
    "issuance_rule_decision",
    "issuance_event_claim",
    "settlement",
    "reversal_request",
    "reversal_decision",
)


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("currency_id", sa.SmallInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("before", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("after", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("request_id", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["currency_id"], ["currency.id"], name=op.f("fk_audit_log_currency_id_currency")
        ),
        sa.PrimaryKeyConstraint("currency_id", "id", name=op.f("pk_audit_log")),
    )
    op.create_index(
        op.f("ix_audit_log_currency_id_created_at"),
        "audit_log",
        ["currency_id", "created_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_audit_log_currency_id_target"),
        "audit_log",
        ["currency_id", "target"],
        unique=False,
    )
    op.create_table(
        "issuance_counter",
        sa.Column("currency_id", sa.SmallInteger(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("used", sa.BigInteger(), server_default="0", nullable=False),
        sa.CheckConstraint("used >= 0", name=op.f("ck_issuance_counter_not_negative")),
        sa.ForeignKeyConstraint(
            ["currency_id"], ["currency.id"], name=op.f("fk_issuance_counter_currency_id_currency")
        ),
        sa.PrimaryKeyConstraint("currency_id", "name", name=op.f("pk_issuance_counter")),
    )
    op.create_table(
        "merchant_bank_account",
        sa.Column("currency_id", sa.SmallInteger(), nullable=False),
        sa.Column("merchant_id", sa.BigInteger(), nullable=False),
        sa.Column("bank_code", sa.Text(), nullable=False),
        sa.Column("bank_name_kana", sa.Text(), nullable=False),
        sa.Column("branch_code", sa.Text(), nullable=False),
        sa.Column("branch_name_kana", sa.Text(), nullable=False),
        sa.Column("account_type", sa.SmallInteger(), nullable=False),
        sa.Column("account_number_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("holder_kana_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("key_id", sa.Text(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["currency_id", "merchant_id"],
            ["merchant.currency_id", "merchant.id"],
            name=op.f("fk_merchant_bank_account_currency_id_merchant_id_merchant"),
        ),
        sa.ForeignKeyConstraint(
            ["currency_id"],
            ["currency.id"],
            name=op.f("fk_merchant_bank_account_currency_id_currency"),
        ),
        sa.PrimaryKeyConstraint(
            "currency_id", "merchant_id", name=op.f("pk_merchant_bank_account")
        ),
    )
    op.create_table(
        "settlement",
        sa.Column("currency_id", sa.SmallInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("merchant_id", sa.BigInteger(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("fee_rate_bp", sa.Integer(), nullable=False),
        sa.Column("fee", sa.BigInteger(), nullable=False),
        sa.Column("payout", sa.BigInteger(), nullable=False),
        sa.Column("payout_on", sa.Date(), nullable=False),
        sa.Column("operation_id", sa.BigInteger(), nullable=True),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "amount >= 0 AND fee >= 0 AND payout = amount - fee AND payout >= 0",
            name=op.f("ck_settlement_amounts"),
        ),
        sa.CheckConstraint("period_end >= period_start", name=op.f("ck_settlement_period")),
        sa.ForeignKeyConstraint(
            ["currency_id", "merchant_id"],
            ["merchant.currency_id", "merchant.id"],
            name=op.f("fk_settlement_currency_id_merchant_id_merchant"),
        ),
        sa.ForeignKeyConstraint(
            ["currency_id", "operation_id"],
            ["ledger_operation.currency_id", "ledger_operation.id"],
            name=op.f("fk_settlement_currency_id_operation_id_ledger_operation"),
        ),
        sa.ForeignKeyConstraint(
            ["currency_id"], ["currency.id"], name=op.f("fk_settlement_currency_id_currency")
        ),
        sa.PrimaryKeyConstraint("currency_id", "id", name=op.f("pk_settlement")),
        sa.UniqueConstraint(
            "currency_id",
            "merchant_id",
            "period_end",
            name=op.f("uq_settlement_currency_id_merchant_id_period_end"),
        ),
    )
    op.create_table(
        "issuance_event",
        sa.Column("currency_id", sa.SmallInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("programme_code", sa.Text(), nullable=False),
        sa.Column("activity_code", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("nonce", sa.Text(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_issuance_event_window")),
        sa.ForeignKeyConstraint(
            ["currency_id", "created_by"],
            ["app_user.currency_id", "app_user.id"],
            name=op.f("fk_issuance_event_currency_id_created_by_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["currency_id"], ["currency.id"], name=op.f("fk_issuance_event_currency_id_currency")
        ),
        sa.PrimaryKeyConstraint("currency_id", "id", name=op.f("pk_issuance_event")),
    )
    op.create_table(
        "issuance_rule",
        sa.Column("currency_id", sa.SmallInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("body", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("drafted_by", sa.BigInteger(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("version > 0", name=op.f("ck_issuance_rule_positive_version")),
        sa.ForeignKeyConstraint(
            ["currency_id", "drafted_by"],
            ["app_user.currency_id", "app_user.id"],
            name=op.f("fk_issuance_rule_currency_id_drafted_by_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["currency_id"], ["currency.id"], name=op.f("fk_issuance_rule_currency_id_currency")
        ),
        sa.PrimaryKeyConstraint("currency_id", "id", name=op.f("pk_issuance_rule")),
        sa.UniqueConstraint(
            "currency_id",
            "kind",
            "code",
            "version",
            name=op.f("uq_issuance_rule_currency_id_kind_code_version"),
        ),
    )
    op.create_table(
        "reversal_request",
        sa.Column("currency_id", sa.SmallInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("operation_id", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.BigInteger(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "length(trim(reason)) > 0", name=op.f("ck_reversal_request_reason_given")
        ),
        sa.ForeignKeyConstraint(
            ["currency_id", "operation_id"],
            ["ledger_operation.currency_id", "ledger_operation.id"],
            name=op.f("fk_reversal_request_currency_id_operation_id_ledger_operation"),
        ),
        sa.ForeignKeyConstraint(
            ["currency_id", "requested_by"],
            ["app_user.currency_id", "app_user.id"],
            name=op.f("fk_reversal_request_currency_id_requested_by_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["currency_id"], ["currency.id"], name=op.f("fk_reversal_request_currency_id_currency")
        ),
        sa.PrimaryKeyConstraint("currency_id", "id", name=op.f("pk_reversal_request")),
    )
    op.create_table(
        "issuance_event_claim",
        sa.Column("currency_id", sa.SmallInteger(), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("resident_id", sa.BigInteger(), nullable=False),
        sa.Column("operation_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["currency_id", "event_id"],
            ["issuance_event.currency_id", "issuance_event.id"],
            name=op.f("fk_issuance_event_claim_currency_id_event_id_issuance_event"),
        ),
        sa.ForeignKeyConstraint(
            ["currency_id", "resident_id"],
            ["resident.currency_id", "resident.id"],
            name=op.f("fk_issuance_event_claim_currency_id_resident_id_resident"),
        ),
        sa.ForeignKeyConstraint(
            ["currency_id"],
            ["currency.id"],
            name=op.f("fk_issuance_event_claim_currency_id_currency"),
        ),
        sa.PrimaryKeyConstraint(
            "currency_id", "event_id", "resident_id", name=op.f("pk_issuance_event_claim")
        ),
    )
    op.create_table(
        "issuance_rule_decision",
        sa.Column("currency_id", sa.SmallInteger(), nullable=False),
        sa.Column("rule_id", sa.BigInteger(), nullable=False),
        sa.Column("decision", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "decision = 'approved' OR reason IS NOT NULL",
            name=op.f("ck_issuance_rule_decision_a_rejection_has_a_reason"),
        ),
        sa.CheckConstraint(
            "decision IN ('approved', 'rejected')", name=op.f("ck_issuance_rule_decision_decision")
        ),
        sa.ForeignKeyConstraint(
            ["currency_id", "decided_by"],
            ["app_user.currency_id", "app_user.id"],
            name=op.f("fk_issuance_rule_decision_currency_id_decided_by_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["currency_id", "rule_id"],
            ["issuance_rule.currency_id", "issuance_rule.id"],
            name=op.f("fk_issuance_rule_decision_currency_id_rule_id_issuance_rule"),
        ),
        sa.ForeignKeyConstraint(
            ["currency_id"],
            ["currency.id"],
            name=op.f("fk_issuance_rule_decision_currency_id_currency"),
        ),
        sa.PrimaryKeyConstraint("currency_id", "rule_id", name=op.f("pk_issuance_rule_decision")),
    )
    op.create_table(
        "reversal_decision",
        sa.Column("currency_id", sa.SmallInteger(), nullable=False),
        sa.Column("request_id", sa.BigInteger(), nullable=False),
        sa.Column("decision", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("reversal_operation_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "(decision = 'approved') = (reversal_operation_id IS NOT NULL)",
            name=op.f("ck_reversal_decision_approved_means_reversed"),
        ),
        sa.CheckConstraint(
            "decision IN ('approved', 'rejected')", name=op.f("ck_reversal_decision_decision")
        ),
        sa.ForeignKeyConstraint(
            ["currency_id", "decided_by"],
            ["app_user.currency_id", "app_user.id"],
            name=op.f("fk_reversal_decision_currency_id_decided_by_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["currency_id", "request_id"],
            ["reversal_request.currency_id", "reversal_request.id"],
            name=op.f("fk_reversal_decision_currency_id_request_id_reversal_request"),
        ),
        sa.ForeignKeyConstraint(
            ["currency_id", "reversal_operation_id"],
            ["ledger_operation.currency_id", "ledger_operation.id"],
            name=op.f("fk_reversal_decision_currency_id_reversal_operation_id_ledger_operation"),
        ),
        sa.ForeignKeyConstraint(
            ["currency_id"], ["currency.id"], name=op.f("fk_reversal_decision_currency_id_currency")
        ),
        sa.PrimaryKeyConstraint("currency_id", "request_id", name=op.f("pk_reversal_decision")),
    )
    op.add_column("card", sa.Column("blocked_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("card", sa.Column("block_reason", sa.Text(), nullable=True))
    op.add_column("card", sa.Column("replaces_card_id", sa.BigInteger(), nullable=True))
    op.create_foreign_key(
        op.f("fk_card_currency_id_replaces_card_id_card"),
        "card",
        "card",
        ["currency_id", "replaces_card_id"],
        ["currency_id", "id"],
    )
    op.execute("UPDATE card SET blocked_at = created_at WHERE status <> 'active'")
    op.create_check_constraint(
        op.f("ck_card_blocked_when"), "card", "(status = 'active') = (blocked_at IS NULL)"
    )
    for table in APPEND_ONLY:
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION ledger_refuse_rewrite()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_rewrite()"
        )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_card_blocked_when"), "card", type_="check")
    op.drop_constraint(
        op.f("fk_card_currency_id_replaces_card_id_card"), "card", type_="foreignkey"
    )
    op.drop_column("card", "replaces_card_id")
    op.drop_column("card", "block_reason")
    op.drop_column("card", "blocked_at")
    op.drop_table("reversal_decision")
    op.drop_table("issuance_rule_decision")
    op.drop_table("issuance_event_claim")
    op.drop_table("reversal_request")
    op.drop_table("issuance_rule")
    op.drop_table("issuance_event")
    op.drop_table("settlement")
    op.drop_table("merchant_bank_account")
    op.drop_table("issuance_counter")
    op.drop_index(op.f("ix_audit_log_currency_id_target"), table_name="audit_log")
    op.drop_index(op.f("ix_audit_log_currency_id_created_at"), table_name="audit_log")
    op.drop_table("audit_log")
