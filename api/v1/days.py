"""A day, an instant or a yes/no in a request: written as such, and nothing else.

A plain ``date`` parameter is read leniently by pydantic: ``?to=0`` is 1 January 1970 (a
number is taken for a Unix time) and ``2026-11-25T00:00:00`` is a day too. Whoever typed a
number meant something else, and the OpenAPI document says ``format: date``: such a value
is a 422 saying how a day is written, not an answer about 1970.

A required one is written ``Annotated[Day, Query(...)]``: FastAPI drops the check from a
plain ``day: Day = Query(...)`` (``Day | None = Query(None)`` keeps it).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated

from pydantic import AwareDatetime, BeforeValidator, Field

_WRITTEN = re.compile(r"\d{4}-\d{2}-\d{2}")


def _written_as_a_day(value: object) -> object:
    if isinstance(value, date) or (isinstance(value, str) and _WRITTEN.fullmatch(value)):
        return value
    raise ValueError("A day is written like 2026-11-25 (year-month-day).")


Day = Annotated[date, BeforeValidator(_written_as_a_day)]


_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}.*")


def _written_as_an_instant(value: object) -> object:
    if isinstance(value, datetime) or (isinstance(value, str) and _INSTANT.fullmatch(value)):
        return value
    raise ValueError("A time is written like 2026-12-01T00:00:00+09:00 (with its time zone).")


# In a JSON body: an ISO 8601 time with its zone (a bare number is not a Unix time here).
Instant = Annotated[AwareDatetime, BeforeValidator(_written_as_an_instant)]
# In a JSON body: true or false (0, 1, "yes" are refused, not guessed).
Flag = Annotated[bool, Field(strict=True)]
