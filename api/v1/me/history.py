"""What happened to the resident's wallet, newest first, a page at a time."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

from api.v1.me.common import REFUSALS, Resident, Session, currency_of, wallet_of
from currency.auth.login import Principal
from currency.wallets import history

router = APIRouter()


class Entry(BaseModel):
    operation_id: int
    kind: str  # charge, grant, payment, refund, send, expire, reversal …
    amount: int  # signed: + came into the wallet, − went out
    by_kind: dict[str, int]  # the same, split into coins and points
    counterpart_kind: Literal["shop", "resident", "city"]
    counterpart: str | None  # the shop's name; "another resident"; null for the city
    created_at: datetime


class HistoryPage(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "operation_id": 120034,
                            "kind": "payment",
                            "amount": -1200,
                            "by_kind": {"coin": -1000, "point": -200},
                            "counterpart_kind": "shop",
                            "counterpart": "さいき鮮魚店",
                            "created_at": "2026-11-26T10:02:03+09:00",
                        },
                        {
                            "operation_id": 119870,
                            "kind": "charge",
                            "amount": 11000,
                            "by_kind": {"coin": 11000},
                            "counterpart_kind": "city",
                            "counterpart": None,
                            "created_at": "2026-11-20T09:15:00+09:00",
                        },
                    ],
                    "next_cursor": "eyJiZWZvcmUiOjExOTg3MH0",
                }
            ]
        }
    )
    items: list[Entry]
    next_cursor: str | None  # null on the last page


@router.get(
    "/history",
    response_model=HistoryPage,
    responses={
        **REFUSALS,
        422: {"description": "A cursor that is not one of ours, or a limit outside 1–100."},
    },
)
async def list_history(
    cursor: str | None = Query(default=None, max_length=200),
    limit: int = Query(default=20, ge=1, le=history.MAX_LIMIT),
    who: Principal = Resident,
    session: AsyncSession = Session,
) -> HistoryPage:
    """The wallet's operations, newest first. Pass ``next_cursor`` back as ``cursor`` for
    the next, older page. Another resident appears only as "another resident"."""
    found = await history.page(
        session, currency_id=await currency_of(session, who), wallet_account_id=wallet_of(who),
        cursor=cursor, limit=limit,
    )  # fmt: skip
    items = [Entry(**vars(e)) for e in found.entries]
    return HistoryPage(items=items, next_cursor=found.next_cursor)
