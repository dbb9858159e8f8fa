"""Engines and URLs. Nothing connects at import time."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs, urlsplit

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

CONNECT_TIMEOUT_S = 8


class DatabaseUnreachable(Exception):
    """PostgreSQL could not be reached. The message names host and database, never a password."""


def asyncpg_url(url: str) -> str:
    """The SQLAlchemy URL for asyncpg, whichever postgres scheme was configured."""
    scheme, rest = url.split("://", 1)
    return f"postgresql+asyncpg://{rest}" if scheme.startswith("postgres") else url


def plain_url(url: str) -> str:
    """The libpq-style URL (asyncpg.connect, psql, pgbench)."""
    return "postgresql://" + url.split("://", 1)[1]


def describe(url: str) -> str:
    """Host and database for messages: never user or password."""
    parts = urlsplit(plain_url(url))
    host = parts.hostname or parse_qs(parts.query).get("host", ["local socket"])[0]
    port = f":{parts.port}" if parts.port else ""
    return f"host {host}{port}, database {parts.path.lstrip('/') or '(default)'}"


def make_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    return create_async_engine(
        asyncpg_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=False,
        connect_args={"timeout": CONNECT_TIMEOUT_S, "server_settings": {"timezone": "UTC"}},
    )


async def check_reachable(url: str) -> None:
    """Fail fast with one clear line when the database cannot be reached."""
    try:
        conn = await asyncio.wait_for(
            asyncpg.connect(plain_url(url), timeout=CONNECT_TIMEOUT_S), CONNECT_TIMEOUT_S + 1
        )
    except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
        reason = type(exc).__name__ if isinstance(exc, TimeoutError) else str(exc)
        raise DatabaseUnreachable(f"Cannot reach PostgreSQL at {describe(url)}: {reason}") from None
    await conn.close()
