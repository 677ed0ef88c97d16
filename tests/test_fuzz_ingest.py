"""Random messy exports: ingest either stops with an InputError or accounts for every row."""

import csv
import io
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fintech_firms.errors import InputError
from fintech_firms.ingest.pipeline import IngestOptions, build_tables

CELLS = st.one_of(
    st.sampled_from([
        "", " ", "甲科技有限公司", "甲科技（深圳）有限公司", "乙科技有限公司", "张三", "清华大学",
        "914403001922038216", "914403001922038217", "91110000802100433B", "201610920041.1",
        "CN 2016 1092 0041.1", "201711469835.X", "95115608.X", "209910000001", "2016109200411",
        "2021-03-05", "2021/3/5", "20210305", "2021年3月5日", "2021", "2099-01-01", "2021-02-30",
        "深圳", "广东省深圳市", "北京市海淀区", "其他市", "人工智能;云计算", "AI|区块链", "量子",
        "1,050", "-5", "12.5", "是", "N", "A轮", "Series B", "Pre-IPO", "C+", "战略投资", "红杉中国",
        "红杉资本中国基金;IDG", "GR202144001234", "发明", "实用新型", "外观设计", "invention", "x",
    ]),
    st.text(max_size=12),
)
HEADERS = {
    "firms": ["name", "uscc", "former_names", "city", "province", "tracks", "rd_staff",
              "has_patent_transfer", "founded", "firm_id"],
    "patents": ["app_no", "applicants", "patent_type", "app_date", "ipc"],
    "financing": ["firm_name", "uscc", "date", "round", "amount", "lead_investors", "investors"],
    "hightech": ["name", "uscc", "issue_date", "cert_no"],
}


def table(stem: str, min_rows: int):
    header = HEADERS[stem]
    rows = st.lists(st.lists(CELLS, min_size=len(header) - 1, max_size=len(header) + 1),
                    min_size=min_rows, max_size=8)
    return rows.map(lambda rs: (header, rs))


def to_csv(header, rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    firms=table("firms", 1),
    patents=table("patents", 0),
    financing=st.one_of(st.none(), table("financing", 0)),
    hightech=st.one_of(st.none(), table("hightech", 0)),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]),
)
def test_ingest_accounts_for_every_row_or_stops_cleanly(firms, patents, financing, hightech, encoding):
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp)
        for stem, content in (("firms", firms), ("patents", patents), ("financing", financing),
                              ("hightech", hightech)):
            if content is not None:
                text = to_csv(*content)
                try:
                    data = text.encode(encoding)
                except UnicodeEncodeError:
                    data = text.encode("utf-8")
                (raw / f"{stem}.csv").write_bytes(data)
        try:
            tables, report = build_tables(raw, IngestOptions(max_year=2026))
        except InputError:
            return
        assert report["all_rows_accounted"]
        for account in report["files"].values():
            assert account["rows_read"] == (account["blank_rows"] + account["kept"]
                                            + account["merged_duplicates"] + account["quarantined"])
        assert tables["firms"]["firm_id"].to_list() == list(range(1, tables["firms"].height + 1))
