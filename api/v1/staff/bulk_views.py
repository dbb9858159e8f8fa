"""What a bulk grant file's preview and commit answer."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict

from currency.issuance import bulk
from currency.issuance.grant_csv import Problem


class RowProblem(BaseModel):
    code: str
    ja: str  # for the staff member
    en: str


class RowView(BaseModel):
    line: int
    resident_number: str
    activity: str
    points: int | None
    on: date | None
    ok: bool
    problems: list[RowProblem]
    warnings: list[RowProblem]


class TotalsView(BaseModel):
    rows: int
    ok: int
    errors: int
    points: int


class PreviewView(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "programme": "volunteer-2026",
                    "sha256": "9f2c…e1",
                    "encoding": "cp932",
                    "ignored_columns": ["備考"],
                    "imported_at": None,
                    "totals": {"rows": 2, "ok": 1, "errors": 1, "points": 500},
                    "rows": [
                        {
                            "line": 2,
                            "resident_number": "S00012345",
                            "activity": "蒲江海岸清掃",
                            "points": 500,
                            "on": "2026-11-23",
                            "ok": True,
                            "problems": [],
                            "warnings": [],
                        },
                        {
                            "line": 3,
                            "resident_number": "S00099999",
                            "activity": "蒲江海岸清掃",
                            "points": 500,
                            "on": "2026-11-23",
                            "ok": False,
                            "problems": [
                                {
                                    "code": "unknown-resident",
                                    "ja": "この住民番号は登録されていません",
                                    "en": "No resident has this number",
                                }
                            ],
                            "warnings": [],
                        },
                    ],
                }
            ]
        }
    )
    programme: str
    sha256: str
    encoding: str
    ignored_columns: list[str]
    imported_at: datetime | None  # this very file was granted before, then
    totals: TotalsView
    rows: list[RowView]


class CommitView(BaseModel):
    """The same for a retry: the programme, the file's hash and what it granted."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"programme": "volunteer-2026", "sha256": "9f2c…e1", "rows": 1, "points": 500}
            ]
        }
    )
    programme: str
    sha256: str
    rows: int
    points: int


def _problems(found: tuple[Problem, ...]) -> list[RowProblem]:
    return [RowProblem(code=p.code, ja=p.ja, en=p.en) for p in found]


def _row(row: bulk.RowOutcome) -> RowView:
    return RowView(
        line=row.line, resident_number=row.resident_number, activity=row.activity,
        points=row.points, on=row.on, ok=row.ok, problems=_problems(row.problems),
        warnings=_problems(row.warnings),
    )  # fmt: skip


def preview_view(found: bulk.Preview) -> PreviewView:
    t = found.totals
    return PreviewView(
        programme=found.programme, sha256=found.sha256, encoding=found.encoding,
        ignored_columns=list(found.ignored_columns), imported_at=found.imported_at,
        totals=TotalsView(rows=t.rows, ok=t.ok, errors=t.errors, points=t.points),
        rows=[_row(row) for row in found.rows],
    )  # fmt: skip


def commit_view(done: bulk.CommitResult) -> CommitView:
    return CommitView(programme=done.programme, sha256=done.sha256, rows=done.rows,
                      points=done.points)  # fmt: skip
