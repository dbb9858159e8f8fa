"""Shared by the card, resident-search and event API tests (no tests here): residents
who sign in themselves, cards, reading a QR back as a camera would, audit rows."""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from typing import Any

import zxingcpp
from PIL import Image

from currency.audit import service as audit
from currency.errors import AccountUnavailable, WrongPin
from currency.residents import cards
from currency.residents.card_codes import IssuedCard
from tests.api.v1.staff_support import Office
from tests.api.v1.world import sign_in_resident
from tests.currency.auth.support import add_resident
from tests.currency.payments.test_qr_render import raster
from tests.factories import Resident


async def resident_signed_in(office: Office) -> tuple[Resident, dict[str, str]]:
    person = await add_resident(office.books)
    return person, await sign_in_resident(office.client, person.number)


async def card_of(office: Office, person: Resident, secret: bytes) -> IssuedCard:
    return await cards.issue_card(
        office.books.session, currency_id=office.books.currency_id,
        resident_number=person.number, staff_id=await office.books.staff(), secret=secret,
    )  # fmt: skip


async def lock_out(office: Office, card: IssuedCard, secret: bytes) -> None:
    """Five wrong PINs at a till: the card is locked."""
    for _ in range(5):
        try:
            await cards.authenticate_card(
                office.books.session, currency_id=office.books.currency_id, qr=card.qr,
                pin="0000", secret=secret,
            )  # fmt: skip
        except (WrongPin, AccountUnavailable):
            continue
        raise AssertionError("a wrong PIN was accepted")


def scanned_png(png: bytes) -> str:
    [found] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    return str(found.text)


def scanned_svg(svg: str) -> str:
    """The first QR symbol of a page, drawn as a camera would see it."""
    symbol = re.search(r"<svg\b.*?</svg>", svg, re.DOTALL)
    assert symbol is not None, "no inline SVG"
    [found] = zxingcpp.read_barcodes(raster(symbol[0]))
    return str(found.text)


async def audit_rows(office: Office, target: str) -> list[Mapping[str, Any]]:
    return await audit.entries(
        office.books.session, currency_id=office.books.currency_id, target=target
    )
