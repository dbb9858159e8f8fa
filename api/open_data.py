"""Open data without sign-in: monthly k-anonymous tables and the ledger's published chain heads.

Only closed months are published (the current month's figures still move). Every file
carries an ETag (a hash of its bytes): a citizen's browser or a harvester asks again with
If-None-Match and gets 304 when nothing changed.
"""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncSession

from api import web
from api.db import get_session
from api.v1 import deps
from api.v1.public import ChainHead, heads_before
from currency.clock import JAPAN
from currency.errors import InvalidOperation, NotFound
from currency.opendata import formats, service
from currency.opendata.tables import MonthTables, month_label, parse_month

router = APIRouter(prefix="/open-data", tags=["open data"])
N_ = web.N_
CSV = "text/csv; charset=utf-8"
JSON = "application/json"
CACHE_MONTH = "public, max-age=3600"
CACHE_CHAIN = "public, max-age=60"  # today's head moves as the day's transfers are chained
PAGE = 366


def _today(now: datetime = Depends(deps.now)) -> date:
    return now.astimezone(JAPAN).date()


def _file(request: Request, body: bytes, media: str, cache: str, name: str = "") -> Response:
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": cache}
    if name:
        headers["Content-Disposition"] = f'attachment; filename="{name}"'
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media, headers=headers)


async def _currency(request: Request, session: AsyncSession) -> int:
    return await deps.currency_id_of(session, deps.settings_of(request).currency_code)


async def _all_heads(session: AsyncSession, currency_id: int) -> list[ChainHead]:
    """Every published head, newest first (the v1 API's pages, joined)."""
    found, before = [], None
    while True:
        page, before = await heads_before(
            session, currency_id=currency_id, before=before, limit=PAGE
        )
        found += page
        if before is None:
            return found


class CsvFile(Response):
    """A CSV download: documented in the OpenAPI as text/csv (schemathesis checks it)."""

    media_type = "text/csv"


CSV_ANSWER: dict[int | str, dict[str, Any]] = {200: {"description": "CSV (UTF-8 with BOM)"}}
NOT_PUBLISHED: dict[int | str, dict[str, Any]] = {
    404: {
        "description": "Not a month written like 2026-10, or a month with no open data "
        "(only closed months with activity are published).",
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }
}


@router.get("", name="open_data", response_class=HTMLResponse, include_in_schema=False)
async def index(
    request: Request,
    session: AsyncSession = Depends(get_session, scope="function"),
    today: date = Depends(_today),
) -> HTMLResponse:
    currency_id = await _currency(request, session)
    months = await service.published_months(session, currency_id=currency_id, today=today)
    k = service.rule_from(deps.settings_of(request)).k
    context = {"months": [month_label(m) for m in months], "k": k}
    response = web.render(request, "open_data/index.html", context)
    response.headers["Cache-Control"] = CACHE_CHAIN
    return response


@router.get("/chain", name="open_data_chain", response_class=HTMLResponse, include_in_schema=False)
async def chain_page(
    request: Request, session: AsyncSession = Depends(get_session, scope="function")
) -> HTMLResponse:
    heads = await _all_heads(session, await _currency(request, session))
    response = web.render(request, "open_data/chain.html", {"heads": heads})
    response.headers["Cache-Control"] = CACHE_CHAIN
    return response


@router.get("/chain.json", summary="Published chain heads (all days), JSON")
async def chain_json(
    request: Request, session: AsyncSession = Depends(get_session, scope="function")
) -> Response:
    heads = await _all_heads(session, await _currency(request, session))
    code = deps.settings_of(request).currency_code
    document = {"currency": code, "hash_algorithm": "sha256",
                "heads": [h.model_dump(mode="json") for h in heads]}  # fmt: skip
    return _file(request, formats.json_bytes(document), JSON, CACHE_CHAIN)


@router.get(
    "/chain.csv",
    summary="Published chain heads (all days), CSV",
    responses=CSV_ANSWER,
    response_class=CsvFile,
)
async def chain_csv(
    request: Request, session: AsyncSession = Depends(get_session, scope="function")
) -> Response:
    heads = await _all_heads(session, await _currency(request, session))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["day", "last_sequence", "head_hash"])
    writer.writerows([h.day.isoformat(), h.last_sequence, h.head_hash] for h in heads)
    body = (formats.BOM + out.getvalue()).encode()
    return _file(request, body, CSV, CACHE_CHAIN, "chain-heads.csv")


@router.get("/dictionary.json", summary="The open data's data dictionary, JSON")
async def dictionary_json(request: Request) -> Response:
    k = service.rule_from(deps.settings_of(request)).k
    return _file(request, formats.json_bytes(formats.dictionary(k=k)), JSON, CACHE_MONTH)


@router.get(
    "/dictionary.csv",
    summary="The open data's data dictionary, CSV",
    responses=CSV_ANSWER,
    response_class=CsvFile,
)
async def dictionary_csv(request: Request) -> Response:
    body = formats.dictionary_csv()
    return _file(request, body, CSV, CACHE_MONTH, "open-data-dictionary.csv")


async def _month(
    request: Request, session: AsyncSession, month: str, today: date
) -> tuple[MonthTables, str]:
    try:
        first = parse_month(month)
    except InvalidOperation as exc:
        raise NotFound(str(exc)) from None
    currency_id = await _currency(request, session)
    if first not in await service.published_months(session, currency_id=currency_id, today=today):
        raise NotFound(f"No open data is published for {month}: only closed months with activity.")
    settings = deps.settings_of(request)
    rule = service.rule_from(settings)
    found = await service.month_tables(session, currency_id=currency_id, month=first, rule=rule)
    return found, settings.currency_code


@router.get(
    "/{month}.csv",
    summary="A closed month's open data, CSV (UTF-8 with BOM)",
    responses=CSV_ANSWER | NOT_PUBLISHED,
    response_class=CsvFile,
)
async def month_csv(
    request: Request,
    month: str,
    session: AsyncSession = Depends(get_session, scope="function"),
    today: date = Depends(_today),
) -> Response:
    found, _ = await _month(request, session, month, today)
    return _file(request, formats.to_csv(found), CSV, CACHE_MONTH, f"meguri-{month}.csv")


@router.get("/{month}.json", summary="A closed month's open data, JSON", responses=NOT_PUBLISHED)
async def month_json(
    request: Request,
    month: str,
    session: AsyncSession = Depends(get_session, scope="function"),
    today: date = Depends(_today),
) -> Response:
    found, code = await _month(request, session, month, today)
    body = formats.json_bytes(formats.to_json(found, currency=code))
    return _file(request, body, JSON, CACHE_MONTH)
