"""One schemathesis run per role (``st run`` against the served OpenAPI), with two peers of
that role: schemathesis's own checks (server errors, schema conformance, ignored auth,
use after free, object-level authorization between the peers) and ours
(``proof.fuzz.st_hooks``: no response to one peer carries the other's names or codes)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from proof.fuzz.people import Peer

PHASES = "examples,coverage,fuzzing,stateful"
# The live sales feed is a server-sent event stream: it never ends by design.
EXCLUDED = ("/v1/merchant/events",)
PATHS = {
    "resident": r"^/(v1/me(/|$)|v1/auth/|v1/public/|open-data/|healthz|readyz)",
    "owner": r"^/v1/merchant",
    "clerk": r"^/v1/merchant",
    "staff": r"^/v1/staff",
}
SERVER_ERRORS = ("ST101",)
SCHEMA_CODES = tuple(f"ST1{n:02d}" for n in range(2, 12))  # responses against their schema
LEAK_CODES = ("ST401", "ST402", "ST901")  # auth ignored, a peer's object, our peer check


@dataclass
class RoleResult:
    role: str
    operations: int = 0
    cases: int = 0
    seconds: float = 0.0
    failures: Counter[str] = field(default_factory=Counter)
    details: list[str] = field(default_factory=list)
    exit_code: int = 0
    errors: int = 0  # schemathesis's own errors (not the API's), e.g. a generator crash

    @property
    def server_errors(self) -> int:
        return sum(self.failures[c] for c in SERVER_ERRORS)

    @property
    def schema_violations(self) -> int:
        return sum(self.failures[c] for c in SCHEMA_CODES)

    @property
    def leaks(self) -> int:
        return sum(self.failures[c] for c in LEAK_CODES)

    @property
    def other(self) -> int:
        counted = {*SERVER_ERRORS, *SCHEMA_CODES, *LEAK_CODES}
        return sum(n for c, n in self.failures.items() if c not in counted)


def _fixed(name: str, token: str) -> dict[str, Any]:
    return {"name": name, "fixedHeaders": [{"name": "Authorization", "value": f"Bearer {token}"}]}


def identities(tokens: tuple[str, str]) -> list[dict[str, Any]]:
    """Signed in beforehand (the fuzzer's own sign-in attempts trip the per-address limits):
    access tokens last 10 minutes, longer than one role's run."""
    return [_fixed("A", tokens[0]), _fixed("B", tokens[1])]


def forbidden(role: str, a: Peer, b: Peer) -> dict[str, list[str]]:
    """Staff of the city see every shop and resident by design: only the other roles are checked."""
    if role == "staff":
        return {}
    return {"A": b.markers(), "B": a.markers()}


def run_role(
    role: str,
    *,
    base_url: str,
    a: Peer,
    b: Peer,
    tokens: tuple[str, str],
    folder: Path,
    max_examples: int,
    seed: int,
    timeout: float,
) -> RoleResult:
    folder.mkdir(parents=True, exist_ok=True)
    auth_file, config, report = folder / "auth.json", folder / "st.toml", folder / "report.xml"
    auth_file.write_text(json.dumps({"auth": identities(tokens)}))
    (folder / "forbidden.json").write_text(json.dumps(forbidden(role, a, b), ensure_ascii=False))
    config.write_text(f'[auth.wfc]\npath = "{auth_file}"\nuser = "A"\npeers = ["A", "B"]\n')
    command = [
        str(Path(sys.executable).parent / "st"),
        "--config-file",
        str(config),
        "run",
        f"{base_url}/openapi.json",
        "--phases",
        PHASES,
        "--checks",
        "all",
        "--max-examples",
        str(max_examples),
        "--seed",
        str(seed),
        "--workers",
        "2",
        "--request-timeout",
        "30",
        "--include-path-regex",
        PATHS[role],
        *(arg for path in EXCLUDED for arg in ("--exclude-path", path)),
        "--report",
        "junit",
        "--report-junit-path",
        str(report),
        "--no-color",
    ]
    env = os.environ | {
        "SCHEMATHESIS_HOOKS": "proof.fuzz.st_hooks",
        "PYTHONPATH": _root(),
        "PROOF_FUZZ_FORBIDDEN": str(folder / "forbidden.json"),
    }
    started = time.monotonic()
    with (folder / "st.log").open("w") as log:
        done = subprocess.run(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, timeout=timeout, check=False
        )
    result = read_report(role, folder / "st.log")
    result.seconds, result.exit_code = time.monotonic() - started, done.returncode
    return result


def _root() -> str:
    """The repository, so that ``st`` can import ``proof.fuzz.st_hooks``."""
    here = str(Path(__file__).resolve().parents[2])
    return os.pathsep.join(p for p in (here, os.environ.get("PYTHONPATH", "")) if p)


def read_report(role: str, log: Path) -> RoleResult:
    """The counts of ``st run``'s summary and each failure it lists, from its console output."""
    result = RoleResult(role)
    text = log.read_text(errors="replace") if log.exists() else ""
    if found := re.search(r"Tested: (\d+)", text):
        result.operations = int(found[1])
    if found := re.search(r"(\d+) generated", text):
        result.cases = int(found[1])
    operation = ""
    for line in text.splitlines():
        if heading := re.fullmatch(r"_{3,} (.+?) _{3,}", line.strip()):
            operation = heading[1]
        elif failure := re.fullmatch(r"- (ST\d{3}) (.+)", line.strip()):
            result.failures[failure[1]] += 1
            result.details.append(f"{role}: {operation}: {failure[1]} {failure[2]}")
    result.errors = sum(int(n) for n in re.findall(r"🚫 [^:\n]+: (\d+)", text))
    return result
