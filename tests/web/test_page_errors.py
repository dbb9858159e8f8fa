"""Refusals in plain words: what a page says, in Japanese by default and in English."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from starlette.requests import Request

from api.page_errors import page_message
from currency import errors as e
from currency.residents.card_codes import PinLocked


def visitor(lang: str = "") -> Request:
    query = f"lang={lang}".encode() if lang else b""
    app = SimpleNamespace(state=SimpleNamespace())  # no settings: the default language
    return Request({"type": "http", "method": "GET", "path": "/", "headers": [],
                    "query_string": query, "app": app})  # fmt: skip


def test_not_enough_says_what_can_be_used_here_and_why_the_rest_cannot() -> None:
    short = e.InsufficientBalance(requested=3_000, total=2_500, spendable=1_200)
    said = page_message(visitor(), short, unit="コイン")
    assert "1,200\u00a0コイン" in said and "1,300\u00a0コイン" in said
    assert "ポイント" in said  # why part of the balance cannot be used here


def test_a_limit_says_how_much_is_still_possible() -> None:
    over = e.LimitExceeded(
        "over", code="daily_spend_cap", requested=9_000, limit=10_000, used=4_000
    )
    assert "6,000\u00a0pt" in page_message(visitor("en"), over, unit="pt")


def test_too_many_tries_says_how_long_to_wait_in_whole_minutes() -> None:
    said = page_message(visitor("en"), e.RateLimited("slow down", retry_after=61))
    assert "wait 2 minutes" in said


def test_the_most_precise_kind_wins() -> None:
    locked = page_message(visitor(), PinLocked("locked"))
    assert "市役所" in locked and "ロック" in locked
    assert "暗証番号がちがいます" in page_message(visitor(), e.WrongPin("wrong"))


def test_english_is_the_second_language() -> None:
    assert page_message(visitor("en"), e.NotFound("resident 12")) == (
        "We could not find it. Please check the number and try again."
    )


def test_the_services_own_english_detail_is_never_shown() -> None:
    said = page_message(visitor(), e.NotFound("there is no resident 佐伯 花子"))
    assert "花子" not in said


def test_a_fault_that_is_not_a_refusal_is_not_dressed_up() -> None:
    with pytest.raises(KeyError):
        page_message(visitor(), KeyError("bug"))
