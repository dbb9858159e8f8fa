"""One Settings object for the whole service (prefix ``MEGURI_``), built at start-up."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from functools import cached_property
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET_PREFIX = "meguri-dev-"  # noqa: S105  (a marker, not a secret)


class ConfigurationError(Exception):
    """The service cannot start with this configuration; the message says why and what to do."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MEGURI_", extra="ignore")

    database_url: SecretStr | None = Field(
        default=None,
        description="Runtime role URL (postgresql://...). Unset: the embedded PostgreSQL.",
    )
    owner_database_url: SecretStr | None = Field(
        default=None,
        description="Owner role URL used for migrations. Unset: same as database_url.",
    )
    runtime_role: str = "meguri_app"
    currency_code: str = Field(
        default="saiki", description="The currency this deployment serves (its code)."
    )
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str | None = None
    data_dir: Path = Path(".meguri")
    secret_key_file: Path | None = None
    jwt_private_key_file: Path | None = None
    jwt_previous_public_key_files: list[Path] = Field(
        default_factory=list,
        description="Public keys (PEM) of retired signing keys: their tokens still verify "
        "until they expire. Drop them once the access-token lifetime has passed.",
    )
    locale: str = "ja"
    production: bool = False
    refund_grace_days: int = 30
    city_name: str = Field(default="佐伯市", description="Printed on letters, cards and posters.")
    city_office_phone: str = Field(
        default="0972-22-3111",
        description="The city office number printed for residents who need help.",
    )
    # Passkeys (WebAuthn): the site's domain (never an IP address) and the exact origins
    # the wallet pages are served from.
    webauthn_rp_id: str = "localhost"
    webauthn_rp_name: str = "Meguri"
    webauthn_origins: list[str] = Field(
        default_factory=lambda: ["http://localhost:8000", "http://127.0.0.1:8000"]
    )
    open_data_k: int = Field(
        default=10,
        ge=2,
        description="Open data: the fewest distinct residents behind a published cell.",
    )
    db_pool_size: int = 10
    jobs_in_process: bool | None = Field(
        default=None,
        description="Run the scheduled jobs inside meguri serve (one machine). Unset: on "
        "with the embedded database, off otherwise (production runs meguri worker).",
    )
    webhook_secret_files: list[Path] = Field(
        default_factory=list,
        description="Shared secrets of the charge provider's webhook (several while rotating).",
    )
    # The city's own account, the remitter (依頼人) of the 全銀 payout file.
    payout_remitter_code: str = "1234567890"
    payout_remitter_name_kana: str = "ｻｲｷｼ"
    payout_bank_code: str = "0184"
    payout_bank_name_kana: str = "ｵｵｲﾀ"
    payout_branch_code: str = "301"
    payout_branch_name_kana: str = "ｻｲｷ"
    payout_account_type: int = 1
    payout_account_number: str = "1234567"

    @property
    def uses_embedded_database(self) -> bool:
        return self.database_url is None

    @property
    def dev_secrets_dir(self) -> Path:
        return self.data_dir / "secrets"

    @property
    def base_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"

    def check_production(self) -> None:
        """Refuse to run in production with anything generated for development."""
        if not self.production:
            return
        if self.database_url is None:
            raise ConfigurationError(
                "MEGURI_PRODUCTION is set but MEGURI_DATABASE_URL is not: "
                "production needs its own PostgreSQL, not the embedded one."
            )
        for name in ("secret_key_file", "jwt_private_key_file"):
            path = getattr(self, name)
            env = f"MEGURI_{name.upper()}"
            if path is None:
                raise ConfigurationError(f"{env} must be set in production.")
            if not path.is_file():
                raise ConfigurationError(f"{env} points to {path}, which is not a readable file.")
            if _is_within(path, self.dev_secrets_dir) or _is_dev_secret(path):
                raise ConfigurationError(f"{env} is a development secret; generate a real one.")

    @cached_property
    def secret_key(self) -> bytes:
        """The symmetric secret for MACs (card codes, static QR, webhooks)."""
        path = self.secret_key_file or self._dev_secret_file("secret.key", _new_dev_secret)
        return path.read_bytes().strip()

    @cached_property
    def webhook_secrets(self) -> list[bytes]:
        """The provider webhook's shared secrets; in development one generated locally."""
        if self.webhook_secret_files:
            return [p.read_bytes().strip() for p in self.webhook_secret_files]
        return [self._dev_secret_file("webhook.key", _new_dev_secret).read_bytes().strip()]

    @cached_property
    def jwt_private_key_pem(self) -> bytes:
        path = self.jwt_private_key_file or self._dev_secret_file("jwt-ed25519.pem", _new_ed25519)
        return path.read_bytes()

    def _dev_secret_file(self, name: str, make: Callable[[], bytes]) -> Path:
        if self.production:
            raise ConfigurationError(f"production needs MEGURI_{name} to be configured explicitly.")
        path = self.dev_secrets_dir / name
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600)
            path.write_bytes(make())
        return path


def _new_dev_secret() -> bytes:
    return (DEV_SECRET_PREFIX + secrets.token_hex(32)).encode()


def _new_ed25519() -> bytes:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return f"{DEV_SECRET_PREFIX}jwt key, development only\n".encode() + pem


def _is_within(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def _is_dev_secret(path: Path) -> bool:
    return path.read_bytes().startswith(DEV_SECRET_PREFIX.encode())
