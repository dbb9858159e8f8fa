from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from currency.ledger import chain
from tests.conftest import DatabaseUnderTest
from tests.factories import Books, as_superuser

MEGURI = str(Path(sys.executable).with_name("meguri"))


def run_meguri(
    *args: str, env: dict[str, str], timeout: float = 30
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MEGURI_")}
    return subprocess.run(
        [MEGURI, *args], env={**clean, **env}, capture_output=True, text=True, timeout=timeout
    )


def test_a_port_in_use_is_named_in_one_clear_line(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = run_meguri(
            "serve", "--port", str(port), env={"MEGURI_DATA_DIR": str(tmp_path / "data")}
        )
    assert done.returncode != 0
    assert f"Port {port}" in done.stderr
    assert "already in use" in done.stderr
    assert not (tmp_path / "data" / "postgres").exists(), "nothing was started"


def test_an_unreachable_database_is_named_without_its_password(tmp_path: Path) -> None:
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    url = f"postgresql://meguri_app:s3cret-pw@127.0.0.1:{port}/saiki_db"
    # it gives up rather than hang (run_meguri's timeout fails the test); no timing is
    # asserted: these machines are too noisy for one
    done = run_meguri("db", "upgrade", env={"MEGURI_DATABASE_URL": url}, timeout=120)
    assert done.returncode != 0
    assert f"host 127.0.0.1:{port}, database saiki_db" in done.stderr
    assert "s3cret-pw" not in done.stderr + done.stdout
    assert "Traceback" not in done.stderr


@pytest.mark.committing
async def test_meguri_verify_passes_clean_books_and_names_a_rewritten_transfer(
    committing_engine: AsyncEngine, test_db: DatabaseUnderTest
) -> None:
    sessions = async_sessionmaker(committing_engine, expire_on_commit=False)
    async with sessions() as session, session.begin():
        books = await Books.open(session)
        paid = await books.charge(await books.wallet(), 1000)
        await chain.seal_all(session, currency_id=books.currency_id)
    env = {"MEGURI_DATABASE_URL": test_db.runtime_url}
    clean = await asyncio.to_thread(run_meguri, "verify", env=env)
    assert clean.returncode == 0, clean.stderr
    assert "chain intact" in clean.stdout
    victim = paid.transfer_ids[0]
    await as_superuser(test_db, f"UPDATE ledger_transfer SET amount = 1 WHERE id = {victim}")
    broken = await asyncio.to_thread(run_meguri, "verify", env=env)
    assert broken.returncode == 1
    assert f"transfer {victim}" in broken.stdout
