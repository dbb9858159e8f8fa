"""A day in a query or a path: written YYYY-MM-DD, and nothing else.

A plain ``date`` parameter is read leniently by pydantic: ``?to=0`` is 1 January 1970 (a
number is taken for a Unix time) and ``2026-11-25T00:00:00`` is a day too. Whoever typed a
number meant something else, and the OpenAPI document says ``format: date``: such a value
is a 422 saying how a day is written, not an answer about 1970.

A required one is written ``Annotated[Day, Query(...)]``: FastAPI drops the check from a
plain ``day: Day = Query(...)`` (``Day | None = Query(None)`` keeps it).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from pydantic import BeforeValidator

_WRITTEN = re.compile(r"\d{4}-\d{2}-\d{2}")


def _written_as_a_day(value: object) -> object:
    if isinstance(value, date) or (isinstance(value, str) and _WRITTEN.fullmatch(value)):
        return value
    raise ValueError("A day is written like 2026-11-25 (year-month-day).")


Day = Annotated[date, BeforeValidator(_written_as_a_day)]
