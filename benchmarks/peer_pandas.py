"""The benchmark's pandas peer: the region x tech table built the way an analyst builds it by hand.

    python benchmarks/peer_pandas.py RAW_DIR --out TABLE.csv [--as-of Y]

A plain pandas script (pandas, numpy and the standard library; openpyxl reads the .xlsx) over the raw
folder that `firms ingest` reads. It reads the exports, normalises firm names, merges the firm records,
links patent applicants and certificates to firms by exact name, takes patent types and years from the
application numbers, and groups the firms into the region x tech table: firms, high-tech firms and
ratio, patents, invention patents and share, R&D staff in all and per firm. That is the table of
`fintech_firms.aggregate(parquet_dir, by=["region", "tech"])` (its columns up to `rd_per_firm`) after
`firms ingest RAW --fuzzy-threshold 101`, and the two must be equal on the demo data.

It is the baseline the engine is compared with, so it is meant to be an honest analyst's script:
vectorised pandas where pandas offers it, plain Python over the few distinct values elsewhere (cities,
USCCs), the lookup tables kept as CSV files (`src/fintech_firms/reference/`, or the raw folder's own
`regions.csv` / `tracks.csv` when it has them). The rules are those of docs/data-contract.md §2.

Deliberately left out, compared with the engine:
- fuzzy linking (of firm names and of track names): only exact names, former names and aliases link;
- financing (events, C-and-later rounds, top-tier investors) and every table but this one;
- the quarantine table, cell issues and the ingest report: unusable rows and values are dropped;
- the strict reader: malformed quoting, damaged bytes, ragged or oversized rows, tab-separated files,
  duplicate headers, and the English corporate-suffix exception when splitting lists on commas;
- the finer city rules (a district without 市, 广东深圳-style prefixes on municipalities) and date
  validation beyond the year (a 2021-02-30 counts as 2021);
- tech mode `any`, `--min-patents`, and the people's output formats.
"""

from __future__ import annotations

import argparse
import datetime
import unicodedata
from pathlib import Path

import pandas as pd

REFERENCE_DIR = Path(__file__).resolve().parents[1] / "src" / "fintech_firms" / "reference"
THIS_YEAR = datetime.date.today().year

COLUMNS = ["region", "tech", "firms", "hightech_firms", "hightech_ratio", "patents", "invention_patents",
           "invention_share", "rd_staff", "rd_per_firm"]

# Exports come with Chinese or English headers; both name the same contract columns.
CHINESE_HEADERS = {
    "企业名称": "name", "统一社会信用代码": "uscc", "曾用名": "former_names", "省份": "province",
    "城市": "city", "所属赛道": "tracks", "赛道": "tracks", "研发人员数量": "rd_staff",
    "是否有专利转让许可": "has_patent_transfer", "成立日期": "founded", "申请号": "app_no",
    "专利类型": "patent_type", "申请日": "app_date", "申请人": "applicants", "IPC主分类号": "ipc",
    "授权日": "grant_date", "法律状态": "legal_status", "证书编号": "cert_no", "发证日期": "issue_date",
}

# Whitespace (\u3000 and NBSP included) and the zero-width characters, which are not whitespace to
# Python but are invisible in exports and would split one firm in two.
SPACES = "[\\s\u200b-\u200d\u2060\ufeff]+"
LIST_SEPARATORS = "[;；,，、|｜]"

TECH_LABELS = {"大数据": "big_data", "区块链": "blockchain", "人工智能": "ai", "云计算": "cloud",
               "物联网": "iot", "互联网": "internet"}

# Province-level names, so that 广东省深圳市 and 广东深圳 can be cut down to the city. The four
# municipalities are left out: 北京市海淀区 is the city 北京 with a district.
PROVINCES = ("河北省", "山西省", "辽宁省", "吉林省", "黑龙江省", "江苏省", "浙江省", "安徽省", "福建省",
             "江西省", "山东省", "河南省", "湖北省", "湖南省", "广东省", "海南省", "四川省", "贵州省", "云南省",
             "陕西省", "甘肃省", "青海省", "台湾省", "内蒙古自治区", "广西壮族自治区", "西藏自治区",
             "宁夏回族自治区", "新疆维吾尔自治区", "香港特别行政区", "澳门特别行政区")
MUNICIPALITIES = ("北京市", "天津市", "上海市", "重庆市")
PROVINCE_SUFFIXES = ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省")

# GB 32100-2015: 18 characters of this set, the last a check character.
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

# Application numbers: the check character is a weighted digit sum mod 11; the type is the 5th digit of
# a 12-digit number (the 3rd of an 8-digit one).
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
    """firms.csv, Firms.CSV or firms.xlsx: exports do not agree on case."""
    for path in sorted(folder.iterdir()):
        if path.stem.lower() == stem and path.suffix.lower() in (".csv", ".xlsx"):
            return path
    return None


def read_table(path: Path, headers=None) -> pd.DataFrame:
    """Every cell as trimmed text, blank cells missing; headers mapped to the contract's names."""
    if path.suffix.lower() == ".xlsx":
        frame = pd.read_excel(path, dtype=str, engine="openpyxl")
    else:
        # UTF-8 (with or without BOM) first: GB18030 decodes almost any bytes, so it cannot go first.
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        except UnicodeDecodeError:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="gb18030")
    frame.columns = [(headers or contract_header)(unicodedata.normalize("NFKC", str(c)).strip())
                     for c in frame.columns]
    for column in frame.columns:
        cells = frame[column].str.strip()
        frame[column] = cells.where(cells != "")
    return frame


def contract_header(header: str) -> str:
    name = CHINESE_HEADERS.get(header, header.lower().replace(" ", "_"))
    return "name" if name == "firm_name" else name


def reference_table(raw_dir: Path, stem: str) -> pd.DataFrame:
    """The raw folder's own lookup table when it has one, else ours."""
    path = find_file(raw_dir, stem) or REFERENCE_DIR / f"{stem}.csv"
    return read_table(path, headers=str.lower)


# --- values -------------------------------------------------------------------------------------

def normalize_names(names: pd.Series) -> pd.Series:
    """The comparison key of a name: full-width to half-width (NFKC), case-folded, no whitespace."""
    return names.str.normalize("NFKC").str.casefold().str.replace(SPACES, "", regex=True)


def split_list(cells: pd.Series) -> pd.Series:
    """List cells (tracks, former names, applicants) as one item per row, indexed by the cell's row."""
    items = cells.dropna().str.split(LIST_SEPARATORS, regex=True).explode().str.strip()
    return items[items.notna() & (items != "")]


def valid_usccs(codes: pd.Series) -> pd.Series:
    """The normalised USCC where its check character is right, else missing (an invalid code is ignored)."""
    codes = codes.str.normalize("NFKC").str.replace(SPACES, "", regex=True).str.upper()
    valid = codes.dropna().map(is_valid_uscc).reindex(codes.index, fill_value=False).astype(bool)
    return codes.where(valid)


def is_valid_uscc(code: str) -> bool:
    if len(code) != 18 or any(c not in USCC_CHARS for c in code):
        return False
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(code, USCC_WEIGHTS))
    return code[17] == USCC_CHARS[-total % 31]


def year_of(dates: pd.Series) -> pd.Series:
    """The year of a date in any of the export's forms (2021-03-05, 2021/3/5, 20210305, 2021年3月5日,
    2021); missing when there is none or it cannot be right (before 1900, or in the future)."""
    year = pd.to_numeric(dates.str.extract(r"^([0-9]{4})", expand=False), errors="coerce")
    return year.where(year.between(1900, THIS_YEAR))


# --- firms --------------------------------------------------------------------------------------

def load_firms(raw_dir: Path) -> pd.DataFrame:
    """Firm records merged into firms: one row per record, with its firm's `firm_id`.

    Records sharing a valid USCC are one firm; a record without one joins the USCC firm that carries
    its name when there is exactly one such firm; the rest are one firm per normalised name.
    """
    records = read_table(find_file(raw_dir, "firms"))
    records = records[records["name"].notna()].reset_index(drop=True)
    for optional in ("uscc", "former_names", "tracks", "rd_staff"):
        if optional not in records:
            records[optional] = pd.Series(pd.NA, index=records.index, dtype="str")
    records["key"] = normalize_names(records["name"])
    records["uscc"] = valid_usccs(records["uscc"])
    carriers = records.dropna(subset=["uscc"]).drop_duplicates(["key", "uscc"])
    only_carrier = carriers.groupby("key")["uscc"].agg(["first", "size"])
    only_carrier = only_carrier.loc[only_carrier["size"] == 1, "first"]
    uscc = records["uscc"].fillna(records["key"].map(only_carrier))
    records["firm_id"] = pd.factorize(("uscc:" + uscc).fillna("name:" + records["key"]))[0]
    return records


def firm_table(records: pd.DataFrame, raw_dir: Path) -> pd.DataFrame:
    """One row per firm: region, tech class (of its first known track) and R&D staff."""
    # The first non-blank value in file order wins, for the city as for R&D staff.
    firms = pd.DataFrame({"city": records.groupby("firm_id")["city"].first()})
    firms["region"] = firms["city"].map(region_lookup(firms["city"].dropna().unique(), raw_dir))
    firms["region"] = firms["region"].fillna("未知")

    staff = pd.to_numeric(records["rd_staff"].str.replace("[,\\s]", "", regex=True), errors="coerce")
    staff = staff.where((staff >= 0) & (staff % 1 == 0))
    firms["rd_staff"] = staff.groupby(records["firm_id"]).first().reindex(firms.index).fillna(0)
    firms["rd_staff"] = firms["rd_staff"].astype("int64")

    # Tracks in record order then list order: the first one the taxonomy knows gives the class.
    tracks = split_list(records["tracks"])
    classes = pd.DataFrame({"firm_id": records.loc[tracks.index, "firm_id"].to_numpy(),
                            "tech": normalize_names(tracks).map(track_lookup(raw_dir)).to_numpy()})
    first_class = classes.dropna().groupby("firm_id")["tech"].first()
    firms["tech"] = first_class.reindex(firms.index).fillna("unclassified")
    return firms


def region_lookup(cities, raw_dir: Path) -> dict[str, str]:
    """City as written → region, 其他 for a city the regions table does not list."""
    regions = reference_table(raw_dir, "regions")
    table = dict(zip(regions["city"].map(bare_city), regions["region"]))
    provinces = (set(PROVINCES) | set(regions["province"].dropna())) - set(MUNICIPALITIES)
    short = {next((p.removesuffix(s) for s in PROVINCE_SUFFIXES if p.endswith(s)), p) for p in provinces}
    prefixes = sorted(provinces | short, key=len, reverse=True)
    return {city: table.get(bare_city(city, prefixes), "其他") for city in cities}


def bare_city(written: str, prefixes=()) -> str:
    """深圳, 深圳市, 广东省深圳市, 广东深圳 and 深圳市南山区 are all 深圳."""
    text = "".join(unicodedata.normalize("NFKC", written).split())
    for prefix in prefixes:
        rest = text[len(prefix):]
        # Not 吉林市 (the city 吉林) nor a bare province.
        if text.startswith(prefix) and len(rest) >= 2 and rest != "市":
            text = rest
            break
    return text.split("市")[0] or text


def track_lookup(raw_dir: Path) -> pd.Series:
    """Normalised track name or alias → tech class key; a track's own name wins over another's alias."""
    tracks = reference_table(raw_dir, "tracks")
    tech = tracks["tech_class"].map(lambda c: TECH_LABELS.get(c, c.lower()))
    aliases = tracks.get("aliases", pd.Series(pd.NA, index=tracks.index, dtype="str"))
    aliases = aliases.dropna().str.split("[;；]", regex=True).explode().str.strip()
    entries = pd.concat([
        pd.DataFrame({"name": tracks["track"], "tech": tech, "rank": 0}),
        pd.DataFrame({"name": aliases, "tech": tech.reindex(aliases.index), "rank": 1}),
    ]).dropna(subset=["name"])
    entries["key"] = normalize_names(entries["name"])
    entries = entries[entries["key"] != ""].sort_values("rank", kind="stable")
    return entries.drop_duplicates("key").set_index("key")["tech"]


def name_lookup(records: pd.DataFrame) -> pd.Series:
    """Normalised name or former name → firm_id, for names that belong to exactly one firm."""
    former = split_list(records["former_names"])
    keys = pd.concat([
        pd.DataFrame({"key": records["key"], "firm_id": records["firm_id"]}),
        pd.DataFrame({"key": normalize_names(former).to_numpy(),
                      "firm_id": records.loc[former.index, "firm_id"].to_numpy()}),
    ]).drop_duplicates()
    # A name that two firms carry (one's name, the other's former name) links to neither.
    keys = keys[~keys["key"].duplicated(keep=False)]
    return keys.set_index("key")["firm_id"]


# --- patents ------------------------------------------------------------------------------------

def parse_app_numbers(written: pd.Series) -> pd.DataFrame:
    """Canonical number (digits.check), type and year of each application number; all missing when
    the number is malformed, its check digit wrong or its year impossible."""
    text = written.str.normalize("NFKC").str.replace(SPACES, "", regex=True).str.upper()
    parts = text.str.extract(r"^(?:CN)?([0-9]{12}|[0-9]{8})\.?([0-9X])?$")
    digits = parts[0].dropna()
    width = digits.str.len()
    number = digits.astype("int64")
    check = pd.Series("", index=digits.index, dtype="str")
    for w, weights in APP_NO_WEIGHTS.items():
        n = number[width == w]
        total = sum((n // 10 ** (w - 1 - i)) % 10 * weight for i, weight in enumerate(weights))
        check[n.index] = (total % 11).astype(str).replace("10", "X")
    yy = number // 1_000_000
    year = (number // 100_000_000).where(width == 12, yy + 1900 + 100 * (yy < 85))
    ok = ((parts.loc[digits.index, 1].isna() | (parts.loc[digits.index, 1] == check))
          & (year >= 1985) & (year <= THIS_YEAR) & ((width == 12) | (year <= 2003)))
    type_digit = digits.str[4].where(width == 12, digits.str[2])
    return pd.DataFrame({
        "app_no": (digits + "." + check)[ok],
        "number_type": type_digit[ok].map(TYPE_DIGITS),
        "number_year": year[ok],
    }).reindex(written.index)


def load_patents(raw_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(patents: app_no, app_year, is_invention; applicants: app_no, key), each application once."""
    rows = read_table(find_file(raw_dir, "patents"))
    for optional in ("patent_type", "app_date"):
        if optional not in rows:
            rows[optional] = pd.Series(pd.NA, index=rows.index, dtype="str")
    rows = rows.join(parse_app_numbers(rows.pop("app_no"))).dropna(subset=["app_no"])
    applicants = split_list(rows["applicants"])
    rows = rows[rows.index.isin(applicants.index)]  # a row naming no applicant is unusable
    text_type = normalize_names(rows["patent_type"]).map(TYPE_WORDS)
    rows = rows.assign(patent_type=rows["number_type"].fillna(text_type),
                       date_year=year_of(rows["app_date"]))
    # A repeated application is one patent: first non-blank type and application date in file order.
    patents = rows.groupby("app_no", sort=False).agg(
        patent_type=("patent_type", "first"), date_year=("date_year", "first"),
        number_year=("number_year", "first"))
    patents["app_year"] = patents["date_year"].fillna(patents["number_year"]).astype("int64")
    patents["is_invention"] = patents["patent_type"] == "invention"
    applicants = pd.DataFrame({"app_no": rows.loc[applicants.index, "app_no"].to_numpy(),
                               "key": normalize_names(applicants).to_numpy()})
    return patents[["app_year", "is_invention"]].reset_index(), applicants


# --- high-tech ----------------------------------------------------------------------------------

def hightech_firms(raw_dir: Path, by_uscc: pd.Series, by_name: pd.Series, as_of: int) -> set:
    """Firms holding a certificate valid in as_of: issued in as_of - 2 .. as_of."""
    path = find_file(raw_dir, "hightech")
    if path is None:
        return set()
    certs = read_table(path)
    for optional in ("name", "uscc", "issue_date", "cert_no"):
        if optional not in certs:
            certs[optional] = pd.Series(pd.NA, index=certs.index, dtype="str")
    cert_no = certs["cert_no"].str.normalize("NFKC").str.replace(SPACES, "", regex=True).str.upper()
    cert_year = pd.to_numeric(cert_no.str.extract(r"^GR([0-9]{4})[0-9]+$", expand=False), errors="coerce")
    year = year_of(certs["issue_date"]).fillna(cert_year.where(cert_year <= THIS_YEAR))
    # The USCC first, when it is one of our firms'; else the name.
    firm = valid_usccs(certs["uscc"]).map(by_uscc)
    firm = firm.fillna(normalize_names(certs["name"]).map(by_name))
    return set(firm[year.between(as_of - 2, as_of)].dropna().astype("int64"))


# --- the table ----------------------------------------------------------------------------------

def region_tech_table(raw_dir: Path, as_of: int | None = None) -> pd.DataFrame:
    """The region x tech table of the firms with a patent applied for by as_of (default: the latest
    application year); one row per group, sorted by region then tech."""
    raw_dir = Path(raw_dir)
    records = load_firms(raw_dir)
    firms = firm_table(records, raw_dir)
    by_name = name_lookup(records)
    by_uscc = records.dropna(subset=["uscc"]).drop_duplicates("uscc").set_index("uscc")["firm_id"]

    patents, applicants = load_patents(raw_dir)
    if as_of is None:
        as_of = int(patents["app_year"].max())
    applicants["firm_id"] = applicants["key"].map(by_name)
    held = (applicants.dropna(subset=["firm_id"]).astype({"firm_id": "int64"})
            .drop_duplicates(["app_no", "firm_id"]).merge(patents, on="app_no"))
    held = held[held["app_year"] <= as_of]

    universe = firms[firms.index.isin(held["firm_id"])].copy()
    universe["hightech"] = universe.index.isin(hightech_firms(raw_dir, by_uscc, by_name, as_of))
    table = universe.groupby(["region", "tech"]).agg(
        firms=("rd_staff", "size"), hightech_firms=("hightech", "sum"), rd_staff=("rd_staff", "sum"))

    # A patent counts once per group, however many of the group's firms hold it.
    group_patents = (held.merge(universe[["region", "tech"]], left_on="firm_id", right_index=True)
                     .drop_duplicates(["region", "tech", "app_no"])
                     .groupby(["region", "tech"])
                     .agg(patents=("app_no", "size"), invention_patents=("is_invention", "sum")))
    table = table.join(group_patents).fillna(0).astype("int64").reset_index()
    table["hightech_ratio"] = ratio(table["hightech_firms"], table["firms"])
    table["invention_share"] = ratio(table["invention_patents"], table["patents"])
    table["rd_per_firm"] = ratio(table["rd_staff"], table["firms"])
    return table[COLUMNS].sort_values(["region", "tech"], ignore_index=True)


def ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    return (numerator / denominator).where(denominator > 0).astype("float64")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("raw_dir", type=Path, help="raw folder (firms, patents, hightech)")
    parser.add_argument("--out", type=Path, required=True, help="CSV file to write")
    parser.add_argument("--as-of", type=int, help="snapshot year (default: latest application year)")
    args = parser.parse_args()
    region_tech_table(args.raw_dir, args.as_of).to_csv(args.out, index=False, encoding="utf-8")


if __name__ == "__main__":
    main()
