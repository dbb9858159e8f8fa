"""ledger write path for one or many operations: ledger_begin_many and ledger_write

Typed arrays instead of one JSON document per operation, and any number of operations
per call (group commit). Replaces ledger_begin and ledger_post. See
currency/ledger/sql_many.py. The insert-heavy ledger tables lose their direct foreign
key to the currency row (a lock hot spot); their keys still include currency_id.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from alembic import op

from currency.ledger import sql, sql_many

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_OLD = (
    "ledger_post(smallint, jsonb)",
    "ledger_begin(smallint, text, text, bytea, bigint[], bigint[])",
)
_NEW = (
    "ledger_begin_many(smallint, text[], text[], bytea[], bigint[], bigint[])",
    "ledger_write(smallint, text[], text[], text[], bigint[], text[], text[], text[], bytea[], "
    "text[], int[], int[], bigint[], bigint[], bigint[], text[], bigint[], int[], int[], "
    "bigint[], bigint[], bigint[], text[], bigint[], date[], text[], text[], bigint[])",
)


# Written only by ledger_write: no foreign key to the one currency row (see
# currency_column in currency/db/metadata.py).
_NO_CURRENCY_FK = (
    "ledger_balance_delta",
    "ledger_operation",
    "ledger_transfer",
    "ledger_lot",
    "ledger_lot_movement",
    "ledger_idempotency",
    "ledger_chain_queue",
    "ledger_chain_link",
)


def upgrade() -> None:
    for statement in sql_many.FUNCTIONS_V1:
        op.execute(statement)
    for signature in _OLD:
        op.execute(f"DROP FUNCTION {signature}")
    for table in _NO_CURRENCY_FK:
        op.drop_constraint(f"fk_{table}_currency_id_currency", table, type_="foreignkey")


def downgrade() -> None:
    for table in _NO_CURRENCY_FK:
        op.create_foreign_key(
            f"fk_{table}_currency_id_currency", table, "currency", ["currency_id"], ["id"]
        )
    for signature in _NEW:
        op.execute(f"DROP FUNCTION {signature}")
    op.execute(sql.LEDGER_BEGIN_V2.replace("CREATE OR REPLACE FUNCTION", "CREATE FUNCTION"))
    op.execute(sql.LEDGER_POST_V1)
