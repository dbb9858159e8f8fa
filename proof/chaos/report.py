"""The closing line, the details of a failure, and the chaos blocks of docs/proof.md."""

from __future__ import annotations

from pathlib import Path

from proof import doc
from proof.chaos.run import Outcome

FULL, BROKEN = "chaos", "chaos-broken"  # the two blocks under "## chaos"


def line(o: Outcome) -> str:
    f = o.findings
    counts = f"transfers={len(o.record.acked)} kills={o.kills} db_crashes={o.db_crashes} "
    if o.checked:
        counts += f"lost={len(f.lost)} created={len(f.created)} duplicates={len(f.duplicates)}"
    else:
        counts += "checks=not-run"
    if o.ok:
        return f"chaos ok {counts}"
    extra = (
        f" bad_samples={o.samples.bad} verify={_verify(o, 'ok', 'FAILED', 'not-run')} "
        f"orphans={len(o.orphans)} errors={len(o.errors)}"
    )
    return f"chaos FAILED {counts}{extra}"


def _verify(o: Outcome, clean: str, failed: str, not_run: str) -> str:
    if o.verify is None:
        return not_run
    return clean if o.verify_ok else failed


def details(o: Outcome) -> list[str]:
    """What went wrong, a few lines per kind: enough to start looking."""
    f = o.findings
    out = [*o.errors, *([o.stopped] if o.stopped else []), *o.samples.violations]
    out += [*f.lost[:5], *f.created[:5], *f.duplicates[:5]]
    if o.verify is None:
        out.append("meguri verify: not run (the run ended before its checks)")
    elif not o.verify_ok:
        out.append("meguri verify: " + o.verify[-800:])
    out += [f"orphan process: {p}" for p in o.orphans]
    if o.kept is not None:
        out.append(f"logs and data kept in {o.kept}")
    return out


def load(o: Outcome) -> str:
    if not o.load:
        return "unknown"
    return f"{o.load[0]:.1f} / {max(o.load):.1f} / {o.load[-1]:.1f}"


def summary(o: Outcome) -> str:
    r = o.record
    return (
        f"{len(r.acked)} acknowledged, {len(r.refused)} refused (4xx), {o.retries} retries, "
        f"{r.duplicates_sent} duplicate submits, {o.samples.taken} samples "
        f"({o.samples.unreadable} while the database was down), "
        f"{o.findings.operations if o.checked else 'unchecked'} operations in the ledger, "
        f"{o.seconds:.0f} s, "
        f"load average (1 min) start/peak/end {load(o)}"
    )


def write_section(path: Path, o: Outcome, command: str) -> None:
    """Rewrite this run's block under "## chaos": the full run, or the broken-ledger run."""
    block = BROKEN if o.plan.break_locks else FULL
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if f"<!-- proof:{block}:start -->" not in text:
        _install_section(path, text)
    doc.rewrite(block, _block(o, command), path)


def _install_section(path: Path, text: str) -> None:
    """The "## chaos" section with its description and both blocks (first run, or old layout)."""
    head, found, rest = text.partition("## chaos\n")
    if not found:
        head = text.rstrip("\n") + "\n\n" if text else _SKELETON
    tail = rest[rest.index("\n## ") + 1 :] if "\n## " in rest else ""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(head + ABOUT + (tail and "\n" + tail), encoding="utf-8")


def _block(o: Outcome, command: str) -> str:
    p, r, f = o.plan, o.record, o.findings
    checked = f"{len(f.lost)} / {len(f.created)} / {len(f.duplicates)}" if o.checked else "not run"
    rows = [
        ("Date", doc.now()),
        ("Machine", doc.machine()),
        ("Load average (1 min): start / peak / end", load(o)),
        ("Command", f"`{command}`"),
        ("Seed", str(p.seed)),
        ("Clients / operations asked", f"{p.clients} / {p.operations}"),
        ("Residents / shops", f"{p.residents} / {p.shops}"),
        ("Acknowledged (2xx)", str(len(r.acked))),
        ("Refused (4xx)", str(len(r.refused))),
        ("Retries (same key)", str(o.retries)),
        ("Duplicate submits", str(r.duplicates_sent)),
        ("App SIGKILLs / PostgreSQL crashes", f"{o.kills} / {o.db_crashes}"),
        ("Reader samples (unreadable while down)", f"{o.samples.taken} ({o.samples.unreadable})"),
        ("Samples breaking an invariant", str(o.samples.bad)),
        ("Lost / created / duplicated", checked),
        ("`meguri verify`", _verify(o, "clean", "FAILED", "not run")),
        ("Duration", f"{o.seconds:.0f} s"),
        ("Result", f"`{line(o)}`"),
    ]
    if o.stopped:
        rows.insert(-1, ("Stopped early", o.stopped))
    table = "\n".join(f"| {k} | {v} |" for k, v in rows)
    return f"{_title(o)}\n\n| | |\n|---|---|\n{table}\n" + _violations(o)


def _title(o: Outcome) -> str:
    if not o.plan.break_locks:
        return "Latest full run:"
    if o.ok:
        return "**Latest broken-ledger run PASSED: the harness missed a ledger without locks.**"
    return "Latest broken-ledger run (failing on purpose, as it must):"


def _violations(o: Outcome) -> str:
    seen = o.samples.violations[:3]
    if not seen:
        return ""
    return "\nFirst samples breaking an invariant:\n\n" + "".join(f"- {v}\n" for v in seen)


_SKELETON = "# Proof: the running system under faults, fuzzing and load\n\n"

ABOUT = f"""\
## chaos

The bank test under faults (`make chaos`, or `make chaos SEED=7`; code in proof/chaos).
The harness starts its own PostgreSQL (embedded) and the app on 127.0.0.1 in a temporary
folder, makes a currency with residents (PINs) and shops (owners), charges every wallet
through `/v1/staff/charges`, then runs concurrent clients: CPM payments, MPM payments (shop
code and payment requests), sends and refunds, each with an Idempotency-Key, retried with
the same key on timeouts, connection errors, 5xx and 409 "still in progress", and 5%
submitted again after success. It SIGKILLs the app 3 times and stops PostgreSQL once with
`pg_ctl -m immediate`, restarting each. A reader checks every ~10 ms, in one snapshot,
that all balances (pending balance deltas included) sum to zero, that no wallet or shop is
below zero and that wallet balances equal their lots. Afterwards: every key took effect at
most once, every 2xx answer is in the ledger, no operation exists that no client asked
for, and `meguri verify` is clean. `transfers` counts the acknowledged operations. The
machine is shared with other work: the load average is noted with each run.

<!-- proof:{FULL}:start -->
No run yet.
<!-- proof:{FULL}:end -->

### The harness fails on a broken ledger

`python -m proof.chaos --break-locks --fail-fast --report docs/proof.md` runs the same
against a ledger that skips its row locks (`MEGURI_CHAOS_BREAK_LOCKS`): it must fail, and
tests/proof/test_chaos.py checks that it does on every `make test`.

<!-- proof:{BROKEN}:start -->
No run yet.
<!-- proof:{BROKEN}:end -->
"""
