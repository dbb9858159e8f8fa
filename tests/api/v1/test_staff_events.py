"""Attendance events over HTTP: staff create one and print its poster; a resident who came
scans it and gets the activity's points once, whatever the retries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from httpx import AsyncClient, Response
from sqlalchemy.ext.asyncio import AsyncSession

from currency.settings import Settings
from tests.api.v1.card_support import audit_rows, resident_signed_in, scanned_svg
from tests.api.v1.staff_support import Office, open_office, refused
from tests.currency.issuance.test_grants import open_programme


@pytest.fixture
async def office(client: AsyncClient, session: AsyncSession, settings: Settings) -> Office:
    office = await open_office(client, session, settings)
    await open_programme(office.books)  # "clean": cleanup 500 pt, patrol 300 pt
    return office


def window(
    opened: timedelta = timedelta(hours=1), lasts: timedelta = timedelta(hours=3)
) -> dict[str, str]:
    starts = datetime.now(UTC) - opened
    return {"starts_at": starts.isoformat(), "ends_at": (starts + lasts).isoformat()}


async def create(office: Office, role: str = "staff", **changes: Any) -> Response:
    body = {"programme": "clean", "activity": "cleanup", "name": "番匠川 河川敷清掃",
            **window(), **changes}  # fmt: skip
    return await office.post("/v1/staff/events", body, role=role)


async def claim(office: Office, me: dict[str, str], code: str, key: str | None) -> Response:
    headers = {**me, **({"Idempotency-Key": key} if key else {})}
    return await office.client.post("/v1/me/event-claims", json={"code": code}, headers=headers)


class TestStaff:
    async def test_an_event_is_created_listed_and_audited(self, office: Office) -> None:
        r = await create(office)
        assert r.status_code == 201, r.text
        event = r.json()
        assert event["code"].startswith(f"MGE1.{event['id']}.")
        listed = await office.get("/v1/staff/events", role="auditor")
        assert [e["id"] for e in listed.json()] == [event["id"]]
        [made] = await audit_rows(office, f"event:{event['id']}")
        assert made["action"] == "event.create"

    async def test_the_poster_prints_a_qr_that_scans_as_the_code(self, office: Office) -> None:
        event = (await create(office)).json()
        r = await office.get(event["poster"], role="auditor")
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("text/html")
        assert scanned_svg(r.text) == event["code"]
        assert "番匠川 河川敷清掃" in r.text and "@page { size: A4" in r.text
        refused(await office.get("/v1/staff/events/999999/poster"), 404, "not-found")

    async def test_refusals(self, office: Office) -> None:
        refused(await create(office, programme="nothing"), 404, "not-found")
        r = await create(office, activity="juggling")
        assert "cleanup" in refused(r, 404, "not-found")["detail"], "it lists the activities"
        over = window(opened=timedelta(hours=5), lasts=timedelta(hours=1))
        refused(await create(office, **over), 422, "invalid-operation")
        refused(await create(office, starts_at="2031-01-01T10:00:00"), 422, "validation")
        refused(await create(office, role="auditor"), 403, "not-permitted")
        refused(await office.get("/v1/staff/events", role="resident"), 403, "not-permitted")
        assert (await office.get("/v1/staff/events")).json() == []


class TestClaim:
    async def test_a_resident_at_the_event_gets_the_points_once(self, office: Office) -> None:
        code = (await create(office)).json()["code"]
        person, me = await resident_signed_in(office)
        first = await claim(office, me, code, "k1")
        assert first.status_code == 201, first.text
        assert first.json()["points"] == 500
        retry = await claim(office, me, code, "k1")
        assert (retry.status_code, retry.json()) == (201, first.json())
        assert retry.headers["Idempotent-Replayed"] == "true"
        refused(await claim(office, me, code, "k2"), 409, "already-done")
        assert await office.books.balance(person.wallet) == 500

    async def test_a_key_reused_for_another_event_is_422(self, office: Office) -> None:
        first = (await create(office)).json()["code"]
        second = (await create(office, activity="patrol")).json()["code"]
        person, me = await resident_signed_in(office)
        assert (await claim(office, me, first, "k")).status_code == 201
        refused(await claim(office, me, second, "k"), 422, "idempotency-key-reused")
        assert await office.books.balance(person.wallet) == 500

    async def test_refusals_change_nothing(self, office: Office) -> None:
        code = (await create(office)).json()["code"]
        person, me = await resident_signed_in(office)
        refused(await claim(office, me, code, None), 400, "idempotency-key-missing")
        forged = code[:-4] + ("AAAA" if not code.endswith("AAAA") else "BBBB")
        refused(await claim(office, me, forged, "f"), 422, "invalid-code")
        later = (await create(office, **window(opened=-timedelta(hours=2)))).json()["code"]
        assert "claimed from" in refused(await claim(office, me, later, "l"), 422,
                                         "invalid-operation")["detail"]  # fmt: skip
        r = await office.post("/v1/me/event-claims", {"code": code}, key="s")
        refused(r, 403, "not-permitted")
        assert await office.books.balance(person.wallet) == 0
