"""Import every table module so ``metadata`` is complete (Alembic, tests)."""

from currency.db.metadata import metadata
from currency.ledger import models as ledger_models
from currency.merchants import models as merchant_models
from currency.residents import models as resident_models
from currency.users import models as user_models

__all__ = ["ledger_models", "merchant_models", "metadata", "resident_models", "user_models"]
