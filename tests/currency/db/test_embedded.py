from __future__ import annotations

from pathlib import Path

import pytest

from currency.db.embedded import (
    EmbeddedPostgresError,
    bundled_major_version,
    check_data_dir_version,
)


def test_a_data_folder_from_another_major_version_is_refused_untouched(tmp_path: Path) -> None:
    pgdata = tmp_path / "pg"
    pgdata.mkdir()
    (pgdata / "PG_VERSION").write_text("15\n")
    (pgdata / "base").mkdir()
    with pytest.raises(EmbeddedPostgresError, match="PostgreSQL 15") as caught:
        check_data_dir_version(pgdata)
    assert str(bundled_major_version()) in str(caught.value)
    assert sorted(p.name for p in pgdata.iterdir()) == ["PG_VERSION", "base"]


def test_a_folder_of_the_same_version_is_accepted(tmp_path: Path) -> None:
    (tmp_path / "PG_VERSION").write_text(f"{bundled_major_version()}\n")
    check_data_dir_version(tmp_path)
