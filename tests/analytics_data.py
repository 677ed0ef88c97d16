"""Seeded raw folders for the analytics cross-check (tests/test_crosscheck.py).

`make_raw(folder, seed)` writes firms.csv, patents.csv, financing.csv and hightech.csv (UTF-8, English
headers, contract §1) that are small but full of the cases the metrics have to get right:

- firms: cities in the regions table (written 深圳 / 深圳市 / 广东省深圳市), cities not in it (惠州,
  三亚, 香港, 广东省惠州市, …) with and without a written province, blank cities; several tracks
  across tech classes, aliases, unknown tracks (also first), no tracks at all; blank, plain and
  "1,250"-style rd_staff; a few firms written twice (tracks united, fields coalesced); some firms
  that never apply for a patent;
- patents: years 2010–2022, invention/utility/design (type digits 1, 8, 2, 9, 3), check digit present
  or omitted, `CN` prefix or not; one to three firm applicants, co-applicants from the same city or
  from anywhere; people and universities as applicants (unlinked), patents with no firm at all;
  the same application written twice with other applicants; app_date blank, a date, or a bare year;
- financing: 2011–2024, many round spellings (天使轮, Pre-A, A轮, Series B, C+, D轮, Pre-IPO,
  战略投资, Pre-C, IPO, 并购 …), top-tier lead investors by name and alias next to others, events of
  unknown firms, the same event written twice under two round spellings;
- hightech: certificates issued 2008–2022, some firms renewing every three years, issue years from
  `issue_date` or only from `cert_no`, certificates of unknown firms.

`ingested(base, seed)` writes such a folder and ingests it, returning the Parquet folder.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

import fintech_firms
from fintech_firms.ingest.pipeline import IngestOptions, ingest
from fintech_firms.ingest.progress import Quiet

REFERENCE = Path(fintech_firms.__file__).parent / "reference"

# Cities absent from the default regions table (checked at import below), written in several ways.
UNLISTED_CITIES = [("惠州", "广东省"), ("三亚", "海南省"), ("保定", "河北省"), ("香港", ""),
                   ("芜湖", "安徽省"), ("绵阳", "四川省")]
UNKNOWN_TRACKS = ["元宇宙", "新能源汽车", "生物医药", "量子通信", "跨境电商"]
OTHER_INVESTORS = ["星河资本", "远望投资", "青松基金", "北辰创投", "海岸资本合伙企业"]
PEOPLE = ["张伟", "李娜", "王芳", "刘洋", "陈静", "杨帆", "赵磊", "黄敏"]
UNIVERSITIES = ["清华大学", "浙江大学", "复旦大学", "武汉大学", "中山大学"]
ROUNDS = ["天使轮", "种子轮", "Pre-A轮", "A轮", "Series A", "A+轮", "B轮", "B+", "Pre-C", "C轮",
          "C+轮", "C++", "D轮", "E轮", "Pre-IPO", "IPO", "战略投资", "并购", "定向增发"]
ROUND_SPELLINGS = {"A轮": "Series A", "B轮": "Series B", "C轮": "Series C", "D轮": "D"}
NAME_HEADS = ["华信", "博远", "恒通", "联创", "云启", "智汇", "数金", "融安", "泰和", "中科",
              "星图", "蓝海", "天穹", "新元", "鼎盛", "同舟", "君和", "凯瑞", "明德", "嘉禾"]
NAME_MIDS = "安宝诚达丰光广和弘华佳锦景康朗力隆明宁鹏启荣瑞盛顺泰通维祥鑫兴亚益盈永裕远卓"
NAME_TAILS = ["科技", "信息技术", "数据服务", "网络科技", "金融信息服务", "智能科技", "软件"]


def _read_reference(name: str) -> list[dict[str, str]]:
    with open(REFERENCE / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


REGION_ROWS = _read_reference("regions.csv")
TRACK_ROWS = _read_reference("tracks.csv")
TOP_VC_ROWS = _read_reference("top_vc.csv")
_LISTED = {row["city"] for row in REGION_ROWS}
assert not _LISTED & {city for city, _ in UNLISTED_CITIES}, "an 'unlisted' city is in regions.csv"


def check_char(digits: str) -> str:
    """Check character of a 12-digit application number (docs/ingest.md "Patents")."""
    r = sum(int(d) * w for d, w in zip(digits, (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5), strict=True)) % 11
    return "X" if r == 10 else str(r)


def _write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _firm_names(rng: random.Random, n: int) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < n:
        name = f"{rng.choice(NAME_HEADS)}{''.join(rng.sample(NAME_MIDS, 2))}{rng.choice(NAME_TAILS)}有限公司"
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


def _city(rng: random.Random) -> tuple[str, str]:
    """(city as written, province as written)."""
    u = rng.random()
    if u < 0.72:
        # a few busy cities, so that groups hold several firms, and the rest of the table
        busy = [r for r in REGION_ROWS if r["city"] in ("北京", "上海", "深圳", "杭州", "广州", "成都", "武汉")]
        row = rng.choice(busy) if rng.random() < 0.6 else rng.choice(REGION_ROWS)
        written = rng.choice([row["city"], row["city"] + "市", row["province"] + row["city"] + "市"])
        province = row["province"] if rng.random() < 0.3 else ""
        return written, province
    if u < 0.87:
        city, province = rng.choice(UNLISTED_CITIES)
        if province and rng.random() < 0.3:
            return province + city + "市", ""  # the province comes from the prefix
        return city, province if rng.random() < 0.5 else ""  # province written, or unknown (null)
    return "", ""  # blank city: region 未知


def _tracks(rng: random.Random) -> list[str]:
    u = rng.random()
    if u < 0.12:
        return []
    if u < 0.2:
        return rng.sample(UNKNOWN_TRACKS, rng.randint(1, 2))  # only unknown tracks: unclassified
    picked = []
    for row in rng.sample(TRACK_ROWS, rng.choice([1, 1, 2, 2, 3, 4])):
        aliases = [a for a in row["aliases"].split(";") if a]
        picked.append(rng.choice(aliases) if aliases and rng.random() < 0.2 else row["track"])
    if rng.random() < 0.2:
        picked.insert(rng.randint(0, len(picked)), rng.choice(UNKNOWN_TRACKS))
    return picked


def _rd_staff(rng: random.Random) -> str:
    u = rng.random()
    if u < 0.3:
        return ""
    if u < 0.35:
        return f"{rng.randint(1000, 3000):,}"
    return str(rng.randint(0, 400))


def make_raw(folder: Path, seed: int, firms: int = 300, patents: int = 2500) -> Path:
    rng = random.Random(seed)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    names = _firm_names(rng, firms)

    # --- firms.csv
    cities: list[str] = []
    firm_rows = []
    for name in names:
        city, province = _city(rng)
        cities.append(city)
        firm_rows.append([name, province, city, ";".join(_tracks(rng)), _rd_staff(rng)])
    for i in rng.sample(range(firms), max(1, firms // 30)):  # written twice: a later, partial record
        firm_rows.append([names[i], "", "" if rng.random() < 0.5 else cities[i],
                          "、".join(_tracks(rng)), _rd_staff(rng)])
    _write_csv(folder / "firms.csv", ["name", "province", "city", "tracks", "rd_staff"], firm_rows)

    # --- patents.csv
    # Some firms never apply; the others with very different frequencies.
    applying = [i for i in range(firms) if rng.random() > 0.1]
    weights = [rng.choice([1, 1, 1, 2, 3, 8]) for _ in applying]
    by_city: dict[str, list[int]] = {}
    for i in applying:
        by_city.setdefault(cities[i].removesuffix("市")[-2:], []).append(i)

    def firm(near: int | None = None) -> int:
        if near is not None and rng.random() < 0.5:
            same = by_city[cities[near].removesuffix("市")[-2:]]
            if len(same) > 1:
                return rng.choice(same)
        return rng.choices(applying, weights)[0]

    patent_rows = []
    used: set[str] = set()
    for _ in range(patents):
        if patent_rows and rng.random() < 0.03:  # the same application again, other applicants
            again = rng.choice(patent_rows)
            patent_rows.append([again[0].removeprefix("CN"), names[firm()], "", again[3]])
            continue
        year = rng.choice(range(2010, 2023)) if rng.random() < 0.5 else rng.choice(range(2016, 2023))
        digits = ""
        while not digits or digits in used:
            digits = f"{year}{rng.choice('11182293')}{rng.randrange(10**7):07d}"
        used.add(digits)
        u = rng.random()
        app_no = digits if u < 0.4 else digits + check_char(digits) if u < 0.7 else f"CN{digits}.{check_char(digits)}"
        u = rng.random()
        if u < 0.05:
            applicants = rng.sample(PEOPLE + UNIVERSITIES, rng.randint(1, 2))  # no firm at all
        else:
            first = firm()
            ids = [first]
            for _ in range(rng.choices([0, 1, 2], [70, 22, 8])[0]):
                ids.append(firm(near=first))
            applicants = [names[i] for i in dict.fromkeys(ids)]
            if rng.random() < 0.1:
                applicants.insert(rng.randint(0, len(applicants)), rng.choice(PEOPLE + UNIVERSITIES))
        u = rng.random()
        app_date = ("" if u < 0.3 else str(year) if u < 0.4
                    else f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}")
        kind = rng.choice(["", "发明", "实用新型", "外观设计"])  # often disagreeing: the number wins
        patent_rows.append([app_no, rng.choice([";", "、", "；"]).join(applicants), kind, app_date])
    _write_csv(folder / "patents.csv", ["app_no", "applicants", "patent_type", "app_date"], patent_rows)

    # --- financing.csv
    top_names = [name for row in TOP_VC_ROWS
                 for name in [row["name"], *[a for a in row["aliases"].split(";") if a][:2]]]
    financing_rows = []
    for _ in range(int(firms * 1.5)):
        who = names[rng.randrange(firms)] if rng.random() < 0.92 else f"未知{rng.randint(1, 9)}号投资标的公司"
        year = rng.randint(2011, 2024)
        date = rng.choice([f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}", str(year)])
        leads = []
        for _ in range(rng.choice([0, 1, 1, 2])):
            leads.append(rng.choice(top_names) if rng.random() < 0.45 else rng.choice(OTHER_INVESTORS))
        round_ = rng.choice(ROUNDS)
        financing_rows.append([who, date, round_, ";".join(leads), rng.choice(["", "数千万人民币", "1亿元", "未披露"])])
        if round_ in ROUND_SPELLINGS and len(date) > 4 and rng.random() < 0.3:  # one event written twice
            financing_rows.append([who, date.replace("-", "/"), ROUND_SPELLINGS[round_],
                                   rng.choice(OTHER_INVESTORS), ""])
    rng.shuffle(financing_rows)
    _write_csv(folder / "financing.csv", ["firm_name", "date", "round", "lead_investors", "amount"],
               financing_rows)

    # --- hightech.csv
    hightech_rows = []
    serial = 0
    for i in rng.sample(range(firms), int(firms * 0.45)):
        year = rng.randint(2008, 2022)
        while year <= 2022:
            serial += 1
            cert_no = f"GR{year}{rng.randint(11, 65)}{serial:06d}"
            issue_date = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}" if rng.random() < 0.8 else ""
            hightech_rows.append([names[i], cert_no, issue_date])
            if rng.random() < 0.5:
                break
            year += rng.choice([3, 3, 4, 5])  # renewed on time, or after a gap
    for k in range(max(1, firms // 50)):
        serial += 1
        hightech_rows.append([f"某某{k}科技股份公司", f"GR2019{serial:08d}", "2019-11-28"])
    rng.shuffle(hightech_rows)
    _write_csv(folder / "hightech.csv", ["name", "cert_no", "issue_date"], hightech_rows)
    return folder


def ingested(base, seed: int, **sizes) -> Path:
    """Generate the raw folder of `seed` and ingest it; `base` is a folder or pytest's tmp_path_factory.

    Returns the Parquet folder."""
    folder = base.mktemp(f"analytics-{seed}") if hasattr(base, "mktemp") else Path(base) / f"analytics-{seed}"
    raw = make_raw(folder / "raw", seed, **sizes)
    out = folder / "parquet"
    ingest(raw, out, IngestOptions(), Quiet())
    return out
