"""`firms ingest` reads firms.csv, financing.csv and hightech.csv when their step comes (the firms once
the patents' parse has started on its thread; financing and certificates after the firms, so that
their cells are not held while those are merged), with the same output as reading them first; their
headers are still checked before any work."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_bad_input import FIRMS_HEADER, FIRMS_ROWS, JIA, VALID_USCC, YI, write_csv, write_firms, write_patents

from fintech_firms.errors import InputError
from fintech_firms.ingest import pipeline
from fintech_firms.ingest.pipeline import ingest

FINANCING = (["firm_name", "uscc", "date", "round", "amount"],
             [[JIA, "", "2020-01-01", "A轮", "1000万"], ["", VALID_USCC, "2021-05-01", "B轮", ""],
              [YI, "", "not a date", "A轮", ""]])
HIGHTECH = (["name", "issue_date", "cert_no"],
            [[JIA, "2019-12-02", "GR201944000001"], [YI, "", "GR202011000002"]])


def _raw(tmp_path: Path) -> Path:
    raw = tmp_path / "raw"
    raw.mkdir()
    write_firms(raw)
    write_patents(raw)
    write_csv(raw / "financing.csv", *FINANCING)
    write_csv(raw / "hightech.csv", *HIGHTECH)
    return raw


def _outputs(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_the_firms_are_read_once_the_patents_start_and_the_others_after_the_firms(tmp_path: Path,
                                                                                 monkeypatch) -> None:
    raw = _raw(tmp_path)
    events: list[str] = []
    read_input, first_line_header, read_chunks = pipeline._read_input, pipeline.first_line_header, pipeline.read_chunks

    def logged_read(path, spec, bytes_path=True):
        events.append(f"read {path.name}")
        return read_input(path, spec, bytes_path)

    def logged_chunks(path, *args):
        if path.name != "patents.csv":  # the firms, a chunk at a time (the patents: on their thread)
            events.append(f"read {path.name}")
        return read_chunks(path, *args)

    def logged_header(path, *args):
        if path.name == "patents.csv":
            events.append("patents started")  # their header is checked, then the parse starts
        return first_line_header(path, *args)

    with monkeypatch.context() as patch:
        patch.setattr(pipeline, "_read_input", logged_read)
        patch.setattr(pipeline, "first_line_header", logged_header)
        patch.setattr(pipeline, "read_chunks", logged_chunks)
        later = ingest(raw, tmp_path / "later")
    assert events == ["patents started", "read firms.csv", "read financing.csv", "read hightech.csv"]
    with monkeypatch.context() as patch:
        patch.setattr(pipeline, "LATER", ())  # every file read up front
        first = ingest(raw, tmp_path / "first")
    assert later == first | {"raw_dir": later["raw_dir"]} and later["files"]["financing.csv"]["rows_read"] == 3
    assert _outputs(tmp_path / "later") == _outputs(tmp_path / "first")


@pytest.mark.parametrize(("stem", "column"), [("firms", "city"), ("financing", "date"), ("hightech", "name")])
def test_a_missing_required_column_is_refused_before_any_work(tmp_path: Path, monkeypatch, stem: str,
                                                              column: str) -> None:
    raw = _raw(tmp_path)
    header, rows = {"firms": (FIRMS_HEADER, FIRMS_ROWS), "financing": FINANCING, "hightech": HIGHTECH}[stem]
    at = header.index(column)
    write_csv(raw / f"{stem}.csv", header[:at] + header[at + 1:], [row[:at] + row[at + 1:] for row in rows])

    def never(*args, **kwargs):
        raise AssertionError("the firms were merged before the header was checked")

    monkeypatch.setattr(pipeline, "build_firms", never)
    with pytest.raises(InputError, match=rf"^{stem}\.csv: missing required column '{column}'"):
        ingest(raw, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_columns_read_whole_otherwise_than_the_header_are_checked_again(tmp_path: Path) -> None:
    """The header is read from the first line alone (tabular.reader.read_header); a damaged file whose
    first line is UTF-8 but which reads whole as GB18030 has other columns then: they are checked again."""
    raw = _raw(tmp_path)
    (raw / "financing.csv").write_bytes(
        "企业名称,融资日期,轮次\n".encode() + b"\xe7\x94\xff\xb2b,2020-01-01,A\n" * 6)
    with pytest.raises(InputError, match=r"^financing\.csv: missing required column .*; found: 浼佷笟鍚嶇О"):
        ingest(raw, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_patents_read_whole_otherwise_than_the_header_are_checked_again(tmp_path: Path) -> None:
    """The patents' header is read from the first line alone and their rows on the parse's thread: a
    damaged file whose first line is UTF-8 but which reads whole as GB18030 is refused there, with the
    message a read of the whole file gives."""
    raw = _raw(tmp_path)
    (raw / "patents.csv").write_bytes("申请号,申请人\n".encode() + b"\xe7\x94\xff\xb2b,x\n" * 6)
    with pytest.raises(InputError, match=r"^patents\.csv: the header row has bytes that are invalid for encoding gb18030"):
        ingest(raw, tmp_path / "out")
    assert not (tmp_path / "out").exists()
