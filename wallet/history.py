"""History: what happened to the wallet, newest first, with filters (all, payments,
received, points) and "show more" (the service's cursor)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncSession

from api import web
from currency.auth import login
from currency.errors import InvalidOperation
from currency.wallets import history
from wallet import common

router = APIRouter()
N_ = web.N_
Filter = Literal["all", "payments", "received", "points"]
FILTERS: dict[str, str] = {
    "all": N_("All"), "payments": N_("Payments"), "received": N_("Received"),
    "points": N_("Points"),
}  # fmt: skip
WORDS = {
    "charge": N_("Coins added"), "grant": N_("Points received"), "payment": N_("Payment"),
    "refund": N_("Refund"), "expire": N_("Expired unused"), "reversal": N_("Cancelled by the city"),
    "send": N_("Sent"), "received": N_("Received from another resident"),
}  # fmt: skip
OTHER = N_("Other")
CITY = N_("Saiki City")
ANOTHER = N_("Another resident")
PAGE = 20
SCAN_PAGES = 10  # a filter reads at most this many pages of the service per "show more"
BAD_CURSOR = N_("This list link is old. Here is your history from the newest.")


@dataclass(frozen=True)
class Row:
    when: str
    what: str
    who: str
    amount: int
    kind: str  # the unit's kind: coin or point


@router.get("/history", name="wallet_history", response_class=HTMLResponse,
            include_in_schema=False)  # fmt: skip
async def list_history(
    request: Request,
    show: Filter = "all",
    cursor: str | None = Query(default=None, max_length=200),
    who: login.Principal = common.Resident,
    session: AsyncSession = common.Session,
) -> HTMLResponse:
    cid = await common.currency_id(session, who)
    said: dict[str, str] = {}
    try:
        entries, next_cursor = await _matching(session, cid, who, show, cursor)
    except InvalidOperation:
        said = common.say(request, BAD_CURSOR, "warning")
        entries, next_cursor = await _matching(session, cid, who, show, None)
    rows = [_row(request, e) for e in entries]
    context = {"rows": rows, "show": show, "filters": FILTERS, "next_cursor": next_cursor,
               **said}  # fmt: skip
    return await common.render(request, session, who, "wallet/history.html", context)


async def _matching(
    session: AsyncSession, cid: int, who: login.Principal, show: str, cursor: str | None
) -> tuple[list[history.Entry], str | None]:
    """Up to a page of entries that pass the filter, and where the next page starts."""
    found: list[history.Entry] = []
    for _ in range(SCAN_PAGES):
        page = await history.page(
            session, currency_id=cid, wallet_account_id=common.wallet_of(who), cursor=cursor,
            limit=PAGE,
        )  # fmt: skip
        for entry in page.entries:
            if _passes(entry, show):
                found.append(entry)
            if len(found) == PAGE:
                more = entry is not page.entries[-1] or page.next_cursor is not None
                return found, history.make_cursor(
                    entry.created_at, entry.operation_id
                ) if more else None
        cursor = page.next_cursor
        if cursor is None:
            return found, None
    return found, cursor


def _passes(entry: history.Entry, show: str) -> bool:
    if show == "payments":
        return entry.kind == "payment"
    if show == "received":
        return entry.amount > 0
    if show == "points":
        return "point" in entry.by_kind
    return True


def _row(request: Request, entry: history.Entry) -> Row:
    kind = "received" if entry.kind == "send" and entry.amount > 0 else entry.kind
    what = web.gettext(request, WORDS.get(kind, OTHER))
    if entry.counterpart_kind == "shop":
        who = entry.counterpart or ""
    elif entry.counterpart_kind == "resident":
        who = web.gettext(request, ANOTHER)
    else:
        who = web.gettext(request, CITY)
    unit_kind = "point" if set(entry.by_kind) == {"point"} else "coin"
    return Row(common.moment(request, entry.created_at), what, who, entry.amount, unit_kind)
