"""Charge webhooks: only a genuine, fresh, well-formed event from the provider is accepted."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from currency.charges.webhook import (
    MAX_YEN,
    Event,
    WebhookRefused,
    sign,
    verify,
)

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
SECRET = b"whsec_current"
OLD_SECRET = b"whsec_previous"
EVENT = {
    "id": "evt_123",
    "type": "charge.succeeded",
    "resident_number": "1001",
    "yen": 3000,
    "reference": "ch_456",
}
BODY = json.dumps(EVENT).encode()


def body(**changes: Any) -> bytes:
    return json.dumps({**EVENT, **changes}).encode()


def refused(body: bytes, header: str | None, secrets: list[bytes] | None = None) -> str:
    with pytest.raises(WebhookRefused) as caught:
        verify(body, header, secrets or [SECRET], NOW)
    return caught.value.reason


class TestVerify:
    def test_the_signature_is_hmac_sha256_of_timestamp_dot_body_as_the_provider_documents(
        self,
    ) -> None:
        t = int(NOW.timestamp())
        mac = hmac.new(SECRET, f"{t}.".encode() + BODY, hashlib.sha256).hexdigest()
        assert sign(BODY, SECRET, NOW) == f"t={t},v1={mac}"

    def test_a_signed_fresh_event_is_accepted(self) -> None:
        event = verify(BODY, sign(BODY, SECRET, NOW), [SECRET], NOW)
        assert event == Event("evt_123", "charge.succeeded", "1001", 3000, "ch_456")

    def test_a_tampered_body_is_refused(self) -> None:
        header = sign(BODY, SECRET, NOW)
        assert refused(body(yen=300_000), header) == "bad_signature"

    def test_a_signature_with_another_secret_is_refused(self) -> None:
        assert refused(BODY, sign(BODY, b"whsec_someone_else", NOW)) == "bad_signature"

    def test_during_our_rotation_both_secrets_are_accepted(self) -> None:
        for secret in (OLD_SECRET, SECRET):
            assert verify(BODY, sign(BODY, secret, NOW), [SECRET, OLD_SECRET], NOW).id == "evt_123"

    def test_during_the_providers_rotation_one_matching_v1_entry_is_enough(self) -> None:
        old = sign(BODY, OLD_SECRET, NOW)
        new_v1 = sign(BODY, SECRET, NOW).split(",")[1]
        assert verify(BODY, f"{old},{new_v1}", [SECRET], NOW).yen == 3000

    def test_duplicate_v1_entries_are_harmless(self) -> None:
        header = sign(BODY, SECRET, NOW)
        v1 = header.split(",")[1]
        assert verify(BODY, f"{header},{v1},{v1}", [SECRET], NOW).id == "evt_123"

    def test_unknown_schemes_and_spaces_are_tolerated(self) -> None:
        t, v1 = sign(BODY, SECRET, NOW).split(",")
        assert verify(BODY, f" {t} , v0=abc, {v1} ", [SECRET], NOW).id == "evt_123"

    @pytest.mark.parametrize("offset", [timedelta(minutes=5), -timedelta(minutes=5), timedelta(0)])
    def test_a_timestamp_up_to_five_minutes_off_is_accepted(self, offset: timedelta) -> None:
        assert verify(BODY, sign(BODY, SECRET, NOW + offset), [SECRET], NOW).id == "evt_123"

    @pytest.mark.parametrize(
        "offset", [timedelta(seconds=301), -timedelta(seconds=301), timedelta(days=1)]
    )
    def test_an_old_or_future_timestamp_is_refused_even_when_signed(
        self, offset: timedelta
    ) -> None:
        assert refused(BODY, sign(BODY, SECRET, NOW + offset)) == "timestamp_out_of_range"

    def test_the_tolerance_can_be_narrowed(self) -> None:
        header = sign(BODY, SECRET, NOW - timedelta(seconds=31))
        with pytest.raises(WebhookRefused):
            verify(BODY, header, [SECRET], NOW, tolerance=timedelta(seconds=30))


class TestHeader:
    @pytest.mark.parametrize("header", [None, "", "   "])
    def test_a_missing_header_is_refused(self, header: str | None) -> None:
        assert refused(BODY, header) == "missing_header"

    @pytest.mark.parametrize(
        "header",
        [
            "garbage",
            "t=1795685400",
            "v1=" + "0" * 64,
            "t=abc,v1=" + "0" * 64,
            "t=1795685400,v1=xyz",
            "t=1795685400,v1=" + "0" * 63,
            "t=1795685400,v1=" + "A" * 64,
            "t=1795685400,t=1795685400,v1=" + "0" * 64,
            "t=1795685400,,v1=" + "0" * 64,
            "t=-1795685400,v1=" + "0" * 64,
            "t=１７９５６８５４００,v1=" + "0" * 64,
            "t=1795685400,v1=" + "0" * 64 * 100,
        ],
    )
    def test_a_garbled_header_is_refused(self, header: str) -> None:
        assert refused(BODY, header) == "malformed_header"

    def test_a_valid_signature_hidden_in_an_overlong_header_is_refused(self) -> None:
        header = sign(BODY, SECRET, NOW) + ",v0=" + "x" * 5000
        assert refused(BODY, header) == "malformed_header"


class TestBody:
    def refused_body(self, data: bytes) -> str:
        return refused(data, sign(data, SECRET, NOW))

    @pytest.mark.parametrize("data", [b"", b"not json", b"\xff\xfe\x00", b"[1, 2]", b'"evt"'])
    def test_a_body_that_is_not_a_json_object_is_refused(self, data: bytes) -> None:
        assert self.refused_body(data) == "bad_body"

    @pytest.mark.parametrize("field", list(EVENT))
    def test_a_missing_field_is_refused(self, field: str) -> None:
        data = json.dumps({k: v for k, v in EVENT.items() if k != field}).encode()
        with pytest.raises(WebhookRefused, match=field):
            verify(data, sign(data, SECRET, NOW), [SECRET], NOW)

    @pytest.mark.parametrize(
        "changes",
        [
            {"yen": 0},
            {"yen": -3000},
            {"yen": MAX_YEN + 1},
            {"yen": 3000.0},
            {"yen": "3000"},
            {"yen": True},
            {"yen": None},
            {"id": ""},
            {"id": "e" * 201},
            {"id": 123},
            {"resident_number": "  "},
            {"reference": ["ch_456"]},
        ],
    )
    def test_a_field_of_the_wrong_type_or_size_is_refused(self, changes: dict[str, Any]) -> None:
        assert self.refused_body(body(**changes)) == "bad_body"

    def test_the_largest_allowed_charge_and_longest_id_are_accepted(self) -> None:
        data = body(yen=MAX_YEN, id="e" * 200)
        assert verify(data, sign(data, SECRET, NOW), [SECRET], NOW).yen == MAX_YEN

    def test_extra_fields_from_a_newer_provider_version_are_ignored(self) -> None:
        data = body(livemode=True)
        assert verify(data, sign(data, SECRET, NOW), [SECRET], NOW).id == "evt_123"

    def test_deeply_nested_or_huge_number_json_is_refused_not_crashing(self) -> None:
        for data in (b"[" * 100_000 + b"]" * 100_000, b'{"yen": 1' + b"0" * 5000 + b"}"):
            assert self.refused_body(data) == "bad_body"


class TestConfiguration:
    @pytest.mark.parametrize("secrets", [[], [b""], [SECRET, b""]])
    def test_no_or_empty_secret_is_our_error_not_the_senders(self, secrets: list[bytes]) -> None:
        with pytest.raises(ValueError) as caught:
            verify(BODY, sign(BODY, SECRET, NOW), secrets, NOW)
        assert not isinstance(caught.value, WebhookRefused)

    def test_a_naive_clock_is_our_error(self) -> None:
        with pytest.raises(ValueError, match="timezone"):
            verify(BODY, sign(BODY, SECRET, NOW), [SECRET], NOW.replace(tzinfo=None))


_HEADER_TEXT = st.one_of(
    st.text(max_size=300),
    st.lists(
        st.tuples(
            st.sampled_from(["t", "v1", "v0", "T", " v1", ""]),
            st.sampled_from(["=", "", "=="]),
            st.one_of(st.text("0123456789abcdefABCDEF-", max_size=70), st.text(max_size=10)),
        ).map("".join),
        max_size=6,
    ).map(",".join),
)


@settings(max_examples=500, deadline=None)
@given(header=_HEADER_TEXT, data=st.binary(max_size=200))
def test_any_header_is_refused_with_webhook_refused_only(header: str, data: bytes) -> None:
    with pytest.raises(WebhookRefused):
        verify(data, header, [SECRET, OLD_SECRET], NOW)


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=500))
def test_any_signed_body_gives_an_event_or_a_refusal(data: bytes) -> None:
    try:
        event = verify(data, sign(data, SECRET, NOW), [SECRET], NOW)
    except WebhookRefused as refusal:
        assert refusal.reason == "bad_body"
    else:
        assert 0 < event.yen <= MAX_YEN
