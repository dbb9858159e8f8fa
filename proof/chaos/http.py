"""Talking to the app as its users do: sign-ins kept per principal, and keyed writes
retried with the same Idempotency-Key until a non-5xx answer (bounded)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import httpx

RETRY_FOR_S = 120.0  # long enough for an app restart and a database recovery
PAUSE_S = 0.05
IN_PROGRESS = "request-in-progress"


class GaveUp(Exception):
    """No non-5xx answer within the retry budget: the harness reports it as a failure."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]
    replayed: bool
    attempts: int


@dataclass
class Principal:
    """A resident (number and PIN) or a user (username and password), and their tokens."""

    path: str
    credentials: dict[str, str]
    access: str | None = None
    refresh: str | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class Api:
    def __init__(self, base_url: str) -> None:
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
        self.client = httpx.AsyncClient(base_url=base_url, timeout=5.0, limits=limits)
        self.retries = 0

    async def close(self) -> None:
        await self.client.aclose()

    async def sign_in(self, who: Principal) -> None:
        async with who.lock:
            answer = await self._until_answered("POST", who.path, json=who.credentials)
            if answer.status != 200:
                raise GaveUp(f"sign-in refused ({answer.status}): {answer.body}")
            who.access, who.refresh = answer.body["access_token"], answer.body["refresh_token"]

    async def _renew(self, who: Principal, stale: str | None) -> None:
        """After a 401: refresh once (another task may already have done it)."""
        async with who.lock:
            if who.access != stale:
                return
            answer = await self._until_answered(
                "POST", "/v1/auth/refresh", json={"refresh_token": who.refresh}
            )
            if answer.status != 200:
                raise GaveUp(f"refresh refused ({answer.status}): {answer.body}")
            who.access, who.refresh = answer.body["access_token"], answer.body["refresh_token"]

    async def call(
        self, who: Principal, path: str, body: dict[str, Any], key: str | None = None
    ) -> Answer:
        """POST as ``who``; the same key and body on every retry."""
        for _ in range(3):
            token = who.access
            headers = {"Authorization": f"Bearer {token}"}
            if key is not None:
                headers["Idempotency-Key"] = key
            answer = await self._until_answered("POST", path, json=body, headers=headers)
            if answer.status != 401:
                return answer
            await self._renew(who, token)
        return answer

    async def _until_answered(self, method: str, path: str, **kwargs: Any) -> Answer:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + RETRY_FOR_S
        attempts = 0
        while True:
            attempts += 1
            answer = await self._once(method, path, attempts, **kwargs)
            if answer is not None and not _retryable(answer):
                return answer
            if loop.time() > deadline:
                raise GaveUp(f"{method} {path}: no answer but 5xx or errors for {RETRY_FOR_S} s")
            self.retries += 1
            await asyncio.sleep(PAUSE_S * min(attempts, 10))

    async def _once(self, method: str, path: str, attempts: int, **kwargs: Any) -> Answer | None:
        try:
            response = await self.client.request(method, path, **kwargs)
        except (httpx.TransportError, httpx.TimeoutException):
            return None
        try:
            body = response.json() if response.content else {}
        except ValueError:
            body = {"text": response.text[:200]}
        replayed = response.headers.get("Idempotent-Replayed") == "true"
        return Answer(response.status_code, body, replayed, attempts)


def _retryable(answer: Answer) -> bool:
    """5xx, and 409 "still in progress" (the first try may be cut off mid-way)."""
    kind = str(answer.body.get("type", "")) if isinstance(answer.body, dict) else ""
    return answer.status >= 500 or (answer.status == 409 and kind.endswith(IN_PROGRESS))
