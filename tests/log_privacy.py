"""The log scan after the suite: no personal data or secret the tests made reaches a log.

During the whole session every log record emitted in this process (the app's loggers,
uvicorn's in served tests, the CLI's) is also written through the app's own JSON handler
(``api.observability.logs.json_handler``: the formatter and the masking filter that
``meguri serve`` uses) to one file per process (per xdist worker). The tests' secrets are
collected where they are made: residents from ``tests/factories.py`` (``Books.resident``),
passwords and PINs from ``tests/currency/auth/support.py``, and whatever a request through
the ``client`` fixture sends or receives under a secret-looking key (tokens, PINs, resident
numbers, names). At the end each process scans its own file; a line holding any of them,
or anything shaped like a token, card or phone number, fails the run with the line shown.

Registered by tests/conftest.py (``pytest_configure``); the ``client`` fixture passes
``HOOKS`` to its httpx client.
"""

from __future__ import annotations

import copy
import json
import logging
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from api.observability.logs import QUIET, json_handler

# The values of these keys in a request or an answer are secrets or personal data.
SECRET_KEY = re.compile(
    r"(?i)^(.*password.*|.*pin|totp_code|.*token|qr|.*activation_code|code_text|"
    r"resident_number|to_resident_number|card_number|name_kana|kana|phone.*)$"
)
PERSON_PATH = re.compile(r"/residents|/me\b|/activation")  # there, ``name`` is a person's
SHAPES = {
    "a JWT": re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
    "an opaque token": re.compile(
        r"(?<![A-Za-z0-9_-])(?=[A-Za-z0-9_-]*\d)(?=[A-Za-z0-9_-]*[a-z])(?=[A-Za-z0-9_-]*[A-Z])"
        r"[A-Za-z0-9_-]{16,}(?![A-Za-z0-9_-])"
    ),
    "a card number": re.compile(r"(?<!\d)(?:\d{16}|\d{4}(?:[ -]\d{4}){3})(?!\d)"),
    "a phone number": re.compile(r"(?<!\d)0[789]0-?\d{4}-?\d{4}(?!\d)"),
    "a test resident's name": re.compile(r"テスト\s*太郎"),
}
NOT_SCANNED = frozenset({"time", "level", "request_id"})  # ours, never a caller's data
SHORT = 6  # a secret this short (a PIN, a TOTP code) counts only as a whole number


class Secrets:
    """What the tests of this process made that must never be logged."""

    def __init__(self) -> None:
        self.values: set[str] = set()

    def add(self, *values: object) -> None:
        for value in values:
            if isinstance(value, str) and len(value.strip()) >= 4:
                self.values.add(value.strip())

    def harvest(self, data: Any, *, names: bool = False) -> None:
        """Values under secret-looking keys, anywhere in a JSON document."""
        if isinstance(data, dict):
            for key, value in data.items():
                if isinstance(value, str) and (SECRET_KEY.match(key) or (names and key == "name")):
                    self.add(value)
                else:
                    self.harvest(value, names=names)
        elif isinstance(data, list):
            for item in data:
                self.harvest(item, names=names)

    def pattern(self) -> re.Pattern[str] | None:
        if not self.values:
            return None
        parts = [
            rf"(?<![\d*]){re.escape(v)}(?!\d)" if len(v) <= SHORT else re.escape(v)
            for v in sorted(self.values, key=len, reverse=True)
        ]
        return re.compile("|".join(parts))


SECRETS = Secrets()


# --- collecting ---------------------------------------------------------------------------


def _json_of(content: bytes) -> Any:
    try:
        return json.loads(content)
    except ValueError:
        return None


async def _on_request(request: httpx.Request) -> None:
    if request.headers.get("content-type", "").startswith("application/json"):
        SECRETS.harvest(_json_of(request.content), names=bool(PERSON_PATH.search(request.url.path)))
    SECRETS.add(request.headers.get("authorization", "").partition(" ")[2])


async def _on_response(response: httpx.Response) -> None:
    if "json" not in response.headers.get("content-type", ""):
        return  # a stream (Server-Sent Events) is never read here
    await response.aread()
    names = bool(PERSON_PATH.search(response.request.url.path))
    SECRETS.harvest(_json_of(response.content), names=names)


HOOKS: dict[str, list[Any]] = {"request": [_on_request], "response": [_on_response]}


def _collect_residents() -> Any:
    """Wrap ``Books.resident``: each resident's number and name become secrets."""
    from currency.residents.models import resident
    from tests.factories import Books

    original = Books.resident

    async def made(self: Books, **kwargs: Any) -> Any:
        found = await original(self, **kwargs)
        row = (
            await self.session.execute(
                sa.select(resident.c.name, resident.c.name_kana).where(
                    resident.c.currency_id == self.currency_id, resident.c.id == found.id
                )
            )
        ).one()
        SECRETS.add(found.number, row.name, row.name_kana)
        return found

    Books.resident = made  # type: ignore[method-assign]
    return original


# --- capturing ----------------------------------------------------------------------------


class Capture:
    """Every record any logger of this process handles, also into one JSON-lines file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.stream = path.open("w", encoding="utf-8")
        self.sink = json_handler(self.stream)
        self.original = logging.Logger.handle
        self.levels: dict[str, int] = {}

    def start(self) -> None:
        sink, original = self.sink, self.original

        def handle(logger: logging.Logger, record: logging.LogRecord) -> None:
            original(logger, record)
            if not logger.disabled:
                sink.handle(copy.copy(record))  # masked on a copy: caplog sees the original

        logging.Logger.handle = handle  # type: ignore[method-assign]
        # as ``meguri serve`` logs (api/observability/logs.py configure_logging)
        for name, level in {"": "INFO", **QUIET}.items():
            self.levels[name] = logging.getLogger(name).level
            logging.getLogger(name).setLevel(level)

    def stop(self) -> None:
        logging.Logger.handle = self.original  # type: ignore[method-assign]
        for name, level in self.levels.items():
            logging.getLogger(name).setLevel(level)
        self.stream.close()


# --- scanning -----------------------------------------------------------------------------


def _texts(line: str) -> Iterator[str]:
    try:
        entry = json.loads(line)
    except ValueError:
        yield line
        return
    if not isinstance(entry, dict):
        yield line
        return
    for key, value in entry.items():
        if key not in NOT_SCANNED and isinstance(value, str):
            yield value


def offences(path: Path, secrets: Secrets) -> list[str]:
    """Each line (numbered) that holds a secret, and what it holds."""
    found, exact = [], secrets.pattern()
    if not path.exists():
        return [f"{path}: the session's log file is gone; nothing could be checked"]
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            for text in _texts(line):
                what = _offence(text, exact)
                if what:
                    found.append(f"{path}:{number}: {what}: {line.strip()[:600]}")
                    break
    return found


def _offence(text: str, exact: re.Pattern[str] | None) -> str | None:
    if exact is not None and (hit := exact.search(text)):
        return f"a value the tests made ({hit[0][:2]}…)"
    for what, shape in SHAPES.items():
        if shape.search(text):
            return what
    return None


# --- the plugin ---------------------------------------------------------------------------


class LogPrivacy:
    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.folder = Path(tempfile.mkdtemp(prefix="meguri-test-logs-"))
        worker = getattr(config, "workerinput", {}).get("workerid", "main")
        self.capture = Capture(self.folder / f"{worker}.jsonl")
        self.found: list[str] = []
        self.residents: Any = None

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        from tests.currency.auth import support

        SECRETS.add(support.PASSWORD, support.PIN)
        self.residents = _collect_residents()
        self.capture.start()

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        from tests.factories import Books

        self.capture.stop()
        Books.resident = self.residents  # type: ignore[method-assign]
        self.found += offences(self.capture.path, SECRETS)  # (+ the workers', reported)
        if hasattr(self.config, "workeroutput"):  # an xdist worker: the controller reports
            self.config.workeroutput["log_privacy"] = self.found
        self._conclude(session)

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        self.found += getattr(node, "workeroutput", {}).get("log_privacy", [])

    def _conclude(self, session: pytest.Session) -> None:
        if self.found and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        if not self.found:
            shutil.rmtree(self.folder, ignore_errors=True)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.found:
            terminalreporter.section("personal data or secrets in the logs", red=True)
            for line in self.found[:20]:
                terminalreporter.write_line(line)
            terminalreporter.write_line(f"{len(self.found)} line(s); the log files are kept")
