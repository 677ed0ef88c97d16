"""The bad-input matrix of `firms ingest`: every malformed raw file or row ends in one clear outcome.

A problem with a file as a whole stops the run: `Error: <message>` on stderr, exit code 2, no traceback,
and the output folder exactly as it was. A bad row goes to `quarantine` with its reason; a bad value in a
kept row goes to `cell_issues` and is read as blank. Either way ingest_report.json accounts for every
input row, per file (data contract §4).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import time
import zipfile
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from typer.testing import CliRunner

from fintech_firms.cli import app
from fintech_firms.ingest.pipeline import ingest

VALID_USCC = "914403001922038216"
BAD_USCC = "914403001922038217"  # fails the GB 32100-2015 check character
APP_1 = "201610920041.1"  # invention, 2016
APP_2 = "201620289943.5"  # utility model, 2016
JIA = "甲科技有限公司"
YI = "乙科技有限公司"
BING = "丙科技有限公司"

FIRMS_HEADER = ["name", "city", "uscc", "rd_staff", "founded"]
FIRMS_ROWS = [
    [JIA, "深圳", VALID_USCC, "120", "2015-06-01"],
    [YI, "北京", "", "45", "2018"],
    [BING, "上海", "", "8", "2019/3/5"],
]
PATENTS_HEADER = ["app_no", "applicants", "app_date"]
PATENTS_ROWS = [
    [APP_1, JIA, "2016-10-20"],
    [APP_2, f"{YI};{BING}", "2016-04-01"],
]
NO_YEAR = "no issue year (issue_date blank or invalid, cert_no without a GR year)"


# --- building raw folders ---------------------------------------------------------------------------

def csv_text(header: list[str], rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def write_csv(path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> Path:
    path.write_bytes(csv_text(header, rows).encode(encoding))
    return path


def write_firms(raw: Path, rows=FIRMS_ROWS, header=FIRMS_HEADER, encoding: str = "utf-8") -> Path:
    return write_csv(raw / "firms.csv", header, rows, encoding)


def write_patents(raw: Path, rows=PATENTS_ROWS, header=PATENTS_HEADER, encoding: str = "utf-8") -> Path:
    return write_csv(raw / "patents.csv", header, rows, encoding)


def xlsx_bytes(rows: list[list]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def rezip(workbook: bytes, change) -> bytes:
    """The workbook's zip with each member's bytes passed through change(name, data); None drops it."""
    source = zipfile.ZipFile(io.BytesIO(workbook))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            data = change(name, source.read(name))
            if data is not None:
                target.writestr(name, data)
    return buffer.getvalue()


def minimal_raw_folder(tmp_path: Path) -> Path:
    """A minimal valid raw folder: firms.csv and patents.csv (financing and hightech are optional).
    The `raw` fixture of this module and of the test modules that import it."""
    folder = tmp_path / "raw"
    folder.mkdir()
    write_firms(folder)
    write_patents(folder)
    return folder


raw = pytest.fixture(minimal_raw_folder, name="raw")


# --- running ----------------------------------------------------------------------------------------

class Run:
    """A successful ingest: its report and the Parquet tables it wrote."""

    def __init__(self, raw_dir: Path, out: Path) -> None:
        self.out = out
        self.report = ingest(raw_dir, out)
        on_disk = json.loads((out / "ingest_report.json").read_text(encoding="utf-8"))
        assert on_disk == self.report
        assert self.report["all_rows_accounted"] is True

    def table(self, name: str) -> pl.DataFrame:
        return pl.read_parquet(self.out / f"{name}.parquet")

    def quarantine(self) -> list[tuple]:
        return self.table("quarantine").select("source", "row", "reason").rows()

    def records(self) -> list[dict]:
        return [json.loads(r) for r in self.table("quarantine")["record"]]

    def cell_issues(self) -> list[tuple]:
        return self.table("cell_issues").select("source", "row", "column", "value", "reason").rows()

    def file(self, source: str, *, rows_read: int, kept: int, blank_rows: int = 0,
             merged_duplicates: int = 0, quarantined: dict[str, int] | None = None,
             encoding: str | None = None) -> None:
        quarantined = quarantined or {}
        account = self.report["files"][source]
        expected = {
            "rows_read": rows_read,
            "blank_rows": blank_rows,
            "kept": kept,
            "merged_duplicates": merged_duplicates,
            "quarantined": sum(quarantined.values()),
            "quarantined_by_reason": quarantined,
            "accounted": True,
        }
        assert {k: account[k] for k in expected} == expected
        assert blank_rows + kept + merged_duplicates + sum(quarantined.values()) == rows_read
        if encoding is not None:
            assert account["encoding"] == encoding


def run(raw_dir: Path) -> Run:
    return Run(raw_dir, raw_dir.parent / "out")


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def cli_error(raw_dir: Path) -> str:
    """Run `firms ingest` expecting a file-level error; returns the message after 'Error: '."""
    out = raw_dir.parent / "out"
    out.mkdir(exist_ok=True)
    (out / "marker.txt").write_text("previous output\n", encoding="utf-8")
    (out / "firms.parquet").write_bytes(b"previous firms table")
    (out / "ingest_report.json").write_text("{}\n", encoding="utf-8")  # an earlier output: replaceable
    before = snapshot(out)
    siblings = sorted(p.name for p in raw_dir.parent.iterdir())

    result = CliRunner().invoke(app, ["ingest", str(raw_dir), "--out", str(out)])

    assert result.exit_code == 2, (result.output, result.exception)
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, result.output
    assert snapshot(out) == before  # nothing written, nothing removed
    assert sorted(p.name for p in raw_dir.parent.iterdir()) == siblings  # no staging folder left over
    return errors[0].removeprefix("Error: ")


# --- file-level errors: exit code 2, one message, output untouched ------------------------------------

def test_empty_file(raw: Path) -> None:
    (raw / "firms.csv").write_bytes(b"")
    assert cli_error(raw) == "firms.csv: is empty; expected a header row"


def test_file_of_blank_lines_is_empty(raw: Path) -> None:
    (raw / "patents.csv").write_bytes(b"\n  \r\n\t\n")
    assert cli_error(raw) == "patents.csv: is empty; expected a header row"


@pytest.mark.parametrize("stem", ["firms", "patents"])
def test_missing_required_file(raw: Path, stem: str) -> None:
    (raw / f"{stem}.csv").unlink()
    assert cli_error(raw) == f"{raw}: missing {stem}.csv (or {stem}.xlsx)"


@pytest.mark.parametrize(
    ("source", "header", "row", "expected"),
    [
        ("firms.csv", ["name", "province"], [JIA, "广东"],
         "firms.csv: missing required column 'city' (城市); found: name, province"),
        ("firms.csv", ["城市", "uscc"], ["深圳", VALID_USCC],
         "firms.csv: missing required column 'name' (企业名称); found: 城市, uscc"),
        ("patents.csv", ["申请号", "申请日"], [APP_1, "2016-10-20"],
         "patents.csv: missing required column 'applicants' (申请人); found: 申请号, 申请日"),
        ("financing.csv", ["firm_name", "date"], [JIA, "2020-01-01"],
         "financing.csv: missing required column 'round' (轮次); found: firm_name, date"),
        ("financing.csv", ["amount", "date", "round"], ["1亿元", "2020-01-01", "A轮"],
         "financing.csv: missing required column 'firm_name' (企业名称) or 'uscc' (统一社会信用代码); "
         "found: amount, date, round"),
        ("hightech.csv", ["name", "remark"], [JIA, "x"],
         "hightech.csv: missing required column 'issue_date' (发证日期) or 'cert_no' (证书编号); "
         "found: name, remark"),
    ],
)
def test_missing_required_column(raw: Path, source, header, row, expected) -> None:
    write_csv(raw / source, header, [row])
    assert cli_error(raw) == expected


def test_binary_file_named_csv(raw: Path) -> None:
    (raw / "firms.csv").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    assert cli_error(raw) == "firms.csv: is not a CSV text file (it holds binary data)"


def test_xlsx_saved_as_csv(raw: Path) -> None:
    (raw / "patents.csv").write_bytes(xlsx_bytes([PATENTS_HEADER, *PATENTS_ROWS]))
    assert cli_error(raw) == "patents.csv: is an xlsx/zip workbook, not CSV text; rename it to .xlsx"


@pytest.mark.parametrize(
    ("source", "header", "expected"),
    [
        ("firms.csv", ["name", "city", "企业名称"],
         "firms.csv: columns 1 ('name') and 3 ('企业名称') both mean 'name'; remove or rename one of them"),
        ("firms.csv", ["name", "城市", "City"],
         "firms.csv: columns 2 ('城市') and 3 ('City') both mean 'city'; remove or rename one of them"),
        ("patents.csv", ["申请号", "applicants", "app_no"],
         "patents.csv: columns 1 ('申请号') and 3 ('app_no') both mean 'app_no'; "
         "remove or rename one of them"),
        ("financing.csv", ["企业名称", "date", "round", "firm_name"],
         "financing.csv: columns 1 ('企业名称') and 4 ('firm_name') both mean 'firm_name'; "
         "remove or rename one of them"),
    ],
)
def test_duplicate_headers_meaning_the_same_column(raw: Path, source, header, expected) -> None:
    write_csv(raw / source, header, [["x"] * len(header)])
    assert cli_error(raw) == expected


def test_csv_and_xlsx_of_the_same_file(raw: Path) -> None:
    (raw / "firms.xlsx").write_bytes(xlsx_bytes([FIRMS_HEADER, *FIRMS_ROWS]))
    assert cli_error(raw) == f"{raw}: both firms.csv, firms.xlsx are present; keep one of them"


def _truncated_sheet(name: str, data: bytes) -> bytes:
    return data[: len(data) // 2] if name == "xl/worksheets/sheet1.xml" else data


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda: b"", "firms.xlsx: cannot be read as an xlsx workbook (File is not a zip file)"),
        (lambda: "name,city\n甲,深圳\n".encode(),
         "firms.xlsx: cannot be read as an xlsx workbook (File is not a zip file)"),
        (lambda: xlsx_bytes([FIRMS_HEADER, *FIRMS_ROWS])[:1500],
         "firms.xlsx: cannot be read as an xlsx workbook (File is not a zip file)"),
        (lambda: rezip(xlsx_bytes([["name"]]), lambda n, d: None if n == "[Content_Types].xml" else d),
         "firms.xlsx: cannot be read as an xlsx workbook (\"There is no item named "
         "'[Content_Types].xml' in the archive\")"),
        # The sheet's XML is parsed lazily, row by row: the damage surfaces only while reading rows.
        (lambda: rezip(xlsx_bytes([FIRMS_HEADER, *FIRMS_ROWS] * 20), _truncated_sheet),
         "firms.xlsx: cannot be read as an xlsx workbook (unclosed token"),
        (lambda: rezip(xlsx_bytes([["name"]]),
                       lambda n, d: None if n == "xl/worksheets/sheet1.xml" else d),
         "firms.xlsx: the workbook has no worksheet; expected the data on the first sheet"),
        (lambda: xlsx_bytes([]), "firms.xlsx: the first sheet is empty; expected a header row"),
    ],
    ids=["zero-bytes", "csv-text", "truncated-zip", "no-content-types", "truncated-sheet-xml",
         "no-worksheet", "empty-sheet"],
)
def test_corrupt_xlsx(raw: Path, make, expected: str) -> None:
    (raw / "firms.csv").unlink()
    (raw / "firms.xlsx").write_bytes(make())
    assert cli_error(raw).startswith(expected)


def test_corrupt_compressed_data_in_xlsx(raw: Path) -> None:
    # Damage the deflate stream of the sheet inside an otherwise valid zip (zlib or CRC error).
    workbook = bytearray(xlsx_bytes([FIRMS_HEADER, *FIRMS_ROWS] * 50))
    info = zipfile.ZipFile(io.BytesIO(bytes(workbook))).getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for i in range(start + 10, start + min(info.compress_size, 200)):
        workbook[i] ^= 0x5A
    (raw / "firms.csv").unlink()
    (raw / "firms.xlsx").write_bytes(bytes(workbook))
    assert cli_error(raw).startswith("firms.xlsx: cannot be read as an xlsx workbook (")


def test_unterminated_quote_does_not_swallow_the_rest_of_the_file(raw: Path) -> None:
    # csv's lenient mode would return everything after the stray quote as one cell of one row.
    text = csv_text(FIRMS_HEADER, FIRMS_ROWS[:1]) + f'"{YI},北京,,45,2018\n' + csv_text(
        FIRMS_HEADER, FIRMS_ROWS[2:]).split("\n", 1)[1]
    (raw / "firms.csv").write_text(text, encoding="utf-8")
    assert cli_error(raw) == (
        "firms.csv: line 3: a quoted field starts here and is never closed (unbalanced '\"'); "
        "the rest of the file would be read as one cell")


def test_unterminated_quote_in_last_line_without_newline(raw: Path) -> None:
    (raw / "patents.csv").write_text(f'app_no,applicants\n{APP_1},"{JIA}', encoding="utf-8")
    assert cli_error(raw).startswith("patents.csv: line 2: a quoted field starts here and is never closed")


def test_last_line_without_newline_is_fine(raw: Path) -> None:
    (raw / "patents.csv").write_text(f'app_no,applicants\n{APP_1},"{JIA}"', encoding="utf-8")
    result = run(raw)
    result.file("patents.csv", rows_read=1, kept=1)


def test_damaged_bytes_in_the_header(raw: Path) -> None:
    # A damaged header would silently lose its column (here the optional `founded`).
    data = csv_text(FIRMS_HEADER, FIRMS_ROWS).encode().replace(b"founded", b"fou\xffnded")
    (raw / "firms.csv").write_bytes(data)
    assert cli_error(raw) == (
        "firms.csv: the header row has bytes that are invalid for encoding utf-8 "
        "(column 5: 'fou\\xffnded')")


# --- header only, missing optional files, blank lines -------------------------------------------------

def test_header_only_files_are_valid(raw: Path) -> None:
    write_firms(raw, rows=[])
    write_patents(raw, rows=[], header=["申请号", "申请人"])
    write_csv(raw / "financing.csv", ["firm_name", "date", "round"], [])
    write_csv(raw / "hightech.csv", ["name", "cert_no"], [])
    result = run(raw)
    for source in ("firms.csv", "patents.csv", "financing.csv", "hightech.csv"):
        result.file(source, rows_read=0, kept=0)
    assert result.report["files_not_provided"] == []
    assert set(result.report["tables"].values()) == {0}
    for name in result.report["tables"]:
        assert result.table(name).height == 0


def test_missing_financing_and_hightech_give_empty_tables(raw: Path) -> None:
    result = run(raw)
    assert sorted(result.report["files"]) == ["firms.csv", "patents.csv"]
    assert result.report["files_not_provided"] == ["financing.csv", "hightech.csv"]
    result.file("firms.csv", rows_read=3, kept=3)
    result.file("patents.csv", rows_read=2, kept=2)
    financing, hightech = result.table("financing"), result.table("hightech")
    assert financing.height == 0 and hightech.height == 0
    assert {"firm_id", "date", "round", "is_c_plus", "is_top_vc_led"} <= set(financing.columns)
    assert {"firm_id", "cert_no", "issue_year"} <= set(hightech.columns)

    # The empty tables have the same columns and types as tables built from a file.
    write_csv(raw / "financing.csv", ["firm_name", "date", "round"], [[JIA, "2020-01-01", "A轮"]])
    write_csv(raw / "hightech.csv", ["name", "cert_no"], [[JIA, "GR202144001234"]])
    full = run(raw)
    assert financing.schema == full.table("financing").schema
    assert hightech.schema == full.table("hightech").schema


def test_blank_lines_are_counted_not_dropped(raw: Path) -> None:
    lines = csv_text(FIRMS_HEADER, FIRMS_ROWS).splitlines()
    text = "\n".join(["", lines[0], lines[1], "", "  ", lines[2], ",,,,", " , ,", lines[3].replace(
        "8", "-8"), "", ""]) + "\n"
    (raw / "firms.csv").write_text(text, encoding="utf-8")
    result = run(raw)
    # Blank lines before the header are not data rows; after it, each one is a row (numbered).
    result.file("firms.csv", rows_read=9, blank_rows=6, kept=3)
    assert result.table("firms")["name"].to_list() == [JIA, YI, BING]
    assert result.cell_issues() == [("firms.csv", 7, "rd_staff", "-8", "negative number")]


# --- rows set aside while reading: bad bytes, too many fields, oversized cells ------------------------

def test_utf8_file_with_one_damaged_row(raw: Path) -> None:
    data = csv_text(FIRMS_HEADER, FIRMS_ROWS).encode("utf-8")
    damaged = data.replace(YI.encode("utf-8"), YI.encode("utf-8")[:2] + "科技有限公司".encode())
    assert damaged != data
    (raw / "firms.csv").write_bytes(damaged)
    result = run(raw)
    result.file("firms.csv", rows_read=3, kept=2, encoding="utf-8",
                quarantined={"invalid bytes for encoding utf-8": 1})
    assert result.quarantine() == [("firms.csv", 2, "invalid bytes for encoding utf-8")]
    assert result.records() == [{"name": "\\xe4\\xb9科技有限公司", "city": "北京", "uscc": None,
                                 "rd_staff": "45", "founded": "2018"}]
    # The rest of the file is read as UTF-8, not as mojibake.
    assert result.table("firms")["name"].to_list() == [JIA, BING]


def test_ascii_utf8_file_with_one_stray_byte(raw: Path) -> None:
    # A Latin-1 byte that is invalid in both encodings: nothing in the file is evidence of GB18030,
    # so the row is reported against UTF-8. (Followed by a letter, 0xE9 would be a valid GB18030 pair.)
    rows = [["Alpha Tech", "Shenzhen"], ["Cafe Tech", "Beijing"], ["Gamma Tech", "Shanghai"]]
    data = csv_text(["name", "city"], rows).encode().replace(b"Cafe", b"Caf\xe9")
    (raw / "firms.csv").write_bytes(data)
    result = run(raw)
    result.file("firms.csv", rows_read=3, kept=2, encoding="utf-8",
                quarantined={"invalid bytes for encoding utf-8": 1})
    assert result.quarantine() == [("firms.csv", 2, "invalid bytes for encoding utf-8")]
    assert result.records() == [{"name": "Caf\\xe9 Tech", "city": "Beijing"}]


def test_gb18030_file_with_one_damaged_row(raw: Path) -> None:
    data = csv_text(["企业名称", "城市", "研发人员数量"], [row[:2] + [row[3]] for row in FIRMS_ROWS])
    encoded = data.encode("gb18030")
    damaged = encoded.replace(BING.encode("gb18030"), b"\xff" + "科技有限公司".encode("gb18030"))
    assert damaged != encoded
    (raw / "firms.csv").write_bytes(damaged)
    write_patents(raw, encoding="gb18030")
    result = run(raw)
    result.file("firms.csv", rows_read=3, kept=2, encoding="gb18030",
                quarantined={"invalid bytes for encoding gb18030": 1})
    result.file("patents.csv", rows_read=2, kept=2, encoding="gb18030")
    assert result.quarantine() == [("firms.csv", 3, "invalid bytes for encoding gb18030")]
    assert result.records() == [{"企业名称": "\\xff科技有限公司", "城市": "上海", "研发人员数量": "8"}]
    firms = result.table("firms")
    assert firms.select("name", "city", "rd_staff").rows() == [(JIA, "深圳", 120), (YI, "北京", 45)]


def test_row_with_more_fields_than_the_header(raw: Path) -> None:
    rows = [FIRMS_ROWS[0], FIRMS_ROWS[1] + ["extra", "more"], FIRMS_ROWS[2] + ["", " "]]
    write_firms(raw, rows=rows)
    result = run(raw)
    reason = "row has 7 fields but the header has 5"
    result.file("firms.csv", rows_read=3, kept=2, quarantined={reason: 1})
    assert result.quarantine() == [("firms.csv", 2, reason)]
    assert result.records() == [{"name": YI, "city": "北京", "uscc": None, "rd_staff": "45",
                                 "founded": "2018", "extra_6": "extra", "extra_7": "more"}]
    # Trailing blank fields (exports pad rows) are not a problem.
    assert result.table("firms")["name"].to_list() == [JIA, BING]


def test_50mb_cell_is_quarantined_not_loaded(raw: Path) -> None:
    size = 50 * 1024 * 1024
    with open(raw / "patents.csv", "wb") as f:
        f.write(csv_text(PATENTS_HEADER, PATENTS_ROWS[:1]).encode())
        f.write(f'{APP_2},"'.encode())
        f.write(b"x" * size)
        f.write(b'",2016-04-01\n')
    started = time.perf_counter()
    result = run(raw)
    assert time.perf_counter() - started < 10
    reason = f"cell 2 is too long ({size:,} characters; limit 100,000)"
    result.file("patents.csv", rows_read=2, kept=1, quarantined={reason: 1})
    assert result.quarantine() == [("patents.csv", 2, reason)]
    [record] = result.records()
    assert record["app_no"] == APP_2 and record["app_date"] == "2016-04-01"
    assert record["applicants"].startswith("x" * 1000)
    assert record["applicants"].endswith("…[truncated: 52,428,800 characters]")
    assert len(record["applicants"]) < 1100
    assert result.table("patents")["source_row"].to_list() == [1]
    assert sum(p.stat().st_size for p in result.out.iterdir()) < 1_000_000
    (raw / "patents.csv").unlink()  # pytest keeps recent tmp folders


# --- bad values in kept rows: cell_issues -------------------------------------------------------------

def test_negative_rd_staff(raw: Path) -> None:
    rows = [list(r) for r in FIRMS_ROWS]
    rows[1][3] = "-45"
    write_firms(raw, rows=rows)
    result = run(raw)
    result.file("firms.csv", rows_read=3, kept=3)
    assert result.cell_issues() == [("firms.csv", 2, "rd_staff", "-45", "negative number")]
    assert result.table("firms").select("name", "rd_staff").rows() == [(JIA, 120), (YI, None), (BING, 8)]
    assert {"source": "firms.csv", "column": "rd_staff", "reason": "negative number", "rows": 1} in \
        result.report["cell_issues"]


def test_invalid_uscc(raw: Path) -> None:
    rows = [list(r) for r in FIRMS_ROWS]
    rows[1][2] = BAD_USCC
    write_firms(raw, rows=rows)
    result = run(raw)
    result.file("firms.csv", rows_read=3, kept=3)
    reason = "invalid USCC (fails the GB 32100-2015 check)"
    assert result.cell_issues() == [("firms.csv", 2, "uscc", BAD_USCC, reason)]
    assert result.table("firms").select("name", "uscc").rows() == [(JIA, VALID_USCC), (YI, None), (BING, None)]
    assert result.report["invalid_usccs"]["count"] == 1


def test_founded_in_2099(raw: Path) -> None:
    rows = [list(r) for r in FIRMS_ROWS]
    rows[0][4] = "2099-01-01"
    write_firms(raw, rows=rows)
    result = run(raw)
    result.file("firms.csv", rows_read=3, kept=3)
    assert result.cell_issues() == [("firms.csv", 1, "founded", "2099-01-01", "date out of range (2099)")]
    firm = result.table("firms").row(0, named=True)
    assert (firm["name"], firm["founded"], firm["founded_year"]) == (JIA, None, None)


def test_patent_app_date_in_2099(raw: Path) -> None:
    write_patents(raw, rows=[[APP_1, JIA, "2099年1月1日"], PATENTS_ROWS[1]])
    result = run(raw)
    result.file("patents.csv", rows_read=2, kept=2)
    assert result.cell_issues() == [("patents.csv", 1, "app_date", "2099年1月1日", "date out of range (2099)")]
    patents = result.table("patents").sort("source_row").select("source_row", "app_date", "app_year")
    # The year falls back to the application number's.
    assert patents.rows() == [(1, None, 2016), (2, dt.date(2016, 4, 1), 2016)]
    assert result.table("patents")["app_year"].max() == 2016


def test_financing_date_in_2099_is_quarantined(raw: Path) -> None:
    write_csv(raw / "financing.csv", ["firm_name", "date", "round"],
              [[JIA, "2099-01-01", "A轮"], [YI, "2020-05-01", "B轮"]])
    result = run(raw)
    reason = "date out of range (2099)"
    result.file("financing.csv", rows_read=2, kept=1, quarantined={reason: 1})
    assert result.quarantine() == [("financing.csv", 1, reason)]
    assert result.records() == [{"firm_name": JIA, "date": "2099-01-01", "round": "A轮"}]
    assert result.table("financing").select("firm_name", "year", "round").rows() == [(YI, 2020, "B")]
    assert result.cell_issues() == []


def test_hightech_issue_date_in_2099(raw: Path) -> None:
    write_csv(raw / "hightech.csv", ["name", "issue_date", "cert_no"], [
        [JIA, "2099-01-01", "GR202144001234"],  # the certificate number gives 2021
        [YI, "2099-01-01", ""],  # nothing to fall back on
    ])
    result = run(raw)
    result.file("hightech.csv", rows_read=2, kept=1, quarantined={NO_YEAR: 1})
    assert result.quarantine() == [("hightech.csv", 2, NO_YEAR)]
    assert ("hightech.csv", 1, "issue_date", "2099-01-01", "date out of range (2099)") in result.cell_issues()
    hightech = result.table("hightech")
    assert hightech.select("name", "cert_no", "issue_date", "issue_year").rows() == [
        (JIA, "GR202144001234", None, 2021)]


def test_quarantined_rows_are_not_also_cell_issues(raw: Path) -> None:
    rows = [list(r) for r in FIRMS_ROWS]
    rows[2][0] = ""  # firms: missing name, and a bad rd_staff on the same row
    rows[2][3] = "-1"
    write_firms(raw, rows=rows)
    write_patents(raw, rows=[PATENTS_ROWS[0], ["CN123", JIA, "2099-01-01"]])
    write_csv(raw / "financing.csv", ["firm_name", "date", "round"], [[JIA, "2099-01-01", "A轮"]])
    write_csv(raw / "hightech.csv", ["name", "issue_date", "cert_no"], [[YI, "2099-01-01", ""]])
    result = run(raw)
    assert len(result.quarantine()) == 4
    quarantined = {(source, row) for source, row, _ in result.quarantine()}
    assert [issue for issue in result.cell_issues() if issue[:2] in quarantined] == []
