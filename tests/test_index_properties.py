"""Properties of the FIRE index's scoring (sql/idx_tertiary_scores.sql .. idx_scores.sql), on random
raw values of random cities: the base year's best city scores exactly 10; raising a raw input never
lowers the city's total; a region is the mean of its cities at every level; the tree's weights act
as the arithmetic says; a negative count is an error."""

from __future__ import annotations

from fractions import Fraction

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fintech_firms.errors import InputError
from fintech_firms.fire.compute import score_values
from fintech_firms.reference.indicators import Tree, check_tree, load_tree

TREE = load_tree(None)
TERTIARY = TREE.codes("tertiary")
CITY_NAMES = ["北京", "天津", "上海", "深圳", "成都"]
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def cases(draw):
    n = draw(st.integers(2, 5))
    cities = CITY_NAMES[:n]
    regions = [draw(st.sampled_from(["甲", "乙"])) for _ in cities]
    value = st.one_of(st.integers(0, 5000).map(float), st.floats(0, 1e6, allow_nan=False, allow_infinity=False))
    rows = [(c, y, code, draw(value)) for c in cities for y in (2020, 2021) for code in TERTIARY]
    values = pl.DataFrame(rows, schema={"city": pl.Utf8, "year": pl.Int64, "indicator": pl.Utf8, "value": pl.Float64},
                          orient="row")
    return values, pl.DataFrame({"city": cities, "region": regions}), draw(st.sampled_from(["log", "linear"]))


def _scores(values, cities, scaling, tree: Tree = TREE) -> pl.DataFrame:
    return score_values(values, tree, cities, year=2021, base_year=2020, scaling=scaling)


@SETTINGS
@given(cases())
def test_base_years_best_city_scores_exactly_ten(case) -> None:
    values, cities, scaling = case
    frame = _scores(values, cities, scaling).filter((pl.col("entity_kind") == "city") & (pl.col("level") == "tertiary"))
    for code in TERTIARY:
        rows = frame.filter(pl.col("indicator") == code)
        if rows["base_value"].max() > 0:
            assert rows["base_score"].max() == 10.0
            assert rows.filter(pl.col("base_value") == rows["base_value"].max())["base_score"].to_list() == [10.0] * \
                rows.filter(pl.col("base_value") == rows["base_value"].max()).height
        else:
            assert rows["base_score"].to_list() == [0.0] * rows.height


@SETTINGS
@given(cases(), st.data())
def test_raising_a_raw_input_never_lowers_the_total(case, data) -> None:
    values, cities, scaling = case
    city = data.draw(st.sampled_from(cities["city"].to_list()))
    code = data.draw(st.sampled_from(TERTIARY))
    year = data.draw(st.sampled_from([2020, 2021]))
    more = data.draw(st.floats(0.5, 1e5))
    raised = values.with_columns(
        pl.when((pl.col("city") == city) & (pl.col("indicator") == code) & (pl.col("year") == year))
        .then(pl.col("value") + more).otherwise(pl.col("value")).alias("value"))
    column = "score" if year == 2021 else "base_score"

    def total(frame):
        return _scores(frame, cities, scaling).filter(
            (pl.col("entity") == city) & (pl.col("indicator") == "fire"))[column].item()

    assert total(raised) >= total(values) - 1e-12


@SETTINGS
@given(cases())
def test_a_region_is_the_mean_of_its_cities_at_every_level(case) -> None:
    values, cities, scaling = case
    frame = _scores(values, cities, scaling)
    city_rows = frame.filter(pl.col("entity_kind") == "city")
    means = city_rows.group_by("region", "indicator").agg(pl.col("score").mean().alias("mean"),
                                                          pl.col("base_score").mean().alias("base_mean"))
    region_rows = frame.filter(pl.col("entity_kind") == "region").join(
        means, left_on=["entity", "indicator"], right_on=["region", "indicator"])
    assert region_rows.height == frame.filter(pl.col("entity_kind") == "region").height
    assert region_rows.height == cities["region"].n_unique() * 33
    for row in region_rows.iter_rows(named=True):
        assert row["score"] == pytest.approx(row["mean"], rel=1e-12, abs=1e-12)
        assert row["base_score"] == pytest.approx(row["base_mean"], rel=1e-12, abs=1e-12)


@SETTINGS
@given(cases(), st.lists(st.integers(1, 9), min_size=4, max_size=4))
def test_weights_act_as_the_arithmetic_says(case, parts) -> None:
    values, cities, scaling = case
    weights = [Fraction(p, sum(parts)) for p in parts]
    frame = TREE.frame.with_columns(pl.col("weight").cast(pl.Utf8))
    firsts = TREE.codes("first")
    for code, weight in zip(firsts, weights):
        frame = frame.with_columns(pl.when(pl.col("code") == code).then(pl.lit(str(weight)))
                                   .otherwise(pl.col("weight")).alias("weight"))
    tree = check_tree(frame.drop("position"), "indicators.csv")
    scored = _scores(values, cities, scaling, tree).filter(pl.col("entity_kind") == "city")
    for city in cities["city"]:
        rows = scored.filter(pl.col("entity") == city)
        score = dict(zip(rows["indicator"], rows["score"]))
        expected = sum(float(w) * score[c] for c, w in zip(firsts, weights))
        assert score["fire"] == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_a_negative_count_is_an_error() -> None:
    values = pl.DataFrame({"city": ["北京"], "year": [2021], "indicator": ["gdp"], "value": [-1.0]})
    with pytest.raises(InputError, match="negative value -1 for 北京 2021 gdp"):
        score_values(values, TREE, pl.DataFrame({"city": ["北京"], "region": ["甲"]}), year=2021, base_year=2020)


def test_a_base_maximum_too_small_for_the_log_scores_by_the_limit() -> None:
    # Found by the region-mean property: 1 + 1.5711e-179 rounds to 1, so ln(1 + x) / ln(1 + max) was 0 / 0
    # (NaN) for every city; the log scale's limit there is x / max, so the best city still scores 10.
    rows = [(c, y, code, 1.5711e-179 if (c, y, code) == ("北京", 2020, "population_size") else 0.0)
            for c in ("北京", "天津") for y in (2020, 2021) for code in TERTIARY]
    values = pl.DataFrame(rows, schema={"city": pl.Utf8, "year": pl.Int64, "indicator": pl.Utf8, "value": pl.Float64},
                          orient="row")
    frame = _scores(values, pl.DataFrame({"city": ["北京", "天津"], "region": ["甲", "甲"]}), "log")
    assert frame["score"].is_nan().sum() == 0 and frame["base_score"].is_nan().sum() == 0
    scores = frame.filter((pl.col("indicator") == "population_size") & (pl.col("entity_kind") == "city"))
    assert dict(zip(scores["entity"], scores["base_score"])) == {"北京": 10.0, "天津": 0.0}
