"""Printable pages of the staff console (a card sheet, an event poster): standalone A4
HTML with the QR as inline SVG and the print CSS inline.

Nothing is loaded from anywhere: the page's own Content-Security-Policy allows only its
one stylesheet (by hash), no scripts, no images but inline ones, and never a frame.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import sqlalchemy as sa
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncSession

from api import web
from currency.ledger.models import currency
from currency.settings import Settings

# Saiki City Hall's switchboard, until the deployment sets MEGURI_CITY_OFFICE_PHONE.
CITY_OFFICE_PHONE = "0972-22-3111"
PRINT_CSS = """
@page { size: A4 portrait; margin: 15mm; }
html, body { margin: 0; background: #fff; color: #000; font-family: sans-serif; }
main { width: 180mm; margin: 0 auto; text-align: center; }
h1 { font-size: 9mm; margin: 4mm 0; }
.card { border: 0.6mm dashed #000; width: 100mm; margin: 6mm auto; padding: 6mm 4mm; }
.qr svg { width: 50mm; height: 50mm; display: block; margin: 4mm auto; }
.poster .qr svg { width: 120mm; height: 120mm; }
.name { font-size: 8mm; font-weight: bold; margin: 2mm 0; }
.number { font-family: monospace; font-size: 6.5mm; letter-spacing: 0.4mm; margin: 2mm 0; }
.label { font-size: 4mm; margin: 0; }
.note { font-size: 5mm; line-height: 1.5; margin: 2mm 0; }
.lost { font-size: 5.5mm; font-weight: bold; border-top: 0.4mm solid #000; padding-top: 3mm; }
.when { font-size: 7mm; font-weight: bold; }
.hint { font-size: 4.5mm; border: 0.4mm solid #000; padding: 2mm; margin: 4mm 0; }
@media print { .hint { display: none; } }
"""
_CSS_HASH = base64.b64encode(hashlib.sha256(PRINT_CSS.encode()).digest()).decode()
CSP = (
    f"default-src 'none'; style-src 'sha256-{_CSS_HASH}'; img-src data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def office_phone(settings: Settings) -> str:
    return str(getattr(settings, "city_office_phone", None) or CITY_OFFICE_PHONE)


async def currency_name(session: AsyncSession, currency_id: int) -> str:
    name = await session.scalar(sa.select(currency.c.name).where(currency.c.id == currency_id))
    return str(name or "")


def page(template: str, **context: Any) -> HTMLResponse:
    """The page, with its stylesheet inline and a policy that allows nothing else."""
    html = web.templates.env.get_template(template).render(css=PRINT_CSS, **context)
    response = HTMLResponse(html)
    response.headers["Content-Security-Policy"] = CSP
    response.headers["Cache-Control"] = "no-store"  # a payment credential: never cached
    response.headers["X-Robots-Tag"] = "noindex"
    return response
