"""Passkeys (WebAuthn) for residents: the phone's fingerprint or face unlock instead of a PIN.

A signed-in resident registers a passkey (``registration_options`` then ``register``);
later anyone may sign in with one (``sign_in_options`` then ``authenticate``): the
options ask for any passkey of this site (discoverable credentials, empty
allowCredentials), and the stored credential says whose it is.

Each options call stores a challenge (challenges.py): hashed, for one purpose, five
minutes, used once — a replayed answer is refused. The ``webauthn`` package checks
the signatures, the origin, the relying party and the sign count.

A suspended resident cannot sign in. Resident-facing messages are plain; which check
failed is never said.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
import webauthn
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from webauthn.helpers import exceptions as webauthn_errors
from webauthn.helpers import structs
from webauthn.registration.verify_registration_response import VerifiedRegistration

from currency.audit import service as audit
from currency.auth import challenges, login
from currency.auth.models import passkey as t
from currency.errors import (
    AccountUnavailable,
    AlreadyDone,
    InvalidOperation,
    NotFound,
    Unauthenticated,
)
from currency.residents.models import resident

NOT_CHECKED = "The passkey could not be checked. Please try again, or sign in with your PIN."
NOT_REGISTERED = "The passkey could not be registered. Please try again."
NOT_IN_USE = "This wallet is suspended; please ask the city office."
TIMEOUT_MS = 300_000
PREFERRED = structs.UserVerificationRequirement.PREFERRED


@dataclass(frozen=True)
class RelyingParty:
    """This site as passkeys see it: its domain, the name shown, the pages' origins."""

    id: str
    name: str
    origins: tuple[str, ...]

    @classmethod
    def from_settings(cls, settings: object) -> RelyingParty:
        origins = getattr(settings, "webauthn_origins", None)
        return cls(
            getattr(settings, "webauthn_rp_id", "localhost"),
            getattr(settings, "webauthn_rp_name", "Meguri"),
            tuple(origins or ("http://localhost:8000", "http://127.0.0.1:8000")),
        )


@dataclass(frozen=True)
class Passkey:
    id: int
    name: str | None
    created_at: datetime
    last_used_at: datetime | None


async def registration_options(
    session: AsyncSession,
    *,
    currency_id: int,
    resident_id: int,
    rp: RelyingParty,
    now: datetime,
    secret: bytes,
) -> dict[str, Any]:
    """What the browser needs for navigator.credentials.create(), as JSON."""
    row = await _resident(session, currency_id, resident_id)
    existing = await session.scalars(
        sa.select(t.c.credential_id).where(
            t.c.currency_id == currency_id, t.c.resident_id == resident_id
        )
    )
    principal = f"resident:{resident_id}"
    challenge = await challenges.new(
        session, currency_id=currency_id, purpose="register", principal=principal, now=now
    )
    options = webauthn.generate_registration_options(
        rp_id=rp.id, rp_name=rp.name, user_id=user_handle(secret, currency_id, resident_id),
        user_name=row["resident_number"], user_display_name=row["name"], challenge=challenge,
        timeout=TIMEOUT_MS,
        exclude_credentials=[structs.PublicKeyCredentialDescriptor(id=bytes(c)) for c in existing],
        authenticator_selection=structs.AuthenticatorSelectionCriteria(
            resident_key=structs.ResidentKeyRequirement.PREFERRED, user_verification=PREFERRED
        ),
    )  # fmt: skip
    return _json(webauthn.options_to_json(options))


async def register(
    session: AsyncSession,
    *,
    currency_id: int,
    resident_id: int,
    credential: Mapping[str, Any],
    rp: RelyingParty,
    now: datetime,
    name: str | None = None,
) -> Passkey:
    """Keep the new passkey of a signed-in resident. Commit even when it raises."""
    principal = f"resident:{resident_id}"
    expected = await challenges.take(
        session, currency_id=currency_id, purpose="register", principal=principal,
        credential=credential, now=now,
    )  # fmt: skip
    if expected is None:
        raise InvalidOperation(NOT_REGISTERED)
    try:
        verified = webauthn.verify_registration_response(
            credential=dict(credential), expected_challenge=expected, expected_rp_id=rp.id,
            expected_origin=list(rp.origins),
        )  # fmt: skip
    except (webauthn_errors.WebAuthnException, ValueError, TypeError, KeyError):
        raise InvalidOperation(NOT_REGISTERED) from None
    return await _store(session, currency_id, resident_id, verified, credential, name, now)


async def sign_in_options(
    session: AsyncSession, *, currency_id: int, rp: RelyingParty, now: datetime
) -> dict[str, Any]:
    """What the browser needs for navigator.credentials.get(): any passkey of this site."""
    challenge = await challenges.new(
        session, currency_id=currency_id, purpose="sign_in", principal=None, now=now
    )
    options = webauthn.generate_authentication_options(
        rp_id=rp.id, challenge=challenge, timeout=TIMEOUT_MS, allow_credentials=[],
        user_verification=PREFERRED,
    )  # fmt: skip
    return _json(webauthn.options_to_json(options))


async def authenticate(
    session: AsyncSession,
    *,
    currency_id: int,
    credential: Mapping[str, Any],
    rp: RelyingParty,
    now: datetime,
    secret: bytes,
) -> login.Principal:
    """Who signs in with this passkey. Commit even when it raises (the challenge is spent)."""
    expected = await challenges.take(
        session, currency_id=currency_id, purpose="sign_in", principal=None,
        credential=credential, now=now,
    )  # fmt: skip
    stored = await _credential(session, currency_id, credential)
    if expected is None or stored is None:
        raise Unauthenticated(NOT_CHECKED)
    _check_user_handle(credential, user_handle(secret, currency_id, stored["resident_id"]))
    try:
        verified = webauthn.verify_authentication_response(
            credential=dict(credential), expected_challenge=expected, expected_rp_id=rp.id,
            expected_origin=list(rp.origins), credential_public_key=stored["public_key"],
            credential_current_sign_count=stored["sign_count"],
        )  # fmt: skip
    except (webauthn_errors.WebAuthnException, ValueError, TypeError, KeyError):
        raise Unauthenticated(NOT_CHECKED) from None
    await session.execute(
        sa.update(t).where(t.c.id == stored["id"])
        .values(sign_count=verified.new_sign_count, last_used_at=now)
    )  # fmt: skip
    who = await _resident(session, currency_id, stored["resident_id"])
    if who["status"] != "active":
        raise AccountUnavailable(NOT_IN_USE)
    return login.as_principal("resident", who)


async def passkeys(session: AsyncSession, *, currency_id: int, resident_id: int) -> list[Passkey]:
    """The resident's passkeys, newest first."""
    rows = await session.execute(
        sa.select(t.c.id, t.c.name, t.c.created_at, t.c.last_used_at)
        .where(t.c.currency_id == currency_id, t.c.resident_id == resident_id)
        .order_by(t.c.id.desc())
    )
    return [Passkey(**row) for row in rows.mappings()]


async def remove(
    session: AsyncSession, *, currency_id: int, resident_id: int, passkey_id: int
) -> None:
    """Forget one of the resident's passkeys (NotFound for anyone else's)."""
    removed = await session.scalar(
        sa.delete(t)
        .where(t.c.currency_id == currency_id, t.c.resident_id == resident_id)
        .where(t.c.id == passkey_id)
        .returning(t.c.id)
    )
    if removed is None:
        raise NotFound("You have no such passkey.")
    await audit.record(
        session, currency_id=currency_id, actor=f"resident:{resident_id}",
        action="resident.passkey_removed", target=f"resident:{resident_id}",
        before={"passkey": passkey_id},
    )  # fmt: skip


def user_handle(secret: bytes, currency_id: int, resident_id: int) -> bytes:
    """The resident's WebAuthn user id: stable, opaque (no number or name in it)."""
    message = f"meguri/webauthn-user/v1:{currency_id}:{resident_id}".encode()
    return hmac.new(secret, message, hashlib.sha256).digest()[:32]


# --- helpers ----------------------------------------------------------------------------


def _json(text: str) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(text)
    return parsed


async def _resident(session: AsyncSession, currency_id: int, resident_id: int) -> sa.RowMapping:
    query = login.principal_query("resident", currency_id, resident.c.id == resident_id)
    row: sa.RowMapping | None = (await session.execute(query)).mappings().one_or_none()
    if row is None:
        raise NotFound(f"There is no resident {resident_id}.")
    return row


async def _credential(
    session: AsyncSession, currency_id: int, credential: Mapping[str, Any]
) -> sa.RowMapping | None:
    raw = challenges.decoded(credential.get("rawId") or credential.get("id"))
    if raw is None:
        return None
    query = sa.select(t).where(t.c.currency_id == currency_id, t.c.credential_id == raw)
    row: sa.RowMapping | None = (
        (await session.execute(query.with_for_update())).mappings().one_or_none()
    )
    return row


def _check_user_handle(credential: Mapping[str, Any], expected: bytes) -> None:
    response = credential.get("response")
    given = response.get("userHandle") if isinstance(response, Mapping) else None
    if given and challenges.decoded(given) != expected:
        raise Unauthenticated(NOT_CHECKED)


async def _store(
    session: AsyncSession,
    currency_id: int,
    resident_id: int,
    verified: VerifiedRegistration,
    credential: Mapping[str, Any],
    name: str | None,
    now: datetime,
) -> Passkey:
    stored = await session.execute(
        insert(t)
        .values(
            currency_id=currency_id, resident_id=resident_id,
            credential_id=verified.credential_id, public_key=verified.credential_public_key,
            sign_count=verified.sign_count, transports=_transports(credential),
            name=(name or "").strip()[:60] or None,
        )
        .on_conflict_do_nothing()
        .returning(t.c.id, t.c.name, t.c.created_at, t.c.last_used_at)
    )  # fmt: skip
    row = stored.mappings().one_or_none()
    if row is None:
        raise AlreadyDone("This passkey is registered already.")
    await audit.record(
        session, currency_id=currency_id, actor=f"resident:{resident_id}",
        action="resident.passkey_added", target=f"resident:{resident_id}",
        after={"passkey": row["id"]},
    )  # fmt: skip
    return Passkey(**row)


def _transports(credential: Mapping[str, Any]) -> list[str] | None:
    response = credential.get("response")
    found = response.get("transports") if isinstance(response, Mapping) else None
    if not isinstance(found, Sequence) or isinstance(found, str):
        return None
    return [str(x)[:20] for x in found][:8]
