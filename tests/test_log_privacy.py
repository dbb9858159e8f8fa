"""The net under "no personal data in the logs": the session's log file really receives the
app's records, refusals that name a person leave no name there, a database error does not
carry a row's contents into a traceback, and the scan at the end finds what it must."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
import sqlalchemy as sa
from httpx import AsyncClient
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.observability.logs import REQUEST_LOGGER
from currency.errors import NotFound
from currency.residents.models import resident
from currency.settings import Settings
from tests import log_privacy
from tests.currency.auth.support import PIN, add_resident, currency_code
from tests.factories import Books

NAME, KANA = "佐伯 花子", "サイキ ハナコ"


def session_log(config: pytest.Config) -> list[dict[str, object]]:
    plugin = config.pluginmanager.get_plugin("meguri-log-privacy")
    assert isinstance(plugin, log_privacy.LogPrivacy)
    plugin.capture.stream.flush()
    text = plugin.capture.path.read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines()]


async def test_requests_through_the_client_reach_the_session_log(
    client: AsyncClient, session: AsyncSession, settings: Settings, request: pytest.FixtureRequest
) -> None:
    books = await Books.open(session)
    settings.currency_code = await currency_code(books)
    someone = await add_resident(books)
    r = await client.post(
        "/v1/auth/resident", json={"resident_number": someone.number, "pin": "0000"}
    )
    assert r.status_code == 401, r.text
    line = session_log(request.config)[-1]
    assert (line["logger"], line["route"], line["status"]) == (
        REQUEST_LOGGER,
        "/v1/auth/resident",
        401,
    )
    assert someone.number in log_privacy.SECRETS.values  # collected from the factory
    assert PIN in log_privacy.SECRETS.values


async def test_a_refusal_naming_a_resident_leaves_no_name_in_the_log(
    client: AsyncClient, request: pytest.FixtureRequest
) -> None:
    app = log_privacy_app(client)

    async def missing() -> None:
        raise NotFound(f"{NAME} ({KANA}) has no card")

    app.add_api_route("/v1/privacy-probe", missing)
    r = await client.get("/v1/privacy-probe")
    assert r.status_code == 404
    logged = json.dumps(session_log(request.config)[-1], ensure_ascii=False)
    assert NAME not in logged and KANA not in logged and "/v1/privacy-probe" in logged


async def test_a_database_error_logs_no_row_contents(
    session: AsyncSession, request: pytest.FixtureRequest
) -> None:
    books = await Books.open(session)
    first = await books.resident()
    duplicate = {
        "currency_id": books.currency_id, "resident_number": first.number, "name": NAME,
        "name_kana": KANA, "district": "蒲江", "wallet_account_id": await books.wallet(),
    }  # fmt: skip
    try:
        async with session.begin_nested():
            await session.execute(sa.insert(resident).values(**duplicate))
    except IntegrityError:
        logging.getLogger("meguri.test").exception("enrolment failed")
    line = session_log(request.config)[-1]
    assert "IntegrityError" in str(line["exception"])
    logged = json.dumps(line, ensure_ascii=False)
    assert NAME not in logged and KANA not in logged and first.number not in logged


def test_the_scan_reports_the_line_that_holds_a_secret(tmp_path: Path) -> None:
    secrets = log_privacy.Secrets()
    secrets.add("0000012345", NAME, "4827")
    log = tmp_path / "gw0.jsonl"
    lines = [
        {"message": "POST /v1/auth/resident 401", "duration_ms": 4827.0},
        {"message": "resident ******2345 signed in with PIN [masked]"},
        {"message": f"enrolled {NAME}"},
        {"message": "refresh Qm9vb29vb29vb29vb3Aa1_-x failed"},
        {"message": "tel 090-1234-5678"},
    ]
    log.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n")
    found = log_privacy.offences(log, secrets)
    assert [f.split(":")[1] for f in found] == ["3", "4", "5"]
    assert "opaque token" in found[1] and "phone" in found[2]


def log_privacy_app(client: AsyncClient) -> object:
    from tests.api.v1.world import app_of

    return app_of(client)
