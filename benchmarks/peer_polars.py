"""The benchmark's polars peer: the region x tech table written by hand for speed.

    python benchmarks/peer_polars.py RAW_DIR --out TABLE.csv [--as-of Y]

The same table, rules and omissions as benchmarks/peer_pandas.py (read its docstring for what both
leave out compared with the engine), written the way someone who knows polars writes for speed: CSV
files scanned lazily with only the columns used, the xlsx read by calamine, every string rule a
vectorised expression (no per-row Python; plain Python only over the few hundred distinct cities and
the reference tables), firms keyed by integers. It must equal `fintech_firms.aggregate(parquet_dir,
by=["region", "tech"])` after `firms ingest RAW --fuzzy-threshold 101` on the demo data.
"""

from __future__ import annotations

import argparse
import codecs
import datetime
import sys
import unicodedata
from pathlib import Path

import polars as pl

REFERENCE_DIR = Path(__file__).resolve().parents[1] / "src" / "fintech_firms" / "reference"
THIS_YEAR = datetime.date.today().year

COLUMNS = ["region", "tech", "firms", "hightech_firms", "hightech_ratio", "patents", "invention_patents",
           "invention_share", "rd_staff", "rd_per_firm"]

CHINESE_HEADERS = {
    "企业名称": "name", "统一社会信用代码": "uscc", "曾用名": "former_names", "省份": "province",
    "城市": "city", "所属赛道": "tracks", "赛道": "tracks", "研发人员数量": "rd_staff",
    "是否有专利转让许可": "has_patent_transfer", "成立日期": "founded", "申请号": "app_no",
    "专利类型": "patent_type", "申请日": "app_date", "申请人": "applicants", "IPC主分类号": "ipc",
    "授权日": "grant_date", "法律状态": "legal_status", "证书编号": "cert_no", "发证日期": "issue_date",
}

# Python's str.isspace set (Rust's \s lacks \x1c-\x1f) and the zero-width characters.
SPACES = "[\\s\\x1c-\\x1f\u200b-\u200d\u2060\ufeff]+"
LIST_SEPARATORS = "[;；,，、|｜]"
# Characters whose Unicode case folding differs from lower-casing (ß -> ss, ς -> σ, ...; all in the
# BMP), and Σ, which lower-cases to ς at the end of a word: the few names holding one are folded in
# Python, the rest by polars' to_lowercase.
FOLD_DIFFERS = "Σ" + "".join(c for c in map(chr, range(0x10000))
                             if not 0xD800 <= ord(c) < 0xE000 and c.casefold() != c.lower())

TECH_LABELS = {"大数据": "big_data", "区块链": "blockchain", "人工智能": "ai", "云计算": "cloud",
               "物联网": "iot", "互联网": "internet"}
PROVINCES = ("河北省", "山西省", "辽宁省", "吉林省", "黑龙江省", "江苏省", "浙江省", "安徽省", "福建省",
             "江西省", "山东省", "河南省", "湖北省", "湖南省", "广东省", "海南省", "四川省", "贵州省", "云南省",
             "陕西省", "甘肃省", "青海省", "台湾省", "内蒙古自治区", "广西壮族自治区", "西藏自治区",
             "宁夏回族自治区", "新疆维吾尔自治区", "香港特别行政区", "澳门特别行政区")
MUNICIPALITIES = ("北京市", "天津市", "上海市", "重庆市")
PROVINCE_SUFFIXES = ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省")

USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
APP_NO_WEIGHTS = {12: (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5), 8: (2, 3, 4, 5, 6, 7, 8, 9)}
TYPE_DIGITS = {"1": "invention", "8": "invention", "2": "utility", "9": "utility", "3": "design"}
TYPE_WORDS = {
    "发明": "invention", "发明专利": "invention", "发明申请": "invention", "发明授权": "invention",
    "invention": "invention", "inventionpatent": "invention", "实用新型": "utility",
    "实用新型专利": "utility", "utility": "utility", "utilitymodel": "utility",
    "utilitymodelpatent": "utility", "外观设计": "design", "外观设计专利": "design", "外观": "design",
    "design": "design", "designpatent": "design",
}


# --- reading ------------------------------------------------------------------------------------

def find_file(folder: Path, stem: str) -> Path | None:
    for path in sorted(folder.iterdir()):
        if path.stem.lower() == stem and path.suffix.lower() in (".csv", ".xlsx"):
            return path
    return None


def contract_header(header: str) -> str:
    name = CHINESE_HEADERS.get(header, header.lower().replace(" ", "_"))
    return "name" if name == "firm_name" else name


def read_table(path: Path, wanted: list[str], headers=contract_header) -> pl.DataFrame:
    """The wanted contract columns (missing ones as nulls) as trimmed text, blank cells null."""
    if path.suffix.lower() == ".xlsx":
        return _finish(pl.read_excel(path, engine="calamine", infer_schema_length=0).lazy(), wanted, headers)
    try:
        # UTF-8 when its start says so (polars stops on a bad byte further on); else GB18030, which
        # decodes almost any bytes and so cannot be tried first, transcoded once.
        with path.open("rb") as file:
            codecs.getincrementaldecoder("utf-8")().decode(file.read(1 << 16), final=False)
        return _finish(pl.scan_csv(path, infer_schema=False), wanted, headers)
    except (UnicodeDecodeError, pl.exceptions.ComputeError):
        data = path.read_bytes().decode("gb18030").encode("utf-8")
        return _finish(pl.read_csv(data, infer_schema=False).lazy(), wanted, headers)


def _mapping(names, wanted, headers) -> dict[str, str]:
    mapping = {}
    for name in names:
        contract = headers(unicodedata.normalize("NFKC", name.lstrip("\ufeff")).strip())
        if contract in wanted and contract not in mapping.values():
            mapping[name] = contract
    return mapping


def _finish(frame: pl.LazyFrame, wanted, headers) -> pl.DataFrame:
    mapping = _mapping(frame.collect_schema().names(), wanted, headers)
    frame = frame.select([pl.col(k).alias(v) for k, v in mapping.items()])
    frame = frame.with_columns(pl.col(c).str.strip_chars().replace("", None) for c in mapping.values())
    missing = [pl.lit(None, pl.String).alias(c) for c in wanted if c not in mapping.values()]
    return (frame.with_columns(missing) if missing else frame).select(wanted).collect()


def reference_table(raw_dir: Path, stem: str, wanted: list[str]) -> pl.DataFrame:
    path = find_file(raw_dir, stem) or REFERENCE_DIR / f"{stem}.csv"
    return read_table(path, wanted, headers=str.lower)


# --- values -------------------------------------------------------------------------------------

def normalize_names(names: pl.Expr) -> pl.Expr:
    """The comparison key: NFKC, case-folded, no whitespace."""
    return names.map_batches(_normalize_names, return_dtype=pl.String)


def _normalize_names(names: pl.Series) -> pl.Series:
    nfkc = names.str.normalize("NFKC")
    folded = nfkc.str.to_lowercase()
    odd = nfkc.str.contains(f"[{FOLD_DIFFERS}]").fill_null(False)
    if odd.any():
        folded = folded.scatter(odd.arg_true(), [name.casefold() for name in nfkc.filter(odd)])
    return folded.str.replace_all(SPACES, "")


def split_list(cells: pl.Expr) -> pl.Expr:
    """A list cell as a list of trimmed non-blank items (explode it to get one item per row)."""
    items = cells.str.replace_all(LIST_SEPARATORS, "\x00").str.split("\x00")
    return items.list.eval(pl.element().str.strip_chars()).list.eval(pl.element().filter(pl.element() != ""))


def valid_uscc(codes: pl.Expr) -> pl.Expr:
    """The normalised USCC where its check character is right, else null."""
    return codes.map_batches(_valid_uscc, return_dtype=pl.String)


def _valid_uscc(codes: pl.Series) -> pl.Series:
    code = codes.str.normalize("NFKC").str.replace_all(SPACES, "").str.to_uppercase()
    values = pl.DataFrame([code.str.slice(i, 1).replace_strict(list(USCC_CHARS), list(range(31)), default=None,
                                                                 return_dtype=pl.Int32).alias(str(i))
                           for i in range(18)])
    total = pl.sum_horizontal(pl.col(str(i)) * w for i, w in enumerate(USCC_WEIGHTS))
    ok = values.select(pl.all_horizontal(pl.all().is_not_null()) & (pl.col("17") == (31 - total % 31) % 31))
    ok = (code.str.len_chars() == 18) & ok.to_series().fill_null(False)
    return code.zip_with(ok, pl.Series([None], dtype=pl.String))


def year_of(dates: pl.Expr) -> pl.Expr:
    year = dates.str.extract(r"^([0-9]{4})", 1).cast(pl.Int64)
    return pl.when(year.is_between(1900, THIS_YEAR)).then(year)


# --- firms --------------------------------------------------------------------------------------

def load_firms(raw_dir: Path) -> pl.DataFrame:
    """One row per firm record (file order), with its firm's integer `firm_id`."""
    records = read_table(find_file(raw_dir, "firms"),
                         ["name", "uscc", "former_names", "city", "tracks", "rd_staff"])
    records = records.filter(pl.col("name").is_not_null()).with_columns(
        key=normalize_names(pl.col("name")), uscc=valid_uscc(pl.col("uscc")))
    carriers = records.filter(pl.col("uscc").is_not_null()).unique(["key", "uscc"])
    only = carriers.group_by("key").agg(pl.col("uscc").first().alias("only"), pl.len()).filter(pl.col("len") == 1)
    records = records.join(only.select("key", "only"), on="key", how="left", maintain_order="left")
    identity = (pl.when(pl.col("uscc").is_not_null()).then("u" + pl.col("uscc"))
                .when(pl.col("only").is_not_null()).then("u" + pl.col("only")).otherwise("n" + pl.col("key")))
    return records.with_columns(firm_id=identity.rank("dense").cast(pl.Int64)).drop("only")


def firm_table(records: pl.DataFrame, raw_dir: Path) -> pl.DataFrame:
    """firm_id, region, tech, rd_staff; the first non-blank value in file order wins."""
    staff = pl.col("rd_staff").str.replace_all(r"[,\s]", "").cast(pl.Float64, strict=False)
    firms = records.group_by("firm_id", maintain_order=True).agg(
        pl.col("city").drop_nulls().first(),
        staff.filter(staff.is_finite() & (staff >= 0) & (staff % 1 == 0)).first().fill_null(0)
        .cast(pl.Int64).alias("rd_staff"))
    cities = firms["city"].drop_nulls().unique().to_list()
    regions = region_lookup(cities, raw_dir)
    firms = firms.with_columns(region=pl.col("city").replace_strict(regions, default=None).fill_null("未知"))

    keys, techs = track_lookup(raw_dir)
    tracks = (records.select("firm_id", track=split_list(pl.col("tracks"))).explode("track")
              .with_columns(tech=normalize_names(pl.col("track")).replace_strict(keys, techs, default=None))
              .group_by("firm_id", maintain_order=True).agg(pl.col("tech").drop_nulls().first()))
    return (firms.join(tracks, on="firm_id", how="left")
            .select("firm_id", "region", pl.col("tech").fill_null("unclassified"), "rd_staff"))


def region_lookup(cities: list[str], raw_dir: Path) -> dict[str, str]:
    regions = reference_table(raw_dir, "regions", ["city", "province", "region"])
    table = dict(zip(map(bare_city, regions["city"]), regions["region"]))
    provinces = (set(PROVINCES) | set(regions["province"].drop_nulls())) - set(MUNICIPALITIES)
    short = {next((p.removesuffix(s) for s in PROVINCE_SUFFIXES if p.endswith(s)), p) for p in provinces}
    prefixes = sorted(provinces | short, key=len, reverse=True)
    return {city: table.get(bare_city(city, prefixes), "其他") for city in cities}


def bare_city(written: str, prefixes=()) -> str:
    text = "".join(unicodedata.normalize("NFKC", written).split())
    for prefix in prefixes:
        rest = text[len(prefix):]
        if text.startswith(prefix) and len(rest) >= 2 and rest != "市":
            text = rest
            break
    return text.split("市")[0] or text


def track_lookup(raw_dir: Path) -> tuple[list[str], list[str]]:
    """Normalised track names and aliases, and their tech class; a track's own name wins."""
    tracks = reference_table(raw_dir, "tracks", ["track", "tech_class", "aliases"])
    tech = pl.col("tech_class").map_elements(lambda c: TECH_LABELS.get(c, c.lower()), return_dtype=pl.String)
    entries = pl.concat([
        tracks.select(name=pl.col("track"), tech=tech, rank=pl.lit(0)),
        tracks.select(name=pl.col("aliases").str.replace_all("[;；]", "\x00").str.split("\x00"), tech=tech,
                      rank=pl.lit(1)).explode("name")
        .with_columns(pl.col("name").str.strip_chars()),
    ]).filter(pl.col("name").is_not_null())
    entries = (entries.with_columns(key=normalize_names(pl.col("name"))).filter(pl.col("key") != "")
               .sort("rank", maintain_order=True).unique("key", keep="first", maintain_order=True))
    return entries["key"].to_list(), entries["tech"].to_list()


def name_lookup(records: pl.DataFrame) -> pl.DataFrame:
    """key -> firm_id for the names (and former names) that belong to exactly one firm."""
    former = (records.select("firm_id", name=split_list(pl.col("former_names"))).explode("name")
              .filter(pl.col("name").is_not_null()).select(key=normalize_names(pl.col("name")), firm_id="firm_id"))
    keys = pl.concat([records.select("key", "firm_id"), former]).unique()
    return keys.filter(pl.len().over("key") == 1)


# --- patents ------------------------------------------------------------------------------------

def _nfkc(cells: pl.Series) -> pl.Series:
    """NFKC of the cells that need it: pure ASCII is its own NFKC, and most numbers are pure ASCII."""
    wide = cells.str.contains(r"[^\x00-\x7f]").fill_null(False)
    return cells.scatter(wide.arg_true(), cells.filter(wide).str.normalize("NFKC")) if wide.any() else cells


def parse_app_numbers(rows: pl.LazyFrame) -> pl.LazyFrame:
    """app_no -> app_id, number_type and number_year; null when malformed, its check wrong or its year
    impossible. Built in steps, each on the columns of the one before, so no expression is repeated.

    app_id stands for the canonical number (digits.check) as an integer, number * 11 + check, so that
    applications are grouped without sorting strings: 8-digit numbers (years 1985-2003) are below 1e8
    and 12-digit ones at least 1985e8, so no two numbers share an id.
    """
    text = pl.col("app_no").map_batches(_nfkc, return_dtype=pl.String).str.replace_all(SPACES, "").str.to_uppercase()
    rows = rows.with_columns(parts=text.str.extract_groups(r"^(?:CN)?([0-9]{12}|[0-9]{8})\.?([0-9X])?$"))
    rows = rows.with_columns(digits=pl.col("parts").struct.field("1"), given=pl.col("parts").struct.field("2"))
    rows = rows.with_columns(width=pl.col("digits").str.len_bytes(), number=pl.col("digits").cast(pl.Int64))
    number, width = pl.col("number"), pl.col("width")
    totals = {w: pl.sum_horizontal((number // 10 ** (w - 1 - i)) % 10 * weight for i, weight in enumerate(ws))
              for w, ws in APP_NO_WEIGHTS.items()}
    yy = number // 1_000_000
    rows = rows.with_columns(
        remainder=pl.when(width == 12).then(totals[12]).otherwise(totals[8]) % 11,
        year=pl.when(width == 12).then(number // 100_000_000).otherwise(yy + 1900 + 100 * (yy < 85).cast(pl.Int64)),
        type_digit=pl.when(width == 12).then(pl.col("digits").str.slice(4, 1))
        .otherwise(pl.col("digits").str.slice(2, 1)))
    remainder, year = pl.col("remainder"), pl.col("year")
    check = pl.when(remainder == 10).then(pl.lit("X")).otherwise(remainder.cast(pl.String))
    ok = ((pl.col("given").is_null() | (pl.col("given") == check)) & (year >= 1985) & (year <= THIS_YEAR)
          & ((width == 12) | (year <= 2003)))
    return rows.with_columns(
        app_id=pl.when(ok).then(number * 11 + remainder),
        number_type=pl.when(ok).then(pl.col("type_digit").replace_strict(TYPE_DIGITS, default=None)),
        number_year=pl.when(ok).then(year),
    ).drop("parts", "digits", "given", "width", "number", "remainder", "year", "type_digit", "app_no")


def load_patents(raw_dir: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(patents: app_id, app_year, is_invention; applicants: app_id, key), each application once."""
    rows = read_table(find_file(raw_dir, "patents"), ["app_no", "applicants", "patent_type", "app_date"])
    rows = (parse_app_numbers(rows.lazy())
            .with_columns(applicants=split_list(pl.col("applicants")))
            .filter(pl.col("app_id").is_not_null() & (pl.col("applicants").list.len() > 0)).collect())
    # Type words are few: map their distinct normalised forms rather than every row.
    types = rows.select(pl.col("patent_type").unique()).drop_nulls().with_columns(
        text_type=normalize_names(pl.col("patent_type")).replace_strict(TYPE_WORDS, default=None))
    patents = (rows.lazy().join(types.lazy(), on="patent_type", how="left", maintain_order="left")
               .select("app_id", patent_type=pl.col("number_type").fill_null(pl.col("text_type")),
                       date_year=year_of(pl.col("app_date")), number_year="number_year")
               .group_by("app_id", maintain_order=True)
               .agg(pl.col("patent_type", "date_year", "number_year").drop_nulls().first())
               .select("app_id", app_year=pl.col("date_year").fill_null(pl.col("number_year")),
                       is_invention=(pl.col("patent_type") == "invention").fill_null(False))
               .collect())
    applicants = rows.select("app_id", name=pl.col("applicants")).explode("name")
    # Applicant names repeat across a firm's patents: normalise each distinct name once.
    names = applicants.select(pl.col("name").unique()).with_columns(key=normalize_names(pl.col("name")))
    applicants = applicants.join(names, on="name", how="left").select("app_id", "key")
    return patents, applicants


# --- high-tech ----------------------------------------------------------------------------------

def hightech_firms(raw_dir: Path, by_uscc: pl.DataFrame, by_name: pl.DataFrame, as_of: int) -> pl.Series:
    path = find_file(raw_dir, "hightech")
    if path is None:
        return pl.Series("firm_id", [], pl.Int64)
    certs = read_table(path, ["name", "uscc", "issue_date", "cert_no"])
    cert_no = pl.col("cert_no").str.normalize("NFKC").str.replace_all(SPACES, "").str.to_uppercase()
    cert_year = cert_no.str.extract(r"^GR([0-9]{4})[0-9]+$", 1).cast(pl.Int64)
    certs = certs.select(
        year=year_of(pl.col("issue_date")).fill_null(pl.when(cert_year <= THIS_YEAR).then(cert_year)),
        uscc=valid_uscc(pl.col("uscc")), key=normalize_names(pl.col("name")))
    certs = (certs.join(by_uscc, on="uscc", how="left")
             .join(by_name.rename({"firm_id": "by_name"}), on="key", how="left"))
    return (certs.filter(pl.col("year").is_between(as_of - 2, as_of))
            .select(pl.col("firm_id").fill_null(pl.col("by_name"))).drop_nulls()["firm_id"].unique())


# --- the table ----------------------------------------------------------------------------------

def region_tech_table(raw_dir: Path, as_of: int | None = None) -> pl.DataFrame:
    raw_dir = Path(raw_dir)
    records = load_firms(raw_dir)
    firms = firm_table(records, raw_dir)
    by_name = name_lookup(records)
    by_uscc = records.filter(pl.col("uscc").is_not_null()).unique("uscc").select("uscc", "firm_id")

    patents, applicants = load_patents(raw_dir)
    if as_of is None:
        as_of = int(patents["app_year"].max())
    held = (applicants.join(by_name, on="key").select("app_id", "firm_id").unique()
            .join(patents.filter(pl.col("app_year") <= as_of), on="app_id"))

    hightech = hightech_firms(raw_dir, by_uscc, by_name, as_of)
    universe = (firms.join(held.select("firm_id").unique(), on="firm_id", how="semi")
                .with_columns(hightech=pl.col("firm_id").is_in(hightech.implode())))
    table = universe.group_by("region", "tech").agg(
        firms=pl.len().cast(pl.Int64), hightech_firms=pl.col("hightech").sum().cast(pl.Int64),
        rd_staff=pl.col("rd_staff").sum())
    # A patent counts once per group, however many of the group's firms hold it.
    group_patents = (held.join(universe.select("firm_id", "region", "tech"), on="firm_id")
                     .unique(["region", "tech", "app_id"])
                     .group_by("region", "tech")
                     .agg(patents=pl.len().cast(pl.Int64),
                          invention_patents=pl.col("is_invention").sum().cast(pl.Int64)))
    table = table.join(group_patents, on=["region", "tech"], how="left").with_columns(
        pl.col("patents", "invention_patents").fill_null(0))
    return table.with_columns(
        hightech_ratio=ratio("hightech_firms", "firms"), invention_share=ratio("invention_patents", "patents"),
        rd_per_firm=ratio("rd_staff", "firms")).select(COLUMNS).sort("region", "tech")


def ratio(numerator: str, denominator: str) -> pl.Expr:
    return pl.when(pl.col(denominator) > 0).then(pl.col(numerator) / pl.col(denominator))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("raw_dir", type=Path, help="raw folder (firms, patents, hightech)")
    parser.add_argument("--out", type=Path, required=True, help="CSV file to write")
    parser.add_argument("--as-of", type=int, help="snapshot year (default: latest application year)")
    args = parser.parse_args(argv)
    region_tech_table(args.raw_dir, args.as_of).write_csv(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
