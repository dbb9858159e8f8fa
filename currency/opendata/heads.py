"""Check a ledger export against published chain heads. Pure: an outsider needs no database.

The export (JSON Lines, written by ``meguri export ledger``) is a header line, then one
line per chained transfer in sequence order: the fields the chain hashes (see
currency/ledger/chain.py ``canonical``), its ``sequence`` and the link ``hash`` the ledger
recorded. Recomputing link = sha256(previous link + canonical transfer) from 32 zero bytes
must give each row's recorded hash and, at each published day's last sequence, the hash
published that day. A row rewritten, dropped, inserted or moved cannot satisfy both.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from currency.ledger.chain import GENESIS, link_hash

FORMAT = "meguri-ledger-export"
VERSION = 1
FIELDS = {  # export key -> the transfer column chain.canonical reads
    "id": "id",
    "currency": "currency_id",
    "operation": "operation_id",
    "leg": "leg",
    "debit": "debit_account_id",
    "credit": "credit_account_id",
    "amount": "amount",
    "kind": "kind",
    "reverses": "reverses_transfer_id",
    "created_at": "created_at",
}


class BadExport(ValueError):
    """The file is not a ledger export or a list of heads; the message says what is wrong."""


@dataclass(frozen=True)
class Head:
    day: date
    last_sequence: int
    head_hash: str  # 64 hex digits


@dataclass(frozen=True)
class Verdict:
    links: int  # rows checked
    heads_matched: int
    first_bad_sequence: int | None
    problem: str | None

    @property
    def ok(self) -> bool:
        return self.problem is None


def header(currency: str) -> dict[str, Any]:
    return {"format": FORMAT, "version": VERSION, "currency": currency,
            "hash_algorithm": "sha256", "genesis": GENESIS.hex()}  # fmt: skip


def export_row(sequence: int, digest: bytes, transfer: Mapping[str, Any]) -> dict[str, Any]:
    """One line of the export: exactly what the chain hashes, plus its place and link hash."""
    row: dict[str, Any] = {"sequence": sequence, "hash": digest.hex()}
    for key, column in FIELDS.items():
        row[key] = transfer[column]
    created: datetime = row["created_at"]
    row["created_at"] = created.isoformat()
    return row


def _transfer(row: Mapping[str, Any]) -> dict[str, Any]:
    try:
        found = {column: row[key] for key, column in FIELDS.items()}
        found["created_at"] = datetime.fromisoformat(found["created_at"])
    except (KeyError, TypeError, ValueError) as exc:
        raise BadExport(f"sequence {row.get('sequence')}: missing or bad field {exc}") from None
    return found


def read_export(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    """The rows of an export, after checking its header line."""
    numbered = iter(lines)
    first = next(numbered, "")
    try:
        top = json.loads(first) if first.strip() else {}
    except json.JSONDecodeError:
        top = {}
    if top.get("format") != FORMAT:
        raise BadExport("This is not a Meguri ledger export (its first line has no format).")
    for line in numbered:
        if line.strip():
            try:
                yield json.loads(line)
            except json.JSONDecodeError as exc:
                raise BadExport(f"A line of the export is not JSON: {exc.msg}.") from None


def read_heads(text: str) -> list[Head]:
    """Heads from /open-data/chain.json, /v1/public/chain-heads or /open-data/chain.csv."""
    text = text.removeprefix("\ufeff")
    if text.lstrip().startswith("{"):
        raw: list[Mapping[str, Any]] = json.loads(text).get("heads", [])
    else:
        raw = list(csv.DictReader(io.StringIO(text)))
    try:
        heads = [Head(date.fromisoformat(str(h["day"])), int(h["last_sequence"]),
                      str(h["head_hash"]).lower()) for h in raw]  # fmt: skip
    except (KeyError, ValueError) as exc:
        raise BadExport(f"A published head is missing or has a bad field: {exc}.") from None
    return sorted(heads, key=lambda h: h.last_sequence)


def verify(rows: Iterable[Mapping[str, Any]], heads: Iterable[Head]) -> Verdict:
    """Recompute the chain over the export; stop at the first row or head that disagrees."""
    pending = sorted(heads, key=lambda h: h.last_sequence)
    previous, sequence, matched, confirmed = GENESIS, 0, 0, 0
    for row in rows:
        sequence += 1
        if row.get("sequence") != sequence:
            return _bad(sequence, sequence - 1, matched, _gap(sequence, row.get("sequence")))
        previous = link_hash(previous, _transfer(row))
        if row.get("hash", previous.hex()) != previous.hex():
            why = f"the row at sequence {sequence} does not hash to its recorded link: changed."
            return _bad(sequence, sequence, matched, why)
        while pending and pending[0].last_sequence == sequence:
            head = pending.pop(0)
            if head.head_hash != previous.hex():
                why = (f"the head published for {head.day} (sequence {sequence}) does not match "
                       f"the export: rows {confirmed + 1}–{sequence} were rewritten.")  # fmt: skip
                return _bad(confirmed + 1, sequence, matched, why)
            matched, confirmed = matched + 1, sequence
    if pending:
        head = pending[0]
        why = (f"the export ends at sequence {sequence}, but the head published for {head.day} "
               f"is at sequence {head.last_sequence}: rows are missing, so rows "
               f"{confirmed + 1}–{head.last_sequence} cannot be confirmed.")  # fmt: skip
        return _bad(confirmed + 1, sequence, matched, why)
    return Verdict(links=sequence, heads_matched=matched, first_bad_sequence=None, problem=None)


def _gap(expected: int, found: object) -> str:
    return (f"expected sequence {expected} next but found {found}: "
            "a row was dropped, inserted or moved.")  # fmt: skip


def _bad(first: int, links: int, matched: int, why: str) -> Verdict:
    return Verdict(links=links, heads_matched=matched, first_bad_sequence=first, problem=why)
