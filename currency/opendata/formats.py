"""The files a citizen downloads: CSV for Excel (UTF-8 with BOM), JSON, the data dictionary."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any

from currency.opendata.cells import TOTAL
from currency.opendata.tables import GRANTS, PAYMENTS, MonthTables, PublishedCell, Table

SUPPRESSED = "X"
BOM = "\ufeff"
TABLE_TITLES = {PAYMENTS: "支払", GRANTS: "ポイント付与"}


@dataclass(frozen=True)
class Column:
    ja: str  # the CSV header
    en: str  # the JSON key
    kind: str
    description_en: str
    description_ja: str


COLUMNS = (
    Column("年月", "month", "text YYYY-MM", "The month (Asia/Tokyo) the payments or grants "
           "were made in.", "支払・付与が行われた月（日本時間）。"),
    Column("表", "table", "text", f"Which table: {TABLE_TITLES[PAYMENTS]} (payments by residents "
           f"at shops) or {TABLE_TITLES[GRANTS]} (points granted to residents).",
           "表の種類：支払（住民からお店への支払）またはポイント付与（住民へのポイント付与）。"),
    Column("地区", "district", "text", "Payments: the district of the shop paid. Grants: the "
           f"district of the resident. {TOTAL} = all districts.",
           f"支払はお店の地区、付与は住民の地区。{TOTAL}はすべての地区の合計。"),
    Column("業種", "merchant_category", "text", "Payments only: the shop's category. "
           f"{TOTAL} = all categories. Empty for grants.",
           f"支払のみ：お店の業種。{TOTAL}はすべての業種の合計。付与の行では空欄。"),
    Column("事業", "programme", "text", "Grants only: the point programme's code. "
           f"{TOTAL} = all programmes. Empty for payments.",
           f"付与のみ：ポイント事業のコード。{TOTAL}はすべての事業の合計。支払の行では空欄。"),
    Column("年齢層", "age_band", "text", "The resident's age reached during the calendar "
           "year, in 10-year bands (0-9 … 80-89, 90+); 不明 = birth year not recorded. "
           f"{TOTAL} = all ages.",
           "その年に達する年齢の10歳ごとの区分（90+は90歳以上）。不明は生年の記録なし。"
           f"{TOTAL}はすべての年齢の合計。"),
    Column("件数", "count", "integer", "Number of payments (or grants). "
           f"{SUPPRESSED} in CSV / null in JSON when suppressed.",
           f"支払（付与）の件数。秘匿した値はCSVでは{SUPPRESSED}、JSONではnull。"),
    Column("金額", "amount", "integer (currency units)", "Total amount, net of later refunds "
           "and reversals of these payments (grants). Suppressed like count.",
           "金額の合計（後の返金・取消を差し引いた額）。秘匿は件数と同じ。"),
    Column("人数", "residents", "integer", "Distinct residents behind the cell. Not additive: "
           "a resident counted in two cells is counted once in their margin. Suppressed like "
           "count.", "その区分で支払（付与）を受けた住民の実人数。合計行は実人数で、各行の和とは"
           "限らない。秘匿は件数と同じ。"),
)  # fmt: skip


def _dims(table: Table, cell: PublishedCell) -> dict[str, str]:
    named = dict(zip(table.dimensions, cell.dims, strict=True))
    return {c.en: named.get(c.en, "") for c in COLUMNS[2:6]}


def to_csv(month: MonthTables) -> bytes:
    """One row per cell (margins included), Japanese headers, UTF-8 with a BOM for Excel."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.ja for c in COLUMNS])
    for table in month.tables:
        for cell in table.cells:
            figures = (cell.count, cell.amount, cell.residents)
            shown = [SUPPRESSED if v is None else v for v in figures]
            writer.writerow([month.label, TABLE_TITLES[table.name], *_dims(table, cell).values(),
                             *shown])  # fmt: skip
    return (BOM + out.getvalue()).encode("utf-8")


def to_json(month: MonthTables, *, currency: str) -> dict[str, Any]:
    return {
        "month": month.label,
        "currency": currency,
        "total_marker": TOTAL,
        "method": method(month),
        "tables": [_table_json(t) for t in month.tables],
    }


def _table_json(table: Table) -> dict[str, Any]:
    cells = [
        {
            **dict(zip(table.dimensions, cell.dims, strict=True)),
            "count": cell.count,
            "amount": cell.amount,
            "residents": cell.residents,
            "suppressed": cell.suppressed,
        }
        for cell in table.cells
    ]
    return {"name": table.name, "title": TABLE_TITLES[table.name],
            "dimensions": list(table.dimensions), "cells": cells}  # fmt: skip


def method(month: MonthTables | None = None, *, k: int | None = None) -> dict[str, Any]:
    rule = month.rule if month else None
    return {
        "k": rule.k if rule else k,
        "min_shops": rule.min_shops if rule else 3,
        "dominance": rule.dominance if rule else 0.5,
        "suppression_marker_csv": SUPPRESSED,
        "suppression_marker_json": "null, with suppressed: true",
        "summary": METHOD_SUMMARY,
    }


METHOD_SUMMARY = (
    "A cell is suppressed when fewer than k distinct residents are behind it, when (for "
    "payments) fewer than min_shops distinct shops are, or when one resident makes up more "
    "than the dominance share of its amount. Then further cells are suppressed until no "
    "published sum (any margin over one dimension, including the grand total) hides exactly "
    "one cell, and until no suppressed count or amount can be computed exactly from all "
    "published figures together. Suppressed cells are known only as a group of at least two."
)


def dictionary(*, k: int) -> dict[str, Any]:
    return {
        "columns": [c.__dict__ for c in COLUMNS],
        "total_marker": TOTAL,
        "method": method(k=k),
        "tables": TABLE_TITLES,
    }


def dictionary_csv() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["列名", "column", "type", "description", "説明"])
    for c in COLUMNS:
        writer.writerow([c.ja, c.en, c.kind, c.description_en, c.description_ja])
    return (BOM + out.getvalue()).encode("utf-8")


def json_bytes(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, indent=1, sort_keys=False).encode("utf-8")
