"""Alembic environment: async (asyncpg), URL and runtime role passed in by currency.db.migrate."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from currency.db.engine import asyncpg_url
from currency.db.models import metadata

config = context.config


def run_sync(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


async def run_async() -> None:
    engine = create_async_engine(asyncpg_url(config.attributes["url"]))
    async with engine.connect() as connection:
        await connection.run_sync(run_sync)
    await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `meguri db upgrade`")
asyncio.run(run_async())
