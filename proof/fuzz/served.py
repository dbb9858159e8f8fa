"""The app served as a subprocess on 127.0.0.1, with its own embedded PostgreSQL and demo data.

``serve()`` starts ``meguri serve`` with a fresh data folder (its PostgreSQL, its secrets, the
Saiki demo loaded on the first run), waits until ``/readyz`` answers, and always stops it:
SIGTERM to the app (which stops its PostgreSQL), then SIGKILL if it lingers, then the folder
is deleted. Nothing listens beyond the loopback address.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

HOST = "127.0.0.1"
READY_TIMEOUT = 120.0


@dataclass(frozen=True)
class Served:
    base_url: str
    data_dir: Path
    pid: int
    log_file: Path

    def demo_credentials(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.data_dir / "demo-credentials.json").read_text())
        return data


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _meguri() -> str:
    beside = Path(sys.executable).parent / "meguri"
    return str(beside) if beside.exists() else "meguri"


def _environment(data_dir: Path, port: int, extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEGURI_")}
    env.update(MEGURI_DATA_DIR=str(data_dir), MEGURI_HOST=HOST, MEGURI_PORT=str(port))
    env.update(extra)
    return env


@contextmanager
def serve(*, workers: int = 1, env: dict[str, str] | None = None) -> Iterator[Served]:
    """Start the app with its own database and demo data; yield once it is ready."""
    folder = Path(tempfile.mkdtemp(prefix="meguri-proof-"))
    folder.chmod(0o755)  # the embedded PostgreSQL runs as its own system user when we are root
    port = free_port()
    log_file = folder / "app.log"
    with log_file.open("wb") as log:
        process = subprocess.Popen(
            [_meguri(), "serve", "--port", str(port), "--workers", str(workers)],
            env=_environment(folder / "data", port, env or {}),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    served = Served(f"http://{HOST}:{port}", folder / "data", process.pid, log_file)
    try:
        _wait_ready(served, process)
        yield served
    finally:
        _stop(process, folder / "data")
        shutil.rmtree(folder, ignore_errors=True)


def _wait_ready(served: Served, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = served.log_file.read_text(errors="replace")[-2000:]
            raise RuntimeError(
                f"The app stopped while starting (exit {process.returncode}):\n{tail}"
            )
        try:
            if httpx.get(f"{served.base_url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(
        f"The app did not become ready in {READY_TIMEOUT:.0f} s; see {served.log_file}"
    )


def _stop(process: subprocess.Popen[bytes], data_dir: Path) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    _stop_postgres(data_dir / "postgres")


def _stop_postgres(pgdata: Path) -> None:
    """If the app died without stopping its PostgreSQL, stop it (only ours: by its data folder)."""
    if not (pgdata / "postmaster.pid").exists():
        return
    from currency.db.embedded import EmbeddedPostgres

    try:
        EmbeddedPostgres(pgdata).stop(mode="immediate")
    except Exception as exc:
        print(f"proof: could not stop PostgreSQL in {pgdata}: {exc}", file=sys.stderr)
