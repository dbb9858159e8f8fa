"""Import every table module so ``metadata`` is complete (Alembic, tests)."""

from currency.audit import models as audit_models
from currency.auth import models as auth_models
from currency.corrections import models as correction_models
from currency.db.metadata import metadata
from currency.issuance import models as issuance_models
from currency.ledger import models as ledger_models
from currency.merchants import models as merchant_models
from currency.payments import models as payment_models
from currency.reports import models as report_models
from currency.residents import models as resident_models
from currency.settlement import models as settlement_models
from currency.users import models as user_models

# Never updated or deleted: triggers refuse it and the runtime role has no grant for it.
APPEND_ONLY_TABLES = (
    *ledger_models.APPEND_ONLY_TABLES,
    *audit_models.APPEND_ONLY_TABLES,
    *issuance_models.APPEND_ONLY_TABLES,
    *settlement_models.APPEND_ONLY_TABLES,
    *correction_models.APPEND_ONLY_TABLES,
)

__all__ = [
    "APPEND_ONLY_TABLES",
    "audit_models",
    "auth_models",
    "correction_models",
    "issuance_models",
    "ledger_models",
    "merchant_models",
    "metadata",
    "payment_models",
    "report_models",
    "resident_models",
    "settlement_models",
    "user_models",
]
