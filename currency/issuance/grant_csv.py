"""Reading a bulk volunteer-point grant file, as city offices export it from Excel.

CSV in UTF-8 (with or without BOM) or Shift_JIS (read as CP932, its Windows superset).
Blank lines and lines of only commas are skipped. The header is the first row (title rows
above it are skipped) naming a known column; names match after NFKC, trimming, case-folding
and dropping spaces, ``_``, ``-``, ``*``, ``※`` and a trailing ``(...)`` such as ``(必須)``:

- resident number (required): 住民番号, 市民番号, 利用者番号, resident_number
- activity (required): 活動, 活動名, 活動コード, activity
- points (required; a blank cell: the activity's default): ポイント, 付与ポイント,
  ポイント数, 点数, points
- note (optional): 備考, メモ, note
- date (optional): 活動日, 実施日, date; as 2026/11/3, 2026-11-03, 令和8年11月3日, R8.11.3

Other columns are ignored and listed in ``ParsedFile.ignored_columns``. Points may be
full-width, with thousands separators (1,000 or １，０００) and a unit (pt, ポイント, 点).
This module only parses: whether each resident exists, the activity is known, and caps and
budgets allow the grant is checked by the grant service against the database. A bad row
never raises, it carries its problems; only an unusable file raises ``GrantFileError``.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import date
from typing import Literal

Field = Literal["resident_number", "activity", "points", "note", "on"]

HEADER_NAMES: dict[Field, tuple[str, ...]] = {
    "resident_number": ("住民番号", "市民番号", "利用者番号", "resident_number"),
    "activity": ("活動", "活動名", "活動コード", "activity"),
    "points": ("ポイント", "付与ポイント", "ポイント数", "点数", "points"),
    "note": ("備考", "メモ", "note"),
    "on": ("活動日", "実施日", "date"),
}
REQUIRED: tuple[Field, ...] = ("resident_number", "activity", "points")
MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 100_000

# Messages by code: str.format templates, Japanese for staff and English for logs and tests.
_JA: dict[str, str] = {
    "too_large": "ファイルが大きすぎます（{size}バイト、上限{max}バイト）。分割してください。",
    "encoding": "文字コードを読み取れません。UTF-8かShift_JISのCSVで保存してください。",
    "unreadable": 'CSVを読み取れません。長すぎるセルや閉じていない「"」がないかご確認ください。',
    "no_header": "見出し行が見つかりません。「住民番号」「活動」「ポイント」の見出しが必要です。",
    "missing_column": "「{label}」の列がありません。見出しは次のいずれかにしてください：{names}",
    "duplicate_column": "「{first}」と「{second}」は同じ項目です。どちらか一方にしてください。",
    "no_rows": "見出しの下にデータの行がありません。",
    "too_many_rows": "行数が多すぎます（上限{max}行）。ファイルを分けてください。",
    "missing_resident_number": "住民番号が入力されていません。",
    "bad_resident_number": "住民番号「{value}」に使えない文字が含まれています。",
    "resident_number_exponent": "住民番号「{value}」が指数表記です。列を文字列にしてください。",
    "missing_activity": "活動が入力されていません。",
    "bad_points": "ポイント「{value}」を数として読み取れません。整数で入力してください。",
    "points_not_positive": "ポイントは1以上で入力してください（「{value}」）。",
    "too_many_points": "ポイント「{value}」が上限の{max}を超えています。",
    "bad_date": "日付「{value}」を読み取れません。2026/11/3や令和8年11月3日の形でご入力ください。",
    "too_many_columns": '見出しのない列に値があります。カンマを含む値は「"」で囲んでください。',
    "duplicate": "{first}行目と住民番号・活動・日付が同じです。二重の付与でないかご確認ください。",
}
_EN: dict[str, str] = {
    "too_large": "The file is too large ({size} bytes, limit {max}). Please split it.",
    "encoding": "Unreadable encoding. Please save the file as UTF-8 or Shift_JIS CSV.",
    "unreadable": 'Not readable as CSV: a cell is too long, or a " is never closed.',
    "no_header": "No header row found. Headers 住民番号, 活動 and ポイント are needed.",
    "missing_column": "The {field} column is missing. Please name it one of: {names}",
    "duplicate_column": 'Columns "{first}" and "{second}" are the same field. Keep only one.',
    "no_rows": "There are no data rows below the header.",
    "too_many_rows": "Too many rows (limit {max}). Please split the file.",
    "missing_resident_number": "The resident number is missing.",
    "bad_resident_number": 'The resident number "{value}" has characters that are not allowed.',
    "resident_number_exponent": 'The resident number "{value}" is in exponent form (Excel).',
    "missing_activity": "The activity is missing.",
    "bad_points": 'The points "{value}" are not a whole number.',
    "points_not_positive": 'Points must be 1 or more ("{value}").',
    "too_many_points": 'The points "{value}" exceed the limit of {max}.',
    "bad_date": 'The date "{value}" is not readable. Write it like 2026/11/3 or 令和8年11月3日.',
    "too_many_columns": "Values beyond the header columns; quote values that contain commas.",
    "duplicate": "Same resident, activity and date as line {first}: a double grant?",
}


@dataclass(frozen=True, slots=True)
class Problem:
    """Why a row or file cannot be used as it is (or, as a warning, what to check)."""

    code: str
    ja: str
    en: str


class GrantFileError(ValueError):
    """The file as a whole cannot be used; ``str(error)`` is the Japanese message."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.ja)
        self.problem = problem


@dataclass(frozen=True, slots=True)
class GrantRequest:
    """What one good row asks for; ``points`` None means the activity's default."""

    resident_number: str
    activity: str
    points: int | None
    note: str | None
    on: date | None


@dataclass(frozen=True, slots=True)
class Row:
    """A data row at ``line`` as Excel numbers rows: a ``request`` or ``problems``."""

    line: int
    cells: tuple[str, ...]
    request: GrantRequest | None
    problems: tuple[Problem, ...] = ()
    warnings: tuple[Problem, ...] = ()


@dataclass(frozen=True, slots=True)
class ParsedFile:
    """The rows of a readable file, with how its header was understood."""

    rows: list[Row]
    encoding: str
    header_line: int
    columns: dict[Field, int]
    ignored_columns: tuple[str, ...]

    @property
    def good_rows(self) -> list[Row]:
        return [row for row in self.rows if row.request is not None]


def parse(
    data: bytes, *, max_points: int, max_bytes: int = MAX_BYTES, max_rows: int = MAX_ROWS
) -> ParsedFile:
    """Read a grant file. Raises ``GrantFileError`` only when the file is unusable."""
    if len(data) > max_bytes:
        raise GrantFileError(_problem("too_large", size=len(data), max=max_bytes))
    text, encoding = _decode(data)
    records = _records(text)
    header_line, header, columns = _find_header(records)
    ignored = tuple(c.strip() for c in header if c.strip() and _header_key(c) not in _FIELD_BY_KEY)
    body = [(line, cells) for line, cells in records if line > header_line]
    if not body:
        raise GrantFileError(_problem("no_rows"))
    if len(body) > max_rows:
        raise GrantFileError(_problem("too_many_rows", max=max_rows))
    width = max(index for index, cell in enumerate(header) if cell.strip()) + 1
    rows = [_row(line, cells, columns, width, max_points) for line, cells in body]
    return ParsedFile(_flag_duplicates(rows), encoding, header_line, columns, ignored)


def _problem(code: str, **values: object) -> Problem:
    shown = {k: f"{v:.60}" if isinstance(v, str) else v for k, v in values.items()}
    return Problem(code, _JA[code].format(**shown), _EN[code].format(**shown))


def _decode(data: bytes) -> tuple[str, str]:
    encodings = ("utf-8-sig",) if data.startswith(codecs.BOM_UTF8) else ("utf-8", "cp932")
    for encoding in encodings:
        with contextlib.suppress(UnicodeDecodeError):
            return data.decode(encoding), encoding
    raise GrantFileError(_problem("encoding"))


def _records(text: str) -> list[tuple[int, list[str]]]:
    """Non-blank records with their Excel row numbers (a quoted newline stays in its row)."""
    try:
        numbered = enumerate(csv.reader(io.StringIO(text, newline="")), start=1)
        return [(line, cells) for line, cells in numbered if any(c.strip() for c in cells)]
    except csv.Error:
        raise GrantFileError(_problem("unreadable")) from None


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def _header_key(text: str) -> str:
    return re.sub(r"\([^()]*\)$|[\s_\-*※\ufeff]", "", _nfkc(text).casefold())


_FIELD_BY_KEY: dict[str, Field] = {
    _header_key(name): field for field, names in HEADER_NAMES.items() for name in names
}


def _find_header(records: list[tuple[int, list[str]]]) -> tuple[int, list[str], dict[Field, int]]:
    for line, cells in records[:10]:  # past any title rows an office puts above it
        if any(_header_key(cell) in _FIELD_BY_KEY for cell in cells):
            return line, cells, _columns(cells)
    raise GrantFileError(_problem("no_header"))


def _columns(header: list[str]) -> dict[Field, int]:
    columns: dict[Field, int] = {}
    for index, cell in enumerate(header):
        field = _FIELD_BY_KEY.get(_header_key(cell))
        if field in columns:
            first = header[columns[field]].strip()
            raise GrantFileError(_problem("duplicate_column", first=first, second=cell))
        if field is not None:
            columns[field] = index
    if missing := [field for field in REQUIRED if field not in columns]:
        names = HEADER_NAMES[missing[0]]
        values = {"label": names[0], "field": missing[0], "names": "、".join(names)}
        raise GrantFileError(_problem("missing_column", **values))
    return columns


def _row(
    line: int, cells: list[str], columns: dict[Field, int], width: int, max_points: int
) -> Row:
    def cell(field: Field) -> str:
        index = columns.get(field)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    resident = _resident_number(cell("resident_number"))
    activity = _nfkc(cell("activity")) or _problem("missing_activity")
    points = _points(cell("points"), max_points)
    on = _date(cell("on"))
    extra = [_problem("too_many_columns")] if any(c.strip() for c in cells[width:]) else []
    found = [v for v in (resident, activity, points, on) if isinstance(v, Problem)] + extra
    match (resident, activity, points, on):
        case (str() as number, str() as name, int() | None as amount, date() | None as day):
            if not extra:
                request = GrantRequest(number, name, amount, cell("note") or None, day)
                return Row(line, tuple(cells), request)
    return Row(line, tuple(cells), None, tuple(found))


def _resident_number(text: str) -> str | Problem:
    number = re.sub(r"[\s\-‐‑‒–—―−ー]", "", _nfkc(text))
    if not number:
        return _problem("missing_resident_number")
    if re.fullmatch(r"[0-9.]+e\+?[0-9]+", number, re.IGNORECASE):
        return _problem("resident_number_exponent", value=text)
    if not re.fullmatch(r"[0-9A-Za-z]{1,32}", number):
        return _problem("bad_resident_number", value=text)
    return number.upper()


_POINTS = re.compile(r"([+-]?)([0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)\s*(?:pt|ポイント|点)?")


def _points(text: str, max_points: int) -> int | Problem | None:
    if not text:
        return None
    if not (match := _POINTS.fullmatch(_nfkc(text).casefold())):
        return _problem("bad_points", value=text)
    sign, digits = match[1], match[2].replace(",", "")
    if sign == "-" or not digits.strip("0"):
        return _problem("points_not_positive", value=text)
    if len(digits) > 15 or int(digits) > max_points:
        return _problem("too_many_points", value=text, max=max_points)
    return int(digits)


_TIME = re.compile(r"(?<=[0-9])\s+[0-9]{1,2}:[0-9]{2}(:[0-9]{2})?$")  # Excel's "2026/11/03 0:00"
_SEP = r"\s*[/.\-年月]\s*"
_MD = "([0-9]{1,2})"  # a month or a day
_DATE = re.compile(rf"(?:(?:令和|r)\s*(元|[0-9]{{1,2}})|([0-9]{{4}})){_SEP}{_MD}{_SEP}{_MD}日?")


def _date(text: str) -> date | Problem | None:
    if not text:
        return None
    if match := _DATE.fullmatch(_TIME.sub("", _nfkc(text)).casefold()):
        reiwa, western, month, day = match.groups()
        year = int(western) if western else 2018 + (1 if reiwa == "元" else int(reiwa))
        with contextlib.suppress(ValueError):
            on = date(year, int(month), int(day))
            if western or on >= date(2019, 5, 1):  # the day 令和 began (元年 is 2019)
                return on
    return _problem("bad_date", value=text)


def _flag_duplicates(rows: list[Row]) -> list[Row]:
    """Warn on a second row with the same resident, activity and date: a likely double grant."""
    first_lines: dict[tuple[str, str, date | None], int] = {}
    for index, row in enumerate(rows):
        if (req := row.request) is None:
            continue
        key = (req.resident_number, req.activity.casefold(), req.on)
        if (first := first_lines.setdefault(key, row.line)) != row.line:
            warning = _problem("duplicate", first=first)
            rows[index] = replace(row, warnings=(*row.warnings, warning))
    return rows
