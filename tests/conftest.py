"""The test harness: a real PostgreSQL, one database per xdist worker, a rolled-back
transaction per test (the app's commits become savepoints), and real commits for
tests marked ``committing``."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
from fastapi import Request  # (module level: FastAPI resolves the overrides' hints here)
from httpx import ASGITransport, AsyncClient
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, create_async_engine

from currency.db.embedded import OWNER_ROLE, EmbeddedPostgres
from currency.db.engine import asyncpg_url, make_engine, plain_url
from currency.db.migrate import upgrade
from currency.db.models import APPEND_ONLY_TABLES
from currency.settings import Settings
from tests import log_privacy

RUNTIME_ROLE = "meguri_app"


def pytest_configure(config: pytest.Config) -> None:
    # The log scan after the suite: every log record into a file, checked for the tests'
    # personal data and secrets at the end (tests/log_privacy.py).
    config.pluginmanager.register(log_privacy.LogPrivacy(config), "meguri-log-privacy")


@dataclass(frozen=True)
class DatabaseUnderTest:
    owner_url: str
    runtime_url: str
    superuser_url: str | None
    name: str


@pytest.fixture(scope="session")
def pg_server() -> Iterator[EmbeddedPostgres | None]:
    if os.environ.get("MEGURI_TEST_DATABASE_URL"):
        yield None
        return
    folder = Path(tempfile.mkdtemp(prefix="meguri-pg-"))
    server = EmbeddedPostgres(folder / "pg").start()
    server.tune_for_tests()
    server.ensure_roles(runtime_role=RUNTIME_ROLE)
    yield server
    server.stop(mode="immediate")
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def test_db(pg_server: EmbeddedPostgres | None, worker_id: str) -> DatabaseUnderTest:
    name = f"meguri_test_{worker_id}"
    if pg_server is None:
        return _external_database(os.environ["MEGURI_TEST_DATABASE_URL"], name)
    pg_server.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    pg_server.psql(f'CREATE DATABASE "{name}" OWNER {OWNER_ROLE}')
    db = DatabaseUnderTest(
        owner_url=pg_server.uri(user=OWNER_ROLE, database=name),
        runtime_url=pg_server.uri(user=RUNTIME_ROLE, database=name),
        superuser_url=pg_server.uri(user="postgres", database=name),
        name=name,
    )
    upgrade(db.owner_url, runtime_role=RUNTIME_ROLE)
    return db


def _external_database(url: str, name: str) -> DatabaseUnderTest:
    """MEGURI_TEST_DATABASE_URL names a role allowed to create databases and roles."""

    async def create() -> None:
        conn = await asyncpg.connect(plain_url(url))
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await conn.execute(f'CREATE DATABASE "{name}"')
            exists = await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname=$1", RUNTIME_ROLE)
            if not exists:
                await conn.execute(f"CREATE ROLE {RUNTIME_ROLE} NOLOGIN")
            await conn.execute(f"GRANT {RUNTIME_ROLE} TO CURRENT_USER")
        finally:
            await conn.close()

    asyncio.run(create())
    base, _, query = plain_url(url).partition("?")
    owner = base.rsplit("/", 1)[0] + f"/{name}" + (f"?{query}" if query else "")
    upgrade(owner, runtime_role=RUNTIME_ROLE)
    return DatabaseUnderTest(owner_url=owner, runtime_url=owner, superuser_url=owner, name=name)


def _runtime_engine(db: DatabaseUnderTest, *, pool_size: int) -> AsyncEngine:
    if db.runtime_url != db.owner_url:
        return make_engine(db.runtime_url, pool_size=pool_size)
    # external database: one login, acting as the runtime role
    return create_async_engine(
        asyncpg_url(db.runtime_url),
        pool_size=pool_size,
        connect_args={"server_settings": {"role": RUNTIME_ROLE, "timezone": "UTC"}},
    )


@pytest.fixture(scope="session")
async def engine(test_db: DatabaseUnderTest) -> AsyncIterator[AsyncEngine]:
    eng = _runtime_engine(test_db, pool_size=20)
    yield eng
    await eng.dispose()


@pytest.fixture
async def connection(
    engine: AsyncEngine, request: pytest.FixtureRequest
) -> AsyncIterator[AsyncConnection]:
    if request.node.get_closest_marker("committing"):
        pytest.fail("a committing test must not use the rolled-back connection")
    async with engine.connect() as conn:
        outer = await conn.begin()
        yield conn
        await outer.rollback()


@pytest.fixture
async def session(connection: AsyncConnection) -> AsyncIterator[AsyncSession]:
    """A session whose commits are savepoints inside the test's transaction."""
    async with AsyncSession(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    ) as s:
        yield s


@pytest.fixture
async def committing_engine(test_db: DatabaseUnderTest) -> AsyncIterator[AsyncEngine]:
    """Real commits; every table is emptied afterwards (as the owner, triggers paused)."""
    eng = _runtime_engine(test_db, pool_size=40)
    yield eng
    await eng.dispose()
    await wipe(test_db)


async def wipe(db: DatabaseUnderTest) -> None:
    conn = await asyncpg.connect(plain_url(db.owner_url))
    try:
        tables = [
            r["tablename"]
            for r in await conn.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname='public' "
                "AND tablename <> 'alembic_version'"
            )
        ]
        async with conn.transaction():
            for table in APPEND_ONLY_TABLES:
                await conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            await conn.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
            for table in APPEND_ONLY_TABLES:
                await conn.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
    finally:
        await conn.close()


@pytest.fixture
def settings(tmp_path: Path, test_db: DatabaseUnderTest) -> Settings:
    from pydantic import SecretStr

    return Settings(database_url=SecretStr(test_db.runtime_url), data_dir=tmp_path / ".meguri")


@pytest.fixture
async def client(
    settings: Settings, engine: AsyncEngine, session: AsyncSession
) -> AsyncIterator[AsyncClient]:
    """An HTTP client over the app, bound to the test's session (rolled back afterwards).

    Each request runs in a SAVEPOINT of that session, as production runs it in a
    transaction of its own (api/db.py): released when the route returns, rolled back when
    it raises, so a refusal leaves nothing behind here either."""
    from api.db import get_session
    from api.main import create_app
    from api.v1.deps import get_session_kept_on_error

    app = create_app(settings, engine=engine)

    async def test_session(request: Request) -> AsyncIterator[AsyncSession]:
        request.state.test_savepoint = True
        mine = await session.begin_nested()
        try:
            yield session
        except BaseException:
            # A commit inside the request (the card checks of a shop payment commit on a
            # session of their own in production) has released the savepoint: what came
            # after it is in the session's own savepoint, rolled back instead.
            await (mine.rollback() if mine.is_active else session.rollback())
            raise
        await session.commit()

    async def test_session_kept_on_error(request: Request) -> AsyncIterator[AsyncSession]:
        # Sign-in commits its counters even when it refuses. A route that also holds the
        # request's session commits its checks itself (api/v1/merchant/payments.py);
        # committing here would keep that request's refused writes.
        failed = False
        try:
            yield session
        except BaseException:
            failed = True
            raise
        finally:
            if not (failed and getattr(request.state, "test_savepoint", False)):
                try:
                    await session.commit()
                except DBAPIError:  # the transaction was broken: keep the first error
                    await session.rollback()

    app.dependency_overrides[get_session] = test_session
    app.dependency_overrides[get_session_kept_on_error] = test_session_kept_on_error
    transport = ASGITransport(app=app)
    async with AsyncClient(
        transport=transport, base_url="http://testserver", event_hooks=log_privacy.HOOKS
    ) as c:
        yield c
