"""The demo's city_stats.csv: the FIRE index's eight city statistics for the 59 cities, INVENTED.

The values are not data. GDP and population start from round magnitudes of the order of each city's
public figures (so that 北京 and 上海 are large and 拉萨 small, as in life) and everything else is drawn
around them with a seeded generator: the tertiary-industry share, the working-age share (人口结构),
incubators, a business-environment index (0-100), web attention and a PKU-style inclusive-finance
index (about 250-400), for every year 2003-2021 (the years of the demo's 12-digit application
numbers). docs/demo-data.md says so too.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from .plan import AS_OF

FIRST_YEAR = 2003  # the first year of the demo's 12-digit application numbers
COLUMNS = ["city", "year", "indicator", "value"]
# (GDP 亿元, resident population 万人) in the snapshot year: round orders of magnitude.
CITY_SIZES: dict[str, tuple[int, int]] = {
    "北京": (40000, 2190), "天津": (15700, 1370), "石家庄": (6500, 1120), "唐山": (8200, 770),
    "上海": (43000, 2490), "南京": (16400, 940), "苏州": (22700, 1280), "无锡": (14000, 750),
    "常州": (8800, 530), "南通": (11000, 770), "泰州": (6000, 450), "杭州": (18100, 1220),
    "宁波": (14600, 950), "温州": (7600, 960), "嘉兴": (6400, 550), "绍兴": (6800, 530),
    "金华": (5400, 710), "台州": (5800, 670), "合肥": (11400, 950), "深圳": (30700, 1770),
    "广州": (28200, 1880), "东莞": (10900, 1050), "佛山": (12200, 960), "成都": (19900, 2120),
    "重庆": (27900, 3210), "武汉": (17700, 1360), "襄阳": (5300, 530), "宜昌": (5000, 390),
    "长沙": (13300, 1020), "南昌": (6700, 640), "福州": (11300, 840), "厦门": (7000, 530),
    "泉州": (11300, 890), "漳州": (5000, 510), "济南": (11400, 920), "青岛": (14100, 1030),
    "烟台": (8700, 710), "潍坊": (7000, 940), "淄博": (4200, 470), "沈阳": (7200, 910),
    "大连": (7800, 750), "长春": (7100, 910), "哈尔滨": (5400, 990), "郑州": (12700, 1270),
    "洛阳": (5400, 710), "徐州": (8100, 910), "临沂": (5500, 1100), "南宁": (5100, 880),
    "海口": (2100, 290), "西安": (10700, 1320), "兰州": (3200, 440), "西宁": (1500, 250),
    "银川": (2300, 290), "乌鲁木齐": (3700, 410), "昆明": (7200, 850), "贵阳": (4700, 610),
    "拉萨": (700, 90), "太原": (5100, 540), "呼和浩特": (3100, 350),
}  # fmt: skip
INDICATORS = ("gdp", "tertiary_share", "population_size", "population_structure", "incubators",
              "business_environment", "web_attention", "inclusive_finance")


def city_stats_frame(seed: int) -> pl.DataFrame:
    """Every (city, year, indicator) of the demo, values rounded as statistics are published."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 11]))  # its own stream: the other files stay as they were
    years = list(range(FIRST_YEAR, AS_OF + 1))
    rows = []
    for city, (gdp, population) in CITY_SIZES.items():
        size = np.log(gdp) - np.log(700)  # 0 for the smallest city, about 4.1 for the largest
        level = {
            "gdp": float(gdp),
            "tertiary_share": 45 + 8 * size + rng.normal(0, 3),
            "population_size": float(population),
            "population_structure": 66 + 2 * size + rng.normal(0, 2),
            "incubators": gdp / 120 * rng.lognormal(0, 0.35),
            "business_environment": 45 + 11 * size + rng.normal(0, 4),
            "web_attention": 3000 * np.exp(0.9 * size) * rng.lognormal(0, 0.3),
            "inclusive_finance": 300 + 20 * size + rng.normal(0, 8),
        }
        # Yearly growth per city and indicator; the snapshot year is the level above, earlier years
        # are divided back from it.
        growth = {
            "gdp": rng.uniform(0.03, 0.12), "tertiary_share": rng.uniform(0.0, 0.02),
            "population_size": rng.uniform(0.0, 0.03), "population_structure": rng.uniform(-0.005, 0.005),
            "incubators": rng.uniform(0.0, 0.25), "business_environment": rng.uniform(0.0, 0.06),
            "web_attention": rng.uniform(-0.03, 0.25), "inclusive_finance": rng.uniform(0.01, 0.08),
        }
        for indicator in INDICATORS:
            for year in years:
                value = level[indicator] / (1 + growth[indicator]) ** (AS_OF - year)
                if indicator in ("tertiary_share", "population_structure"):
                    value = min(value, 88.0)
                rows.append((city, year, indicator, _published(indicator, value)))
    return pl.DataFrame(rows, schema={c: pl.Utf8 for c in COLUMNS}, orient="row")


def _published(indicator: str, value: float) -> str:
    if indicator in ("incubators",):
        return str(max(1, round(value)))
    if indicator in ("gdp", "population_size", "web_attention"):
        return f"{value:.0f}"
    return f"{value:.2f}"
