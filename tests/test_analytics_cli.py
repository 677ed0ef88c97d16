"""`firms aggregate` and `firms sql` called in-process: every format's exact output, and every refusal.

The data is the golden fixture tests/golden_metrics/basic (its numbers are worked out by hand in
test_metrics_golden.py); these tests check how the numbers are written, not the numbers again.
"""

import io
import json
from pathlib import Path

import polars as pl
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

import fintech_firms as ff
from fintech_firms.cli import app
from fintech_firms.ingest.pipeline import IngestOptions, ingest
from fintech_firms.ingest.progress import Quiet

BASIC = Path(__file__).parent / "golden_metrics" / "basic" / "raw"
runner = CliRunner()


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("basic") / "parquet"
    ingest(BASIC, out, IngestOptions(), Quiet())
    return out


def run(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def aggregate(data: Path, *args: str):
    return run("aggregate", "--by", "region", "--with-total", "--data", data, *args)


TABLE = """\
区域          企业数  高新技术企业数  高新技术企业占比  专利数  发明专利数  发明专利占比  研发人员数  企业平均研发人员数  融资事件数  C轮及以后融资事件数  头部资本领投次数  企业平均头部资本领投次数
------------  ------  --------------  ----------------  ------  ----------  ------------  ----------  ------------------  ----------  -------------------  ----------------  ------------------------
京津冀             1               1            100.0%       3           2         66.7%          80                80.0           1                    1                 1                      1.00
长三角             2               1             50.0%       4           2         50.0%          30                15.0           1                    0                 1                      0.50
粤港澳大湾区       2               1             50.0%       5           3         60.0%         150                75.0           3                    1                 2                      1.00
成渝               1               0              0.0%       2           1         50.0%          40                40.0           1                    1                 1                      1.00
其他               1               0              0.0%       3           1         33.3%          20                20.0           1                    1                 0                      0.00
未知               1               0              0.0%       1           1        100.0%          10                10.0           0                    0                 0                      0.00
合计               8               3             37.5%      17           9         52.9%         330                41.3           7                    4                 5                      0.63
"""

CSV = """\
region,firms,hightech_firms,hightech_ratio,patents,invention_patents,invention_share,rd_staff,rd_per_firm,financing_events,c_plus_events,top_vc_leads,top_vc_leads_per_firm
京津冀,1,1,1.0,3,2,0.6666666666666666,80,80.0,1,1,1,1.0
长三角,2,1,0.5,4,2,0.5,30,15.0,1,0,1,0.5
粤港澳大湾区,2,1,0.5,5,3,0.6,150,75.0,3,1,2,1.0
成渝,1,0,0.0,2,1,0.5,40,40.0,1,1,1,1.0
其他,1,0,0.0,3,1,0.3333333333333333,20,20.0,1,1,0,0.0
未知,1,0,0.0,1,1,1.0,10,10.0,0,0,0,0.0
ALL,8,3,0.375,17,9,0.5294117647058824,330,41.25,7,4,5,0.625
"""

MD = """\
| 区域<br>`region` | 企业数<br>`firms` | 高新技术企业数<br>`hightech_firms` | 高新技术企业占比<br>`hightech_ratio` | 专利数<br>`patents` | 发明专利数<br>`invention_patents` | 发明专利占比<br>`invention_share` | 研发人员数<br>`rd_staff` | 企业平均研发人员数<br>`rd_per_firm` | 融资事件数<br>`financing_events` | C轮及以后融资事件数<br>`c_plus_events` | 头部资本领投次数<br>`top_vc_leads` | 企业平均头部资本领投次数<br>`top_vc_leads_per_firm` |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
| 京津冀 | 1 | 1 | 100.0% | 3 | 2 | 66.7% | 80 | 80.0 | 1 | 1 | 1 | 1.00 |
| 长三角 | 2 | 1 | 50.0% | 4 | 2 | 50.0% | 30 | 15.0 | 1 | 0 | 1 | 0.50 |
| 粤港澳大湾区 | 2 | 1 | 50.0% | 5 | 3 | 60.0% | 150 | 75.0 | 3 | 1 | 2 | 1.00 |
| 成渝 | 1 | 0 | 0.0% | 2 | 1 | 50.0% | 40 | 40.0 | 1 | 1 | 1 | 1.00 |
| 其他 | 1 | 0 | 0.0% | 3 | 1 | 33.3% | 20 | 20.0 | 1 | 1 | 0 | 0.00 |
| 未知 | 1 | 0 | 0.0% | 1 | 1 | 100.0% | 10 | 10.0 | 0 | 0 | 0 | 0.00 |
| 合计 | 8 | 3 | 37.5% | 17 | 9 | 52.9% | 330 | 41.3 | 7 | 4 | 5 | 0.63 |
"""


@pytest.mark.parametrize(("fmt", "expected"), [("table", TABLE), ("csv", CSV), ("md", MD)])
def test_aggregate_text_formats(data, fmt, expected):
    result = aggregate(data, "--format", fmt)
    assert result.exit_code == 0, result.output
    assert result.output == expected


def test_aggregate_json_is_an_array_of_row_objects_with_unrounded_ratios(data):
    result = aggregate(data, "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [r["region"] for r in rows] == ["京津冀", "长三角", "粤港澳大湾区", "成渝", "其他", "未知", "ALL"]
    assert rows[0] == {
        "region": "京津冀", "firms": 1, "hightech_firms": 1, "hightech_ratio": 1.0, "patents": 3,
        "invention_patents": 2, "invention_share": 2 / 3, "rd_staff": 80, "rd_per_firm": 80.0,
        "financing_events": 1, "c_plus_events": 1, "top_vc_leads": 1, "top_vc_leads_per_firm": 1.0,
    }
    assert rows[-1]["rd_per_firm"] == 41.25 and rows[-1]["invention_share"] == 9 / 17
    assert result.output.splitlines()[1].startswith('{"region": "京津冀", "firms": 1,')  # one row per line


def test_aggregate_json_writes_null_where_a_denominator_is_zero(data):
    result = run("aggregate", "--by", "city", "--min-patents", "0", "--data", data, "-f", "json")
    rows = {r["city"]: r for r in json.loads(result.output)}
    assert rows["广州"]["patents"] == 0 and rows["广州"]["invention_share"] is None


def test_aggregate_parquet_equals_the_python_api(data, tmp_path):
    out = tmp_path / "agg.parquet"
    result = aggregate(data, "--format", "parquet", "--out", out)
    assert result.exit_code == 0 and result.output == ""
    expected = ff.aggregate(data, by=["region"], with_total=True)
    assert pl.read_parquet(out).equals(expected)
    assert pl.read_parquet(out).schema == expected.schema


def test_aggregate_xlsx_has_labels_over_keys_and_numbers_as_numbers(data, tmp_path):
    out = tmp_path / "agg.xlsx"
    assert aggregate(data, "-f", "xlsx", "-o", out).exit_code == 0
    sheet = load_workbook(out).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("区域", "企业数", "高新技术企业数", "高新技术企业占比")
    assert rows[1][:4] == ("region", "firms", "hightech_firms", "hightech_ratio")
    assert rows[2] == ("京津冀", 1, 1, 1.0, 3, 2, 2 / 3, 80, 80.0, 1, 1, 1, 1.0)
    assert rows[-1][:3] == ("合计", 8, 3)
    assert sheet["D3"].number_format == "0.0%" and sheet["I3"].number_format == "0.0"
    again = tmp_path / "again.xlsx"
    aggregate(data, "-f", "xlsx", "-o", again)
    assert again.read_bytes() == out.read_bytes()  # no save time inside


def test_aggregate_out_writes_the_same_text_to_a_file(data, tmp_path):
    out = tmp_path / "deep" / "folder" / "region.csv"
    result = aggregate(data, "--format", "csv", "--out", out)
    assert result.exit_code == 0 and result.output == ""
    assert out.read_text(encoding="utf-8") == CSV


def test_aggregate_dimensions_in_the_order_given(data):
    result = run("aggregate", "--by", "tech,region", "--data", data, "-f", "csv")
    lines = result.output.splitlines()
    assert lines[0].startswith("tech,region,firms,")
    # tech in the taxonomy's order, then regions in the report's order
    assert [line.split(",")[0] for line in lines[1:]] == [
        "big_data", "blockchain", "ai", "cloud", "iot", "internet", "unclassified", "unclassified"]
    assert lines[-2].startswith("unclassified,长三角,1,") and lines[-1].startswith("unclassified,未知,1,")


def test_aggregate_sort_puts_the_largest_first(data):
    result = run("aggregate", "--by", "region", "--sort", "patents", "--data", data, "-f", "csv")
    assert [line.split(",")[0] for line in result.output.splitlines()[1:]] == [
        "粤港澳大湾区", "长三角", "京津冀", "其他", "成渝", "未知"]


def test_aggregate_region_and_city_keep_only_those_firms(data):
    result = run("aggregate", "--by", "city", "--region", "粤港澳大湾区", "--region", "京津冀",
                 "--data", data, "-f", "csv")
    assert [line.split(",")[:2] for line in result.output.splitlines()[1:]] == [
        ["北京", "1"], ["深圳", "2"]]


BAD_AGGREGATE = [
    (["--by", "country"], "unknown dimension 'country'; valid: region, province, city, tech"),
    (["--by", "region,region"], "dimension 'region' given twice; valid: region, province, city, tech"),
    (["--by", "region", "-f", "pdf"], "unknown format 'pdf'; valid: table, csv, json, parquet, md, xlsx"),
    (["--by", "region", "-f", "parquet"], "--format parquet writes a binary file: give --out FILE"),
    (["--by", "region", "-f", "xlsx"], "--format xlsx writes a binary file: give --out FILE"),
    (["--by", "region", "--tech-mode", "all"], "unknown tech mode 'all'; valid: primary, any"),
    (["--by", "region", "--sort", "size"], "unknown sort metric 'size'; valid: firms, hightech_firms,"),
]


@pytest.mark.parametrize(("args", "message"), BAD_AGGREGATE)
def test_aggregate_bad_options_list_the_valid_ones(data, args, message):
    result = run("aggregate", *args, "--data", data)
    assert result.exit_code == 2
    assert result.output.startswith(f"Error: {message}")
    assert "Traceback" not in result.output


def test_aggregate_without_data_says_to_ingest_first(tmp_path):
    result = run("aggregate", "--by", "region", "--data", tmp_path / "nowhere")
    assert result.exit_code == 2
    assert result.output == (f"Error: no data folder {tmp_path / 'nowhere'}: run `firms ingest` first, "
                             "or point --data at the folder it wrote\n")


def test_aggregate_names_the_missing_tables(data, tmp_path):
    partial = tmp_path / "partial"
    partial.mkdir()
    for name in ("firms", "patents", "financing"):
        (partial / f"{name}.parquet").write_bytes((data / f"{name}.parquet").read_bytes())
    result = run("aggregate", "--by", "region", "--data", partial)
    assert result.exit_code == 2
    assert result.output == (f"Error: {partial} lacks firm_tracks.parquet, patent_applicants.parquet, "
                             "hightech.parquet, quarantine.parquet: run `firms ingest` to write the tables there\n")


def test_aggregate_on_a_damaged_table_names_the_problem(data, tmp_path):
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    for path in data.glob("*.parquet"):
        (damaged / path.name).write_bytes(path.read_bytes())
    (damaged / "patents.parquet").write_bytes(b"not parquet at all")
    result = run("aggregate", "--by", "region", "--data", damaged)
    assert result.exit_code == 2
    assert result.output.startswith(f"Error: cannot read the tables in {damaged}:")
    assert "Traceback" not in result.output


SQL_TABLE = """\
firm_id  name                      city  rd_staff  former_names
-------  ------------------------  ----  --------  ------------
      1  深圳链通科技有限公司      深圳       100  []
      2  深圳云帆数据有限公司      深圳        50  []
      3  北京智语科技有限公司      北京        80  []
      4  上海汇付网络科技有限公司  上海      NULL  []
"""
SQL_QUERY = "select firm_id, name, city, rd_staff, former_names from firms order by firm_id limit 4"


def test_sql_table_shows_the_query_columns_as_they_are(data):
    result = run("sql", SQL_QUERY, "--data", data)
    assert result.exit_code == 0, result.output
    assert result.output == SQL_TABLE


@pytest.mark.parametrize(("fmt", "expected"), [
    ("csv", "firm_id,name,city,rd_staff,former_names\n1,深圳链通科技有限公司,深圳,100,[]\n"
            "2,深圳云帆数据有限公司,深圳,50,[]\n"),
    ("json", '[\n{"firm_id": 1, "name": "深圳链通科技有限公司", "city": "深圳", "rd_staff": 100, "former_names": []},\n'
             '{"firm_id": 2, "name": "深圳云帆数据有限公司", "city": "深圳", "rd_staff": 50, "former_names": []}\n]\n'),
    ("md", "| `firm_id` | `name` | `city` | `rd_staff` | `former_names` |\n| ---: | --- | --- | ---: | --- |\n"
           "| 1 | 深圳链通科技有限公司 | 深圳 | 100 | [] |\n| 2 | 深圳云帆数据有限公司 | 深圳 | 50 | [] |\n"),
])
def test_sql_formats(data, fmt, expected):
    result = run("sql", SQL_QUERY.replace("limit 4", "limit 2"), "--data", data, "--format", fmt)
    assert result.exit_code == 0, result.output
    assert result.output == expected


def test_sql_binary_formats_round_trip(data, tmp_path):
    query = "select region, count(*) as firms from firms group by region order by firms desc, region"
    assert run("sql", query, "--data", data, "-f", "parquet", "-o", tmp_path / "q.parquet").exit_code == 0
    con = ff.connect(data)  # kept: DuckDB 1.2 closes a connection nothing refers to, under its relation
    expected = con.sql(query).pl()
    assert pl.read_parquet(tmp_path / "q.parquet").equals(expected)
    assert run("sql", query, "--data", data, "-f", "xlsx", "-o", tmp_path / "q.xlsx").exit_code == 0
    rows = list(load_workbook(tmp_path / "q.xlsx").active.iter_rows(values_only=True))
    assert rows[:2] == [("region", "firms"), ("粤港澳大湾区", 3)]  # a query's columns: one header row


def test_sql_reads_the_query_from_a_file(data, tmp_path):
    query = tmp_path / "q.sql"
    query.write_text("-- firms per city\nselect city, count(*) as n from firms\n"
                     "where city is not null group by city order by n desc, city limit 2;\n", encoding="utf-8")
    result = run("sql", "--file", query, "--data", data, "-f", "csv")
    assert result.exit_code == 0, result.output
    assert result.output == "city,n\n深圳,2\n上海,1\n"  # F1 and F2


def test_sql_table_shows_max_rows_and_says_so(data):
    result = run("sql", "select firm_id from firms order by firm_id", "--data", data, "--max-rows", "2")
    assert result.exit_code == 0
    assert result.stdout == "firm_id\n-------\n      1\n      2\n"
    assert result.stderr == "(first 2 rows shown; --max-rows or --format csv for all)\n"


def test_sql_sees_every_contract_table_and_the_stored_models(data):
    result = run("sql", "show tables", "--data", data, "-f", "csv")
    assert result.output.splitlines() == [
        "name", "cell_issues", "fct_firm_patent_years", "fct_shared_patents", "financing", "firm_tracks",
        "firms", "hightech", "patent_applicants", "patents", "quarantine"]


def test_sql_may_read_files_inside_the_data_folder(data):
    query = f"select count(*) as n from read_parquet('{data / 'firms.parquet'}')"
    result = run("sql", query, "--data", data, "-f", "csv")
    assert result.exit_code == 0, result.output
    assert result.output == "n\n9\n"


REFUSED = "Error: refused: firms sql is read-only and runs only queries (SELECT, WITH, FROM, SHOW, DESCRIBE, SUMMARIZE), not "


@pytest.mark.parametrize(("query", "keyword"), [
    ("COPY firms TO '{tmp}/firms.csv'", "COPY"),
    ("copy (select * from firms) to '{data}/inside.csv'", "COPY"),
    ("INSERT INTO firms SELECT * FROM firms", "INSERT"),
    ("CREATE TABLE copied AS SELECT * FROM firms", "CREATE"),
    ("create view v as select 1", "CREATE"),
    ("ATTACH '{tmp}/other.duckdb' AS other", "ATTACH"),
    ("INSTALL httpfs", "INSTALL"),
    ("LOAD httpfs", "LOAD"),
    ("UPDATE firms SET name = 'x'", "UPDATE"),
    ("DELETE FROM firms", "DELETE"),
    ("DROP VIEW firms", "DROP"),
    ("SET enable_external_access = true", "SET"),
    ("PRAGMA enable_profiling", "PRAGMA"),
    ("CALL pragma_version()", "CALL"),
    ("EXPORT DATABASE '{tmp}/export'", "EXPORT"),
    ("-- a comment first\ncopy firms to '{tmp}/c.csv'", "COPY"),
])
def test_sql_refuses_statements_that_are_not_queries(data, tmp_path, query, keyword):
    # "--" ends the options, so that a query may start with a comment
    result = run("sql", "--data", data, "--", query.format(tmp=tmp_path, data=data))
    assert result.exit_code == 2
    assert result.output.startswith(REFUSED + keyword + ".")
    assert list(tmp_path.iterdir()) == [] and not (data / "inside.csv").exists()


@pytest.mark.parametrize("query", [
    "select * from read_csv('/etc/passwd')",
    "select * from read_text('/etc/hostname')",
    "select * from '{data}/../outside.csv'",
    "select * from glob('/etc/*')",
    "select * from read_parquet('{data}/../elsewhere.parquet')",
])
def test_sql_refuses_to_read_files_outside_the_data_folder(data, query):
    (data.parent / "elsewhere.parquet").write_bytes((data / "firms.parquet").read_bytes())
    (data.parent / "outside.csv").write_text("a\n1\n", encoding="utf-8")
    result = run("sql", query.format(data=data), "--data", data)
    assert result.exit_code == 2
    assert result.output.startswith(f"Error: refused: firms sql reads only the tables in {data} (")
    assert "Traceback" not in result.output


def test_sql_refuses_more_than_one_statement(data):
    result = run("sql", "select 1; drop view firms", "--data", data)
    assert result.exit_code == 2
    assert result.output == "Error: refused: firms sql runs one query at a time, and this text holds 2\n"


def test_sql_shows_duckdb_errors_without_a_traceback(data):
    result = run("sql", "select nope from firms", "--data", data)
    assert result.exit_code == 2
    assert result.output.startswith('Error: Binder Error: Referenced column "nope" not found in FROM clause!')
    result = run("sql", "selec 1", "--data", data)
    assert result.exit_code == 2
    assert result.output.startswith('Error: Parser Error: syntax error at or near "selec"')


@pytest.mark.parametrize(("args", "message"), [
    ([], "give the query as an argument or with --file, not both and not neither"),
    (["select 1", "--file", "q.sql"], "give the query as an argument or with --file, not both and not neither"),
    (["  "], "the query is empty"),
    (["--file", "missing.sql"], "cannot read missing.sql: No such file or directory"),
])
def test_sql_bad_arguments(data, args, message):
    result = run("sql", *args, "--data", data)
    assert result.exit_code == 2
    assert result.output == f"Error: {message}\n"


def test_connect_gives_a_connection_that_is_the_users_own(data, tmp_path):
    con = ff.connect(data)
    assert con.sql("select count(*) from patents").fetchall() == [(18,)]
    con.execute("create table mine as select 1 as x")  # not read-only: the notebook's connection
    assert con.sql("select x from mine").fetchall() == [(1,)]
    con.close()


def test_parquet_output_is_byte_identical_across_runs(data, tmp_path):
    first, second = tmp_path / "a.parquet", tmp_path / "b.parquet"
    for out in (first, second):
        assert run("aggregate", "--by", "region,tech", "--data", data, "-f", "parquet", "-o", out).exit_code == 0
    assert first.read_bytes() == second.read_bytes()
    assert pl.read_parquet(io.BytesIO(first.read_bytes())).height == 8  # one group per firm here


def test_a_region_or_city_no_firm_has_is_named_with_the_valid_ones(data):
    result = run("aggregate", "--by", "city", "--region", "京津翼", "--data", data)
    assert result.exit_code == 2
    assert result.output == ("Error: no firm has region '京津翼'; region values in the data: "
                             "京津冀, 长三角, 粤港澳大湾区, 成渝, 其他, 未知\n")
    result = run("aggregate", "--by", "city", "--city", "深圳市", "--data", data)
    assert result.output == ("Error: no firm has city '深圳市'; city values in the data: "
                             "上海, 北京, 广州, 惠州, 成都, 杭州, 深圳\n")


@pytest.mark.parametrize(("args", "message"), [
    (["--top-regions", "京津冀,华南"], "no firm has region '华南'; region values in the data: "
                                       "京津冀, 长三角, 粤港澳大湾区, 成渝, 其他, 未知"),
    (["--top-regions", " , "], "--top-regions needs at least one region"),
    (["--tech-mode", "every"], "unknown tech mode 'every'; valid: primary, any"),
    (["--as-of", "1990"], None),
])
def test_tables_bad_options(data, tmp_path, args, message):
    result = run("tables", "--data", data, "--out", tmp_path / "t", *args)
    if message is None:  # a year before every patent: an empty universe is a result, not an error
        assert result.exit_code == 0, result.output
        assert (tmp_path / "t" / "by_region.csv").read_text(encoding="utf-8").splitlines()[1].startswith("ALL,0,")
        return
    assert result.exit_code == 2
    assert result.output == f"Error: {message}\n"
    assert not (tmp_path / "t").exists()


def test_tables_out_must_be_a_folder(data, tmp_path):
    (tmp_path / "file").write_text("x", encoding="utf-8")
    result = run("tables", "--data", data, "--out", tmp_path / "file")
    assert result.exit_code == 2
    assert result.output == f"Error: {tmp_path / 'file'} is a file; --out takes a folder\n"


UNUSUAL = ("select 1::hugeint as h, interval 1 day as i, [1, 2] as l, {'a': 1} as s, 'a'::blob as b, "
           "1.5::decimal(10, 2) as d, map {'k': 1} as m, union_value(k := 1) as u")


@pytest.mark.parametrize(("fmt", "expected"), [
    ("table", "h  i      l       s         b      d  m      u\n-  -----  ------  --------  --  ----  -----  -\n"
              "1  1 day  [1, 2]  {'a': 1}  61  1.50  {k=1}  1\n"),
    ("json", '[\n{"h": 1, "i": "1 day", "l": [1, 2], "s": "{\'a\': 1}", "b": "61", "d": 1.5, "m": "{k=1}", '
             '"u": "1"}\n]\n'),
    ("csv", "h,i,l,s,b,d,m,u\n1,1 day,\"[1, 2]\",{'a': 1},61,1.50,{k=1},1\n"),
])
def test_sql_shows_types_polars_cannot_read_as_duckdb_text(data, fmt, expected):
    # intervals, maps, unions and structs come back as DuckDB's text; blobs as hex
    result = run("sql", UNUSUAL, "--data", data, "-f", fmt)
    assert result.exit_code == 0, result.output
    assert result.output == expected


def test_sql_unusual_types_in_binary_formats(data, tmp_path):
    assert run("sql", UNUSUAL, "--data", data, "-f", "xlsx", "-o", tmp_path / "u.xlsx").exit_code == 0
    rows = list(load_workbook(tmp_path / "u.xlsx").active.iter_rows(values_only=True))
    assert rows == [("h", "i", "l", "s", "b", "d", "m", "u"), (1, "1 day", "[1, 2]", "{'a': 1}", "61", 1.5, "{k=1}", "1")]
    assert run("sql", UNUSUAL, "--data", data, "-f", "parquet", "-o", tmp_path / "u.parquet").exit_code == 0
    assert pl.read_parquet(tmp_path / "u.parquet").row(0)[1:3] == ("1 day", [1, 2])


def test_sql_names_a_repeated_column(data):
    result = run("sql", "select 1 as a, 2 as a", "--data", data)
    assert result.exit_code == 2
    assert result.output == ("Error: the result has more than one column named 'a': "
                             "give each column its own name with AS\n")
