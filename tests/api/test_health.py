from __future__ import annotations

import pytest
from httpx import AsyncClient


class TestHealth:
    async def test_healthz_says_the_process_is_alive(self, client: AsyncClient) -> None:
        response = await client.get("/healthz")
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}

    async def test_readyz_is_ready_when_the_schema_is_at_head(self, client: AsyncClient) -> None:
        response = await client.get("/readyz")
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "ready"

    @pytest.mark.parametrize("path", ["/", "/wallet/", "/merchant/", "/admin/"])
    async def test_every_entry_page_answers(self, client: AsyncClient, path: str) -> None:
        response = await client.get(path)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")


async def test_the_api_docs_load_nothing_from_other_sites(client: AsyncClient) -> None:
    page = (await client.get("/docs")).text
    assert "cdn." not in page and "https://" not in page
    script = page.split('<script src="', 1)[1].split('"', 1)[0]
    assert (await client.get(script)).status_code == 200


async def test_pages_carry_a_content_security_policy(client: AsyncClient) -> None:
    response = await client.get("/wallet/")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
