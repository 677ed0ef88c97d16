"""build_patents reads the rows in chunks: the tables and the ledger do not depend on where the chunks
end (duplicates, cells and values that recur in later chunks), and the codes the chunks share hold."""

from types import SimpleNamespace

import polars as pl

from fintech_firms.ingest import patents
from fintech_firms.ingest.columns import DistinctRule, DistinctValues
from fintech_firms.ingest.ledger import Ledger
from fintech_firms.rules.patents import app_no_check_char
from fintech_firms.tabular.reader import ROW, RawTable


def _number(digits: str) -> str:
    return f"{digits}.{app_no_check_char(digits)}"


ROWS = [
    # app_no, applicants, patent_type, app_date, ipc
    (_number("201810000001"), "甲公司;乙公司", "发明", "2018-01-02", None),
    (_number("201820000002"), "乙公司", None, "2018", "G06Q"),
    (_number("201810000001").replace(".", ""), "乙公司；丙公司;甲公司", "实用新型", "2018/3/4", "G06F"),  # the first again, no dot
    ("bad number", "丁公司", "发明", None, None),
    (_number("99100001"), " ", "外观设计", "1999-05-06", None),  # no applicants
    (_number("201820000002"), "丙公司 ", "unknown type", "not a date", "G06Q"),
    (_number("201930000003"), "甲公司,  甲公司", "design", "2019-07-08", None),
    (_number("201810000001"), "戊公司", None, None, "H04L"),
    ("CN 2019 3000 0003", "乙公司", None, "2019-07-09", None),
]


def _table() -> RawTable:
    columns = ["app_no", "applicants", "patent_type", "app_date", "ipc"]
    frame = pl.DataFrame([dict(zip(columns, r)) for r in ROWS], schema={c: pl.Utf8 for c in columns})
    frame = frame.with_columns(pl.int_range(2, frame.height + 2, dtype=pl.Int64).alias(ROW))
    return RawTable("patents.csv", "utf-8", columns, columns, frame, rows_read=len(ROWS))


def _build(monkeypatch, chunk_rows: int):
    monkeypatch.setattr(patents, "CHUNK_ROWS", chunk_rows)
    ledger = Ledger()
    result = patents.build_patents(_table(), ledger, 2026)
    # The tables as they are written (their text is made from integers then).
    return SimpleNamespace(patents=result.patents.collect(), applicants=result.applicants.table().collect(),
                           applicant_names=result.applicant_names, type_disagreements=result.type_disagreements,
                           type_unknown=result.type_unknown), ledger


def test_chunks_give_the_same_tables(monkeypatch):
    whole, whole_ledger = _build(monkeypatch, 1 << 20)
    assert whole.patents["app_no"].to_list() == sorted({_number("201810000001"), _number("201820000002"),
                                                          _number("201930000003")})
    assert whole.patents["records"].to_list() == [3, 2, 2]
    assert whole.patents["ipc"].to_list() == ["G06F", "G06Q", None]  # the first set, in file order
    first = whole.applicants.filter(pl.col("patent_id") == 1)
    assert first["applicant"].to_list() == ["甲公司", "乙公司", "丙公司", "戊公司"]
    assert first["position"].to_list() == [1, 2, 3, 4]
    names = {r["applicant_key"]: r["rows"] for r in whole.applicant_names.to_dicts()}
    assert names == {"甲公司": 3, "乙公司": 4, "丙公司": 2, "戊公司": 1}
    assert whole_ledger.files["patents.csv"].accounted
    for chunk_rows in (1, 2, 3, 4):
        part, part_ledger = _build(monkeypatch, chunk_rows)
        assert part.patents.equals(whole.patents)
        assert part.applicants.equals(whole.applicants)
        assert part.applicant_names.sort("applicant_key").equals(whole.applicant_names.sort("applicant_key"))
        assert (part.type_disagreements, part.type_unknown) == (whole.type_disagreements, whole.type_unknown)
        assert part_ledger.quarantine_frame().equals(whole_ledger.quarantine_frame())
        assert part_ledger.cell_issue_frame().equals(whole_ledger.cell_issue_frame())
        assert part_ledger.files["patents.csv"].as_dict() == whole_ledger.files["patents.csv"].as_dict()


def test_wide_rows_are_worked_on_in_fewer_rows_a_chunk(monkeypatch):
    rows = pl.DataFrame({"n": pl.int_range(0, 100, dtype=pl.Int64, eager=True)})  # 8 bytes a row
    assert rows.estimated_size() == 800
    monkeypatch.setattr(patents, "CHUNK_BYTES", 200)
    assert patents._rows_per_chunk([rows]) == 25
    assert patents._rows_per_chunk([rows.slice(0, 10), rows.slice(50, 30)]) == 25  # slices count their rows
    # CHUNK_ROWS of these rows take 8 * CHUNK_ROWS bytes: at that bound and above, CHUNK_ROWS.
    monkeypatch.setattr(patents, "CHUNK_BYTES", 8 * patents.CHUNK_ROWS)
    assert patents._rows_per_chunk([rows]) == patents.CHUNK_ROWS
    monkeypatch.setattr(patents, "CHUNK_BYTES", 4 * patents.CHUNK_ROWS)
    assert patents._rows_per_chunk([rows]) == patents.CHUNK_ROWS // 2
    monkeypatch.setattr(patents, "CHUNK_BYTES", 1)
    assert patents._rows_per_chunk([rows]) == 1
    # Text: its bytes count (a slice, its own rows' only).
    wide = pl.DataFrame({"abstract": ["字" * 333 + "x"] * 100})  # 1,000 bytes a cell
    monkeypatch.setattr(patents, "CHUNK_BYTES", 25_000)
    assert 20 <= patents._rows_per_chunk([wide.slice(40, 60)]) <= 25


def test_chunks_cut_by_bytes_give_the_same_tables(monkeypatch):
    whole, whole_ledger = _build(monkeypatch, 1 << 20)
    row_bytes = _table().frame.estimated_size() / len(ROWS)
    for rows in (1, 2, 3):
        monkeypatch.setattr(patents, "CHUNK_BYTES", int(row_bytes * rows))
        part, part_ledger = _build(monkeypatch, 1 << 20)
        assert part.patents.equals(whole.patents)
        assert part.applicants.equals(whole.applicants)
        assert part_ledger.quarantine_frame().equals(whole_ledger.quarantine_frame())
        assert part_ledger.files["patents.csv"].as_dict() == whole_ledger.files["patents.csv"].as_dict()


def test_codes_are_shared_by_the_chunks():
    values = DistinctValues(keep=True)
    first, new = values.codes(pl.Series(["a", None, "b", "a"]))
    second, later = values.codes(pl.Series(["c", "a", None]))
    assert first.to_list() == [1, None, 2, 1] and second.to_list() == [3, 1, None]
    assert new["value"].to_list()[1:] == ["a", "b"] and later["value"].to_list() == ["c"]
    assert values.decode(pl.Series([3, 2, None, 1], dtype=pl.UInt32)).to_list() == ["c", "b", None, "a"]

    seen = []
    rule = DistinctRule(lambda v: (seen.append(v) or (v or "").upper(),), {"upper": pl.Utf8})
    assert rule.apply(pl.Series(["x", "y", "x", None]))["upper"].to_list() == ["X", "Y", "X", ""]
    assert rule.apply(pl.Series(["y", "z"]))["upper"].to_list() == ["Y", "Z"]
    assert seen.count("x") == seen.count("y") == seen.count("z") == 1


def test_tables_made_a_few_rows_at_a_time_are_the_whole_tables(monkeypatch):
    # The writer makes the text a row group at a time: a group may start inside an application's
    # applicants, and its numbers are made from that group's patents alone.
    monkeypatch.setattr(patents, "CHUNK_ROWS", 2)
    result = patents.build_patents(_table(), Ledger(), 2026)
    applicants = result.applicants
    keys = applicants.keys.height
    # Key 1 unlinked, key k linked to firm 10 * k.
    links = pl.DataFrame({"firm_id": pl.Series([None, *range(20, 10 * keys + 1, 10)], dtype=pl.Int64),
                          "link_method": ["exact"] * keys, "link_score": [1.0] * keys,
                          "unlinked": pl.Series([None] * keys, dtype=pl.Utf8)})
    for table in (result.patents, applicants.table(links)):
        whole = table.collect()
        for size in (1, 2, 3):
            parts = [table.rows(offset, size) for offset in range(0, table.height, size)]
            assert pl.concat(parts).equals(whole)
    linked = applicants.table(links).collect()
    assert linked["app_no"].to_list() == [_number("201810000001")] * 4 + [_number("201820000002")] * 2 + [
        _number("201930000003")] * 2
    key_id = dict(zip(applicants.keys["applicant_key"], applicants.keys["key_id"]))
    assert [(k, f) for k, f in zip(linked["applicant_key"], linked["firm_id"])] == [
        (k, None if key_id[k] == 1 else 10 * key_id[k]) for k in linked["applicant_key"]]
    assert set(linked["applicant_key"]) == {"甲公司", "乙公司", "丙公司", "戊公司"}
    assert result.patents.collect()["patent_type"].to_list() == ["invention", "utility", "design"]


def test_the_applicant_keys_are_handed_over_as_they_are_found(monkeypatch):
    monkeypatch.setattr(patents, "CHUNK_ROWS", 2)
    parts: list[pl.DataFrame] = []
    result = patents.build_patents(_table(), Ledger(), 2026, parts.append)
    # The first chunk's keys come first (after the key of the codes' own placeholder spelling, which
    # no row names), each key once: together, the result's keys, in order.
    assert [p["applicant_key"].to_list() for p in parts][1:] == [["丙公司", "丁公司"], ["戊公司"]]
    assert parts[0]["applicant_key"].to_list()[1:] == ["甲公司", "乙公司"]
    assert pl.concat(parts).equals(result.applicants.keys)
