"""The migrations build exactly the schema the models describe, and can be undone."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

import asyncpg
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from currency.db.embedded import OWNER_ROLE, EmbeddedPostgres
from currency.db.engine import asyncpg_url, plain_url
from currency.db.migrate import alembic_config, upgrade
from currency.db.models import metadata
from tests.conftest import RUNTIME_ROLE, DatabaseUnderTest


def schema_differences(url: str) -> list[Any]:
    async def compare() -> list[Any]:
        engine = create_async_engine(asyncpg_url(url))
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync, opts={"compare_type": True}), metadata
                )
            )
        await engine.dispose()
        return list(diff)

    return asyncio.run(compare())


class TestMigrations:
    def test_the_migrated_schema_is_the_one_the_models_describe(
        self, test_db: DatabaseUnderTest
    ) -> None:
        assert schema_differences(test_db.owner_url) == []

    def test_every_migration_can_be_undone_and_done_again(
        self, pg_server: EmbeddedPostgres | None, worker_id: str
    ) -> None:
        with scratch_database(pg_server, f"meguri_migrations_{worker_id}") as url:
            upgrade(url, runtime_role=RUNTIME_ROLE)
            command.downgrade(alembic_config(url), "base")
            upgrade(url, runtime_role=RUNTIME_ROLE)
            assert schema_differences(url) == []


@contextmanager
def scratch_database(pg_server: EmbeddedPostgres | None, name: str) -> Iterator[str]:
    """An empty database, on the embedded server or on MEGURI_TEST_DATABASE_URL's."""
    if pg_server is not None:
        run = pg_server.psql
        url = pg_server.uri(user=OWNER_ROLE, database=name)
    else:
        admin = os.environ["MEGURI_TEST_DATABASE_URL"]
        run = partial(_execute, admin)
        base, _, query = plain_url(admin).partition("?")
        url = base.rsplit("/", 1)[0] + f"/{name}" + (f"?{query}" if query else "")
    run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    owner = f" OWNER {OWNER_ROLE}" if pg_server is not None else ""
    run(f'CREATE DATABASE "{name}"{owner}')
    try:
        yield url
    finally:
        run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _execute(url: str, sql: str) -> None:
    async def go() -> None:
        conn = await asyncpg.connect(plain_url(url))
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(go())
