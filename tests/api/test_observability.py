"""Operations: /metrics, one JSON log line per request, and no personal data or secret in
any log record — whoever logs it."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from io import StringIO

import pytest
from httpx import ASGITransport, AsyncClient
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from api.main import create_app
from api.observability import MaskPii, configure_logging, mask, metrics, uvicorn_log_config
from api.observability.logs import QUIET, REQUEST_LOGGER
from api.observability.masking import install_masking
from currency.settings import Settings
from tests.api.v1.test_merchant_support import clerk_of, open_till
from tests.currency.auth.support import PASSWORD, PIN

CARD = "4111111111111234"
SAMPLE = re.compile(r'[a-z_]+(\{([a-z_]+="[^"]*",?)*\})? (-?[0-9.e+]+|\+Inf)')


@pytest.fixture
def json_log() -> Iterator[StringIO]:
    """The process logs as ``meguri serve`` would, into a string; put back afterwards."""
    root, stream = logging.getLogger(), StringIO()
    kept = [h for h in root.handlers if not type(h).__module__.startswith("_pytest")]
    level, factory = root.level, logging.getLogRecordFactory()
    levels = {name: logging.getLogger(name).level for name in QUIET}
    configure_logging("DEBUG", stream)
    yield stream
    for handler in [*root.handlers]:
        root.removeHandler(handler)
    for handler in kept:
        root.addHandler(handler)
    root.setLevel(level)
    logging.setLogRecordFactory(factory)
    for name, old in levels.items():
        logging.getLogger(name).setLevel(old)
    logging.getLogger("uvicorn.access").disabled = False


def lines(stream: StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def request_lines(stream: StringIO) -> list[dict[str, object]]:
    return [line for line in lines(stream) if line["logger"] == REQUEST_LOGGER]


def everything_logged(caplog: pytest.LogCaptureFixture, stream: StringIO) -> str:
    """Every message, traceback and field of every record, and the JSON output."""
    parts = [stream.getvalue()]
    for record in caplog.records:
        parts += [record.getMessage(), record.exc_text or "", record.stack_info or ""]
        parts += [v for v in vars(record).values() if isinstance(v, str)]
    return "\n".join(parts)


class TestMasking:
    def test_tokens_and_secrets_are_masked_wherever_they_appear(self) -> None:
        jwt = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiIxMiJ9.c2lnbmF0dXJlc2lnbmF0dXJl"
        refresh = "Qm9vb29vb29vb29vb29vb29vb29vb29vb29vb29vb29vbw1"
        text = mask(
            f"Authorization: Bearer {jwt} body={{'pin': '4827', 'password': 'kawa no nagare'}}"
            f" refresh_token={refresh} qr=MGC1.{CARD}.ABCDEFGHJKLM code MGP1.ABCDEFGHIJKLMNOP"
            " hash $argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJ"
        )
        for secret in (jwt, refresh, "4827", "kawa", CARD, "ABCDEFGHJKLM", "ABCDEFGHIJ", "Rdesc"):
            assert secret not in text
        assert "[masked]" in text
        assert mask(text) == text  # masking twice (factory, then handler) changes nothing

    def test_card_resident_and_phone_numbers_keep_only_their_last_four_digits(self) -> None:
        text = mask("card 4111 1111 1111 1234, resident 0000123456, tel 090-1234-5678")
        assert text == "card ************1234, resident ******3456, tel *******5678"
        assert mask("resident_number=S1000001 mail taro@example.jp pin_number=123456") == (
            "resident_number=****0001 mail [masked] pin_number=[masked]"
        )

    def test_ordinary_text_dates_amounts_and_route_templates_are_left_alone(self) -> None:
        for text in (
            "paid 1,200 at 2026-11-26 10:02:03.123456 (operation 1234567)",
            "GET /v1/merchant/payments/{id}/refunds 201",
            'File "/work/main/.venv/lib/python3.11/site-packages/starlette/routing.py"',
        ):
            assert mask(text) == text

    def test_a_careless_log_call_is_masked_before_any_handler_sees_it(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        install_masking()
        caplog.set_level(logging.INFO)
        careless = logging.getLogger("tests.careless")
        careless.info("sign-in %s", {"resident_number": "0000123456", "pin": "4827"})
        careless.info("card %s paid", CARD)
        try:
            raise ValueError(f"card {CARD} refused")
        except ValueError:
            careless.exception("while paying")
        logged = everything_logged(caplog, StringIO())
        assert "4827" not in logged and CARD not in logged and "0000123456" not in logged
        assert "card ************1234 paid" in caplog.messages

    def test_a_clean_record_keeps_its_arguments_for_formatters_that_need_them(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        install_masking()
        caplog.set_level(logging.INFO)
        logging.getLogger("uvicorn.access").info(
            '%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", "/healthz", "1.1", 200
        )
        assert caplog.records[-1].args == ("127.0.0.1:5000", "GET", "/healthz", "1.1", 200)

    def test_fields_passed_as_extra_are_masked_by_our_handler(self) -> None:
        record = logging.makeLogRecord({"msg": "x", "card": CARD, "ids": [CARD]})
        MaskPii().filter(record)
        assert (record.card, record.ids) == ("************1234", "['************1234']")


class TestRequestLog:
    async def test_each_request_is_one_json_line_with_its_route_template(
        self, json_log: StringIO, client: AsyncClient
    ) -> None:
        r = await client.get("/m/SHOP42?s=ABCDEFGHJKLMN", headers={"X-Request-ID": "req-7"})
        assert r.headers["x-request-id"] == "req-7"
        [line] = request_lines(json_log)
        assert line["request_id"] == "req-7"
        assert (line["method"], line["route"], line["status"]) == ("GET", "/m/{code}", 404)
        assert isinstance(line["duration_ms"], float) and line["level"] == "info"
        assert str(line["time"]).endswith("+00:00")
        assert "SHOP42" not in json_log.getvalue() and "ABCDEFG" not in json_log.getvalue()

    async def test_a_malformed_or_numeric_request_id_is_replaced_by_a_new_one(
        self, json_log: StringIO, client: AsyncClient
    ) -> None:
        for sent in ("<script>", "x" * 65, f"card-{CARD}"):
            r = await client.get("/healthz", headers={"X-Request-ID": sent})
            assert re.fullmatch(r"[0-9a-f]{16}", r.headers["x-request-id"]), sent
        ids = [line["request_id"] for line in request_lines(json_log)]
        assert len(set(ids)) == 3 and CARD not in json_log.getvalue()

    async def test_a_path_no_route_knows_is_logged_without_its_path(
        self, json_log: StringIO, client: AsyncClient
    ) -> None:
        await client.get("/wp-admin/0000123456")
        [line] = request_lines(json_log)
        assert (line["route"], line["status"]) == ("<unmatched>", 404)
        assert "0000123456" not in json_log.getvalue()

    async def test_a_crash_is_one_error_line_with_its_traceback_masked(
        self, json_log: StringIO, settings: Settings, engine: AsyncEngine
    ) -> None:
        app = create_app(settings, engine=engine)

        async def boom(card: str) -> None:
            raise RuntimeError(f"could not read card {card}")

        app.add_api_route("/boom/{card}", boom)
        transport = ASGITransport(app=app, raise_app_exceptions=False)
        async with AsyncClient(transport=transport, base_url="http://testserver") as http:
            r = await http.get(f"/boom/{CARD}")
        assert r.status_code == 500
        [line] = request_lines(json_log)
        assert (line["level"], line["route"], line["status"]) == ("error", "/boom/{card}", 500)
        assert "could not read card ************1234" in str(line["exception"])
        assert CARD not in json_log.getvalue()

    async def test_static_files_are_logged_under_their_mount(
        self, json_log: StringIO, client: AsyncClient
    ) -> None:
        await client.get("/static/meguri.css")
        [line] = request_lines(json_log)
        assert (line["route"], line["status"]) == ("/static/{path}", 200)

    def test_uvicorn_gets_the_same_json_output_without_its_access_log(self) -> None:
        config = uvicorn_log_config()
        assert config["loggers"]["uvicorn.access"]["propagate"] is False
        assert config["handlers"]["json"]["filters"] == ["mask"]
        assert config["loggers"]["sqlalchemy"]["level"] == "WARNING"


class TestMetrics:
    async def test_requests_are_counted_by_route_template_and_status_class(
        self, client: AsyncClient
    ) -> None:
        before = metrics.REQUESTS.value("GET", "/m/{code}", "4xx")
        timed = metrics.DURATION.count("GET", "/m/{code}")
        for code in ("A1", "B2", "C3"):
            await client.get(f"/m/{code}?s=ABCDEFGHJKLMN")
        r = await client.get("/metrics")
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
        assert metrics.REQUESTS.value("GET", "/m/{code}", "4xx") == before + 3
        assert metrics.DURATION.count("GET", "/m/{code}") == timed + 3
        assert 'meguri_http_requests_total{method="GET",route="/m/{code}",status="4xx"}' in r.text
        assert 'le="+Inf",method="GET",route="/m/{code}"}' in r.text  # the +Inf bucket
        assert not re.search(r"A1|B2|C3|ABCDEFG", r.text)

    async def test_the_exposition_is_valid_prometheus_text(self, client: AsyncClient) -> None:
        await client.get("/healthz")
        text = (await client.get("/metrics")).text
        assert text.endswith("\n")
        for line in text.splitlines():
            assert line.startswith(("# HELP ", "# TYPE ")) or SAMPLE.fullmatch(line), line

    async def test_metrics_are_not_shown_to_the_internet(
        self, settings: Settings, engine: AsyncEngine
    ) -> None:
        app = create_app(settings, engine=engine)
        outside = ASGITransport(app=app, client=("8.8.8.8", 40000))
        async with AsyncClient(transport=outside, base_url="http://testserver") as http:
            r = await http.get("/metrics")
        assert r.status_code == 404
        assert "meguri_" not in r.text

    async def test_payments_replays_and_refusals_are_counted(
        self, client: AsyncClient, session: AsyncSession, settings: Settings
    ) -> None:
        till = await open_till(client, session, settings)
        qr = await till.card(await till.customer(coins=5_000))
        route = "/v1/merchant/payments"
        posted, replayed = (metrics.OPERATIONS.value(route, o) for o in ("posted", "replayed"))
        refused = metrics.REFUSALS.value("insufficient-balance")
        body = {"card": {"qr": qr, "pin": PIN}, "amount": 700}
        assert (await till.pay(body, key="k1")).status_code == 201
        assert (await till.pay(body, key="k1")).status_code == 201
        too_much = await till.pay({**body, "amount": 9_000})
        assert too_much.status_code == 409
        assert metrics.OPERATIONS.value(route, "posted") == posted + 1
        assert metrics.OPERATIONS.value(route, "replayed") == replayed + 1
        assert metrics.REFUSALS.value("insufficient-balance") == refused + 1


class TestNoPersonalDataInLogs:
    async def test_sign_ins_a_refresh_and_card_payments_leave_no_secret_in_any_record(
        self,
        caplog: pytest.LogCaptureFixture,
        json_log: StringIO,
        client: AsyncClient,
        session: AsyncSession,
        settings: Settings,
    ) -> None:
        caplog.set_level(logging.DEBUG)
        till = await open_till(client, session, settings)  # signs in with PASSWORD
        till.headers = await clerk_of(till)
        holder = await till.customer(coins=5_000)
        qr = await till.card(holder)
        signed_in = await client.post(
            "/v1/auth/resident", json={"resident_number": holder.number, "pin": PIN}
        )
        tokens = signed_in.json()
        refresh = {"refresh_token": tokens["refresh_token"]}
        refreshed = await client.post("/v1/auth/refresh", json=refresh)
        paid = await till.pay({"card": {"qr": qr, "pin": PIN}, "amount": 700})
        wrong = await till.pay({"card": {"qr": qr, "pin": "9051"}, "amount": 700})
        assert (signed_in.status_code, refreshed.status_code, paid.status_code) == (200, 200, 201)
        assert wrong.status_code == 422, wrong.text  # `wrong-pin`: the PIN pad again
        logged = everything_logged(caplog, json_log)
        assert len(request_lines(json_log)) >= 6
        bearer = till.headers["Authorization"].split()[1]
        card_number, card_mac = qr.split(".")[1:]
        secrets = [PASSWORD, bearer, card_number, card_mac, holder.number, qr]
        secrets += [tokens["access_token"], tokens["refresh_token"]]
        secrets += [refreshed.json()["access_token"], refreshed.json()["refresh_token"]]
        assert [s for s in secrets if s in logged] == []
        assert not re.search(rf"(?<!\d)({PIN}|9051)(?!\d)", logged)
