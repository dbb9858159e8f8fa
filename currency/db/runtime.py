"""Which PostgreSQL a process talks to: the configured one, or the embedded one it starts."""

from __future__ import annotations

from dataclasses import dataclass

from currency.db.embedded import OWNER_ROLE, EmbeddedPostgres
from currency.settings import Settings


@dataclass
class DatabaseHandle:
    owner_url: str
    runtime_url: str
    embedded: EmbeddedPostgres | None = None

    def close(self) -> None:
        """Stop the embedded server if this process started it; its data stays for next time."""
        if self.embedded is not None:
            self.embedded.stop()
            self.embedded = None


def open_database(settings: Settings) -> DatabaseHandle:
    if settings.database_url is not None:
        runtime = settings.database_url.get_secret_value()
        owner = settings.owner_database_url
        return DatabaseHandle(owner.get_secret_value() if owner else runtime, runtime)
    embedded = EmbeddedPostgres(settings.data_dir.resolve() / "postgres").start()
    embedded.ensure_roles(runtime_role=settings.runtime_role)
    return DatabaseHandle(
        owner_url=embedded.uri(user=OWNER_ROLE),
        runtime_url=embedded.uri(user=settings.runtime_role),
        embedded=embedded,
    )
