"""The application factory: one app serving the JSON API and the three sets of pages."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

# The page packages sit above api in the layering; the composition root is the one
# place that knows them (see the import-linter contract's ignore_imports).
from admin import pages as admin_pages
from api import (
    background_jobs,
    errors,
    health,
    landing,
    observability,
    open_data,
    openapi_docs,
    security_headers,
    shop_link,
    web,
    web_session,
)
from api.nul_guard import NulGuard
from api.v1 import activation as v1_activation
from api.v1 import auth as v1_auth
from api.v1 import me as v1_me
from api.v1 import merchant as v1_merchant
from api.v1 import passkeys as v1_passkeys
from api.v1 import public as v1_public
from api.v1 import staff as v1_staff
from api.v1 import totp as v1_totp
from api.v1 import web_auth as v1_web_auth
from api.v1.merchant import feed_hub
from currency.auth import keys
from currency.db.engine import make_engine
from currency.db.runtime import open_database
from currency.settings import Settings
from merchant_app import pages as merchant_pages
from wallet import pages as wallet_pages

SIDE_POOL_SIZE = 5


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    handle = None
    if getattr(app.state, "engine", None) is None:
        handle = open_database(settings)
        app.state.engine = make_engine(handle.runtime_url, pool_size=settings.db_pool_size)
        app.state.sessionmaker = async_sessionmaker(app.state.engine, expire_on_commit=False)
        # Sign-in counters and PIN failures are committed apart from the request's own
        # transaction, on a pool of their own: a request holding a connection of the main
        # pool never waits for another one from the same pool (that can starve the pool).
        side = make_engine(handle.runtime_url, pool_size=SIDE_POOL_SIZE)
        app.state.side_engine = side
        app.state.side_sessionmaker = async_sessionmaker(side, expire_on_commit=False)
    # one machine (make serve): the scheduled jobs run here too (api/background_jobs.py)
    jobs = (
        background_jobs.running(app.state.sessionmaker, settings)
        if handle is not None
        else contextlib.nullcontext()
    )
    try:
        async with jobs:
            yield
    finally:
        await feed_hub.close(app)  # the live sales poller, before its engine goes
        if handle is not None:
            await app.state.engine.dispose()
            await app.state.side_engine.dispose()
            handle.close()


def create_app(settings: Settings | None = None, *, engine: AsyncEngine | None = None) -> FastAPI:
    """Build the app. Pass ``engine`` to share one (tests); otherwise it connects at start-up."""
    settings = settings or Settings()
    settings.check_production()
    # API docs with Swagger UI served from the app itself: no CDN, works on a closed network.
    app = FastAPIOffline(title="Meguri", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    app.state.signing_key, app.state.key_ring = keys.from_settings(settings)
    app.state.engine = engine
    if engine is not None:  # tests: one shared engine for both kinds of session
        app.state.sessionmaker = async_sessionmaker(engine, expire_on_commit=False)
        app.state.side_sessionmaker = app.state.sessionmaker
    errors.install(app)
    openapi_docs.install(app)  # /openapi.json: problem+json refusals, Idempotency-Key
    web_session.install(app)
    app.add_middleware(NulGuard)  # inside the security headers and the request log
    security_headers.install(app)
    observability.install(app)  # outermost: times and logs every request, adds X-Request-ID
    for api_part in (v1_auth, v1_activation, v1_passkeys, v1_totp, v1_web_auth):  # sign-in
        app.include_router(api_part.router)
    for api_part in (v1_me, v1_merchant, v1_staff, v1_public):
        app.include_router(api_part.router)
    for public_part in (health, landing, open_data, shop_link):
        app.include_router(public_part.router)
    app.include_router(wallet_pages.router, prefix="/wallet")
    app.include_router(merchant_pages.router, prefix="/merchant")
    app.include_router(admin_pages.router, prefix="/admin")
    app.mount("/static", web.static_files(), name="static")
    return app
