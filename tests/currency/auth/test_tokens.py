"""Access tokens: what we sign verifies; every forgery, expiry or mix-up is one 401."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from currency.auth import keys, tokens
from currency.auth.keys import SigningKey
from currency.errors import Unauthenticated
from currency.settings import ConfigurationError, Settings
from tests.currency.auth.support import NOW, new_key, private_pem, public_pem, the_key, the_ring

KEY = the_key()


def issued(**overrides: Any) -> str:
    values: dict[str, Any] = {
        "key": KEY,
        "principal": "user:12",
        "role": "staff",
        "currency": "SAIKI",
        "token_version": 3,
        "now": NOW,
    }
    return tokens.issue_access(**(values | overrides)).token


def claims(**overrides: Any) -> dict[str, Any]:
    """The claims issue_access would write, to be altered by an attacker."""
    return jwt.decode(issued(), options={"verify_signature": False}) | overrides


def signed(payload: dict[str, Any], key: SigningKey = KEY, **headers: Any) -> str:
    return jwt.encode(
        payload, key.private_key, algorithm="EdDSA", headers={"kid": key.kid} | headers
    )


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hand_made(header: dict[str, Any], payload: dict[str, Any], signature: bytes = b"") -> str:
    return (
        f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}.{b64(signature)}"
    )


def refused(token: Any, *, at: Any = NOW, ring: keys.KeyRing | None = None) -> None:
    with pytest.raises(Unauthenticated) as caught:
        tokens.verify_access(token, ring=ring or the_ring(), now=at)
    assert str(caught.value) == "please sign in again", "never say which check failed"


class TestIssueAndVerify:
    def test_a_token_we_issue_verifies_with_who_what_and_where(self) -> None:
        access = tokens.issue_access(
            key=KEY, principal="resident:34", role="resident", currency="SAIKI",
            token_version=2, now=NOW,
        )  # fmt: skip
        assert access.expires_in == 600
        got = tokens.verify_access(access.token, ring=the_ring(), now=NOW + timedelta(minutes=9))
        assert (got.sub, got.kind, got.principal_id) == ("resident:34", "resident", 34)
        assert (got.role, got.currency, got.tv) == ("resident", "SAIKI", 2)
        assert got.exp - got.iat == timedelta(minutes=10)
        header = jwt.get_unverified_header(access.token)
        assert header["alg"] == "EdDSA" and header["kid"] == KEY.kid
        payload = jwt.decode(access.token, options={"verify_signature": False})
        assert (payload["iss"], payload["aud"]) == ("meguri", "meguri-api")
        assert len(payload["jti"]) == 32

    def test_every_token_has_its_own_id(self) -> None:
        first, second = (tokens.verify_access(issued(), ring=the_ring(), now=NOW) for _ in "12")
        assert first.jti != second.jti

    def test_an_unknown_role_or_principal_is_never_issued(self) -> None:
        with pytest.raises(ValueError, match="role"):
            issued(role="superuser")
        with pytest.raises(Unauthenticated):
            issued(principal="merchant:1")


class TestAttacks:
    def test_alg_none_is_refused(self) -> None:
        refused(hand_made({"alg": "none", "typ": "JWT", "kid": KEY.kid}, claims()))
        refused(hand_made({"alg": "none", "typ": "JWT"}, claims()))

    def test_hs256_signed_with_our_public_key_as_the_secret_is_refused(self) -> None:
        header = {"alg": "HS256", "typ": "JWT", "kid": KEY.kid}
        forged = hand_made(header, claims(role="admin"))
        signing_input = forged.rsplit(".", 1)[0].encode()
        for secret in (public_pem_of(KEY), KEY.public_key.public_bytes_raw()):
            mac = hmac.new(secret, signing_input, hashlib.sha256).digest()
            refused(f"{forged.rsplit('.', 1)[0]}.{b64(mac)}")

    def test_an_expired_token_is_refused_from_the_second_it_expires(self) -> None:
        token = issued()
        tokens.verify_access(token, ring=the_ring(), now=NOW + timedelta(seconds=599))
        refused(token, at=NOW + timedelta(minutes=10))
        refused(token, at=NOW + timedelta(days=1))

    def test_a_token_from_the_future_is_refused(self) -> None:
        refused(issued(), at=NOW - timedelta(minutes=1))

    def test_a_token_living_longer_than_ten_minutes_is_refused_even_if_signed(self) -> None:
        iat = int(NOW.timestamp())
        refused(signed(claims(iat=iat, exp=iat + 86_400)))

    @pytest.mark.parametrize(
        ("claim", "value"),
        [("aud", "meguri-admin"), ("aud", ["meguri-api", "other"]), ("iss", "meguri-dev"),
         ("iss", "megur"), ("role", "root"), ("role", "resident"), ("tv", "3"), ("tv", True),
         ("currency", 7), ("sub", "user:0"), ("sub", "user:12 "), ("exp", "soon"),
         ("iat", 1.5), ("jti", 5)],
    )  # fmt: skip
    def test_a_signed_token_with_a_wrong_claim_is_refused(self, claim: str, value: Any) -> None:
        refused(signed(claims(**{claim: value})))

    @pytest.mark.parametrize("claim", tokens.REQUIRED)
    def test_a_signed_token_missing_a_claim_is_refused(self, claim: str) -> None:
        payload = claims()
        del payload[claim]
        refused(signed(payload))

    def test_a_tampered_payload_is_refused(self) -> None:
        header, _, signature = issued().split(".")
        payload = b64(json.dumps(claims(role="admin")).encode())
        refused(f"{header}.{payload}.{signature}")

    def test_an_unknown_or_missing_kid_is_refused(self) -> None:
        refused(signed(claims(), kid="0123456789abcdef"))
        refused(jwt.encode(claims(), KEY.private_key, algorithm="EdDSA"))
        unsigned = hand_made({"alg": "EdDSA", "kid": [KEY.kid]}, claims()).rsplit(".", 1)[0]
        refused(f"{unsigned}.{b64(KEY.private_key.sign(unsigned.encode()))}")

    def test_a_key_claiming_our_kid_but_not_ours_is_refused(self) -> None:
        impostor = SigningKey(KEY.kid, Ed25519PrivateKey.generate())
        refused(signed(claims(), impostor))

    @pytest.mark.parametrize(
        "garbage",
        ["", "abc", "a.b.c", "..", "Bearer " + "x" * 40, "eyJhbGciOiJFZERTQSJ9.e30.", "\x00", "é"],
    )
    def test_garbage_is_refused(self, garbage: str) -> None:
        refused(garbage)

    def test_a_token_that_is_not_a_string_is_refused(self) -> None:
        refused(None)
        refused(12)


class TestRotation:
    def test_a_token_of_the_previous_key_verifies_while_that_key_is_in_the_ring(self) -> None:
        old, new = new_key(), new_key()
        token = issued(key=old)
        during = keys.key_ring(new, [old.public_key])
        assert tokens.verify_access(token, ring=during, now=NOW).sub == "user:12"
        assert tokens.verify_access(issued(key=new), ring=during, now=NOW).sub == "user:12"
        refused(token, ring=keys.key_ring(new))  # the old key rotated out

    def test_the_ring_comes_from_settings_with_previous_keys_by_file(self, tmp_path: Path) -> None:
        current, previous = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
        (tmp_path / "current.pem").write_bytes(private_pem(current))
        (tmp_path / "old.pub.pem").write_bytes(public_pem(previous))
        (tmp_path / "older.pem").write_bytes(private_pem(Ed25519PrivateKey.generate()))
        settings = Settings(
            data_dir=tmp_path,
            jwt_private_key_file=tmp_path / "current.pem",
            jwt_previous_public_key_files=[tmp_path / "old.pub.pem", tmp_path / "older.pem"],
        )
        signing, ring = keys.from_settings(settings)
        assert signing.kid == keys.kid_of(current.public_key())
        assert len(ring.keys) == 3 and ring.get(keys.kid_of(previous.public_key())) is not None

    def test_the_development_key_works_out_of_the_box(self, settings: Settings) -> None:
        signing, ring = keys.from_settings(settings)
        token = issued(key=signing)
        assert tokens.verify_access(token, ring=ring, now=NOW).role == "staff"

    def test_the_kid_is_the_start_of_the_sha256_of_the_raw_public_key(self) -> None:
        raw = KEY.public_key.public_bytes_raw()
        assert KEY.kid == hashlib.sha256(raw).hexdigest()[:16]

    def test_a_key_of_another_type_is_a_configuration_error(self, tmp_path: Path) -> None:
        from cryptography.hazmat.primitives import serialization

        p256 = ec.generate_private_key(ec.SECP256R1())
        pem = p256.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )  # fmt: skip
        with pytest.raises(ConfigurationError, match="Ed25519"):
            keys.signing_key_from_pem(pem)
        with pytest.raises(ConfigurationError, match="cannot be read"):
            keys.public_key_from_pem(b"-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----")


def public_pem_of(key: SigningKey) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
