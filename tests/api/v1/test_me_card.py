"""A resident's own card, over HTTP: its status, and blocking it at once when lost."""

from __future__ import annotations

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from currency.errors import AccountUnavailable
from currency.residents import cards
from currency.settings import Settings
from tests.api.v1.card_support import audit_rows, card_of, lock_out, resident_signed_in
from tests.api.v1.staff_support import Office, open_office, refused
from tests.currency.auth.support import PIN


@pytest.fixture
async def office(client: AsyncClient, session: AsyncSession, settings: Settings) -> Office:
    return await open_office(client, session, settings)


async def test_without_a_card_the_answer_is_404(office: Office) -> None:
    _, me = await resident_signed_in(office)
    refused(await office.client.get("/v1/me/card", headers=me), 404, "not-found")
    r = await office.client.post("/v1/me/card/block", json={"reason": "lost"}, headers=me)
    refused(r, 404, "not-found")


async def test_my_card_shows_its_status_and_last_four_digits(
    office: Office, settings: Settings
) -> None:
    person, me = await resident_signed_in(office)
    card = await card_of(office, person, settings.secret_key)
    r = await office.client.get("/v1/me/card", headers=me)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "active" and body["last4"] == card.card_number[-4:]
    assert body["pin_locked"] is False and body["issued_on"]
    assert card.card_number not in r.text, "never the whole number"


async def test_a_locked_card_says_so(office: Office, settings: Settings) -> None:
    person, me = await resident_signed_in(office)
    card = await card_of(office, person, settings.secret_key)
    await lock_out(office, card, settings.secret_key)
    assert (await office.client.get("/v1/me/card", headers=me)).json()["pin_locked"] is True


async def test_a_lost_card_blocked_by_its_owner_stops_at_once(
    office: Office, settings: Settings
) -> None:
    person, me = await resident_signed_in(office)
    card = await card_of(office, person, settings.secret_key)
    r = await office.client.post("/v1/me/card/block", json={"reason": "lost"}, headers=me)
    assert (r.status_code, r.json()["status"]) == (200, "blocked")
    with pytest.raises(AccountUnavailable, match="blocked"):
        await cards.authenticate_card(
            office.books.session, currency_id=office.books.currency_id, qr=card.qr, pin=PIN,
            secret=settings.secret_key,
        )  # fmt: skip
    [blocked] = [a for a in await audit_rows(office, f"card:{card.card_number}")
                 if a["action"] == "card.block"]  # fmt: skip
    assert blocked["actor"] == f"resident:{person.id}" and "lost" in blocked["reason"]
    again = await office.client.post("/v1/me/card/block", json={"reason": "lost"}, headers=me)
    refused(again, 409, "already-done")


async def test_blocking_my_card_leaves_anothers_card_alone(
    office: Office, settings: Settings
) -> None:
    me_person, me = await resident_signed_in(office)
    other, _ = await resident_signed_in(office)
    await card_of(office, me_person, settings.secret_key)
    theirs = await card_of(office, other, settings.secret_key)
    await office.client.post("/v1/me/card/block", json={"reason": "stolen"}, headers=me)
    holder = await cards.authenticate_card(
        office.books.session, currency_id=office.books.currency_id, qr=theirs.qr, pin=PIN,
        secret=settings.secret_key,
    )  # fmt: skip
    assert holder.resident_id == other.id


async def test_refusals_and_roles(office: Office, settings: Settings) -> None:
    person, me = await resident_signed_in(office)
    await card_of(office, person, settings.secret_key)
    r = await office.client.post("/v1/me/card/block", json={"reason": "bored"}, headers=me)
    refused(r, 422, "validation")
    r = await office.client.post("/v1/me/card/block", json={"reason": "lost", "x": 1}, headers=me)
    refused(r, 422, "validation")
    refused(await office.get("/v1/me/card", role="staff"), 403, "not-permitted")
    refused(await office.client.get("/v1/me/card"), 401, "unauthenticated")
