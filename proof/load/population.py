"""The town for a load run, made through the API before the clock starts: ``users``
residents (enrolled, activated from their own address, charged 20,000 yen), one shop per
ten residents with a clerk signed in, and a kiosk (staff) signed in."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from proof.fuzz import people

OPENING_YEN = 20_000
FIRST_SERIAL = 5000  # resident numbers S1005000 …: clear of the demo's


def build(base_url: str, staff: people.Login, users: int, out: Path) -> dict[str, Any]:
    with people.client(base_url, 0, timeout=60) as c:
        token = people.user_login(c, staff)
        shops = [_shop(c, token, n) for n in range(max(2, users // 10))]
    with ThreadPoolExecutor(max_workers=6) as pool:
        residents = list(pool.map(lambda n: _resident(base_url, token, n), range(users)))
    with people.client(base_url, 1) as c:
        town = {"kiosk_token": people.user_login(c, staff), "shops": shops, "residents": residents}
    out.write_text(json.dumps(town, ensure_ascii=False))
    return town


def _shop(c: Any, staff_token: str, n: int) -> dict[str, str]:
    shop = people.add_shop(c, staff_token, f"LOAD-{n:03d}")
    with people.client(str(c.base_url), 2000 + n) as own:
        return {"code": shop.code, "clerk_token": people.user_login(own, shop.clerk)}


def _resident(base_url: str, staff_token: str, n: int) -> dict[str, str]:
    address = people.loopback(10 + n)
    with people.client(base_url, 10 + n, timeout=60) as c:
        who = people.add_resident(
            c, staff_token, f"S100{FIRST_SERIAL + n:04d}", f"負荷 {n:04d}", OPENING_YEN
        )
    return {"number": who.number, "pin": who.pin, "address": address}
