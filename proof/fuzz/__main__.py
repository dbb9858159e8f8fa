"""``make fuzz``: the served API fuzzed by schemathesis as residents, shop owners, clerks and
staff (two peers each), peers asking for each other's objects, and the parsers of outside
input fuzzed by hypothesis. Prints a summary, rewrites docs/proof.md "## fuzz", exits 1 on
any failure.

    python -m proof.fuzz [--max-examples 25] [--parser-examples 5000] [--seed 1] [--no-doc]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from proof import doc
from proof.fuzz import bola, people, schema_run, served

ROLES = ("resident", "owner", "clerk", "staff")  # staff last: it may suspend the others
ROLE_TIMEOUT = 150.0
PARSER_TESTS = "tests/proof/test_parsers_fuzz.py"


@dataclass
class ParserResult:
    examples: int
    passed: int
    failed: int
    seconds: float
    failures: list[str]


def fuzz_parsers(examples: int) -> ParserResult:
    started = time.monotonic()
    env = os.environ | {"PROOF_FUZZ_EXAMPLES": str(examples)}
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "xdist",
        "-n",
        "0",
        "-q",
        "-p",
        "no:cacheprovider",
        PARSER_TESTS,
    ]
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, check=False, timeout=1800
    )
    counts = {word: int(n) for n, word in re.findall(r"(\d+) (passed|failed)", done.stdout)}
    failures = re.findall(r"^FAILED (\S+)", done.stdout, re.MULTILINE)
    if done.returncode and not failures:
        failures = [done.stdout[-1500:] + done.stderr[-1500:]]
    return ParserResult(
        examples,
        counts.get("passed", 0),
        counts.get("failed", 0),
        time.monotonic() - started,
        failures,
    )


def tokens_of(
    base_url: str, role: str, a: people.Peer, b: people.Peer, staff: list[people.Login], n: int
) -> tuple[str, str]:
    """Fresh access tokens for peers A and B of ``role``, each signing in from its own address."""

    def one(peer: people.Peer, who: people.Login | None, i: int) -> str:
        with people.client(base_url, n + i) as c:
            if role == "resident":
                return people.resident_login(c, peer.resident)
            return people.user_login(c, who or getattr(peer.shop, role))

    if role == "staff":
        return one(a, staff[0], 0), one(b, staff[1], 1)
    return one(a, None, 0), one(b, None, 1)


def fuzz_api(
    max_examples: int, seed: int, folder: Path
) -> tuple[list[schema_run.RoleResult], bola.Probes]:
    with served.serve() as app:
        creds = app.demo_credentials()
        staff = [people.Login(s["username"], s["password"], s["username"]) for s in creds["staff"]]
        with people.client(app.base_url, 0) as c:
            token = people.user_login(c, staff[0])
            a, b = (
                people.make_peer(c, token, "PEER-A", 9001),
                people.make_peer(c, token, "PEER-B", 9002),
            )
            schema = c.get("/openapi.json").json()
        # Before schemathesis: its wrong passwords (PUT /v1/merchant/pin asks for the owner's)
        # count against peer A's sign-in limit, and a later sign-in would meet a 429.
        b_tokens = {
            role: tokens_of(app.base_url, role, a, b, staff, 40 + 2 * n)[1]
            for n, role in enumerate(ROLES[:3])
        }
        with people.client(app.base_url, 60) as c:
            probes = bola.probe(c, schema, a, b_tokens)
        results = []
        for n, role in enumerate(ROLES):
            tokens = tokens_of(app.base_url, role, a, b, staff, 10 + 2 * n)
            print(f"fuzz: schemathesis as {role} (peers A and B) …", flush=True)
            results.append(
                _run(role, app.base_url, a, b, tokens, folder / role, max_examples, seed)
            )
    return results, probes


def _run(
    role: str,
    base_url: str,
    a: people.Peer,
    b: people.Peer,
    tokens: tuple[str, str],
    folder: Path,
    max_examples: int,
    seed: int,
) -> schema_run.RoleResult:
    try:
        return schema_run.run_role(
            role,
            base_url=base_url,
            a=a,
            b=b,
            tokens=tokens,
            folder=folder,
            max_examples=max_examples,
            seed=seed,
            timeout=ROLE_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        result = schema_run.read_report(role, folder / "st.log")
        result.details.append(f"{role}: stopped at the {ROLE_TIMEOUT:.0f} s bound (partial run)")
        result.seconds, result.exit_code = ROLE_TIMEOUT, -1
        return result


def blocking(r: schema_run.RoleResult) -> bool:
    """Server errors, schema violations and leaks fail the run; ST2xx findings are listed."""
    return bool(r.server_errors or r.schema_violations or r.leaks or r.exit_code < 0)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m proof.fuzz", description=__doc__)
    parser.add_argument("--max-examples", type=int, default=25, help="per API operation")
    parser.add_argument("--parser-examples", type=int, default=1000, help="per parser property")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-doc", action="store_true", help="do not rewrite docs/proof.md")
    args = parser.parse_args()
    started = time.monotonic()
    print(f"fuzz: parsers, {args.parser_examples} examples per property …", flush=True)
    parsers = fuzz_parsers(args.parser_examples)
    folder = Path(tempfile.mkdtemp(prefix="meguri-fuzz-"))
    roles, probes = fuzz_api(args.max_examples, args.seed, folder)
    summary = render(args, parsers, roles, probes, time.monotonic() - started)
    print(summary)
    print(f"(schemathesis logs and reports: {folder})")
    if not args.no_doc:
        doc.rewrite("fuzz", summary)
    failed = parsers.failed or probes.leaks or any(blocking(r) for r in roles)
    print("fuzz FAILED" if failed else "fuzz ok")
    return 1 if failed else 0


def render(
    args: argparse.Namespace,
    parsers: ParserResult,
    roles: list[schema_run.RoleResult],
    probes: bola.Probes,
    seconds: float,
) -> str:
    lines = [
        f"Latest run: {doc.now()} on {doc.machine()}.",
        f"Command: `make fuzz` (`python -m proof.fuzz --max-examples {args.max_examples} "
        f"--parser-examples {args.parser_examples} --seed {args.seed}`), {seconds:.0f} s in all. "
        "Schemathesis phases: examples, coverage, fuzzing, stateful; all checks.",
        "",
        "| API role (peers A, B) | operations | test cases | server errors (ST101) "
        "| schema violations (ST102–111) | auth ignored or cross-user leaks (ST401, ST402, "
        "peer check) | request-handling findings (ST2xx/3xx) | tool errors | seconds |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in roles:
        lines.append(
            f"| {r.role} | {r.operations} | {r.cases} | {r.server_errors} | "
            f"{r.schema_violations} | {r.leaks} | {r.other} | {r.errors} | {r.seconds:.0f} |"
        )
    lines += [
        "",
        f"Peer B asking for peer A's objects by id (resident, owner, clerk): {probes.sent} "
        f"requests, {len(probes.leaks)} answered with A's object.",
        "",
        "| parser properties | examples each | passed | failed | seconds |",
        "|---:|---:|---:|---:|---:|",
        f"| {parsers.passed + parsers.failed} | {parsers.examples} | {parsers.passed} "
        f"| {parsers.failed} | {parsers.seconds:.0f} |",
    ]
    return "\n".join(lines + findings(roles, probes, parsers))


def _blocks(detail: str) -> bool:
    """A finding that fails the run: listed first."""
    code = re.search(r": (ST\d{3}) ", detail)
    blocking = (*schema_run.SERVER_ERRORS, *schema_run.SCHEMA_CODES, *schema_run.LEAK_CODES)
    return code is not None and code[1] in blocking


def findings(
    roles: list[schema_run.RoleResult], probes: bola.Probes, parsers: ParserResult
) -> list[str]:
    """Each failure, one line per role, operation and code (the first 60, failing ones first)."""
    details = sorted({d for r in roles for d in r.details}, key=lambda d: (not _blocks(d), d))
    seen = probes.leaks + parsers.failures + details
    if not seen:
        return []
    shown = [f"- {text.replace('|', '/')}" for text in seen[:60]]
    more = [f"- … and {len(seen) - 60} more (see the schemathesis logs)"] if len(seen) > 60 else []
    return [
        "",
        "Findings (`st run` output in the folder printed by the command):",
        "",
        *shown,
        *more,
    ]


if __name__ == "__main__":
    sys.exit(main())
