"""The rule form's refusals at the HTTP level (the browser scenarios are in
test_admin_money_browser.py): a bad field is named next to the field and nothing is drafted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from api.v1 import deps
from currency.auth import login, web_sessions
from currency.issuance import rulebook
from tests.currency.auth.support import add_user, currency_code
from tests.factories import Books

NOW = datetime.now(UTC)


async def sign_in(client: AsyncClient, books: Books, user_id: int) -> str:
    """A browser session for a staff member; returns the CSRF token its forms carry."""
    code = await currency_code(books)
    who = login.Principal("user", user_id, "staff", 0, code)
    started = await web_sessions.start(
        books.session, currency_id=books.currency_id, principal=who, now=datetime.now(UTC)
    )
    client.cookies.clear()
    client.cookies.set(deps.SESSION_COOKIE, started.token)
    return started.csrf_token


@pytest.fixture
async def town(session: AsyncSession, settings: object) -> Books:
    books = await Books.open(session)
    settings.currency_code = await currency_code(books)  # type: ignore[attr-defined]
    return books


PREMIUM = {
    "kind": "charge_premium", "code": "winter", "name_ja": "冬のプレミアム",
    "name_en": "Winter premium", "rate": "20", "premium_kind": "point",
    "cap_per_resident": "5000", "budget": "100000",
    "starts_at": (NOW - timedelta(hours=1)).astimezone().strftime("%Y-%m-%dT%H:%M"),
    "ends_at": (NOW + timedelta(days=30)).astimezone().strftime("%Y-%m-%dT%H:%M"),
    "channels": "counter", "version_starts": "2020-01-01T00:00",
}  # fmt: skip


class TestRuleForm:
    async def test_a_bad_field_is_named_next_to_the_field_and_nothing_is_drafted(
        self, client: AsyncClient, town: Books
    ) -> None:
        alice = await add_user(town)
        csrf = await sign_in(client, town, alice.id)
        bad = {**PREMIUM, "rate": "twenty", "ends_at": PREMIUM["starts_at"], "csrf_token": csrf}
        answer = await client.post("/admin/rules/new", data=bad)
        assert answer.status_code == 422
        assert 'id="rate-error"' in answer.text
        assert await rulebook.versions(town.session, currency_id=town.currency_id) == []
