from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from currency.settings import ConfigurationError, Settings


def test_development_generates_its_secrets_once(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    first = settings.secret_key
    assert Settings(data_dir=tmp_path).secret_key == first
    assert (tmp_path / "secrets" / "jwt-ed25519.pem").exists() is False
    Settings(data_dir=tmp_path).jwt_private_key_pem  # noqa: B018
    assert (tmp_path / "secrets" / "jwt-ed25519.pem").stat().st_mode & 0o077 == 0


def test_production_refuses_the_embedded_database(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="MEGURI_DATABASE_URL"):
        Settings(production=True, data_dir=tmp_path).check_production()


def test_production_refuses_development_secrets(tmp_path: Path) -> None:
    dev = Settings(data_dir=tmp_path)
    dev_key = dev.dev_secrets_dir / "secret.key"
    dev.secret_key  # noqa: B018  (generates it)
    copied = tmp_path.parent / "copied.key"
    copied.write_bytes(dev_key.read_bytes())
    real_jwt = tmp_path.parent / "jwt.pem"
    real_jwt.write_bytes(b"-----BEGIN PRIVATE KEY-----\n")
    for secret in (dev_key, copied):
        settings = Settings(
            production=True,
            data_dir=tmp_path,
            database_url=SecretStr("postgresql://app:pw@db/meguri"),
            secret_key_file=secret,
            jwt_private_key_file=real_jwt,
        )
        with pytest.raises(ConfigurationError, match="development secret"):
            settings.check_production()


def test_production_starts_with_real_secrets(tmp_path: Path) -> None:
    secret = tmp_path / "secret.key"
    secret.write_text("a" * 64)
    jwt = tmp_path / "jwt.pem"
    jwt.write_text("-----BEGIN PRIVATE KEY-----\n")
    Settings(
        production=True,
        data_dir=tmp_path / "data",
        database_url=SecretStr("postgresql://app:pw@db/meguri"),
        secret_key_file=secret,
        jwt_private_key_file=jwt,
    ).check_production()
