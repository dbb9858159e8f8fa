from __future__ import annotations

import inspect

from httpx import AsyncClient

from api import errors as api_errors
from currency import errors as domain


def _all_currency_errors() -> list[type[domain.CurrencyError]]:
    return [
        cls
        for _, cls in inspect.getmembers(domain, inspect.isclass)
        if issubclass(cls, domain.CurrencyError) and cls is not domain.CurrencyError
    ]


def test_every_domain_error_has_a_problem_mapping() -> None:
    missing = [cls.__name__ for cls in _all_currency_errors() if cls not in api_errors.PROBLEMS]
    assert missing == []


def test_problem_types_are_stable_and_unique() -> None:
    slugs = [slug for _, slug, _ in api_errors.PROBLEMS.values()]
    assert len(slugs) == len(set(slugs))


def test_insufficient_balance_tells_how_much_is_restricted() -> None:
    exc = domain.InsufficientBalance(requested=500, total=800, spendable=200)
    assert exc.restricted == 600
    status, slug, _ = api_errors.lookup(exc)
    assert (status, slug) == (409, "insufficient-balance")


async def test_a_body_that_is_not_utf8_is_an_invalid_request_pointing_at_the_body(
    client: AsyncClient,
) -> None:
    r = await client.post(
        "/v1/auth/login", content=b'"\xff"', headers={"content-type": "application/json"}
    )
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["errors"][0]["loc"] == ["body"]


async def test_a_method_not_allowed_says_which_are(client: AsyncClient) -> None:
    r = await client.request("TRACE", "/v1/me/wallet")
    assert r.status_code == 405
    assert r.headers["allow"] == "GET"
    assert r.json()["type"].endswith("/http-405")


async def test_a_method_not_allowed_names_every_method_of_the_path(client: AsyncClient) -> None:
    """A shop's payments: the sales list (GET) and taking a payment (POST) are two routes."""
    r = await client.request("OPTIONS", "/v1/merchant/payments")
    assert r.status_code == 405
    assert r.headers["allow"] == "GET, POST"


async def test_a_literal_path_is_not_taken_for_the_template_beside_it(client: AsyncClient) -> None:
    """``/v1/me/passkeys/options`` is its own path, not a passkey id that could be deleted."""
    r = await client.request("OPTIONS", "/v1/me/passkeys/options")
    assert r.status_code == 405
    assert r.headers["allow"] == "POST"
