"""Dates as the city sees them (Japan time), in one place so tests can pass their own."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

JAPAN = ZoneInfo("Asia/Tokyo")


def today() -> date:
    return datetime.now(JAPAN).date()
