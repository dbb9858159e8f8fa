"""The chaos harness, small: it passes on the real ledger through an app kill and a
database crash, and fails on a ledger that skips its row locks (so a pass means something).
Each run is a subprocess with its own PostgreSQL and app; see proof/chaos."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from currency.ledger import broken_locks
from currency.settings import ConfigurationError
from proof.chaos import report
from proof.chaos.run import Outcome, Plan

SMALL = ["--clients", "6", "--operations", "60", "--residents", "6", "--shops", "2"]


def chaos(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "proof.chaos", *SMALL, *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)


def last_line(done: subprocess.CompletedProcess[str]) -> str:
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


def test_payments_survive_an_app_kill_and_a_database_crash_with_nothing_lost() -> None:
    done = chaos("--seed", "11", "--kills", "1", "--db-crashes", "1")
    line = last_line(done)
    assert done.returncode == 0, done.stderr[-3000:]
    assert line.startswith("chaos ok transfers=")
    assert line.endswith(" kills=1 db_crashes=1 lost=0 created=0 duplicates=0")


def test_a_ledger_without_its_row_locks_is_caught_double_spending() -> None:
    """No faults needed: three wallets shared by six clients, stopped at the first bad total."""
    args = ["--residents", "3", "--kills", "0", "--db-crashes", "0", "--fail-fast"]
    done = chaos("--seed", "12", *args, "--break-locks")
    line = last_line(done)
    assert done.returncode == 1, done.stdout + done.stderr[-3000:]
    assert line.startswith("chaos FAILED")
    bad = re.search(r" bad_samples=(\d+) ", line)
    assert bad is not None and int(bad[1]) > 0, done.stderr[-3000:]
    assert "verify=not-run" in line  # it stopped before its checks, and says so


def test_the_broken_ledger_cannot_be_switched_on_by_a_stray_value(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(broken_locks.FLAG, "1")
    with pytest.raises(ConfigurationError, match="breaks the ledger on purpose"):
        broken_locks.from_environment()


def test_the_broken_ledger_is_refused_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(broken_locks.FLAG, broken_locks.CONSENT)
    monkeypatch.setenv("MEGURI_PRODUCTION", "true")
    with pytest.raises(ConfigurationError, match="refused in production"):
        broken_locks.from_environment()


def test_the_normal_ledger_keeps_its_locks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(broken_locks.FLAG, raising=False)
    assert broken_locks.from_environment() is False
    assert broken_locks.ENABLED is False


def test_a_run_that_ended_early_says_its_checks_did_not_run() -> None:
    ended = Outcome(Plan(seed=1))
    ended.errors.append("GaveUp: POST /v1/me/payments: no answer but 5xx or errors for 120 s")
    assert report.line(ended) == (
        "chaos FAILED transfers=0 kills=0 db_crashes=0 checks=not-run "
        "bad_samples=0 verify=not-run orphans=0 errors=1"
    )
    assert "meguri verify: not run (the run ended before its checks)" in report.details(ended)


def test_each_run_rewrites_its_own_block_and_leaves_the_rest(tmp_path: Path) -> None:
    doc = tmp_path / "proof.md"
    doc.write_text("# Proof\n\n## chaos\n\nold table\n\n## fuzz\n\nfuzz results\n")
    full, broken = Outcome(Plan(seed=7)), Outcome(Plan(seed=12, break_locks=True))
    report.write_section(doc, full, "python -m proof.chaos --seed 7")
    report.write_section(doc, broken, "python -m proof.chaos --seed 12 --break-locks")
    text = doc.read_text()
    assert "old table" not in text and text.endswith("## fuzz\n\nfuzz results\n")
    before, after = text.split("### The harness fails on a broken ledger")
    assert "--seed 7" in before and "--seed 12" in after
    assert "Latest broken-ledger run (failing on purpose, as it must):" in after
