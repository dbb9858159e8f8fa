"""Sign-in state: refresh tokens (opaque, stored hashed, rotated on every use), rate-limit
buckets, residents' activation codes and passkeys, WebAuthn challenges and browser sessions."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from currency.db.metadata import (
    created_at_column,
    currency_column,
    currency_fk,
    id_column,
    metadata,
)

# One family per sign-in; each refresh uses its token once and gets the next. A token
# used twice means it was copied: the whole family is revoked.
refresh_token = sa.Table(
    "auth_refresh_token",
    metadata,
    currency_column(),
    id_column(),
    sa.Column("family", sa.Text, nullable=False),
    sa.Column("principal", sa.Text, nullable=False),  # "user:12" or "resident:34"
    sa.Column("token_hash", sa.LargeBinary, nullable=False),  # sha256 of the opaque token
    sa.Column("token_version", sa.Integer, nullable=False),  # the principal's, when issued
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("used_at", sa.DateTime(timezone=True)),
    sa.Column("revoked_at", sa.DateTime(timezone=True)),
    created_at_column(),
    sa.UniqueConstraint("currency_id", "token_hash"),
    sa.Index(None, "currency_id", "family"),
    sa.Index(None, "currency_id", "principal"),
)

# Fixed windows per bucket ("login:user:<name>", "login:ip:<address>", "pin:<resident>" …).
rate_limit = sa.Table(
    "auth_rate_limit",
    metadata,
    currency_column(),
    sa.Column("bucket", sa.Text, primary_key=True),
    sa.Column("window_start", sa.DateTime(timezone=True), primary_key=True),
    sa.Column("hits", sa.Integer, nullable=False, server_default="0"),
)

# The printed letter a resident gets at enrolment: activates the wallet once.
activation = sa.Table(
    "auth_activation",
    metadata,
    currency_column(),
    id_column(),
    sa.Column("resident_id", sa.BigInteger, nullable=False),
    sa.Column("code_hash", sa.LargeBinary, nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("used_at", sa.DateTime(timezone=True)),
    sa.Column("created_by", sa.BigInteger, nullable=False),
    created_at_column(),
    currency_fk(["resident_id"], "resident.id"),
    currency_fk(["created_by"], "app_user.id"),
    sa.UniqueConstraint("currency_id", "code_hash"),
)

passkey = sa.Table(
    "auth_passkey",
    metadata,
    currency_column(),
    id_column(),
    sa.Column("resident_id", sa.BigInteger, nullable=False),
    sa.Column("credential_id", sa.LargeBinary, nullable=False),
    sa.Column("public_key", sa.LargeBinary, nullable=False),
    sa.Column("sign_count", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("transports", pg.ARRAY(sa.Text)),
    sa.Column("name", sa.Text),
    sa.Column("last_used_at", sa.DateTime(timezone=True)),
    created_at_column(),
    currency_fk(["resident_id"], "resident.id"),
    sa.UniqueConstraint("currency_id", "credential_id"),
)

# A WebAuthn challenge, from the options to the answer: single use, a few minutes.
challenge = sa.Table(
    "auth_challenge",
    metadata,
    currency_column(),
    id_column(),
    sa.Column("purpose", sa.Text, nullable=False),  # "register" or "sign_in"
    sa.Column("principal", sa.Text),  # "resident:34" when registering; None for sign-in
    sa.Column("challenge_hash", sa.LargeBinary, nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("used_at", sa.DateTime(timezone=True)),
    created_at_column(),
    sa.UniqueConstraint("currency_id", "challenge_hash"),
)

# A browser session of the pages: an opaque token in an HttpOnly cookie, stored hashed.
web_session = sa.Table(
    "auth_web_session",
    metadata,
    currency_column(),
    id_column(),
    sa.Column("principal", sa.Text, nullable=False),  # "user:12" or "resident:34"
    sa.Column("token_hash", sa.LargeBinary, nullable=False),
    sa.Column("csrf_hash", sa.LargeBinary, nullable=False),
    sa.Column("token_version", sa.Integer, nullable=False),
    sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True)),
    created_at_column(),
    sa.UniqueConstraint("currency_id", "token_hash"),
    sa.Index(None, "currency_id", "principal"),
)
