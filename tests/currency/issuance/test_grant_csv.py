"""Reading bulk grant files as city offices export them: encodings, Excel habits, bad rows."""

from __future__ import annotations

import codecs
from datetime import date

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from currency.issuance.grant_csv import (
    HEADER_NAMES,
    MAX_BYTES,
    MAX_ROWS,
    Field,
    GrantFileError,
    GrantRequest,
    ParsedFile,
    Row,
    parse,
)

HEADER = "住民番号,活動,ポイント,備考,活動日"


def read(text: str, *, encoding: str = "utf-8", max_points: int = 10_000) -> ParsedFile:
    return parse(text.encode(encoding), max_points=max_points)


def only_row(text: str, *, max_points: int = 10_000) -> Row:
    parsed = read(text, max_points=max_points)
    assert len(parsed.rows) == 1
    return parsed.rows[0]


def codes(row: Row) -> list[str]:
    return [problem.code for problem in row.problems]


def refusal(data: bytes, *, max_bytes: int = MAX_BYTES, max_rows: int = MAX_ROWS) -> GrantFileError:
    with pytest.raises(GrantFileError) as caught:
        parse(data, max_points=10_000, max_bytes=max_bytes, max_rows=max_rows)
    return caught.value


class TestEncodings:
    def test_utf8_with_a_bom_as_excel_saves_csv_utf8(self) -> None:
        data = codecs.BOM_UTF8 + f"{HEADER}\n1001,清掃,100,,\n".encode()
        parsed = parse(data, max_points=1000)
        assert parsed.encoding == "utf-8-sig"
        assert parsed.rows[0].request == GrantRequest("1001", "清掃", 100, None, None)

    def test_utf8_without_a_bom(self) -> None:
        parsed = read(f"{HEADER}\n1001,見守り,50,,\n")
        assert parsed.encoding == "utf-8"
        assert parsed.good_rows[0].request == GrantRequest("1001", "見守り", 50, None, None)

    def test_shift_jis_from_an_older_excel_with_windows_only_characters(self) -> None:
        text = "住民番号,活動,ポイント,備考\r\n1001,清掃活動,100,①髙橋さんと参加\r\n"
        parsed = parse(text.encode("cp932"), max_points=1000)
        assert parsed.encoding == "cp932"
        request = parsed.rows[0].request
        assert request is not None
        assert (request.activity, request.note) == ("清掃活動", "①髙橋さんと参加")

    def test_a_file_in_no_known_encoding_is_refused_with_a_clear_message(self) -> None:
        error = refusal(b"\x81\x20\xff\xfe\x80")
        assert error.problem.code == "encoding"
        assert "UTF-8" in str(error) and "Shift_JIS" in str(error)

    def test_a_bom_followed_by_broken_utf8_is_not_guessed_as_shift_jis(self) -> None:
        assert refusal(codecs.BOM_UTF8 + "住民番号".encode("cp932")).problem.code == "encoding"


class TestLayout:
    def test_blank_lines_and_comma_only_lines_are_skipped_but_keep_excel_row_numbers(self) -> None:
        text = f"\n{HEADER}\n\n1001,清掃,100\n,,,,\n  , ,\n1002,清掃,100\n"
        parsed = read(text)
        assert parsed.header_line == 2
        assert [row.line for row in parsed.rows] == [4, 7]

    def test_trailing_empty_columns_from_excel_are_ignored(self) -> None:
        row = only_row(f"{HEADER},,,\n1001,清掃,100,,,,,\n")
        assert row.request is not None and not row.problems

    @pytest.mark.parametrize("newline", ["\r\n", "\n", "\r"])
    def test_line_endings_from_windows_unix_and_old_macs(self, newline: str) -> None:
        text = newline.join([HEADER, "1001,清掃,100,,", "1002,清掃,200,,"]) + newline
        parsed = read(text)
        assert [row.line for row in parsed.rows] == [2, 3]
        assert [r.request.points for r in parsed.rows if r.request] == [100, 200]

    def test_quoted_fields_may_hold_commas_quotes_and_newlines(self) -> None:
        text = f'{HEADER}\n1001,清掃,"1,000","駅前, 公園 ""A""\n午前"\n1002,清掃,5,,\n'
        parsed = read(text)
        first = parsed.rows[0].request
        assert first is not None
        assert (first.points, first.note) == (1000, '駅前, 公園 "A"\n午前')
        assert [row.line for row in parsed.rows] == [2, 3]  # Excel shows the note in one row

    def test_an_unquoted_thousands_separator_spills_into_a_column_without_header(self) -> None:
        row = only_row("住民番号,活動,ポイント\n1001,清掃,1,000\n")
        assert codes(row) == ["too_many_columns"]
        assert row.request is None
        assert "カンマ" in row.problems[0].ja

    def test_title_rows_above_the_header_are_skipped(self) -> None:
        parsed = read(
            f"令和8年度 ボランティアポイント付与一覧,,\n作成: 地域振興課\n{HEADER}\n1001,清掃,1\n"
        )
        assert parsed.header_line == 3
        assert parsed.rows[0].line == 4

    def test_unknown_columns_are_ignored_and_reported(self) -> None:
        parsed = read("No.,氏名,住民番号,活動,ポイント,地区\n1,佐伯太郎,1001,清掃,10,上浦\n")
        assert parsed.ignored_columns == ("No.", "氏名", "地区")
        assert parsed.rows[0].request == GrantRequest("1001", "清掃", 10, None, None)

    def test_a_short_row_reads_missing_cells_as_empty(self) -> None:
        row = only_row(f"{HEADER}\n1001\n")
        assert codes(row) == ["missing_activity"]

    def test_one_bad_row_does_not_stop_the_others(self) -> None:
        parsed = read(f"{HEADER}\n1001,清掃,100\n1002,清掃,abc\n1003,清掃,\n")
        assert [row.line for row in parsed.good_rows] == [2, 4]
        assert codes(parsed.rows[1]) == ["bad_points"]

    def test_a_very_long_cell_is_read_promptly(self) -> None:
        header = HEADER + "," + "(" * 50_000
        cells = ["1001", "清掃", "1" * 50_000, "", "2026" + " " * 50_000 + "x"]
        row = only_row(header + "\n" + ",".join(cells) + "\n")
        assert codes(row) == ["too_many_points", "bad_date"]


class TestHeaders:
    @pytest.mark.parametrize(
        ("field", "name"),
        [(field, name) for field, names in HEADER_NAMES.items() for name in names],
    )
    def test_every_documented_header_name_is_understood(self, field: Field, name: str) -> None:
        names = {f: names[0] for f, names in HEADER_NAMES.items()} | {field: name}
        parsed = read(",".join(names.values()) + "\n1001,清掃,100,メモ,2026/11/3\n")
        assert parsed.columns[field] == list(HEADER_NAMES).index(field)
        assert parsed.rows[0].request == GrantRequest(
            "1001", "清掃", 100, "メモ", date(2026, 11, 3)
        )

    @pytest.mark.parametrize(
        "header",
        [
            "住民番号（必須）,活動名 ,付与ポイント(pt),※実施日",
            "ＲＥＳＩＤＥＮＴ＿ＮＵＭＢＥＲ,Activity,POINTS,Date",
            "Resident Number,activity,points,date",
            "住 民 番 号,活動コード,点数*,活動日",
        ],
    )
    def test_headers_match_after_width_case_spaces_and_marks_are_normalised(
        self, header: str
    ) -> None:
        parsed = read(f"{header}\n1001,清掃,100,2026/11/3\n")
        assert parsed.rows[0].request == GrantRequest("1001", "清掃", 100, None, date(2026, 11, 3))

    def test_note_and_date_columns_are_optional(self) -> None:
        row = only_row("利用者番号,活動,ポイント数\n1001,清掃,100\n")
        assert row.request == GrantRequest("1001", "清掃", 100, None, None)

    @pytest.mark.parametrize(
        ("header", "label", "names"),
        [
            ("氏名,活動,ポイント", "住民番号", "住民番号、市民番号、利用者番号、resident_number"),
            ("住民番号,ポイント", "活動", "活動、活動名、活動コード、activity"),
            ("住民番号,活動,備考", "ポイント", "ポイント、付与ポイント、ポイント数、点数、points"),
        ],
    )
    def test_a_missing_required_column_refuses_the_file_naming_it_and_the_accepted_names(
        self, header: str, label: str, names: str
    ) -> None:
        error = refusal(f"{header}\n1001,清掃,100\n".encode())
        assert error.problem.code == "missing_column"
        assert f"「{label}」の列がありません" in str(error)
        assert names in str(error)

    def test_two_columns_for_the_same_field_refuse_the_file(self) -> None:
        error = refusal("住民番号,活動,ポイント,付与ポイント\n1001,清掃,1,2\n".encode())
        assert error.problem.code == "duplicate_column"
        assert "「ポイント」と「付与ポイント」" in str(error)

    def test_a_file_without_a_header_row_is_refused(self) -> None:
        assert refusal("1001,清掃,100\n1002,清掃,100\n".encode()).problem.code == "no_header"

    @pytest.mark.parametrize("data", [b"", b"\r\n,,,\r\n", codecs.BOM_UTF8])
    def test_an_empty_file_is_refused(self, data: bytes) -> None:
        assert refusal(data).problem.code == "no_header"

    def test_a_header_without_rows_is_refused(self) -> None:
        assert refusal(f"{HEADER}\n,,,,\n".encode()).problem.code == "no_rows"


class TestResidentNumbers:
    @pytest.mark.parametrize(
        "raw", ["０１２３４５", "012-345", "０１２－３４５", "012 345", "012ー345"]
    )
    def test_full_width_digits_hyphens_and_spaces_are_normalised(self, raw: str) -> None:
        row = only_row(f"{HEADER}\n{raw},清掃,1\n")
        assert row.request is not None
        assert row.request.resident_number == "012345"

    def test_a_missing_resident_number_is_a_problem(self) -> None:
        row = only_row(f"{HEADER}\n,清掃,100\n")
        assert codes(row) == ["missing_resident_number"]
        assert row.problems[0].ja == "住民番号が入力されていません。"

    def test_a_name_in_the_number_column_is_a_problem(self) -> None:
        assert codes(only_row(f"{HEADER}\n佐伯太郎,清掃,100\n")) == ["bad_resident_number"]

    def test_a_number_excel_turned_into_exponent_form_says_so(self) -> None:
        row = only_row(f"{HEADER}\n1.23457E+11,清掃,100\n")
        assert codes(row) == ["resident_number_exponent"]
        assert "指数表記" in row.problems[0].ja


class TestPoints:
    @pytest.mark.parametrize(
        ("raw", "points"),
        [
            ("100", 100),
            ("１００", 100),
            ('"1,000"', 1000),
            ("１，０００", 1000),
            ("100pt", 100),
            ("100 PT", 100),
            ("１００ポイント", 100),
            ("100点", 100),
            ("+5", 5),
            ("", None),
        ],
    )
    def test_amounts_as_people_type_them(self, raw: str, points: int | None) -> None:
        row = only_row(f"{HEADER}\n1001,清掃,{raw}\n")
        assert row.request is not None
        assert row.request.points == points

    @pytest.mark.parametrize("raw", ["abc", "1.5", '"1,00"', "１０ｘ", "pt", "十", "▲100"])
    def test_a_value_that_is_not_a_whole_number_is_a_bad_number(self, raw: str) -> None:
        row = only_row(f"{HEADER}\n1001,清掃,{raw}\n")
        assert codes(row) == ["bad_points"]
        assert "整数で入力してください" in row.problems[0].ja

    @pytest.mark.parametrize("raw", ["0", "-100", "－５", "000"])
    def test_zero_or_negative_points_are_refused(self, raw: str) -> None:
        assert codes(only_row(f"{HEADER}\n1001,清掃,{raw}\n")) == ["points_not_positive"]

    def test_the_maximum_is_allowed_and_one_more_is_too_many(self) -> None:
        parsed = read(f"{HEADER}\n1001,清掃,500\n1002,清掃,501\n", max_points=500)
        assert parsed.rows[0].request is not None
        assert codes(parsed.rows[1]) == ["too_many_points"]
        assert "上限の500" in parsed.rows[1].problems[0].ja

    def test_an_absurdly_long_number_is_too_many_not_a_crash(self) -> None:
        assert codes(only_row(f"{HEADER}\n1001,清掃,{'9' * 5000}\n")) == ["too_many_points"]


class TestDates:
    @pytest.mark.parametrize(
        ("raw", "on"),
        [
            ("2026/11/3", date(2026, 11, 3)),
            ("2026-11-03", date(2026, 11, 3)),
            ("2026年11月3日", date(2026, 11, 3)),
            ("令和8年11月3日", date(2026, 11, 3)),
            ("令和８年１１月３日", date(2026, 11, 3)),
            ("R8.11.3", date(2026, 11, 3)),
            ("r8/11/3", date(2026, 11, 3)),
            ("㋿8.11.3", date(2026, 11, 3)),
            ("令和元年5月1日", date(2019, 5, 1)),
            ("2026/11/03 0:00", date(2026, 11, 3)),
        ],
    )
    def test_western_and_reiwa_dates(self, raw: str, on: date) -> None:
        row = only_row(f"{HEADER}\n1001,清掃,1,,{raw}\n")
        assert row.request is not None
        assert row.request.on == on

    @pytest.mark.parametrize(
        "raw", ["2026/2/30", "R8.13.1", "令和元年4月30日", "明日", "46329", "H30.1.1", "8/11/3"]
    )
    def test_a_date_that_does_not_exist_or_is_unreadable_is_a_problem(self, raw: str) -> None:
        row = only_row(f"{HEADER}\n1001,清掃,1,,{raw}\n")
        assert codes(row) == ["bad_date"]
        assert raw in row.problems[0].ja and raw in row.problems[0].en


class TestDuplicates:
    def test_the_same_resident_activity_and_date_twice_is_a_warning_naming_the_first(self) -> None:
        parsed = read(f"{HEADER}\n1001,清掃,100,,R8.11.3\n1001,清掃,100,,2026/11/3\n")
        first, second = parsed.rows
        assert first.warnings == ()
        assert [w.code for w in second.warnings] == ["duplicate"]
        assert "2行目" in second.warnings[0].ja
        assert second.request is not None  # a warning: staff decide

    def test_another_date_or_activity_is_no_duplicate(self) -> None:
        parsed = read(
            f"{HEADER}\n1001,清掃,1,,R8.11.3\n1001,清掃,1,,R8.11.4\n1001,見守り,1,,R8.11.3\n"
        )
        assert all(row.warnings == () for row in parsed.rows)


class TestLimits:
    def test_a_file_larger_than_the_limit_is_refused_before_reading(self) -> None:
        error = refusal(f"{HEADER}\n1001,清掃,1\n".encode(), max_bytes=10)
        assert error.problem.code == "too_large"
        assert "分割してください" in str(error)

    def test_more_rows_than_the_limit_are_refused(self) -> None:
        data = (HEADER + "\n" + "1001,清掃,1\n" * 4).encode()
        assert refusal(data, max_rows=3).problem.code == "too_many_rows"
        assert len(parse(data, max_points=10, max_rows=4).rows) == 4

    def test_an_unclosed_quote_swallowing_the_file_is_refused(self) -> None:
        data = f'{HEADER}\n1001,清掃,"1\n'.encode() + b"x" * 200_000
        assert refusal(data).problem.code == "unreadable"


def _check_invariants(parsed: ParsedFile) -> None:
    lines = [row.line for row in parsed.rows]
    assert lines == sorted(set(lines)) and all(line > parsed.header_line for line in lines)
    for row in parsed.rows:
        assert (row.request is None) == bool(row.problems)
        assert all(problem.ja and problem.en for problem in (*row.problems, *row.warnings))


def _read_or_refuse(data: bytes, *, max_bytes: int, max_rows: int) -> None:
    try:
        parsed = parse(data, max_points=1000, max_bytes=max_bytes, max_rows=max_rows)
    except GrantFileError as error:
        assert error.problem.ja and error.problem.en
        event(f"refused: {error.problem.code}")
    else:
        _check_invariants(parsed)
        event(f"read: {'good' if parsed.good_rows else 'no good'} rows")


FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(header=st.booleans(), data=st.binary(max_size=3000))
def test_random_bytes_are_read_or_refused_never_crash(header: bool, data: bytes) -> None:
    prefix = f"{HEADER}\r\n".encode("cp932") if header else b""
    _read_or_refuse(prefix + data, max_bytes=2000, max_rows=50)


_CELL_TEXT = st.sampled_from(
    '|,|"|\n|\r|0|９|1001|100|１，０００|1,000|-|ー|pt|点|令和|R|元|年|/|.|(|)|住民番号|活動|ポイント'
    "|備考|活動日|清掃|E+|\ufeff|\x00|①|髙| ".split("|")
)
_CELL = st.lists(_CELL_TEXT, max_size=6).map("".join)
_LINE = st.lists(_CELL, max_size=8).map(",".join)


@FUZZ
@given(
    header=st.booleans(),
    lines=st.lists(_LINE, max_size=30),
    newline=st.sampled_from(["\n", "\r\n", "\r"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp932"]),
)
def test_random_csv_shaped_text_is_read_or_refused_never_crash(
    header: bool, lines: list[str], newline: str, encoding: str
) -> None:
    text = newline.join(([HEADER] if header else []) + lines)
    _read_or_refuse(text.encode(encoding, "replace"), max_bytes=MAX_BYTES, max_rows=20)
