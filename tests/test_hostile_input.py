"""Raw files made to break ingest (issue 16): each is read whole and accounted for, or refused with one
clear message; none loses rows or keeps mojibake silently, none exhausts memory or aborts the process."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from test_bad_input import (
    BING,
    FIRMS_HEADER,
    FIRMS_ROWS,
    JIA,
    YI,
    cli_error,
    csv_text,
    minimal_raw_folder,
    run,
    write_firms,
)
from typer.testing import CliRunner

from fintech_firms.cli import app
from fintech_firms.errors import InputError
from fintech_firms.tabular.limits import MAX_COLUMNS, MAX_HEADER_CHARS
from fintech_firms.tabular.reader import REPEATED_HEADER, decode, read_table

raw = pytest.fixture(minimal_raw_folder, name="raw")


MIXED_GB = "row written in utf-8 in a file in gb18030"
MIXED_UTF8 = "row written in gb18030 in a file in utf-8"


def xlsx(rows: list[list], dimension: str | None = None, extra: dict[str, object] | None = None) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    for ref, value in (extra or {}).items():
        sheet[ref] = value
    buffer = io.BytesIO()
    workbook.save(buffer)
    data = buffer.getvalue()
    if dimension is None:
        return data
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            part = source.read(name)
            if name == "xl/worksheets/sheet1.xml":
                part = re.sub(rb'<dimension ref="[^"]*"', f'<dimension ref="{dimension}"'.encode(), part)
            target.writestr(name, part)
    return out.getvalue()


# --- 1. a stale <dimension> -----------------------------------------------------------------------------

@pytest.mark.parametrize("dimension", ["A1:B2", "A1:A1", "A1:E1", "C3:D4"])
def test_a_sheet_with_a_stale_dimension_is_read_whole(raw: Path, dimension: str) -> None:
    # Some tools write the dimension wrongly: every row and column that is there is read.
    rows = [FIRMS_HEADER, *FIRMS_ROWS, ["丁科技有限公司", "杭州", "", "3", "2020"],
            ["戊科技有限公司", "成都", "", "4", "2021"]]
    (raw / "firms.xlsx").write_bytes(xlsx(rows, dimension))
    (raw / "firms.csv").unlink(missing_ok=True)
    result = run(raw)
    result.file("firms.xlsx", rows_read=5, kept=5, encoding="xlsx")
    assert result.table("firms")["rd_staff"].to_list() == [120, 45, 8, 3, 4]


def test_a_dimension_far_past_the_cells_invents_no_rows(raw: Path) -> None:
    (raw / "firms.xlsx").write_bytes(xlsx([FIRMS_HEADER, *FIRMS_ROWS], "A1:XFD1048576"))
    (raw / "firms.csv").unlink(missing_ok=True)
    run(raw).file("firms.xlsx", rows_read=3, kept=3)


# --- 3. a cell at the sheet's far corner ------------------------------------------------------------------

@pytest.mark.parametrize("ref", ["XFD1048576", "ZZ900000", "F1048576"])
def test_one_far_cell_is_a_quarantined_row_not_an_abort(raw: Path, ref: str) -> None:
    data = xlsx([FIRMS_HEADER, *FIRMS_ROWS], extra={ref: "x"})
    assert len(data) < 10_000
    (raw / "firms.xlsx").write_bytes(data)
    (raw / "firms.csv").unlink(missing_ok=True)
    result = run(raw)
    row = int(re.sub("[A-Z]", "", ref)) - 1
    fields = openpyxl.utils.cell.column_index_from_string(re.sub("[0-9]", "", ref))
    result.file("firms.xlsx", rows_read=row, kept=3, blank_rows=row - 4,
                quarantined={f"row has {fields} fields but the header has 5": 1})


# --- 2. mixed encodings -----------------------------------------------------------------------------------

def mixed_bytes(header: list[str], rows: list[tuple[list[str], str]]) -> bytes:
    """A CSV whose header is GB18030 and each row in the encoding given with it."""
    data = csv_text(header, []).encode("gb18030")
    for cells, encoding in rows:
        data += csv_text(cells, []).encode(encoding)
    return data


def test_utf8_rows_in_a_gb18030_file_are_quarantined_not_garbled(raw: Path) -> None:
    # The recipe of issue 16: UTF-8 rows that are valid GB18030 too were kept as 涓欎竵… mojibake.
    rows = [(FIRMS_ROWS[0], "gb18030"), (FIRMS_ROWS[1], "utf-8"), (FIRMS_ROWS[2], "gb18030"),
            (["丁科技有限公司", "杭州", "", "3", "2020"], "utf-8"), (["戊科技有限公司", "成都", "", "4", ""], "gb18030")]
    (raw / "firms.csv").write_bytes(mixed_bytes(FIRMS_HEADER, rows))
    result = run(raw)
    result.file("firms.csv", rows_read=5, kept=3, encoding="gb18030", quarantined={MIXED_GB: 2})
    assert result.quarantine() == [("firms.csv", 2, MIXED_GB), ("firms.csv", 4, MIXED_GB)]
    # The record shows the row as written, decoded in its own encoding.
    assert [r["name"] for r in result.records()] == [YI, "丁科技有限公司"]
    assert result.table("firms")["name"].to_list() == [JIA, BING, "戊科技有限公司"]
    assert result.table("firms")["region"].to_list() == ["粤港澳大湾区", "长三角", "成渝"]


def test_gb18030_rows_in_a_utf8_file_are_quarantined(raw: Path) -> None:
    rows = [(FIRMS_ROWS[0], "utf-8"), (FIRMS_ROWS[1], "utf-8"), (FIRMS_ROWS[2], "gb18030")]
    (raw / "firms.csv").write_bytes(csv_text(FIRMS_HEADER, []).encode() + b"".join(
        csv_text(c, []).encode(e) for c, e in rows))
    result = run(raw)
    result.file("firms.csv", rows_read=3, kept=2, encoding="utf-8", quarantined={MIXED_UTF8: 1})
    assert result.quarantine() == [("firms.csv", 3, MIXED_UTF8)]
    assert result.records()[0]["name"] == BING


def test_a_mixed_row_first_or_last_and_with_a_bom(raw: Path) -> None:
    body = [(FIRMS_ROWS[0], "gb18030"), (FIRMS_ROWS[1], "utf-8"), (FIRMS_ROWS[2], "utf-8")]
    (raw / "firms.csv").write_bytes(b"\xef\xbb\xbf" + csv_text(FIRMS_HEADER, []).encode() + b"".join(
        csv_text(c, []).encode(e) for c, e in body))
    result = run(raw)
    result.file("firms.csv", rows_read=3, kept=2, encoding="utf-8-sig",
                quarantined={"row written in gb18030 in a file in utf-8-sig": 1})
    assert result.quarantine()[0][1] == 1


def test_a_utf8_line_inside_a_quoted_multiline_cell_quarantines_its_row(raw: Path) -> None:
    header = "name,city,note\n".encode("gb18030")
    rows = ("甲科技有限公司,深圳,a\n".encode("gb18030") + '乙科技有限公司,北京,"两行\n'.encode("gb18030")
            + "备注：乙\"\n".encode() + "丙科技有限公司,上海,c\n".encode("gb18030"))
    (raw / "firms.csv").write_bytes(header + rows)
    result = run(raw)
    result.file("firms.csv", rows_read=3, kept=2, encoding="gb18030", quarantined={MIXED_GB: 1})
    assert result.quarantine() == [("firms.csv", 2, MIXED_GB)]


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_mixed_rows_in_files_with_other_line_ends(raw: Path, newline: str) -> None:
    rows = [(FIRMS_ROWS[0], "gb18030"), (FIRMS_ROWS[1], "gb18030"), (FIRMS_ROWS[2], "utf-8")]
    data = mixed_bytes(FIRMS_HEADER, rows).replace(b"\n", newline.encode())
    (raw / "firms.csv").write_bytes(data)
    result = run(raw)
    result.file("firms.csv", rows_read=3, kept=2, encoding="gb18030", quarantined={MIXED_GB: 1})
    assert result.quarantine() == [("firms.csv", 3, MIXED_GB)]


def test_a_utf8_header_over_gb18030_rows_is_read(raw: Path) -> None:
    # The header typed by hand in UTF-8, the rows exported in GB18030: nothing is lost or garbled.
    rows = csv_text(["企业名称", "城市"], [r[:2] for r in FIRMS_ROWS]).split("\n", 1)[1]
    data = "企业名称,城市\n".encode() + rows.encode("gb18030")
    (raw / "firms.csv").write_bytes(data)
    result = run(raw)
    result.file("firms.csv", rows_read=3, kept=3, encoding="gb18030")
    assert result.table("firms")["name"].to_list() == [JIA, YI, BING]


def test_short_gb18030_lines_are_not_taken_for_utf8() -> None:
    # GB18030 pairs that happen to be valid UTF-8 (two-byte sequences) do not make a file look mixed.
    chars = [bytes([lead, trail]).decode("gb18030") for lead in range(0xC2, 0xE0) for trail in range(0xA1, 0xC0)]
    lines = "".join(f"{i},{chars[i % len(chars)]},{chars[(i * 7) % len(chars)]}\n" for i in range(3000))
    text, encoding, damaged = decode(("id,a,b\n" + lines + "x,深圳,北京\n").encode("gb18030"))
    assert (encoding, damaged) == ("gb18030", False)


# --- 4. limits on the header ------------------------------------------------------------------------------

@pytest.mark.parametrize("delimiter", [",", "\t"])
def test_a_header_of_half_a_million_columns_is_refused(raw: Path, delimiter: str) -> None:
    # The recipe of issue 16 took about 8 KB of memory per byte of the file, then aborted.
    (raw / "firms.csv").write_text("name" + delimiter * 499_999 + "\n甲,深圳\n", encoding="utf-8")
    assert cli_error(raw) == (f"firms.csv: the header line is 500,003 characters long (limit "
                              f"{MAX_HEADER_CHARS:,}); is this the right file?")


@pytest.mark.parametrize("delimiter", [",", "\t"])
def test_a_header_of_too_many_short_columns_is_refused(raw: Path, delimiter: str) -> None:
    (raw / "firms.csv").write_text(delimiter.join(["name", "city", *"x" * 1500]) + "\n甲,深圳\n", encoding="utf-8")
    assert cli_error(raw) == (f"firms.csv: the header row has 1,502 columns (limit {MAX_COLUMNS:,}); "
                              f"is this the right file?")


def test_a_header_line_of_commas_too_long_is_refused(raw: Path) -> None:
    # The 200 MB line of commas of issue 16, at the limit's size: refused before any parser sees it.
    (raw / "patents.csv").write_bytes(b"," * (MAX_HEADER_CHARS + 1))
    assert cli_error(raw) == (f"patents.csv: the header line is {MAX_HEADER_CHARS + 1:,} characters long "
                              f"(limit {MAX_HEADER_CHARS:,}); is this the right file?")


def test_a_data_line_of_a_million_delimiters_is_refused(raw: Path) -> None:
    # As a data row it took the csv module and the quarantine record gigabytes (tens of them at 200 MB).
    (raw / "firms.csv").write_text(f"name,city\n{JIA},深圳\n" + "," * 1_200_000 + f"x\n{YI},北京\n", encoding="utf-8")
    assert cli_error(raw) == "firms.csv: line 3 holds 1,200,000 delimiters (limit 1,000,000); the file is damaged"


def test_a_very_wide_data_row_is_quarantined_with_a_short_record(raw: Path) -> None:
    (raw / "firms.csv").write_text(f"name,city\n{JIA},深圳\n" + "y," * 50_000 + f"x\n{YI},北京\n", encoding="utf-8")
    result = run(raw)
    result.file("firms.csv", rows_read=3, kept=2, quarantined={"row has 50001 fields but the header has 2": 1})
    (record,) = result.records()
    assert len(record) == 2 + 20 + 1 and record["…"] == "49,979 more fields not shown"


def test_the_widest_header_allowed_is_read(raw: Path) -> None:
    header = ["name", "city", *[f"c{i}" for i in range(MAX_COLUMNS - 2)]]
    (raw / "firms.csv").write_text(csv_text(header, [[JIA, "深圳"]]), encoding="utf-8")
    run(raw).file("firms.csv", rows_read=1, kept=1)


def test_a_quoted_header_with_commas_inside_counts_its_fields(raw: Path) -> None:
    header = ["name", "city", '"' + "," * (MAX_COLUMNS + 5) + '"']
    (raw / "firms.csv").write_text(",".join(header) + f"\n{JIA},深圳,x\n", encoding="utf-8")
    run(raw).file("firms.csv", rows_read=1, kept=1)


def test_an_xlsx_header_too_wide_is_refused(raw: Path) -> None:
    (raw / "firms.xlsx").write_bytes(xlsx([["name", "city", *[f"c{i}" for i in range(MAX_COLUMNS)]]]))
    (raw / "firms.csv").unlink()
    assert cli_error(raw) == (f"firms.xlsx: the header row has {MAX_COLUMNS + 2:,} columns (limit "
                              f"{MAX_COLUMNS:,}); is this the right file?")


# --- 11. smaller holes ---------------------------------------------------------------------------------

@pytest.mark.parametrize("quoted", [False, True])
def test_a_header_row_repeated_mid_file_is_not_a_firm(raw: Path, quoted: bool) -> None:
    rows = [FIRMS_ROWS[0], FIRMS_HEADER, FIRMS_ROWS[1], [f" {h} " for h in FIRMS_HEADER], FIRMS_ROWS[2]]
    text = csv_text(FIRMS_HEADER, rows)
    if quoted:  # the csv module's path instead of polars'
        text = text.replace(JIA, f'"{JIA}"')
    (raw / "firms.csv").write_text(text, encoding="utf-8")
    result = run(raw)
    result.file("firms.csv", rows_read=5, kept=3, quarantined={REPEATED_HEADER: 2})
    assert result.quarantine() == [("firms.csv", 2, REPEATED_HEADER), ("firms.csv", 4, REPEATED_HEADER)]
    assert "name" not in result.table("firms")["name"].to_list()


def test_a_repeated_chinese_header_in_a_workbook(raw: Path) -> None:
    header = ["企业名称", "城市"]
    (raw / "firms.xlsx").write_bytes(xlsx([header, [JIA, "深圳"], header, [YI, "北京"]]))
    (raw / "firms.csv").unlink()
    result = run(raw)
    result.file("firms.xlsx", rows_read=3, kept=2, quarantined={REPEATED_HEADER: 1})
    assert result.records() == [{"企业名称": "企业名称", "城市": "城市"}]


def test_a_row_that_only_shares_some_header_cells_is_kept(raw: Path) -> None:
    (raw / "firms.csv").write_text(csv_text(["name", "city"], [["name", "深圳"], [JIA, "city"]]), encoding="utf-8")
    run(raw).file("firms.csv", rows_read=2, kept=2)


@pytest.mark.parametrize("at", [10, 64 * 1024 + 10, 3 * 1024 * 1024])
def test_a_nul_byte_anywhere_refuses_the_file(raw: Path, at: int) -> None:
    line = f"{JIA},深圳,,1,2015\n".encode()
    data = bytearray(csv_text(FIRMS_HEADER, []).encode() + line * (at // len(line) + 2))
    data[at] = 0
    (raw / "firms.csv").write_bytes(bytes(data))
    message = cli_error(raw)
    if at < 64 * 1024:
        assert message == "firms.csv: is not a CSV text file (it holds binary data)"
    else:
        line_no = bytes(data[:at]).count(b"\n") + 1
        assert message == (f"firms.csv: line {line_no} holds a NUL byte (binary data); this is not a "
                           f"CSV text file, or it is damaged")


def test_messages_do_not_echo_unbounded_text(raw: Path) -> None:
    # A 1 MB header (under the line limit it would be refused first: made of long cells here).
    header = ["name", *[f"h{i}-" + "x" * 150 for i in range(900)]]
    (raw / "firms.csv").write_text(",".join(header) + "\n" + JIA + "\n", encoding="utf-8")
    message = cli_error(raw)
    assert message.startswith("firms.csv: missing required column 'city' (城市); found: name, h0-xxx")
    assert len(message) < 1500 and message.endswith("(901 in all)")


def test_a_symlinked_system_file_is_shown_in_a_bounded_line(raw: Path) -> None:
    target = raw.parent / "passwd"
    target.write_text("root:x:0:0:root:/root:/bin/bash\n" + "y" * 300_000 + "\n", encoding="utf-8")
    (raw / "firms.csv").unlink()
    (raw / "firms.csv").symlink_to(target)
    message = cli_error(raw)
    assert message.startswith("firms.csv: missing required column")
    assert len(message) < 400


def test_the_cli_keeps_any_message_to_one_bounded_line(tmp_path: Path, monkeypatch) -> None:
    import fintech_firms.ingest.pipeline as pipeline

    def fail(*args, **kwargs):
        raise InputError("first line\nsecond line\n" + "z" * 100_000)

    monkeypatch.setattr(pipeline, "build_tables", fail)
    result = CliRunner().invoke(app, ["ingest", str(tmp_path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    (line,) = result.output.splitlines()
    assert line.startswith("Error: first line second line zzz") and line.endswith("[99,023 more characters]")


def test_a_reference_header_too_wide_is_refused(raw: Path) -> None:
    write_firms(raw)
    (raw / "tracks.csv").write_text("track," * (MAX_COLUMNS + 1) + "\n", encoding="utf-8")
    message = cli_error(raw)
    assert "tracks.csv: the header row has" in message


def test_report_rows_add_up_after_all_of_the_above(raw: Path) -> None:
    rows = [(FIRMS_ROWS[0], "gb18030"), (FIRMS_HEADER, "gb18030"), (FIRMS_ROWS[1], "utf-8")]
    (raw / "firms.csv").write_bytes(mixed_bytes(FIRMS_HEADER, rows))
    report = run(raw).report
    account = report["files"]["firms.csv"]
    assert account["quarantined_by_reason"] == {MIXED_GB: 1, REPEATED_HEADER: 1}
    assert report["all_rows_accounted"] is True
    assert json.dumps(report, ensure_ascii=False).count("涓") == 0
    assert read_table(raw / "firms.csv", str.lower).rows_read == 3
