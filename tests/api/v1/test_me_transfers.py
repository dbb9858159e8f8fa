"""POST /v1/me/transfers: sending coins to another resident by their number."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from currency.payments.send_limits import REFUSED_SENDS
from currency.settings import Settings
from tests.api.v1.test_me_support import BAD_AMOUNTS, Town, new_key, open_town, refused

PATH = "/v1/me/transfers"


class TestSend:
    async def test_coins_move_and_the_answer_masks_the_number(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        town = await open_town(client, session, settings)
        friend = await town.another()
        await town.books.charge(town.person.wallet, 1_000)
        number = friend.person.number
        r = await town.post(PATH, {"to_resident_number": number, "amount": 250}, key=new_key())
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["amount"] == 250
        assert body["to"] == "*" * (len(number) - 4) + number[-4:]
        assert number not in r.text
        assert await town.balance() == 750
        assert await friend.balance() == 250

    async def test_a_retry_with_the_same_key_answers_the_same_and_sends_once(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        town = await open_town(client, session, settings)
        friend = await town.another()
        await town.books.charge(town.person.wallet, 1_000)
        body, key = {"to_resident_number": friend.person.number, "amount": 100}, new_key()
        first = await town.post(PATH, body, key=key)
        retry = await town.post(PATH, body, key=key)
        assert (retry.status_code, retry.json()) == (201, first.json())
        assert retry.headers["idempotent-replayed"] == "true"
        assert (await town.balance(), await friend.balance()) == (900, 100)

    async def test_the_same_key_for_another_send_is_refused(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        town = await open_town(client, session, settings)
        friend = await town.another()
        await town.books.charge(town.person.wallet, 1_000)
        key, number = new_key(), friend.person.number
        await town.post(PATH, {"to_resident_number": number, "amount": 100}, key=key)
        r = await town.post(PATH, {"to_resident_number": number, "amount": 101}, key=key)
        refused(r, 422, "idempotency-key-reused")
        assert await friend.balance() == 100

    async def test_without_a_key_nothing_is_sent(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        town = await open_town(client, session, settings)
        friend = await town.another()
        await town.books.charge(town.person.wallet, 1_000)
        r = await town.post(PATH, {"to_resident_number": friend.person.number, "amount": 100})
        refused(r, 400, "idempotency-key-missing")
        assert await friend.balance() == 0


class TestRefusals:
    async def test_an_unknown_number_is_404(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        town = await open_town(client, session, settings)
        await town.books.charge(town.person.wallet, 1_000)
        body = {"to_resident_number": "9999999999", "amount": 100}
        refused(await town.post(PATH, body, key=new_key()), 404, "not-found")
        assert await town.balance() == 1_000

    async def test_sending_to_oneself_is_refused(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        town = await open_town(client, session, settings)
        await town.books.charge(town.person.wallet, 1_000)
        body = {"to_resident_number": town.person.number, "amount": 100}
        refused(await town.post(PATH, body, key=new_key()), 422, "invalid-operation")

    async def test_points_cannot_be_sent(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        town = await open_town(client, session, settings)
        friend = await town.another()
        await town.books.grant(town.person.wallet, 500)
        body = {"to_resident_number": friend.person.number, "amount": 100}
        problem = refused(await town.post(PATH, body, key=new_key()), 409, "insufficient-balance")
        assert problem["spendable"] == 0
        assert await friend.balance() == 0

    async def test_over_the_per_send_limit_is_refused(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        town = await open_town(client, session, settings)
        friend = await town.another()
        await town.books.charge(town.person.wallet, 20_000)
        body = {"to_resident_number": friend.person.number, "amount": 10_001}
        assert (
            refused(await town.post(PATH, body, key=new_key()), 422, "limit-exceeded")["limit"]
            == 10_000
        )
        assert await friend.balance() == 0

    @pytest.mark.parametrize("amount", BAD_AMOUNTS)
    async def test_an_amount_that_is_not_a_whole_number_in_range_changes_nothing(
        self, client: AsyncClient, session: AsyncSession, settings: Settings, amount: Any
    ) -> None:
        town = await open_town(client, session, settings)
        friend = await town.another()
        await town.books.charge(town.person.wallet, 1_000)
        body = {"to_resident_number": friend.person.number, "amount": amount}
        refused(await town.post(PATH, body, key=new_key()), 422, "validation")
        assert (await town.balance(), await friend.balance()) == (1_000, 0)


async def try_unknown(town: Town, times: int) -> list[int]:
    """Sends to numbers nobody has, each with its own key, as someone guessing would."""
    statuses = []
    for n in range(times):
        body = {"to_resident_number": f"S9{n:07d}", "amount": 100}
        statuses.append((await town.post(PATH, body, key=new_key())).status_code)
    return statuses


class TestGuessingNumbers:
    async def test_ten_refused_sends_then_every_send_waits_for_the_hour(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        town = await open_town(client, session, settings)
        friend = await town.another()
        await town.books.charge(town.person.wallet, 1_000)
        assert await try_unknown(town, REFUSED_SENDS.attempts) == [404] * 10
        body = {"to_resident_number": "S98765432", "amount": 100}
        r = await town.post(PATH, body, key=new_key())
        problem = refused(r, 429, "rate-limited")
        assert 1 <= int(r.headers["retry-after"]) <= 3600
        assert "check the number" in problem["detail"] and "minutes" in problem["detail"]
        # a known number is refused the same way: the 429 tells nothing about the number
        body = {"to_resident_number": friend.person.number, "amount": 100}
        r = await town.post(PATH, body, key=new_key())
        assert (r.status_code, r.json()["detail"]) == (429, problem["detail"])
        assert (await town.balance(), await friend.balance()) == (1_000, 0)

    async def test_sends_that_go_through_do_not_count(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        town = await open_town(client, session, settings)
        friend = await town.another()
        await town.books.charge(town.person.wallet, 1_000)
        assert await try_unknown(town, 9) == [404] * 9
        for _ in range(5):
            body = {"to_resident_number": friend.person.number, "amount": 10}
            assert (await town.post(PATH, body, key=new_key())).status_code == 201
        assert await try_unknown(town, 2) == [404, 429]
        assert await friend.balance() == 50

    async def test_a_known_number_refused_for_another_reason_counts_too(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        town = await open_town(client, session, settings)
        friend = await town.another()
        body = {"to_resident_number": friend.person.number, "amount": 100}  # no coins
        for _ in range(REFUSED_SENDS.attempts):
            refused(await town.post(PATH, body, key=new_key()), 409, "insufficient-balance")
        assert await try_unknown(town, 1) == [429]

    async def test_another_resident_is_not_held_up(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        town = await open_town(client, session, settings)
        neighbour = await town.another()
        await try_unknown(town, REFUSED_SENDS.attempts + 1)
        assert await try_unknown(neighbour, 1) == [404]
