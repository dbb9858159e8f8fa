"""Cards at the counter, over HTTP: reissue, unlock after wrong PINs, the printable sheet
and the QR images (read back with a QR decoder, as a till's camera would)."""

from __future__ import annotations

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from currency.errors import AccountUnavailable
from currency.residents import cards
from currency.residents.card_codes import printed
from currency.settings import Settings
from tests.api.v1.card_support import audit_rows, card_of, lock_out, scanned_png, scanned_svg
from tests.api.v1.staff_support import Office, open_office, refused
from tests.currency.auth.support import PIN, add_resident


@pytest.fixture
async def office(client: AsyncClient, session: AsyncSession, settings: Settings) -> Office:
    return await open_office(client, session, settings)


def path(card_number: str, tail: str) -> str:
    return f"/v1/staff/cards/{card_number}/{tail}"


class TestReissue:
    async def test_a_lost_card_is_replaced_by_a_new_one_and_stops_working(
        self, office: Office, settings: Settings
    ) -> None:
        person = await add_resident(office.books)
        old = await card_of(office, person, settings.secret_key)
        r = await office.post(path(old.printed_number, "reissue"), {"reason": "紛失"})
        assert r.status_code == 201, r.text
        new = r.json()
        assert new["card_number"] != old.printed_number and new["qr"].startswith("MGC1.")
        assert "<svg" in new["sheet_svg"]
        with pytest.raises(AccountUnavailable, match="replaced"):
            await cards.authenticate_card(
                office.books.session, currency_id=office.books.currency_id, qr=old.qr,
                pin=PIN, secret=settings.secret_key,
            )  # fmt: skip
        holder = await cards.authenticate_card(
            office.books.session, currency_id=office.books.currency_id, qr=new["qr"], pin=PIN,
            secret=settings.secret_key,
        )  # fmt: skip
        assert holder.resident_id == person.id
        rows = await audit_rows(office, f"card:{old.card_number}")
        [replaced] = [a for a in rows if a["action"] == "card.replace"]
        assert replaced["reason"] == "紛失"

    async def test_an_old_card_already_replaced_cannot_be_reissued_again(
        self, office: Office, settings: Settings
    ) -> None:
        old = await card_of(office, await add_resident(office.books), settings.secret_key)
        assert (
            await office.post(path(old.card_number, "reissue"), {"reason": "破損"})
        ).status_code == 201
        r = await office.post(path(old.card_number, "reissue"), {"reason": "破損"})
        assert "replaced" in refused(r, 409, "already-done")["detail"]

    async def test_a_card_the_owner_blocked_is_reissued_at_the_counter(
        self, office: Office, settings: Settings
    ) -> None:
        old = await card_of(office, await add_resident(office.books), settings.secret_key)
        await office.post(path(old.card_number, "block"), {"reason": "lost"})
        assert (
            await office.post(path(old.card_number, "reissue"), {"reason": "lost"})
        ).status_code == 201

    async def test_refusals(self, office: Office, settings: Settings) -> None:
        old = await card_of(office, await add_resident(office.books), settings.secret_key)
        refused(await office.post(path("4000000000000002", "reissue"), {"reason": "x"}), 404,
                "not-found")  # fmt: skip
        refused(await office.post(path(old.card_number, "reissue"), {}), 422, "validation")
        r = await office.post(path(old.card_number, "reissue"), {"reason": "x"}, role="auditor")
        refused(r, 403, "not-permitted")
        r = await office.client.post(path(old.card_number, "reissue"), json={"reason": "x"})
        refused(r, 401, "unauthenticated")


class TestUnlock:
    async def test_a_locked_card_works_again_with_the_resident_present(
        self, office: Office, settings: Settings
    ) -> None:
        person = await add_resident(office.books)
        card = await card_of(office, person, settings.secret_key)
        await lock_out(office, card, settings.secret_key)
        assert (await office.get(f"/v1/staff/residents/{person.number}")).json()["pin_locked"]
        r = await office.post(path(card.printed_number, "unlock"), {"checked_identity": True})
        assert (r.status_code, r.json()) == (200, {"done": "unlocked"})
        profile = (await office.get(f"/v1/staff/residents/{person.number}")).json()
        assert profile["pin_locked"] is False
        await cards.authenticate_card(
            office.books.session,
            currency_id=office.books.currency_id,
            qr=card.qr,
            pin=PIN,
            secret=settings.secret_key,
        )  # fmt: skip  (the same PIN works)
        unlocked = [a for a in await audit_rows(office, f"card:{card.card_number}")
                    if a["action"] == "card.unlock"]  # fmt: skip
        assert unlocked[0]["actor"] == f"staff:{office.ids['staff']}"
        assert unlocked[0]["before"] == {"pin_failures": 5}

    async def test_without_the_identity_checked_nothing_is_unlocked(
        self, office: Office, settings: Settings
    ) -> None:
        person = await add_resident(office.books)
        card = await card_of(office, person, settings.secret_key)
        await lock_out(office, card, settings.secret_key)
        r = await office.post(path(card.card_number, "unlock"), {"checked_identity": False})
        assert "identity" in refused(r, 422, "invalid-operation")["detail"]
        refused(await office.post(path(card.card_number, "unlock"), {}), 422, "validation")
        r = await office.post(path(card.card_number, "unlock"), {"checked_identity": "yes"})
        refused(r, 422, "validation")
        assert (await office.get(f"/v1/staff/residents/{person.number}")).json()["pin_locked"]

    async def test_a_card_that_is_not_locked_and_roles(
        self, office: Office, settings: Settings
    ) -> None:
        card = await card_of(office, await add_resident(office.books), settings.secret_key)
        body = {"checked_identity": True}
        refused(await office.post(path(card.card_number, "unlock"), body), 409, "already-done")
        r = await office.post(path(card.card_number, "unlock"), body, role="auditor")
        refused(r, 403, "not-permitted")


class TestSheet:
    async def test_the_sheet_prints_a_qr_that_scans_as_the_card(
        self, office: Office, settings: Settings
    ) -> None:
        person = await add_resident(office.books)
        card = await card_of(office, person, settings.secret_key)
        r = await office.get(path(card.card_number, "sheet"))
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("text/html")
        assert r.headers["cache-control"] == "no-store"
        assert "script-src" not in r.headers["content-security-policy"]
        page = r.text
        assert scanned_svg(page) == card.qr
        assert printed(card.card_number) in page and len(printed(card.card_number)) == 19
        name = (await office.get(f"/v1/staff/residents/{person.number}")).json()["name"]
        assert f"{name} 様" in page
        assert "紛失したときは市役所へ" in page and "0972-22-3111" in page
        assert "@page { size: A4" in page and "@media print" in page
        printed_rows = [a for a in await audit_rows(office, f"card:{card.card_number}")
                        if a["action"] == "card.print"]  # fmt: skip
        assert len(printed_rows) == 1

    async def test_the_qr_images_scan_as_the_card(self, office: Office, settings: Settings) -> None:
        card = await card_of(office, await add_resident(office.books), settings.secret_key)
        png = await office.get(path(card.printed_number, "qr.png"))
        assert png.headers["content-type"] == "image/png"
        assert scanned_png(png.content) == card.qr
        svg = await office.get(path(card.printed_number, "qr.svg"))
        assert svg.headers["content-type"].startswith("image/svg+xml")
        assert scanned_svg(svg.text) == card.qr

    async def test_a_blocked_card_is_not_printed_and_the_auditor_prints_nothing(
        self, office: Office, settings: Settings
    ) -> None:
        card = await card_of(office, await add_resident(office.books), settings.secret_key)
        refused(await office.get(path(card.card_number, "sheet"), role="auditor"), 403,
                "not-permitted")  # fmt: skip
        refused(await office.get(path(card.card_number, "qr.png"), role="shop"), 403,
                "not-permitted")  # fmt: skip
        await office.post(path(card.card_number, "block"), {"reason": "lost"})
        r = await office.get(path(card.card_number, "sheet"))
        assert "current card" in refused(r, 409, "account-unavailable")["detail"]
        refused(await office.get(path("4000000000000002", "qr.svg")), 404, "not-found")
