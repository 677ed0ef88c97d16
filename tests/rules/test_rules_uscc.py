import pytest
from hypothesis import given
from hypothesis import strategies as st

from fintech_firms.rules.uscc import check_char, is_valid_uscc, normalize_uscc

VALID = ["914403001922038216", "91440300708461136T", "91110000802100433B"]
CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, ""),
        ("", ""),
        ("  ", ""),
        ("91440300708461136t", "91440300708461136T"),
        (" 9144 0300 7084 6113 6T ", "91440300708461136T"),
        ("９１４４０３００７０８４６１１３６Ｔ", "91440300708461136T"),
        ("9144\u30000300\u00a0708461136T\n", "91440300708461136T"),
        ("abc", "ABC"),
    ],
)
def test_normalize_uscc(raw, expected):
    assert normalize_uscc(raw) == expected


@pytest.mark.parametrize("code", VALID)
def test_valid_vectors(code):
    assert is_valid_uscc(code)
    assert check_char(code[:17]) == code[17]


@pytest.mark.parametrize("code", VALID)
def test_changing_the_check_char_invalidates(code):
    for ch in CHARSET:
        if ch != code[17]:
            assert not is_valid_uscc(code[:17] + ch)


@pytest.mark.parametrize(
    "raw",
    [
        "91440300708461136t",
        "91110000802100433b",
        " 9111 0000 8021 0043 3B ",
        "９１１１００００８０２１００４３３Ｂ",
    ],
)
def test_valid_after_normalisation(raw):
    assert is_valid_uscc(raw)


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "91440300708461136",  # 17 chars
        "91440300708461136TT",  # 19 chars
        "91440300708461136I",  # I not in code set
        "91440300708461136O",
        "91440300708461136Z",
        "91440300708461136S",
        "91440300708461136V",
        "9144030070846113-T",
        "914403001922038217",
        "91440300708461136X",
        "91110000802100433C",
        "91110000802100433-",
    ],
)
def test_invalid(raw):
    assert not is_valid_uscc(raw)


def test_check_char_rejects_bad_input():
    assert check_char("123") is None
    assert check_char("9144030070846113I") is None


@given(st.one_of(st.none(), st.text()))
def test_normalize_uscc_total_and_idempotent(value):
    out = normalize_uscc(value)
    assert normalize_uscc(out) == out


@given(st.one_of(st.none(), st.text()))
def test_is_valid_uscc_total(value):
    assert isinstance(is_valid_uscc(value), bool)


@given(st.text(alphabet=CHARSET, min_size=17, max_size=17))
def test_computed_check_char_validates_and_others_fail(body):
    c = check_char(body)
    assert is_valid_uscc(body + c)
    assert is_valid_uscc((body + c).lower())
    other = CHARSET[(CHARSET.index(c) + 1) % len(CHARSET)]
    assert not is_valid_uscc(body + other)
