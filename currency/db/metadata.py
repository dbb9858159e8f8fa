"""The one MetaData for every table, with stable constraint names for Alembic."""

from __future__ import annotations

import sqlalchemy as sa

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def id_column() -> sa.Column[int]:
    """Ids are unique per currency: the second column of every primary key."""
    return sa.Column("id", sa.BigInteger, sa.Identity(always=False), primary_key=True)


def currency_column(*, references: bool = True) -> sa.Column[int]:
    """Every table leads with its currency (the distribution column on Citus).

    ``references=False`` for the ledger's insert-heavy tables: their rows are written only
    by ``ledger_write``, together with transfers whose keys (which include currency_id)
    refer to accounts, and accounts do reference the currency. A direct foreign key would
    make every posting take a KEY SHARE lock on the one currency row: a hot spot.
    """
    if not references:
        return sa.Column("currency_id", sa.SmallInteger, primary_key=True)
    return sa.Column("currency_id", sa.SmallInteger, sa.ForeignKey("currency.id"), primary_key=True)


def created_at_column() -> sa.Column[object]:
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    )


def currency_fk(columns: list[str], target: str) -> sa.ForeignKeyConstraint:
    """Every foreign key includes currency_id (legal on Citus)."""
    table, *cols = target.split(".")
    return sa.ForeignKeyConstraint(
        ["currency_id", *columns], [f"{table}.currency_id", *(f"{table}.{c}" for c in cols)]
    )
