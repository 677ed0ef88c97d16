"""hightech.xlsx: high-tech enterprise certificates (valid in the issue year and the two after).

The plan's high-tech firms hold a certificate issued in AS_OF-2..AS_OF (and maybe the one before and
the renewal after); the other universe firms hold none valid in AS_OF: none at all, expired ones
(issued <= AS_OF-3) or only ones issued after AS_OF. Firms outside the universe hold some too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from .firms import Firms
from .plan import AS_OF

HIGHTECH_HEADER = ["企业名称", "统一社会信用代码", "证书编号", "发证日期"]
LAST_ISSUE_YEAR = AS_OF + 3
DUPLICATE_SHARE = 0.02
OUTSIDE_SHARE = 0.3
UNKNOWN_SHARE = 0.005


@dataclass
class HightechCounts:
    rows: int = 0
    certificates: int = 0
    duplicate_rows: int = 0
    unknown_firm_rows: int = 0


def _certificates(firms: Firms, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(firm, issue year) of every certificate."""
    f = firms.frame
    n = firms.size
    universe = f["universe"].to_numpy()
    hightech = f["hightech"].to_numpy()
    firm_l, year_l = [], []

    def add(mask: np.ndarray, years: np.ndarray) -> None:
        firm_l.append(np.flatnonzero(mask))
        year_l.append(years[mask])

    valid_year = rng.integers(AS_OF - 2, AS_OF + 1, n)
    add(hightech, valid_year)
    add(hightech & (rng.random(n) < 0.4) & (valid_year - 3 >= 2008), valid_year - 3)
    add(hightech & (rng.random(n) < 0.3) & (valid_year + 3 <= LAST_ISSUE_YEAR), valid_year + 3)
    u = rng.random(n)
    plain = universe & ~hightech
    expired = plain & (u < 0.3)
    old_year = rng.integers(2008, AS_OF - 2, n)  # <= AS_OF - 3
    add(expired, old_year)
    add(expired & (rng.random(n) < 0.4) & (old_year + 3 <= AS_OF - 3), old_year + 3)
    future = plain & (u > 0.85)
    add(future, rng.integers(AS_OF + 1, LAST_ISSUE_YEAR + 1, n))
    outside = ~universe & (u < OUTSIDE_SHARE)
    any_year = rng.integers(2010, LAST_ISSUE_YEAR + 1, n)
    add(outside, any_year)
    add(outside & (rng.random(n) < 0.3) & (any_year + 3 <= LAST_ISSUE_YEAR), any_year + 3)
    firm = np.concatenate(firm_l)
    year = np.concatenate(year_l)
    order = np.lexsort((year, firm))
    return firm[order], year[order]


def hightech_rows(firms: Firms, unknown_names: list[str], rng: np.random.Generator
                  ) -> tuple[list[list], HightechCounts]:
    """The certificate rows (name, uscc, cert_no, issue_date), shuffled."""
    f = firms.frame
    firm, year = _certificates(firms, rng)
    n = firm.size
    province = (f["area"].to_numpy() // 10_000)[firm]
    # cert_no: GR + year + 2-digit province + 5-digit serial, serials counted per (year, province).
    serial = np.zeros(n, dtype=np.int64)
    key = year * 100 + province
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    starts = np.flatnonzero(np.r_[True, sorted_key[1:] != sorted_key[:-1]])
    run = np.arange(n) - np.repeat(starts, np.diff(np.r_[starts, n]))
    serial[order] = run + 1
    width = 5 if n == 0 or serial.max() < 100_000 else 6
    cert_no = [f"GR{y}{p:02d}{s:0{width}d}" for y, p, s in zip(year.tolist(), province.tolist(), serial.tolist())]
    days = rng.integers(0, 365, n)
    dates = [dt.date(y, 1, 1) + dt.timedelta(days=int(d)) for y, d in zip(year.tolist(), days.tolist())]
    names = f["name"].to_numpy()
    variants = f["variant"].to_numpy()
    formers = f["former"].to_numpy()
    usccs = f["uscc"].to_numpy()
    kinds = f["uscc_kind"].to_numpy()

    def identify(i: int, u: float, v: float) -> tuple[str | None, str | None]:
        firm_id = int(firm[i])
        name = variants[firm_id] if u < 0.1 else names[firm_id]
        if u > 0.95 and formers[firm_id] is not None:
            name = formers[firm_id]
        kind = kinds[firm_id]
        if kind == 0:
            if v < 0.6:
                return name, usccs[firm_id]
            if v < 0.85:
                return name, None
            return None, usccs[firm_id]
        if kind == 2 and v < 0.3:
            return name, usccs[firm_id]
        return name, None

    def issue(i: int, w: float):
        d = dates[i]
        if w < 0.4:
            return d
        if w < 0.6:
            return d.isoformat()
        if w < 0.7:
            return f"{d.year}/{d.month}/{d.day}"
        if w < 0.8:
            return f"{d.year}年{d.month}月{d.day}日"
        return None

    u = rng.random((n, 3))
    rows = []
    for i in range(n):
        name, uscc = identify(i, u[i, 0], u[i, 1])
        rows.append([name, uscc, cert_no[i], issue(i, u[i, 2])])
    d = round(n * DUPLICATE_SHARE)
    again = np.sort(rng.choice(n, size=d, replace=False)) if d else np.zeros(0, dtype=np.int64)
    u2 = rng.random((d, 3))
    for j, i in enumerate(again.tolist()):
        name, uscc = identify(i, u2[j, 0], u2[j, 1])
        rows.append([name, uscc, cert_no[i], issue(i, u2[j, 2])])
    k = round(n * UNKNOWN_SHARE) if unknown_names else 0
    for j in range(k):
        y = int(rng.integers(2012, LAST_ISSUE_YEAR + 1))
        rows.append([unknown_names[int(rng.integers(0, len(unknown_names)))], None,
                     f"GR{y}99{j + 1:05d}", f"{y}-{int(rng.integers(1, 13)):02d}-{int(rng.integers(1, 29)):02d}"])
    order = rng.permutation(len(rows))
    rows = [rows[i] for i in order]
    return rows, HightechCounts(rows=len(rows), certificates=n + k, duplicate_rows=d, unknown_firm_rows=k)
