"""The raw folder of the FIRE index's golden test (see tests/test_index_golden.py for what it holds)."""

from __future__ import annotations

from pathlib import Path

CITY_STAT_CODES = ("gdp", "tertiary_share", "population_size", "population_structure", "incubators",
                   "business_environment", "web_attention", "inclusive_finance")
# (city, year) -> the eight statistics in CITY_STAT_CODES order.
CITY_STATS = {
    ("北京", 2020): (100, 80, 20, 70, 40, 90, 1000, 300),
    ("天津", 2020): (50, 60, 10, 70, 20, 60, 500, 250),
    ("上海", 2020): (80, 75, 25, 68, 30, 85, 900, 310),
    ("北京", 2021): (110, 81, 20, 70, 44, 90, 1100, 330),
    ("天津", 2021): (55, 60, 11, 69, 18, 66, 450, 260),
    ("上海", 2021): (90, 76, 25, 70, 30, 88, 1000, 320),
}


def write(path: Path, text: str) -> None:
    path.write_text(text.strip() + "\n", encoding="utf-8")


def city_stats_lines() -> list[str]:
    lines = ["city,year,indicator,value"]
    for (city, year), values in CITY_STATS.items():
        lines += [f"{city},{year},{code},{value}" for code, value in zip(CITY_STAT_CODES, values)]
    return lines


def write_raw(raw: Path, *, city_stats: bool = True) -> Path:
    raw.mkdir(parents=True, exist_ok=True)
    write(raw / "regions.csv", "city,province,region\n北京,北京市,京津冀\n天津,天津市,京津冀\n上海,上海市,长三角")
    write(raw / "firms.csv", """
name,city,rd_staff,has_patent_transfer
北京甲科技有限公司,北京,100,是
北京乙科技有限公司,北京市,50,否
天津丙科技有限公司,天津,40,是
上海丁科技有限公司,上海,,否
上海戊科技有限公司,上海,500,是
""")
    write(raw / "patents.csv", """
app_no,applicants
202010000001,北京甲科技有限公司;北京乙科技有限公司
202020000002,北京甲科技有限公司;天津丙科技有限公司
202110000003,上海丁科技有限公司;清华大学
201910000004,北京乙科技有限公司
201720000005,天津丙科技有限公司
202120000006,复旦大学
202010000007,清华大学;北京大学
""")
    write(raw / "financing.csv", """
firm_name,date,round,lead_investors
北京甲科技有限公司,2020-05-01,C轮,红杉资本中国
北京甲科技有限公司,2021-03-01,B轮,远望投资
天津丙科技有限公司,2021-06-01,D轮,IDG资本
上海丁科技有限公司,2019-01-01,A轮,
上海戊科技有限公司,2021-02-01,C轮,红杉中国
""")
    write(raw / "hightech.csv", """
name,issue_date
北京甲科技有限公司,2019-10-01
天津丙科技有限公司,2018-01-01
上海丁科技有限公司,2021-01-01
""")
    if city_stats:
        write(raw / "city_stats.csv", "\n".join(city_stats_lines()))
    return raw
