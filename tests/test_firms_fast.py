"""The polars firm merge (ingest.firms) equals the scalar rules it is built from.

- parse_usccs equals rules.uscc.parse_uscc, and normalize_names equals rules.names.normalize_name, value by
  value (as rules.patents.parse_app_numbers with parse_app_no).
- build_firms equals a record-by-record reading of the merge rules (contract §2, docs/ingest.md "Firms"):
  `reference_firms` below, which is the loop build_firms ran before it became polars expressions.
"""

from __future__ import annotations

import random

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from fintech_firms.ingest.firms import FIRMS_SCHEMA, TRACKS_SCHEMA, build_firms
from fintech_firms.ingest.ledger import Ledger
from fintech_firms.ingest.linking import index_of
from fintech_firms.reference.geo import CityMatcher
from fintech_firms.reference.tables import REGION_OTHER, REGION_UNKNOWN, UNCLASSIFIED, load
from fintech_firms.reference.taxonomy import TrackMatcher
from fintech_firms.rules.fuzzy import FuzzyOptions
from fintech_firms.rules.names import normalize_name, normalize_names, split_list, unique_in_order
from fintech_firms.rules.uscc import INVALID_USCC, check_char, parse_uscc, parse_usccs
from fintech_firms.rules.values import parse_bool, parse_count, parse_date
from fintech_firms.tabular.reader import ROW, RawTable

CITIES = CityMatcher(load("regions", None).frame)
TRACKS = TrackMatcher(load("tracks", None).frame, "tracks.csv", FuzzyOptions())
MAX_YEAR = 2026

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
VALID = ["914403001922038216", "91440300708461136T", "91110000802100433B"]
FULL_WIDTH = {chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)}


# --- USCC ---------------------------------------------------------------------------------------

def _valid_code(body: str) -> str:
    return body + check_char(body)


BODY = st.text(alphabet=st.sampled_from(CHARSET), min_size=17, max_size=17)


@st.composite
def near_valid_uscc(draw) -> str:
    """A valid code, often spelled loosely (case, spaces, full width) or broken by one edit."""
    code = draw(st.one_of(st.sampled_from(VALID), BODY.map(_valid_code)))
    edit = draw(st.sampled_from(["none", "check", "lower", "spaces", "full", "drop", "add", "swap",
                                 "ctrl", "bad_char"]))
    i = draw(st.integers(0, len(code) - 1))
    if edit == "check":
        code = code[:17] + draw(st.sampled_from(CHARSET))
    elif edit == "lower":
        code = code.lower()
    elif edit == "spaces":
        code = code[:i] + draw(st.sampled_from([" ", "\t", "\u3000", "\u00a0", "\n", "\u200b"])) + code[i:]
    elif edit == "full":
        code = "".join(FULL_WIDTH.get(c, c) for c in code)
    elif edit == "drop":
        code = code[:i] + code[i + 1:]
    elif edit == "add":
        code = code[:i] + draw(st.sampled_from(CHARSET)) + code[i:]
    elif edit == "swap":
        code = code[:i] + draw(st.sampled_from(CHARSET)) + code[i + 1:]
    elif edit == "ctrl":
        code = code[:i] + draw(st.sampled_from(["\x1c", "\x1f", "\x00", "\x0b", "\x7f"])) + code[i:]
    elif edit == "bad_char":
        code = code[:i] + draw(st.sampled_from("IOZSVioz-.")) + code[i + 1:]
    return code


USCC_TEXT = st.one_of(st.none(), st.text(max_size=20), near_valid_uscc(),
                      st.text(alphabet=st.sampled_from(CHARSET + "iosvz \t"), max_size=19))


@settings(max_examples=500, deadline=None)
@given(st.lists(USCC_TEXT, max_size=30))
def test_vectorised_uscc_equals_the_scalar_rule(values):
    got = parse_usccs(pl.Series(values, dtype=pl.Utf8))
    assert got["value"].to_list() == values
    assert list(got.select("uscc", "error").iter_rows()) == [parse_uscc(v) for v in values]


def test_vectorised_uscc_on_every_check_character():
    rng = random.Random(1)
    bodies = ["".join(rng.choice(CHARSET) for _ in range(17)) for _ in range(300)]
    values = [b + c for b in bodies for c in CHARSET]
    got = parse_usccs(pl.Series(values, dtype=pl.Utf8))
    assert list(got.select("uscc", "error").iter_rows()) == [parse_uscc(v) for v in values]
    assert got["uscc"].drop_nulls().len() == len(bodies)
    assert set(got["error"].drop_nulls()) == {INVALID_USCC}


# --- names --------------------------------------------------------------------------------------

NAME_CHARS = st.sampled_from([
    *"甲乙丙科技有限公司深圳AbZz09 ()（）-.&'", "\u3000", "\u200b", "\ufeff", "\u00a0", "\t", "Ａ", "ß",
    "İ", "\u0308", "\u00a8", "\x1c", "\uf900", "\u212a",  # KELVIN SIGN: NFKC makes it K
])
NAME_TEXT = st.one_of(st.none(), st.text(max_size=12), st.text(alphabet=NAME_CHARS, max_size=12))


@settings(max_examples=500, deadline=None)
@given(st.lists(NAME_TEXT, max_size=30))
def test_vectorised_name_key_equals_normalize_name(values):
    got = normalize_names(pl.Series("name", values, dtype=pl.Utf8))
    assert got.name == "name"
    assert got.to_list() == [normalize_name(v) for v in values]


# --- the merge ----------------------------------------------------------------------------------

def reference_firms(table: RawTable, cities: CityMatcher, tracks: TrackMatcher, max_year: int):
    """The merge read record by record: (firms, tracks, usccs, names, former, kept, merged)."""
    records = [dict.fromkeys(FIRM_COLUMNS) | r for r in table.frame.sort(ROW).to_dicts()
               if r["name"] is not None]
    for r in records:
        r["uscc_ok"] = parse_uscc(r["uscc"])[0]
        r["rd_value"] = parse_count(r["rd_staff"])[0]
        r["transfer_value"] = parse_bool(r["has_patent_transfer"])[0]
        r["founded_date"], r["founded_year"], _ = parse_date(r["founded"], max_year=max_year)
        r["name_key"] = normalize_name(r["name"])
    owners: dict[str, set[str]] = {}
    for r in records:
        if r["uscc_ok"]:
            owners.setdefault(r["name_key"], set()).add(r["uscc_ok"])
    groups: dict[tuple[str, str], list[dict]] = {}
    for r in records:
        if r["uscc_ok"]:
            key = ("uscc", r["uscc_ok"])
        else:
            found = owners.get(r["name_key"], ())
            key = ("uscc", next(iter(found))) if len(found) == 1 else ("name", r["name_key"])
        groups.setdefault(key, []).append(r)

    def first(rs, field):
        return next((r[field] for r in rs if r[field] is not None), None)

    rows, track_rows = [], []
    usccs: dict[str, int] = {}
    names: dict[str, set[int]] = {}
    former: dict[str, set[int]] = {}
    for firm_id, ((kind, code), rs) in enumerate(groups.items(), start=1):
        carried = unique_in_order(r["name"] for r in rs)
        former_names = unique_in_order(n for r in rs for n in split_list(r["former_names"]))
        written = unique_in_order(t for r in rs for t in split_list(r["tracks"]))
        city_written = first(rs, "city")
        place = cities.match(city_written)
        listed = place.region not in (REGION_OTHER, REGION_UNKNOWN)
        dated = next((r for r in rs if r["founded_year"] is not None), None)
        primary = None
        for position, name in enumerate(written, start=1):
            m = tracks.match_all([name])[name]
            track_rows.append((firm_id, position, name, m.track, m.tech, m.method, m.score))
            if m.tech and primary is None:
                primary = (m.track, m.tech)
        primary = primary or (None, UNCLASSIFIED)
        rows.append({
            "firm_id": firm_id, "name": rs[0]["name"], "uscc": code if kind == "uscc" else None,
            "city": place.city,
            "province": place.province if listed else (first(rs, "province") or place.province),
            "region": place.region, "rd_staff": first(rs, "rd_value"), "tech": primary[1],
            "primary_track": primary[0], "has_patent_transfer": first(rs, "transfer_value"),
            "founded": dated and dated["founded_date"], "founded_year": dated and dated["founded_year"],
            "former_names": former_names, "names": carried, "source_firm_id": first(rs, "firm_id"),
            "city_written": city_written, "records": len(rs), "source_row": rs[0][ROW],
        })
        if kind == "uscc":
            usccs[code] = firm_id
        for name in carried:
            names.setdefault(normalize_name(name), set()).add(firm_id)
        for name in former_names:
            former.setdefault(normalize_name(name), set()).add(firm_id)
    firms = pl.DataFrame(rows, schema=FIRMS_SCHEMA)
    firm_tracks = pl.DataFrame(track_rows, schema=TRACKS_SCHEMA, orient="row")
    return firms, firm_tracks, usccs, names, former, len(groups), len(records) - len(groups)


FIRM_COLUMNS = ["name", "uscc", "former_names", "city", "province", "tracks", "rd_staff",
                "has_patent_transfer", "founded", "firm_id"]
CELLS = {
    "name": ["甲科技有限公司", "甲科技（深圳）有限公司", "甲科技(深圳)有限公司", "甲 科技有限公司",
             "乙科技有限公司", "Acme Co., Ltd.", "ACME CO., LTD.", "丙\u3000科技", "丙科技", "ｄ公司",
             "D公司", "914403001922038216", None],
    "uscc": [*VALID, "91440300708461136t", " 9111 0000 8021 0043 3B ",
             "９１４４０３００１９２２０３８２１６", "914403001922038217", "abc", None],
    "former_names": ["甲科技有限公司", "旧甲;旧乙", "旧乙，旧甲", "Old Acme Co., Ltd.;旧 甲", "", None],
    "city": ["深圳", "广东省深圳市", "北京市海淀区", "其他市", "", None],
    "province": ["广东省", "", "某省", None],
    "tracks": ["人工智能;云计算", "云计算、人工智能", "AI|区块链", "量子", "未知赛道", "大数据 ", None],
    "rd_staff": ["12", "1,050", "-5", "x", None],
    "has_patent_transfer": ["是", "N", "x", None],
    "founded": ["2021-03-05", "2021", "2019年3月", "2018-07-01", "2099-01-01", "x", None],
    "firm_id": ["F1", "F2", None],
}


@st.composite
def firms_table(draw) -> RawTable:
    n = draw(st.integers(0, 25))
    # name and city are the required columns (contract §1); the others may be missing.
    optional = [c for c in FIRM_COLUMNS if c not in ("name", "city")]
    columns = ["name", "city", *draw(st.lists(st.sampled_from(optional), unique=True))]
    data = {c: [draw(st.one_of(st.sampled_from(CELLS[c]), st.text(max_size=6 if c != "name" else 3)))
                for _ in range(n)] for c in columns}
    frame = pl.DataFrame(data, schema={c: pl.Utf8 for c in columns}).with_columns(
        pl.int_range(1, n + 1, dtype=pl.Int64).alias(ROW))
    if draw(st.booleans()):
        frame = frame.reverse()  # build_firms must take records in file order, not frame order
    return RawTable("firms.csv", "utf-8", columns, columns, frame, rows_read=n)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(firms_table())
def test_build_firms_equals_the_record_by_record_rules(table):
    ledger = Ledger()
    got = build_firms(table, ledger, CITIES, TRACKS, MAX_YEAR)
    firms, tracks, usccs, names, former, kept, merged = reference_firms(table, CITIES, TRACKS, MAX_YEAR)
    assert_frame_equal(got.firms, firms)
    assert_frame_equal(got.tracks, tracks)
    # The linker's indexes: one row per pair, keys in order of first use.
    assert got.usccs.rows() == list(usccs.items())
    assert (list(index_of(got.names, "name_key").items()), list(index_of(got.former, "_key").items())) == (
        list(names.items()), list(former.items()))
    assert not got.names.is_duplicated().any() and not got.former.is_duplicated().any()
    account = ledger.files["firms.csv"]
    assert (account.kept, account.merged_duplicates) == (kept, merged)
    assert account.accounted
    issues = ledger.cell_issue_frame().filter(pl.col("column") == "uscc")
    named = table.frame.filter(pl.col("name").is_not_null()).sort(ROW)
    written = named.select(ROW, "uscc").iter_rows() if "uscc" in named.columns else []
    expected = [(r, v) for r, v in written if parse_uscc(v)[1]]
    assert list(issues.select("row", "value").iter_rows()) == expected


@pytest.mark.parametrize("names", [[], [None, None]])
def test_no_firms(names):
    frame = pl.DataFrame({"name": names, "city": ["深圳"] * len(names)},
                         schema={"name": pl.Utf8, "city": pl.Utf8}).with_columns(
        pl.int_range(1, len(names) + 1, dtype=pl.Int64).alias(ROW))
    table = RawTable("firms.csv", "utf-8", ["name", "city"], ["name", "city"], frame, rows_read=len(names))
    ledger = Ledger()
    got = build_firms(table, ledger, CITIES, TRACKS, MAX_YEAR)
    assert got.firms.schema == pl.Schema(FIRMS_SCHEMA) and got.firms.is_empty()
    assert got.tracks.schema == pl.Schema(TRACKS_SCHEMA) and got.tracks.is_empty()
    assert (got.usccs.height, got.names.height, got.former.height) == (0, 0, 0)
    assert ledger.files["firms.csv"].accounted
