"""A seeded synthetic raw folder at full size (about 80k firm records, 1M patent rows) for timing ingest.

Not calibrated to the report (that is the demo generator's job): it only has the shapes that cost time,
firm names with shared affixes, co-applicants, individuals, universities, typos and duplicates.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import polars as pl

CITIES = ["深圳市", "北京", "上海市", "杭州", "广州市", "成都", "武汉市", "西安", "济南市", "南京"]
SUFFIXES = ["科技有限公司", "信息技术有限公司", "网络科技有限公司", "数据服务有限公司", "智能科技股份有限公司"]
TRACKS = ["人工智能", "大数据", "云计算", "区块链", "物联网", "移动互联网", "智慧金融", "SaaS", "机器学习"]
WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)


def check_char(digits: str) -> str:
    c = sum(int(d) * w for d, w in zip(digits, WEIGHTS)) % 11
    return "X" if c == 10 else str(c)


def make(out: Path, firms: int = 80_000, patents: int = 1_000_000, seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    # A Zipf-like character pool, as in real names: a few characters are everywhere.
    pool = np.array([chr(c) for c in range(0x4E00, 0x4E00 + 2500)])
    p = 1 / np.arange(1, pool.size + 1) ** 0.8
    p /= p.sum()
    names: list[str] = []
    seen = set()
    while len(names) < firms:
        core = "".join(rng.choice(pool, size=rng.integers(2, 6), p=p))
        name = CITIES[rng.integers(len(CITIES))] + core + SUFFIXES[rng.integers(len(SUFFIXES))]
        if name not in seen:
            seen.add(name)
            names.append(name)
    names_arr = np.array(names)
    dup = rng.choice(firms, size=firms // 20, replace=False)  # 5% written twice
    rows = np.concatenate([np.arange(firms), dup])
    pl.DataFrame({
        "name": names_arr[rows],
        "city": [CITIES[i % len(CITIES)] for i in rows],
        "tracks": [";".join(rng.choice(TRACKS, size=rng.integers(1, 3), replace=False)) for _ in rows],
        "rd_staff": rng.integers(0, 200, size=rows.size).astype(str),
    }).write_csv(out / "firms.csv")

    people = np.array(["".join(rng.choice(pool[:800], size=rng.integers(2, 4))) for _ in range(60_000)])
    unis = np.array([c.rstrip("市") + s for c in CITIES for s in ("大学", "理工大学", "科技大学", "师范大学")])
    typos = []
    for name in rng.choice(names_arr, size=5_000, replace=False):
        i = rng.integers(3, len(name) - 4)
        typos.append(name[:i] + pool[rng.integers(pool.size)] + name[i + 1:])
    typos = np.array(typos)
    outsiders = np.array([CITIES[rng.integers(len(CITIES))] + "".join(rng.choice(pool, size=4, p=p))
                          + "电力有限公司" for _ in range(20_000)])

    years = rng.integers(2003, 2022, size=patents)
    kinds = rng.choice(np.array(["1", "2", "3"]), size=patents, p=[0.6, 0.35, 0.05])
    serial = rng.permutation(patents) + 100_000
    applicants = []
    pick = rng.random(size=(patents, 2))
    for i in range(patents):
        first = names_arr[rng.integers(firms)] if pick[i, 0] < 0.97 else typos[rng.integers(typos.size)]
        r = pick[i, 1]
        if r < 0.75:
            applicants.append(first)
        elif r < 0.85:
            applicants.append(first + ";" + names_arr[rng.integers(firms)])
        elif r < 0.92:
            applicants.append(first + ";" + people[rng.integers(people.size)])
        elif r < 0.96:
            applicants.append(first + "、" + unis[rng.integers(unis.size)])
        else:
            applicants.append(first + ";" + outsiders[rng.integers(outsiders.size)])
    numbers = []
    for y, k, s in zip(years, kinds, serial):
        digits = f"{y}{k}{s:07d}"
        numbers.append(f"CN{digits}.{check_char(digits)}")
    pl.DataFrame({"app_no": numbers, "applicants": applicants,
                  "app_date": [f"{y}-06-01" for y in years]}).write_csv(out / "patents.csv")


def cached(firms: int, patents: int) -> Path:
    """The synthetic folder for these sizes, made once under benchmarks/.cache."""
    raw = Path(__file__).parent / ".cache" / f"synthetic-{firms}-{patents}"
    if not (raw / "patents.csv").exists():
        make(raw, firms, patents)
    return raw


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--firms", type=int, default=80_000)
    parser.add_argument("--patents", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    make(args.out, args.firms, args.patents, args.seed)
