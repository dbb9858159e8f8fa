"""Two-step sign-in for staff and merchant users: a 6-digit code from an authenticator app
(TOTP, RFC 6238, 30-second steps, SHA-1: what every authenticator app supports).

Enrolment is two steps, so nobody is locked out by a mistyped setup: ``begin_enrolment``
stores a new secret (sealed, see currency/sealing.py) and returns the QR link for the app;
``confirm`` with a code from the app turns it on. Turning it off needs a current code;
a lost phone is an administrator's ``reset``.

A code is accepted one step either side of now (a phone clock a little off, a code typed
as it changed), and each code only once: the accepted step is recorded in
auth_rate_limit (bucket ``totp:used:user:<id>``, window = the step), so a code read over
a shoulder cannot be replayed. Those markers are swept with old rate-limit windows.

Confirming and turning off count attempts (5 per 15 minutes); commit even when they
raise, as ratelimit.py explains.
"""

from __future__ import annotations

import hmac
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pyotp
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from currency import sealing
from currency.audit import service as audit
from currency.auth import ratelimit
from currency.auth.models import rate_limit
from currency.errors import (
    AlreadyDone,
    InvalidOperation,
    NotFound,
    NotPermitted,
    StoredDataUnreadable,
    Unauthenticated,
)
from currency.ledger.models import currency
from currency.users.models import user

INFO = b"meguri/totp/v1"
ISSUER = "Meguri"
STEP = timedelta(seconds=30)
ATTEMPTS = ratelimit.Limit(5, timedelta(minutes=15))
WRONG = "The code does not match. Type the 6 digits your authenticator app shows now."


class TotpRequired(Unauthenticated):
    """The password was right; this account also needs the authenticator app's code."""


@dataclass(frozen=True)
class Enrolment:
    shared_secret: str  # base32, for typing into an app that cannot scan
    uri: str  # otpauth://totp/…, shown as a QR code


async def begin_enrolment(
    session: AsyncSession, *, currency_id: int, user_id: int, secret: bytes
) -> Enrolment:
    """A new secret for the user's authenticator app; on only after ``confirm``."""
    row = await _locked_user(session, currency_id, user_id)
    if row["totp_enabled_at"] is not None:
        raise AlreadyDone("Two-step sign-in is already on. Turn it off first to change the app.")
    shared = pyotp.random_base32()
    sealed = sealing.seal(secret, shared.encode(), info=INFO, aad=_aad(currency_id, user_id))
    await _update(session, currency_id, user_id, totp_secret_sealed=sealed)
    name = f"{row['username']}@{row['currency_code']}"
    return Enrolment(shared, pyotp.TOTP(shared).provisioning_uri(name=name, issuer_name=ISSUER))


async def confirm(
    session: AsyncSession,
    *,
    currency_id: int,
    user_id: int,
    code: str,
    secret: bytes,
    now: datetime,
) -> None:
    """Turn two-step sign-in on with a code from the app just set up."""
    row = await _locked_user(session, currency_id, user_id)
    if row["totp_enabled_at"] is not None:
        raise AlreadyDone("Two-step sign-in is already on.")
    if row["totp_secret_sealed"] is None:
        raise InvalidOperation("Start the set-up first: scan the QR code with your app.")
    await ATTEMPTS.hit(session, "totp", "user", str(user_id), currency_id=currency_id, now=now)
    if not await _accept(session, row, code, secret, now):
        raise InvalidOperation(WRONG)
    await _update(session, currency_id, user_id, totp_enabled_at=now)
    await _audit(session, currency_id, f"user:{user_id}", user_id, "user.totp_on")


async def disable(
    session: AsyncSession,
    *,
    currency_id: int,
    user_id: int,
    code: str,
    secret: bytes,
    now: datetime,
) -> None:
    """Turn two-step sign-in off; a current code proves the app is still in hand."""
    row = await _locked_user(session, currency_id, user_id)
    if row["totp_enabled_at"] is None:
        raise AlreadyDone("Two-step sign-in is not on.")
    await ATTEMPTS.hit(session, "totp", "user", str(user_id), currency_id=currency_id, now=now)
    if not await _accept(session, row, code, secret, now):
        raise InvalidOperation(WRONG)
    await _update(session, currency_id, user_id, totp_secret_sealed=None, totp_enabled_at=None)
    await _audit(session, currency_id, f"user:{user_id}", user_id, "user.totp_off")


async def reset(
    session: AsyncSession, *, currency_id: int, user_id: int, staff_id: int, reason: str
) -> None:
    """An administrator turns it off for a user who lost the phone (never for oneself)."""
    if staff_id == user_id:
        raise NotPermitted("Another administrator must reset your own two-step sign-in.")
    if not reason.strip():
        raise InvalidOperation("Say why two-step sign-in is reset (e.g. phone lost).")
    await _locked_user(session, currency_id, user_id)
    await _update(session, currency_id, user_id, totp_secret_sealed=None, totp_enabled_at=None)
    actor = f"staff:{staff_id}"
    await _audit(session, currency_id, actor, user_id, "user.totp_reset", reason.strip())


async def check(
    session: AsyncSession,
    *,
    currency_id: int,
    user_id: int,
    code: str,
    secret: bytes,
    now: datetime,
) -> bool:
    """Whether ``code`` is right now for a user with two-step sign-in on (each code once)."""
    row = await _locked_user(session, currency_id, user_id)
    if row["totp_enabled_at"] is None:
        return False
    return await _accept(session, row, code, secret, now)


async def require(
    session: AsyncSession,
    *,
    currency_id: int,
    user_id: int,
    code: str | None,
    secret: bytes,
    now: datetime,
) -> None:
    """The second step of a sign-in: TotpRequired without a code, Unauthenticated if wrong."""
    if not code:
        raise TotpRequired("Enter the 6-digit code your authenticator app shows.")
    ids = {"currency_id": currency_id, "user_id": user_id}
    if not await check(session, **ids, code=code, secret=secret, now=now):
        raise Unauthenticated("The code does not match; type the 6 digits your app shows now.")


def normal_code(code: str) -> str:
    """Full-width digits (a Japanese keyboard) become ASCII; spaces go."""
    return unicodedata.normalize("NFKC", code).replace(" ", "")


async def _accept(
    session: AsyncSession, row: sa.RowMapping, code: str, secret: bytes, now: datetime
) -> bool:
    shared = _opened(row, secret)
    step = _matching_step(pyotp.TOTP(shared), normal_code(code), now)
    return step is not None and await _first_use(session, row, step)


def _matching_step(totp: pyotp.TOTP, code: str, now: datetime) -> int | None:
    if len(code) != totp.digits or not code.isascii() or not code.isdigit():
        return None
    for offset in (0, -1, 1):
        at = now + offset * STEP
        if hmac.compare_digest(totp.at(at), code):
            return int(totp.timecode(at))
    return None


async def _first_use(session: AsyncSession, row: sa.RowMapping, step: int) -> bool:
    marker = insert(rate_limit).values(
        currency_id=row["currency_id"],
        bucket=f"totp:used:user:{row['id']}",
        window_start=datetime.fromtimestamp(step * STEP.total_seconds(), UTC),
        hits=1,
    )
    inserted = await session.scalar(marker.on_conflict_do_nothing().returning(rate_limit.c.hits))
    return inserted is not None


def _opened(row: sa.RowMapping, secret: bytes) -> str:
    aad = _aad(row["currency_id"], row["id"])
    try:
        return sealing.open_sealed(secret, row["totp_secret_sealed"], info=INFO, aad=aad).decode()
    except StoredDataUnreadable:
        raise StoredDataUnreadable(
            "The two-step sign-in setting of this account cannot be read (altered, or sealed "
            "with another key). An administrator can reset it; then set it up again."
        ) from None


def _aad(currency_id: int, user_id: int) -> bytes:
    return sealing.bound_to(currency=currency_id, user=user_id, field="totp_secret")


async def _locked_user(session: AsyncSession, currency_id: int, user_id: int) -> sa.RowMapping:
    query = (
        sa.select(user, currency.c.code.label("currency_code"))
        .join(currency, currency.c.id == user.c.currency_id)
        .where(user.c.currency_id == currency_id, user.c.id == user_id)
        .with_for_update(of=user)
    )
    row = (await session.execute(query)).mappings().one_or_none()
    if row is None:
        raise NotFound(f"There is no user {user_id}.")
    return row


async def _update(session: AsyncSession, currency_id: int, user_id: int, **values: object) -> None:
    await session.execute(
        sa.update(user)
        .where(user.c.currency_id == currency_id, user.c.id == user_id)
        .values(values)
    )


async def _audit(
    session: AsyncSession,
    currency_id: int,
    actor: str,
    user_id: int,
    action: str,
    reason: str | None = None,
) -> None:
    target = f"user:{user_id}"
    await audit.record(
        session, currency_id=currency_id, actor=actor, action=action, target=target, reason=reason
    )
