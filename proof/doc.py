"""docs/proof.md: rewriting one block between its markers, and describing the machine."""

from __future__ import annotations

import os
import platform
import sys
from datetime import datetime
from pathlib import Path

import psutil

from currency.clock import JAPAN

DOC = Path("docs/proof.md")
HEADINGS = ("chaos", "fuzz", "load")


def machine() -> str:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in _cpuinfo() if line.startswith("model name")),
        platform.processor() or "unknown CPU",
    )
    memory = psutil.virtual_memory().total / 2**30
    return (
        f"{cpu}, {os.cpu_count()} cores, {memory:.0f} GiB RAM, {platform.system()} "
        f"{platform.release()}, Python {sys.version.split()[0]}"
    )


def _cpuinfo() -> list[str]:
    try:
        return Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return []


def now() -> str:
    return datetime.now(JAPAN).strftime("%Y-%m-%d %H:%M JST")


def rewrite(section: str, body: str, doc: Path = DOC) -> None:
    """Replace what lies between this section's markers (made under its heading if missing)."""
    start, end = f"<!-- proof:{section}:start -->", f"<!-- proof:{section}:end -->"
    text = doc.read_text() if doc.exists() else _skeleton()
    block = f"{start}\n{body.strip()}\n{end}"
    if start in text and end in text:
        head, rest = text.split(start, 1)
        text = head + block + rest.split(end, 1)[1]
    elif f"## {section}" in text:
        head, rest = text.split(f"## {section}", 1)
        first_line, _, tail = rest.partition("\n")
        text = f"{head}## {section}{first_line}\n\n{block}\n{tail}"
    else:
        text = text.rstrip("\n") + f"\n\n## {section}\n\n{block}\n"
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(text)


def _skeleton() -> str:
    parts = ["# Proof: the running system under faults, fuzzing and load\n"]
    parts += [f"## {name}\n" for name in HEADINGS]
    return "\n".join(parts)
