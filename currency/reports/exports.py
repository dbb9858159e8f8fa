"""Reports as files: CSV in UTF-8 with a BOM (Excel opens it as Japanese text), JSON."""

from __future__ import annotations

import csv
import io
import json

from currency.reports.base_date import THRESHOLD, BaseDateReport

BOM = "\ufeff"

# (JSON key, CSV header): the header in Japanese for the finance office, the key in English
BASE_DATE_COLUMNS = (
    ("on", "基準日"),
    ("period_start", "期間開始日"),
    ("unused", "基準日未使用残高(円)"),
    ("threshold", "基準額(円)"),
    ("deposit_required", "要供託額(発行保証金,円)"),
    ("past_due_unswept", "有効期限経過・未失効処理残高(円)"),
    ("wallet_coin_lots", "ウォレット内コイン残高合計(円)"),
    ("opening", "期首残高(円)"),
    ("issued", "発行額(円)"),
    ("issued_premium", "うちプレミアム分(円)"),
    ("payments", "加盟店での支払額(円)"),
    ("refunds", "加盟店からの返金額(円)"),
    ("used", "使用額・純額(円)"),
    ("expired", "失効額(円)"),
    ("reversed", "取消・訂正による増減(円)"),
    ("sent", "利用者間の送付額(円)"),
    ("other", "その他の増減(円)"),
)


def base_date_json(found: BaseDateReport) -> str:
    return json.dumps(found.as_json(), ensure_ascii=False, indent=2) + "\n"


def base_date_csv(found: BaseDateReport) -> str:
    """One header row and one row of figures (rows of several base dates line up)."""
    values = {**found.as_json(), "threshold": THRESHOLD}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([header for _, header in BASE_DATE_COLUMNS])
    writer.writerow([values[key] for key, _ in BASE_DATE_COLUMNS])
    return BOM + out.getvalue()
