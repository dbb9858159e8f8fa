"""The migrations build exactly the schema the models describe, and can be undone."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from currency.db.embedded import OWNER_ROLE, EmbeddedPostgres
from currency.db.engine import asyncpg_url
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
        if pg_server is None:
            pytest.skip("needs the embedded server to create a scratch database")
        name = f"meguri_migrations_{worker_id}"
        pg_server.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        pg_server.psql(f'CREATE DATABASE "{name}" OWNER {OWNER_ROLE}')
        url = pg_server.uri(user=OWNER_ROLE, database=name)
        try:
            upgrade(url, runtime_role=RUNTIME_ROLE)
            command.downgrade(alembic_config(url), "base")
            upgrade(url, runtime_role=RUNTIME_ROLE)
            assert schema_differences(url) == []
        finally:
            pg_server.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
