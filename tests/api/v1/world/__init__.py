"""Helpers of the cross-cutting API security tests (no tests here): a town with residents,
shops and city staff (town.py), calling the app (http.py), requests made from the OpenAPI
schema (shapes.py)."""

from tests.api.v1.world.http import PROBLEM, alone, app_of, crash_as_500, v1_routes
from tests.api.v1.world.shapes import minimal, resolved
from tests.api.v1.world.town import (
    ROLE_CALLER,
    World,
    counter_work,
    open_world,
    sign_in_resident,
    sign_in_user,
)

__all__ = [
    "PROBLEM", "ROLE_CALLER", "World", "alone", "app_of", "counter_work", "crash_as_500",
    "minimal", "open_world", "resolved", "sign_in_resident", "sign_in_user", "v1_routes",
]  # fmt: skip
