"""Bulk grants over HTTP: the CSV file as the body, previewed, then granted all or none."""

from __future__ import annotations

import pytest
from httpx import AsyncClient, Response
from sqlalchemy.ext.asyncio import AsyncSession

from currency.settings import Settings
from tests.api.v1.staff_support import Office, open_office, refused
from tests.currency.issuance.test_bulk_grants import csv_file
from tests.currency.issuance.test_grants import open_programme
from tests.factories import Resident


@pytest.fixture
async def office(client: AsyncClient, session: AsyncSession, settings: Settings) -> Office:
    office = await open_office(client, session, settings)
    await open_programme(office.books)
    return office


async def send(
    office: Office, data: bytes, *, commit: bool, key: str | None = None, role: str = "staff"
) -> Response:
    headers = {**await office.sign_in(role), "Content-Type": "text/csv"}
    if key is not None:
        headers["Idempotency-Key"] = key
    params = {"programme": "clean", "commit": str(commit).lower()}
    return await office.client.post(
        "/v1/staff/grants/bulk", content=data, headers=headers, params=params
    )


async def two(office: Office) -> tuple[Resident, Resident, bytes]:
    one, other = await office.books.resident(), await office.books.resident()
    return one, other, csv_file(f"{one.number},cleanup,,,", f"{other.number},見守り,250,,朝")


class TestPreview:
    async def test_every_row_has_its_outcome_and_nothing_is_granted(self, office: Office) -> None:
        one, _, good = await two(office)
        data = good + b"9999999,cleanup,,,\r\n"
        r = await send(office, data, commit=False)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["totals"] == {"rows": 3, "ok": 2, "errors": 1, "points": 750}
        assert [(row["line"], row["ok"], row["points"]) for row in body["rows"]] == [
            (2, True, 500), (3, True, 250), (4, False, None),
        ]  # fmt: skip
        assert body["rows"][2]["problems"][0]["code"] == "unknown_resident"
        assert await office.books.balance(one.wallet) == 0

    async def test_an_auditor_may_not_preview_either(self, office: Office) -> None:
        _, _, data = await two(office)
        refused(await send(office, data, commit=False, role="auditor"), 403, "not-permitted")

    async def test_a_file_that_is_not_csv_is_refused_plainly(self, office: Office) -> None:
        r = await send(office, b"\x00\x01\x02 not a csv", commit=False)
        assert "not a CSV text file" in refused(r, 422, "nul-character")["detail"]
        r = await send(office, "住民番号,活動\n".encode("utf-16"), commit=False)
        assert refused(r, 422, "nul-character")["detail"]


class TestCommit:
    async def test_a_clean_file_grants_every_row(self, office: Office) -> None:
        one, other, data = await two(office)
        r = await send(office, data, commit=True, key="f-1")
        assert r.status_code == 201, r.text
        assert (r.json()["rows"], r.json()["points"]) == (2, 750)
        assert await office.books.balance(one.wallet) == 500
        assert await office.books.balance(other.wallet) == 250

    async def test_a_file_with_a_bad_row_grants_nothing(self, office: Office) -> None:
        one, _, good = await two(office)
        r = await send(office, good + b"9999999,cleanup,,,\r\n", commit=True, key="f-1")
        assert "line 4" in refused(r, 422, "invalid-operation")["detail"]
        assert await office.books.balance(one.wallet) == 0

    async def test_committing_needs_a_key(self, office: Office) -> None:
        one, _, data = await two(office)
        refused(await send(office, data, commit=True), 400, "idempotency-key-missing")
        assert await office.books.balance(one.wallet) == 0

    async def test_a_retry_answers_the_same_and_grants_once(self, office: Office) -> None:
        one, _, data = await two(office)
        first = await send(office, data, commit=True, key="f-1")
        again = await send(office, data, commit=True, key="f-1")
        assert (again.status_code, again.json()) == (first.status_code, first.json())
        assert again.headers["idempotent-replayed"] == "true"
        assert await office.books.balance(one.wallet) == 500

    async def test_a_preview_after_the_commit_says_when_it_was_imported(
        self, office: Office
    ) -> None:
        _, _, data = await two(office)
        await send(office, data, commit=True, key="f-1")
        assert (await send(office, data, commit=False)).json()["imported_at"] is not None

    @pytest.mark.parametrize("role", ["resident", "shop", "auditor"])
    async def test_only_staff_and_admins_may_commit(self, office: Office, role: str) -> None:
        one, _, data = await two(office)
        refused(await send(office, data, commit=True, key="k", role=role), 403, "not-permitted")
        assert await office.books.balance(one.wallet) == 0

    async def test_without_a_token_it_is_401(self, office: Office) -> None:
        r = await office.client.post(
            "/v1/staff/grants/bulk?programme=clean&commit=true", content=b"x",
            headers={"Idempotency-Key": "k", "Content-Type": "text/csv"},
        )  # fmt: skip
        refused(r, 401, "unauthenticated")
