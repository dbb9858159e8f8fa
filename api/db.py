"""One request, one transaction, committed before the response is sent."""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """Use as ``Depends(get_session, scope="function")`` so the commit precedes the response."""
    async with request.app.state.sessionmaker() as session, session.begin():
        yield session
