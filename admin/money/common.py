"""What the money pages add to the console's shared frame (admin/people/console.py): the
currency's id and units, form helpers, and a refused form re-rendered through the frame's
``console.page`` (the one page helper of the whole console).

Reading is ``console.Reading`` (staff, admin and the auditor); a change is
``console.Acting`` (staff and admin): an auditor's post is answered by the console's 403
page whatever is posted, and the templates hide the actions (``can_act``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncSession

from admin.people import console
from api import page_errors
from currency.auth.login import Principal


@dataclass(frozen=True)
class Books:
    """The signed-in person's currency: its id and how its amounts are written."""

    id: int
    coin_unit: str
    point_unit: str


async def books_of(session: AsyncSession, who: Principal) -> Books:
    currency_id = await console.currency_id(session, who)
    units = await console.units(session, currency_id)
    return Books(currency_id, units["coin"], units["point"])


async def refused(
    request: Request, session: AsyncSession, who: Principal, template: str,
    context: dict[str, Any], error: Exception, *, unit: str = "", status_code: int = 422,
) -> HTMLResponse:  # fmt: skip
    """The same page again, the person's input kept, the refusal in plain words."""
    said = page_errors.page_message(request, error, unit=unit)
    context = {**context, **status(said, "error")}
    return await console.page(request, session, who, template, context, status_code=status_code)


def status(message: str, kind: str = "info") -> dict[str, str]:
    return {"status_message": message, "status_kind": kind}


def new_key() -> str:
    """An idempotency key for a form that moves value (a double tap acts once)."""
    return str(uuid.uuid4())


def form_key(value: object) -> str | None:
    """The form's idempotency key, if it is one we could have made."""
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return None


def text(form: Any, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""
