"""an auditor role: city staff who may read everything and change nothing

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_WITH = "'city_staff', 'city_admin', 'city_auditor', 'merchant_owner', 'merchant_clerk'"
_WITHOUT = "'city_staff', 'city_admin', 'merchant_owner', 'merchant_clerk'"


def upgrade() -> None:
    op.drop_constraint(op.f("ck_app_user_role"), "app_user", type_="check")
    op.create_check_constraint(op.f("ck_app_user_role"), "app_user", f"role IN ({_WITH})")


def downgrade() -> None:
    auditors = op.get_bind().execute(
        sa.text("SELECT count(*) FROM app_user WHERE role = 'city_auditor'")
    )
    if auditors.scalar():
        raise RuntimeError("give the auditors another role before downgrading")
    op.drop_constraint(op.f("ck_app_user_role"), "app_user", type_="check")
    op.create_check_constraint(op.f("ck_app_user_role"), "app_user", f"role IN ({_WITHOUT})")
