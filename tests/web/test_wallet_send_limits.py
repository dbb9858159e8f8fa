"""The wallet's send page keeps the API's bound on guessing resident numbers
(currency/payments/send_limits.py): after ten refused sends within the hour, every send
from the page waits, whatever the number, and says so plainly. At the HTTP level, through
the whole app (the `client` fixture)."""

from __future__ import annotations

import re
import uuid

from httpx import AsyncClient, Response
from sqlalchemy.ext.asyncio import AsyncSession

from currency.payments.send_limits import REFUSED_SENDS
from currency.settings import Settings
from tests.currency.auth.support import PIN, add_resident
from tests.web.test_pages import live_region, open_books, parse

WAIT_JA = "何度もまちがえたため、しばらく使えません。"  # page_errors.WAIT in Japanese
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


async def signed_in_wallet(client: AsyncClient, number: str) -> str:
    """The resident signs in on the wallet's first page; returns the send form's CSRF token."""
    signed = await client.post("/wallet/", data={"resident_number": number, "pin": PIN})
    assert signed.status_code == 303
    form = await client.get("/wallet/send")
    found = CSRF.search(form.text)
    assert found, "the send form carries a CSRF token"
    return found.group(1)


async def send(client: AsyncClient, csrf: str, to: str, amount: int = 100) -> Response:
    """The confirm screen's "Send" button: the form with its own idempotency key."""
    form = {"csrf_token": csrf, "to": to, "amount": str(amount), "key": str(uuid.uuid4())}
    return await client.post("/wallet/send", data=form)


class TestGuessingNumbers:
    async def test_the_eleventh_send_to_an_unknown_number_waits_and_nothing_moves(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        books = await open_books(session, settings)
        me, friend = await add_resident(books), await add_resident(books)
        await books.charge(me.wallet, 1_000)
        csrf = await signed_in_wallet(client, me.number)
        tries = [await send(client, csrf, f"S9{n:07d}") for n in range(REFUSED_SENDS.attempts)]
        assert [r.status_code for r in tries] == [404] * REFUSED_SENDS.attempts
        assert not any(WAIT_JA in live_region(parse(r.text)).text() for r in tries)
        eleventh = await send(client, csrf, "S98765432")
        said = live_region(parse(eleventh.text)).text()
        assert eleventh.status_code == 429
        assert said.startswith(WAIT_JA) and "分たってから" in said, said
        # A real number waits the same way: the refusal tells nothing about which exist.
        known = await send(client, csrf, friend.number)
        assert known.status_code == 429
        assert live_region(parse(known.text)).text() == said
        assert (await books.balance(me.wallet), await books.balance(friend.wallet)) == (1_000, 0)

    async def test_the_typed_number_and_amount_are_kept_on_the_refused_form(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        books = await open_books(session, settings)
        me = await add_resident(books)
        await books.charge(me.wallet, 1_000)
        csrf = await signed_in_wallet(client, me.number)
        for n in range(REFUSED_SENDS.attempts):
            await send(client, csrf, f"S9{n:07d}")
        waited = await send(client, csrf, "S98765432", amount=250)
        page = parse(waited.text)
        assert waited.status_code == 429
        typed = {i.attrs.get("name"): i.attrs.get("value") for i in page.find_all("input")}
        assert (typed["to"], typed["amount"]) == ("S98765432", "250")
