"""Migrations (Alembic, run as the owner role) and the runtime role's grants."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from currency.db.engine import plain_url
from currency.db.models import APPEND_ONLY_TABLES

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("file_template", "%%(year)d-%%(month).2d-%%(day).2d_%%(slug)s")
    config.attributes["url"] = url
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("")).get_current_head()


def upgrade(owner_url: str, *, runtime_role: str) -> None:
    """Bring the schema to head, then (re)apply the runtime role's grants."""
    command.upgrade(alembic_config(owner_url), "head")
    _run(owner_url, grants_sql(runtime_role))


def grants_sql(runtime_role: str) -> str:
    """The app's role may read and append everywhere, but never rewrite ledger history."""
    role = '"' + runtime_role.replace('"', '""') + '"'
    append_only = ", ".join(APPEND_ONLY_TABLES)
    return f"""
    DO $$ BEGIN
      IF EXISTS (SELECT FROM pg_roles WHERE rolname = {_literal(runtime_role)}) THEN
        GRANT USAGE ON SCHEMA public TO {role};
        GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role};
        GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role};
        GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO {role};
        REVOKE UPDATE, DELETE, TRUNCATE ON {append_only} FROM {role};
        REVOKE UPDATE, DELETE, TRUNCATE ON alembic_version FROM {role};
      END IF;
    END $$;
    """


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _run(url: str, sql: str) -> None:
    async def go() -> None:
        conn = await asyncpg.connect(plain_url(url))
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(go())
