"""The wallet's first page: the sign-in form for a visitor, the balance for a resident.

The balance is large; below it, what it is made of (coins, points), until when each part
can be used (soonest first, in words), and where restricted value can be spent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncSession

from api import web
from api.v1 import deps
from currency import clock
from currency.auth import login
from currency.issuance import rulebook
from currency.issuance.standing_rules import SendPolicy
from currency.wallets import service as wallets
from wallet import common
from wallet.sign_in import welcome

router = APIRouter()
N_ = web.N_
SOON = timedelta(days=30)
EXPIRES_SOON = N_("{amount} can be used only until {day}. Please use it before then.")
SIGNED_OUT = N_("You have signed out. Thank you.")


@dataclass(frozen=True)
class Part:
    """Value of one kind that ends on one day, with the same restrictions."""

    kind: str
    amount: int
    expires_on: date
    day: str
    tags: list[str]
    districts: list[str]
    soon: bool


@router.get("/", name="wallet_home", response_class=HTMLResponse, include_in_schema=False)
async def home(
    request: Request,
    session: AsyncSession | None = common.MaybeSession,
) -> HTMLResponse:
    who = await common.signed_in(request, session)
    if who is None or session is None:
        said = common.say(request, SIGNED_OUT, "success") if request.query_params.get(
            "signed_out") else {}  # fmt: skip
        return welcome(request, 200, **said)
    return await _home(request, who, session)


async def _home(request: Request, who: login.Principal, session: AsyncSession) -> HTMLResponse:
    cid = await common.currency_id(session, who)
    today = clock.today()
    view = await wallets.summary(
        session, currency_id=cid, wallet_account_id=common.wallet_of(who), today=today
    )
    parts = _parts(request, view.lots, today)
    units = await common.units(session, cid)
    context: dict[str, Any] = {
        "balance": view.balance, "by_kind": view.by_kind, "parts": parts,
        "can_send": await can_send(session, cid, deps.now()),
    }  # fmt: skip
    soon = [p for p in parts if p.soon]
    if soon:
        amount = web.amount(soon[0].amount, units.of(soon[0].kind))
        context |= common.say(request, EXPIRES_SOON, "warning", amount=amount, day=soon[0].day)
    return await common.render(request, session, who, "wallet/home.html", context)


def _parts(request: Request, lots: list[wallets.LotView], today: date) -> list[Part]:
    """Lots folded by kind, last day and restrictions; soonest first (the order paid)."""
    folded: dict[tuple[Any, ...], int] = {}
    for lot in lots:
        key = (lot.expires_on, lot.kind, tuple(lot.allowed_tags or ()),
               tuple(lot.allowed_districts or ()))  # fmt: skip
        folded[key] = folded.get(key, 0) + lot.amount
    return [
        Part(
            kind,
            amount,
            on,
            common.day(request, on, today),
            list(tags),
            list(districts),
            soon=on - today <= SOON,
        )
        for (on, kind, tags, districts), amount in sorted(folded.items())
    ]


async def can_send(session: AsyncSession, currency_id: int, now: datetime) -> bool:
    policy = await send_policy(session, currency_id, now)
    return policy.enabled


async def send_policy(session: AsyncSession, currency_id: int, now: datetime) -> SendPolicy:
    found = await rulebook.standing(
        session, currency_id=currency_id, kind="send_policy", model=SendPolicy, now=now
    )
    assert isinstance(found, SendPolicy)
    return found
