"""Variants real exports carry: swapped name headers, repeated unknown columns, USCCs outside firms."""


import polars as pl
import pytest
from rawfiles import write

from fintech_firms.errors import InputError
from fintech_firms.ingest.pipeline import IngestOptions, ingest

A = "甲科技有限公司"
VALID = "914403001922038216"
INVALID = "914403001922038217"



def test_name_headers_swapped_and_unknown_columns_repeated(raw, tmp_path):
    # firms with `firm_name` (financing's word) and two 备注 columns, financing with `name`
    write(raw / "firms.csv", f"firm_name,city,备注,备注\n{A},深圳,一,二\n")
    write(raw / "patents.csv", f"app_no,applicants\n201610920041.1,{A}\n")
    write(raw / "financing.csv", f"name,date,round\n{A},2020-01-01,A轮\n")
    report = ingest(raw, tmp_path / "out")
    assert report["files"]["firms.csv"]["kept"] == 1
    assert report["links"]["financing"]["exact"] == 1


def test_invalid_usccs_outside_firms_are_reported_and_ignored(raw, tmp_path):
    write(raw / "firms.csv", f"name,uscc,city\n{A},{VALID},深圳\n")
    write(raw / "patents.csv", f"app_no,applicants\n201610920041.1,{A}\n")
    # row 1: invalid USCC, linked by its name instead; row 2: only an invalid USCC, left unlinked
    write(raw / "financing.csv", f"firm_name,uscc,date,round\n{A},{INVALID},2020-01-01,A轮\n,{INVALID},2021-01-01,B轮\n")
    write(raw / "hightech.csv", f"name,uscc,cert_no\n,{VALID},GR202044000001\n")
    report = ingest(raw, tmp_path / "out")
    out = tmp_path / "out"
    assert pl.read_parquet(out / "cell_issues.parquet").rows() == [
        ("financing.csv", 1, "uscc", INVALID, "invalid USCC (fails the GB 32100-2015 check)"),
        ("financing.csv", 2, "uscc", INVALID, "invalid USCC (fails the GB 32100-2015 check)"),
    ]
    assert report["invalid_usccs"] == {"count": 2, "examples": [
        {"source": "financing.csv", "row": 1, "uscc": INVALID},
        {"source": "financing.csv", "row": 2, "uscc": INVALID}]}
    financing = pl.read_parquet(out / "financing.parquet")
    assert financing.select("firm_id", "firm_name", "uscc", "round", "link_method").rows() == [
        (1, A, None, "A", "exact"), (None, None, None, "B", None)]
    assert report["unlinked_names"] == [
        {"name": f"USCC {INVALID}", "rows": 1, "by_table": {"financing": 1}}]
    hightech = pl.read_parquet(out / "hightech.parquet")
    assert hightech.select("firm_id", "uscc", "issue_year", "valid_until", "link_method").rows() == [
        (1, VALID, 2020, 2022, "uscc")]


def test_date_and_year_come_from_the_same_record(raw, tmp_path):
    # two records of one firm: a bare year first, a full date second; likewise one patent twice
    write(raw / "firms.csv", f"name,city,founded\n{A},深圳,2018\n{A},深圳,2019-05-01\n")
    write(raw / "patents.csv", f"app_no,applicants,app_date\n201610920041.1,{A},2016\n"
                               f"CN2016109200411,{A},2017-03-05\n")
    ingest(raw, tmp_path / "out")
    firms = pl.read_parquet(tmp_path / "out" / "firms.parquet")
    assert firms.select("founded", "founded_year").rows() == [(None, 2018)]
    patents = pl.read_parquet(tmp_path / "out" / "patents.parquet")
    assert patents.select("app_no", "app_date", "app_year").rows() == [("201610920041.1", None, 2016)]


def test_tab_separated_with_a_leading_blank_line_and_a_future_application(raw, tmp_path):
    write(raw / "firms.csv", f"\nname\tcity\n{A}\t深圳\n")
    write(raw / "patents.csv", f"app_no,applicants\n201610920041.1,{A}\n209910000001,{A}\n")
    report = ingest(raw, tmp_path / "out", IngestOptions(max_year=2026))
    assert report["files"]["firms.csv"]["kept"] == 1
    assert report["files"]["patents.csv"]["quarantined_by_reason"] == {
        "application year out of range (2099)": 1}


def test_repeated_headers_keep_both_values_in_quarantine_records(raw, tmp_path):
    write(raw / "firms.csv", f"name,city,备注,备注\n,深圳,一,二\n{A},深圳,,\n")
    write(raw / "patents.csv", f"app_no,applicants\n201610920041.1,{A}\n")
    ingest(raw, tmp_path / "out")
    quarantine = pl.read_parquet(tmp_path / "out" / "quarantine.parquet")
    assert quarantine.rows() == [
        ("firms.csv", 1, "missing name", '{"name": null, "city": "深圳", "备注": "一", "备注_4": "二"}')]


def test_identical_contract_headers_stop_the_run(raw, tmp_path):
    write(raw / "firms.csv", f"name,city,name\n{A},深圳,{A}\n")
    write(raw / "patents.csv", f"app_no,applicants\n201610920041.1,{A}\n")
    with pytest.raises(InputError, match="columns 1 \\('name'\\) and 3 \\('name'\\) both mean 'name'"):
        ingest(raw, tmp_path / "out")


def test_rows_without_a_name_are_counted_per_uscc(raw, tmp_path):
    write(raw / "firms.csv", f"name,city\n{A},深圳\n")
    write(raw / "patents.csv", f"app_no,applicants\n201610920041.1,{A}\n")
    write(raw / "financing.csv", f"uscc,date,round\n{VALID},2020-01-01,A轮\n{INVALID},2020-01-01,A轮\n"
                                 f"{INVALID},2021-01-01,B轮\n")
    report = ingest(raw, tmp_path / "out")
    assert report["unlinked_names"] == [
        {"name": f"USCC {INVALID}", "rows": 2, "by_table": {"financing": 2}},
        {"name": f"USCC {VALID}", "rows": 1, "by_table": {"financing": 1}},
    ]
