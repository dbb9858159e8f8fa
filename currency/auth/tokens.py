"""Access tokens: short-lived JWTs signed with Ed25519 (EdDSA only).

A token says who (``sub``: ``user:12`` or ``resident:34``), in which role and currency,
and the principal's ``tv`` (token version) when it was issued. It lives ten minutes: a
stolen token is worth little, and the refresh token (refresh.py) keeps people signed in.
Each request still checks the principal and its token version in the database
(login.current_principal), so a block or a role change works at once, not at expiry.

Verification takes a fixed algorithm list, so a token cannot choose its own algorithm
("none", or HS256 keyed with our public key). Every failure raises the same
``Unauthenticated``: a forged token and an expired one look alike to the caller.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, TypeGuard

import jwt

from currency.auth.keys import KeyRing, SigningKey
from currency.errors import Unauthenticated

ISSUER = "meguri"
AUDIENCE = "meguri-api"
ALGORITHMS = ["EdDSA"]
LIFETIME = timedelta(minutes=10)
CLOCK_SKEW = timedelta(seconds=30)  # another app server's clock may run a little ahead
ROLES = ("resident", "merchant_clerk", "merchant_owner", "staff", "admin", "auditor")
REQUIRED = ["iss", "aud", "sub", "role", "currency", "tv", "iat", "exp", "jti"]
SIGN_IN_AGAIN = "please sign in again"
_PRINCIPAL = re.compile(r"(user|resident):([1-9][0-9]{0,18})", re.ASCII)

Kind = Literal["user", "resident"]


@dataclass(frozen=True)
class AccessToken:
    token: str
    expires_in: int  # seconds


@dataclass(frozen=True)
class Claims:
    sub: str
    role: str
    currency: str
    tv: int
    iat: datetime
    exp: datetime
    jti: str

    @property
    def kind(self) -> Kind:
        return parse_principal(self.sub)[0]

    @property
    def principal_id(self) -> int:
        return parse_principal(self.sub)[1]


def parse_principal(principal: str) -> tuple[Kind, int]:
    """``"user:12"`` → ``("user", 12)``; anything else is Unauthenticated."""
    found = _PRINCIPAL.fullmatch(principal) if isinstance(principal, str) else None
    if found is None:
        raise Unauthenticated(SIGN_IN_AGAIN)
    kind: Kind = "user" if found[1] == "user" else "resident"
    return kind, int(found[2])


def issue_access(
    *, key: SigningKey, principal: str, role: str, currency: str, token_version: int, now: datetime
) -> AccessToken:
    """A signed access token for ``principal`` acting as ``role`` in ``currency`` (its code)."""
    parse_principal(principal)
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": principal,
        "role": role,
        "currency": currency,
        "tv": token_version,
        "iat": int(now.timestamp()),
        "exp": int((now + LIFETIME).timestamp()),
        "jti": uuid.uuid4().hex,
    }
    token = jwt.encode(claims, key.private_key, algorithm="EdDSA", headers={"kid": key.kid})
    return AccessToken(token, int(LIFETIME.total_seconds()))


def verify_access(token: str, *, ring: KeyRing, now: datetime) -> Claims:
    """The claims of a token we signed that is still valid at ``now``; else Unauthenticated."""
    try:
        payload = _decode(token, ring)
        return _claims(payload, now)
    except (jwt.PyJWTError, ValueError, TypeError, KeyError, OverflowError):
        raise Unauthenticated(SIGN_IN_AGAIN) from None


def _decode(token: str, ring: KeyRing) -> dict[str, Any]:
    public_key = ring.get(jwt.get_unverified_header(token).get("kid"))
    if public_key is None:
        raise ValueError("unknown kid")
    return jwt.decode(
        token,
        public_key,
        algorithms=ALGORITHMS,
        audience=AUDIENCE,
        issuer=ISSUER,
        # exp and iat are checked against the caller's ``now`` in _claims
        options={
            "require": REQUIRED,
            "strict_aud": True,
            "verify_exp": False,
            "verify_iat": False,
            "verify_nbf": False,
        },
    )


def _claims(payload: dict[str, Any], now: datetime) -> Claims:
    iat, exp = _instant(payload["iat"]), _instant(payload["exp"])
    if not (iat - CLOCK_SKEW <= now < exp) or exp - iat > LIFETIME:
        raise ValueError("outside the token's lifetime")
    sub, role, currency, tv, jti = (payload[c] for c in ("sub", "role", "currency", "tv", "jti"))
    kind, _ = parse_principal(sub)
    if role not in ROLES or (role == "resident") != (kind == "resident"):
        raise ValueError("role")
    if not isinstance(currency, str) or not isinstance(jti, str) or not _is_int(tv):
        raise ValueError("claim types")
    return Claims(sub, role, currency, tv, iat, exp, jti)


def _instant(value: object) -> datetime:
    if not _is_int(value):
        raise ValueError("a time claim must be whole seconds")
    return datetime.fromtimestamp(value, UTC)


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)
