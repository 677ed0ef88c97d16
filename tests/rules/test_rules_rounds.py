import pytest
from hypothesis import given
from hypothesis import strategies as st

from fintech_firms.rules.rounds import is_c_plus, normalize_round

CANONICAL = [
    "种子轮", "天使轮", "天使+轮", "Pre-A", "A", "A+", "A++", "A1", "A2", "Pre-B", "B", "B+", "B++", "B1",
    "Pre-C", "C", "C+", "C++", "C1", "D", "D+", "D1", "E", "E+", "F", "G", "H", "I", "J", "Pre-A+",
    "Pre-D", "Pre-IPO", "IPO", "上市后", "战略投资", "并购", "定向增发", "新三板", "股权转让", "债权融资",
]  # fmt: skip


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, None),
        ("", None),
        ("   ", None),
        ("\u3000", None),
        # seed / angel
        ("种子轮", "种子轮"), ("种子", "种子轮"), ("Seed", "种子轮"), ("SEED ROUND", "种子轮"),
        ("天使轮", "天使轮"), ("天使", "天使轮"), ("Angel", "天使轮"), ("angel round", "天使轮"),
        ("天使轮融资", "天使轮"),
        ("天使+轮", "天使+轮"), ("天使+", "天使+轮"), ("天使＋轮", "天使+轮"), ("Angel+", "天使+轮"),
        # letters
        ("A", "A"), ("A轮", "A"), ("a轮", "A"), ("A轮融资", "A"), ("Series A", "A"), ("series a", "A"),
        ("A Round", "A"), ("Ａ轮", "A"), ("A系列", "A"), (" A 轮 ", "A"),
        ("A+", "A+"), ("A+轮", "A+"), ("A＋轮", "A+"), ("Series A+", "A+"), ("A++轮", "A++"),
        ("B", "B"), ("B轮", "B"), ("B+轮", "B+"), ("B++", "B++"),
        ("C", "C"), ("C轮", "C"), ("C+轮", "C+"), ("C++轮", "C++"),
        ("D轮", "D"), ("D+轮", "D+"), ("E轮", "E"), ("F轮融资", "F"), ("G轮", "G"), ("J轮", "J"),
        ("e+", "E+"),
        # numbered variants
        ("B1", "B1"), ("B2轮", "B2"), ("A-1", "A1"), ("A-1轮", "A1"), ("Series B-2", "B2"),
        ("C1轮", "C1"), ("D12", "D12"), ("Ｂ１轮", "B1"),
        # pre rounds
        ("Pre-A", "Pre-A"), ("pre-a", "Pre-A"), ("PreA轮", "Pre-A"), ("Pre A", "Pre-A"),
        ("Pre-A轮", "Pre-A"), ("pre-Series A", "Pre-A"), ("Pre–A", "Pre-A"), ("Pre_A", "Pre-A"),
        ("Pre-A+轮", "Pre-A+"), ("Pre-B轮", "Pre-B"), ("Pre-C轮", "Pre-C"), ("Pre-D", "Pre-D"),
        ("Pre-IPO", "Pre-IPO"), ("pre-ipo", "Pre-IPO"), ("PreIPO轮", "Pre-IPO"), ("Pre IPO", "Pre-IPO"),
        # listing
        ("IPO", "IPO"), ("ipo", "IPO"), ("首发", "IPO"), ("首次公开发行", "IPO"), ("上市", "IPO"),
        ("IPO上市", "IPO"),
        ("上市后", "上市后"), ("Post-IPO", "上市后"), ("post ipo", "上市后"), ("IPO后", "上市后"),
        # other kinds
        ("战略投资", "战略投资"), ("战略", "战略投资"), ("战略融资", "战略投资"), ("Strategic", "战略投资"),
        ("战投", "战略投资"), ("Strategic Investment", "战略投资"),
        ("并购", "并购"), ("收购", "并购"), ("M&A", "并购"), ("m&a", "并购"),
        ("定向增发", "定向增发"), ("定增", "定向增发"), ("增发", "定向增发"),
        ("Private Placement", "定向增发"),
        ("新三板", "新三板"), ("新三板挂牌", "新三板"),
        ("股权转让", "股权转让"), ("老股转让", "股权转让"),
        ("债权融资", "债权融资"), ("债权", "债权融资"), ("Debt", "债权融资"), ("Debt Financing", "债权融资"),
        # unknown: NFKC + strip only
        ("未披露", "未披露"), ("  未披露 ", "未披露"), ("Ｋ轮", "K轮"), ("pre a 轮 x", "pre a 轮 x"),
        ("A+++", "A+++"), ("轮", "轮"), ("融资", "融资"), ("Series", "Series"), ("股权融资", "股权融资"),
        ("Z", "Z"), ("AB", "AB"), ("A123", "A123"),
    ],
)  # fmt: skip
def test_normalize_round(raw, expected):
    assert normalize_round(raw) == expected


@pytest.mark.parametrize("canonical", CANONICAL)
def test_canonical_names_are_fixed_points(canonical):
    assert normalize_round(canonical) == canonical


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("C", True), ("C轮", True), ("C+", True), ("C++轮", True), ("C1", True), ("C2轮", True),
        ("D", True), ("D+", True), ("D1", True), ("E", True), ("E+", True), ("F", True), ("G轮", True),
        ("J", True), ("Series C", True), ("c轮融资", True), ("Pre-IPO", True), ("pre-ipo", True),
        ("Pre-D", True), ("Pre-E轮", True),
        ("Pre-C", False), ("Pre-C轮", False), ("Pre-C+", False), ("Pre-A", False), ("Pre-B", False),
        ("A", False), ("A+", False), ("A1", False), ("B", False), ("B++", False), ("B2", False),
        ("天使轮", False), ("天使+轮", False), ("种子轮", False), ("战略投资", False), ("IPO", False),
        ("上市后", False), ("并购", False), ("定向增发", False), ("新三板", False), ("股权转让", False),
        ("债权融资", False), ("未披露", False), ("K轮", False), ("CD", False), ("", False), (None, False),
    ],
)  # fmt: skip
def test_is_c_plus(raw, expected):
    assert is_c_plus(raw) is expected


@given(st.one_of(st.none(), st.text()))
def test_normalize_round_total_and_idempotent(value):
    out = normalize_round(value)
    assert out is None or (isinstance(out, str) and out)
    assert normalize_round(out) == out


@given(st.one_of(st.none(), st.text()))
def test_is_c_plus_total_and_stable_under_normalisation(value):
    r = is_c_plus(value)
    assert isinstance(r, bool)
    assert is_c_plus(normalize_round(value)) is r
