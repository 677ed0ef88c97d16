"""`firms ingest` reads financing.csv and hightech.csv a chunk at a time when their step comes
(pipeline._build_later over tabular.reader.read_chunks, stage.run_stage over the chunks), keeping of
each chunk's usable rows only the columns the later steps read: the tables, the quarantine (whole
records, the columns the contract does not use included), the cell issues and the counts are those of
the file read whole, whatever the chunks; a file that turns out not to be for the chunked read past its
first chunk is read again whole (pipeline._chunked_or_whole, shared with the firms and the patents),
with the same result."""

from __future__ import annotations

import gc
import json
import weakref
from pathlib import Path

import polars as pl
import pytest
from test_bad_input import APP_1, BING, JIA, VALID_USCC, YI, write_csv, write_firms, write_patents

from fintech_firms.ingest import pipeline, stage
from fintech_firms.ingest.ledger import Ledger
from fintech_firms.ingest.pipeline import ingest
from fintech_firms.tabular import reader

ROWS = 300
REPEATED_HEADER_ROW = 150  # the header again, as files joined with their headers have
BAD_USCC = "914403001922038217"  # a bad check character: a cell issue
NOTE = "公司主要从事金融科技相关的技术开发、技术咨询与数据服务，" * 8  # a column the contract does not use

FINANCING_HEADER = ["企业名称", "统一社会信用代码", "融资日期", "轮次", "金额", "领投方", "投资方", "项目介绍"]
NAMES = [JIA, YI, BING, "外部科技有限公司", ""]
ROUNDS = ["A轮", "B轮", "C轮", "天使轮", "Pre-A轮", "战略融资"]


def _financing_row(i: int) -> list[str]:
    """Data row i + 1: the three firms and an outside one, each event written more than once (merged as
    duplicates), with quarantined rows (no name and USCC, no date, a bad date, no round) among them."""
    name = NAMES[i % 5]
    uscc = BAD_USCC if i % 13 == 3 else (VALID_USCC if name == JIA and i % 2 else "")
    if i % 31 == 7:
        name, uscc = "", ""
    date = "" if i % 29 == 4 else "not a date" if i % 23 == 9 else f"20{10 + i % 11}-0{1 + i % 3}-15"
    round_ = "" if i % 37 == 11 else ROUNDS[i % 6]
    leads = ["红杉资本中国", "IDG资本", "", "高瓴资本;红杉资本中国"][i % 4]
    return [name, uscc, date, round_, f"{1 + i % 5}000万元", leads, f"{leads};盈动资本", f"{NOTE}{i}"]


HIGHTECH_HEADER = ["企业名称", "统一社会信用代码", "发证日期", "证书编号", "备注"]


def _hightech_row(i: int) -> list[str]:
    """Data row i + 1: certificates written more than once, some without a year, some dated past the
    last year (a cell issue; the year then from the certificate number)."""
    name = NAMES[i % 5]
    date = "2099-01-01" if i % 17 == 2 else "" if i % 7 == 3 else f"20{15 + i % 6}-1{i % 3}-0{1 + i % 9}"
    cert = "" if i % 11 == 5 else f"GR20{15 + i % 6}4400{i % 40:04d}"
    return [name, VALID_USCC if name == JIA and i % 3 else "", date, cert, f"{NOTE}{i}"]


def _rows(row, *, quote_at: int | None = None, quoted: int = 4) -> list[list[str]]:
    rows = [row(i) for i in range(ROWS)]
    if quote_at is not None:
        rows[quote_at - 1][quoted] += ",另有说明"  # written in quotes by the csv module
    return rows


def _raw(tmp_path: Path, *, bad_byte_at: int | None = None) -> Path:
    """Firms, patents, financing.csv (UTF-8, a quoted cell past the first chunks) and hightech.csv
    (GB18030, a quoted cell too), each data file with the header again at REPEATED_HEADER_ROW."""
    raw = tmp_path / "raw"
    raw.mkdir()
    write_firms(raw)
    write_patents(raw, [[APP_1, JIA, "2016-10-20"]])
    financing = _rows(_financing_row, quote_at=ROWS - 20)
    financing[REPEATED_HEADER_ROW - 1] = list(FINANCING_HEADER)
    path = write_csv(raw / "financing.csv", FINANCING_HEADER, financing)
    if bad_byte_at is not None:  # a byte that is not UTF-8 at the end of that row's note
        note = f",{NOTE}{bad_byte_at - 1}\n".encode()
        data = path.read_bytes()
        assert data.count(note) == 1
        path.write_bytes(data.replace(note, note[:-1] + b"\xff\n"))
    hightech = _rows(_hightech_row, quote_at=ROWS - 30)
    hightech[REPEATED_HEADER_ROW - 1] = list(HIGHTECH_HEADER)
    write_csv(raw / "hightech.csv", HIGHTECH_HEADER, hightech, encoding="gb18030")
    return raw


def _outputs(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _ingest(raw: Path, out: Path, monkeypatch, *, chunked: bool, read_whole: list[str] | None = None
            ) -> tuple[dict, dict[str, list[int]]]:
    """The report, and the rows of each chunk that build_financing and build_hightech drew. chunked:
    read in chunks of 4 KiB (else every file read whole); `read_whole` gets the files read whole on
    the text path (the fall-back)."""
    drawn: dict[str, list[int]] = {"financing": [], "hightech": []}

    def counted(stem, build):
        def wrapped(chunks, *args):
            def pieces():
                for piece in ([chunks] if isinstance(chunks, reader.RawTable) else chunks):
                    drawn[stem].append(piece.frame.height)
                    yield piece
            return build(pieces(), *args)
        return wrapped

    read_input = pipeline._read_input

    def logged(path, spec, bytes_path=True):
        if read_whole is None:
            raise AssertionError(f"{path.name} read whole")
        read_whole.append(f"{path.name} {bytes_path}")
        return read_input(path, spec, bytes_path)

    with monkeypatch.context() as patch:
        patch.setattr(pipeline, "build_financing", counted("financing", pipeline.build_financing))
        patch.setattr(pipeline, "build_hightech", counted("hightech", pipeline.build_hightech))
        if chunked:
            patch.setattr(reader, "_CHUNK", 4096)
            patch.setattr(reader, "_SNIFF_BYTES", 2)
            patch.setattr(pipeline, "_read_input", logged)
        else:
            patch.setattr(reader, "_start_chunks", lambda *args: None)  # every file read whole
        report = ingest(raw, out)
    return report, drawn


def test_an_ingest_with_financing_and_certificates_in_chunks_writes_the_same_files(tmp_path: Path,
                                                                                   monkeypatch) -> None:
    raw = _raw(tmp_path)
    whole, drawn = _ingest(raw, tmp_path / "whole", monkeypatch, chunked=False)
    assert drawn == {"financing": [ROWS - 1], "hightech": [ROWS - 1]}  # one table each
    chunked, drawn = _ingest(raw, tmp_path / "chunked", monkeypatch, chunked=True)
    for stem, size in (("financing", (raw / "financing.csv").stat().st_size),
                       ("hightech", (raw / "hightech.csv").stat().st_size)):
        assert size // (2 * 4096) <= len(drawn[stem]) <= size // 4096 + 1
        assert sum(drawn[stem]) == ROWS - 1
    assert _outputs(tmp_path / "chunked") == _outputs(tmp_path / "whole")
    assert chunked == whole | {"raw_dir": chunked["raw_dir"]}

    files = whole["files"]
    assert list(files) == ["firms.csv", "patents.csv", "financing.csv", "hightech.csv"]
    assert files["hightech.csv"]["encoding"] == "gb18030" and files["financing.csv"]["encoding"] == "utf-8"
    data = [i for i in range(ROWS) if i + 1 != REPEATED_HEADER_ROW]
    no_firm = [i for i in data if i % 31 == 7 or (NAMES[i % 5] == "" and i % 13 != 3)]
    no_date = [i for i in data if i not in no_firm and i % 29 == 4]
    bad_date = [i for i in data if i not in no_firm + no_date and i % 23 == 9]
    no_round = [i for i in data if i not in no_firm + no_date + bad_date and i % 37 == 11]
    financing = files["financing.csv"]
    assert financing["rows_read"] == ROWS and financing["accounted"]
    assert financing["quarantined_by_reason"] == {
        "missing firm name and USCC": len(no_firm), "missing date": len(no_date),
        "unparseable date": len(bad_date), "missing round": len(no_round), reader.REPEATED_HEADER: 1}
    kept = [i for i in data if i not in no_firm + no_date + bad_date + no_round]
    invalid = [i for i in kept if i % 13 == 3]
    assert whole["invalid_usccs"]["count"] == len(invalid)  # the firms' and certificates' USCCs are valid
    assert {(c["source"], c["column"]): c["rows"] for c in whole["cell_issues"]} == {
        ("financing.csv", "uscc"): len(invalid),
        ("hightech.csv", "issue_date"): len([i for i in data if i % 17 == 2 and NAMES[i % 5] and i % 11 != 5]),
    }
    hightech = pl.read_parquet(tmp_path / "whole" / "hightech.parquet")
    assert files["hightech.csv"]["kept"] == hightech.height and files["hightech.csv"]["accounted"]
    assert hightech["records"].sum() == files["hightech.csv"]["kept"] + files["hightech.csv"]["merged_duplicates"]


def test_a_quarantined_row_keeps_its_whole_record(tmp_path: Path, monkeypatch) -> None:
    raw = _raw(tmp_path)
    _ingest(raw, tmp_path / "chunked", monkeypatch, chunked=True)
    quarantine = pl.read_parquet(tmp_path / "chunked" / "quarantine.parquet")
    row = next(i for i in range(REPEATED_HEADER_ROW, ROWS) if i % 37 == 11 and i % 31 != 7 and NAMES[i % 5]
               and i % 29 != 4 and i % 23 != 9)  # missing round, past the first chunks
    found = quarantine.filter((pl.col("source") == "financing.csv") & (pl.col("row") == row + 1))
    assert found["reason"].to_list() == ["missing round"]
    record = json.loads(found["record"][0])
    assert record == dict(zip(FINANCING_HEADER, [v or None for v in _financing_row(row)]))
    assert record["项目介绍"] == f"{NOTE}{row}"  # the column the contract does not use, whole
    hightech = quarantine.filter(pl.col("source") == "hightech.csv")
    assert json.loads(hightech["record"][-1])["备注"].startswith(NOTE)


def test_bad_bytes_past_the_first_chunks_read_the_financing_again_whole(tmp_path: Path, monkeypatch) -> None:
    raw = _raw(tmp_path, bad_byte_at=ROWS - 10)
    whole, _ = _ingest(raw, tmp_path / "whole", monkeypatch, chunked=False)
    read_whole: list[str] = []
    chunked, drawn = _ingest(raw, tmp_path / "chunked", monkeypatch, chunked=True, read_whole=read_whole)
    assert read_whole == ["financing.csv False"]  # once, on the text path; the certificates in chunks
    # Some chunks, then the whole file in one.
    assert len(drawn["financing"]) > 2 and drawn["financing"][-1] == ROWS - 2
    assert sum(drawn["financing"][:-1]) < ROWS - 2 and len(drawn["hightech"]) > 2
    assert _outputs(tmp_path / "chunked") == _outputs(tmp_path / "whole")
    assert chunked == whole | {"raw_dir": chunked["raw_dir"]}
    quarantine = pl.read_parquet(tmp_path / "whole" / "quarantine.parquet")
    assert quarantine.filter((pl.col("source") == "financing.csv") & (pl.col("row") == ROWS - 10))[
        "reason"].to_list() == ["invalid bytes for encoding utf-8"]


def test_the_stages_hold_only_the_columns_the_later_steps_read(tmp_path: Path, monkeypatch) -> None:
    raw = _raw(tmp_path)
    held: dict[str, list[str]] = {}
    prepare = stage.prepare

    def recorded(chunks, ledger, *args, **kwargs):
        account, frame = prepare(chunks, ledger, *args, **kwargs)
        held[account.source] = frame.columns
        assert frame.n_chunks("all") == [1] * frame.width  # one chunk, as the file read whole gives it
        return account, frame

    monkeypatch.setattr(stage, "prepare", recorded)
    _ingest(raw, tmp_path / "chunked", monkeypatch, chunked=True)
    assert held == {
        "financing.csv": [reader.ROW, "firm_name", "uscc", "amount", "lead_investors", "investors", "round",
                          "date_value", "year", "round_norm"],
        "hightech.csv": [reader.ROW, "name", "uscc", "cert_no", "date_value", "issue_year"],
    }


class _Chunk:
    """Stands for a chunk's cells: only whether it is still held matters."""


def test_the_chunks_are_freed_before_the_file_is_read_whole() -> None:
    """_chunked_or_whole holds the chunks alone (its caller hands what opens them): they, and what was
    made of them, are gone when the file is read whole; `check` comes before each reading."""
    refs: list[weakref.ref] = []
    events: list[str] = []

    def opened():
        events.append("opened")
        for _ in range(2):
            chunk = _Chunk()
            refs.append(weakref.ref(chunk))
            yield chunk
            del chunk
        raise reader.NotStreamed

    def build(chunks, ledger: Ledger):
        made = [chunk for chunk in chunks]  # what the chunks made: held until the chunks stop
        events.append(f"built {len(made)}")
        return ledger

    def whole():
        gc.collect()
        assert refs and all(ref() is None for ref in refs)
        events.append("whole")
        return _Chunk()

    result, own = pipeline._chunked_or_whole(opened, build, whole, lambda: events.append("check"))
    assert events == ["check", "opened", "check", "whole", "built 1"]
    assert result is own and isinstance(own, Ledger)


def test_a_chunk_with_a_missing_required_column_is_refused(tmp_path: Path) -> None:
    raw = _raw(tmp_path)
    spec = pipeline.schema.FINANCING
    path = raw / "financing.csv"
    header = {"financing": reader.read_header(path, pipeline._canonical(spec), set(spec.columns))}
    write_csv(path, ["企业名称", "金额"], [[JIA, "1"]])  # changed after its header was checked
    with pytest.raises(pipeline.InputError, match="missing required column 'date'"):
        pipeline._build_later(header, {"financing": path}, "financing", lambda chunks, own: list(chunks))
