"""The stage skeleton (ingest/stage.py) on a small made-up file: each step as contract §2 says, and
every row accounted for."""

import polars as pl
import pytest

from fintech_firms.ingest.ledger import Ledger
from fintech_firms.ingest.linking import Linker
from fintech_firms.ingest.stage import Rule, Stage, prepare, run_stage
from fintech_firms.rules.fuzzy import FuzzyOptions
from fintech_firms.rules.values import parse_count
from fintech_firms.tabular.reader import ROW, RawTable

USCC = "914403001922038216"


def table(rows: list[tuple]) -> RawTable:
    columns = ["name", "uscc", "amount", "tag"]
    frame = pl.DataFrame([(*r, i + 2) for i, r in enumerate(rows)], schema=[*columns, ROW], orient="row",
                         schema_overrides={ROW: pl.Int64})
    return RawTable("toy.csv", "utf-8", ["名称", "统一社会信用代码", "金额", "标签"], columns, frame,
                    rows_read=len(rows))


STAGE = Stage(
    optional=("name", "uscc", "amount", "tag", "note"),
    rules=(Rule("amount", {"amount_value": pl.Int64, "amount_error": pl.Utf8}, scalar=parse_count,
                issue="amount_error"),),
    reason=pl.when(pl.col("name").is_null() & pl.col("uscc").is_null()).then(pl.lit("no firm")),
    name="name",
    derived=(pl.col("tag").str.to_uppercase().alias("tag_key"),),
    keys=("who", "tag_key"),
    first=("firm_id", "name", "amount_value", "link_method"),
    lists=("tag",),
)


def linker() -> Linker:
    return Linker(usccs={USCC: 1}, names={"甲科技有限公司": {1}, "乙科技有限公司": {2}}, former={},
                  fuzzy=FuzzyOptions(threshold=101))


def test_run_stage_quarantines_links_and_merges():
    ledger = Ledger()
    raw = table([
        ("甲科技有限公司", None, "12", "a"),
        (None, None, "5", "a"),  # no name, no USCC: quarantined
        ("某某", USCC, None, "A"),  # the USCC links firm 1; same tag once upper-cased: merged into row 2
        ("乙科技有限公司", "91440300X", "many", "b"),  # invalid USCC and amount: cell issues, row kept
        ("丙公司", None, "7", "c"),  # no such firm: unlinked
    ])
    staged = run_stage(raw, ledger, linker(), STAGE)
    assert staged.events.select("who", "tag_key", "firm_id", "name", "amount_value", "link_method", "tag",
                                "records", "source_row").rows() == [
        ("firm:1", "A", 1, "甲科技有限公司", 12, "exact", ["a", "A"], 2, 2),
        ("firm:2", "B", 2, "乙科技有限公司", None, "exact", ["b"], 1, 5),
        ("name:丙公司", "C", None, "丙公司", 7, None, ["c"], 1, 6),
    ]
    assert staged.unlinked.rows() == [("丙公司", "丙公司")]
    account = ledger.files["toy.csv"]
    assert (account.kept, account.merged_duplicates, dict(account.quarantined)) == (3, 1, {"no firm": 1})
    assert account.accounted
    assert ledger.quarantine_frame().select("row", "reason").rows() == [(3, "no firm")]
    assert ledger.cell_issue_frame().select("row", "column", "value", "reason").rows() == [
        (5, "uscc", "91440300X", "invalid USCC (fails the GB 32100-2015 check)"),
        (5, "amount", "many", "not a number"),
    ]


def test_prepare_applies_distinct_rules_and_reads_absent_columns_as_blank():
    ledger = Ledger()
    rule = Rule("tag", {"tag_len": pl.UInt32},
                distinct=lambda values: pl.DataFrame({"value": values, "tag_len": values.str.len_chars()}))
    account, frame = prepare(table([("甲", None, "1", "xyz"), ("乙", None, "2", None)]), ledger,
                             ("note",), (rule,), None)
    assert frame.select("tag_len", "note").rows() == [(3, None), (None, None)]
    assert account.rows_read == 2 and not ledger.quarantine_frame().height


def test_a_rule_needs_a_definition():
    with pytest.raises(RuntimeError, match="neither scalar nor distinct"):
        Rule("tag", {"x": pl.Int64}).apply(pl.DataFrame({"tag": ["a"]}))
