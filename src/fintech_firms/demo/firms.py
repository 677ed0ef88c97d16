"""The demo firms: the universe (the plan's firms, cell by cell) and the firms outside it, each with
its names, USCC, city, tracks, R&D staff and high-tech status; and the firm records of firms.csv.

Firm ids are 0..n-1: the universe first, cell by cell in plan order, then the other firms.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from . import names as nm
from .plan import TECHS, reference_table

# Shares at scale 1 (the counts scale with the plan).
NON_UNIVERSE_PER_UNIVERSE = 0.8
DUPLICATE_SHARE = 0.05  # of the distinct firms, written a second time
FORMER_NAME_SHARE = {True: 0.05, False: 0.03}  # universe, outside
NO_USCC_SHARE = {True: 0.12, False: 0.18}
INVALID_USCC_SHARE = 0.02
UNLISTED_CITY_SHARE = 0.06  # of the firms outside the universe
BLANK_CITY_SHARE = 0.04
BLANK_RD_SHARE = 0.12  # universe firms whose rd_staff is blank (counts 0)


@dataclass
class Firms:
    frame: pl.DataFrame  # one row per firm (see build_firms)
    cell_start: np.ndarray  # cell k's firms are ids cell_start[k] .. cell_start[k+1]-1
    universe: int  # the first `universe` ids

    @property
    def size(self) -> int:
        return self.frame.height


def _largest_remainder(total: int, weights: np.ndarray) -> np.ndarray:
    """Integers proportional to weights adding up to total (weights >= 0, not all 0 when total > 0)."""
    if total == 0 or weights.size == 0:
        return np.zeros(weights.size, dtype=np.int64)
    quota = weights / weights.sum() * total
    base = np.floor(quota).astype(np.int64)
    rest = total - int(base.sum())
    if rest > 0:
        order = np.lexsort((np.arange(weights.size), -(quota - base)))
        base[order[:rest]] += 1
    return base


def _pick(rng: np.random.Generator, options: tuple | list, n: int, p=None) -> np.ndarray:
    arr = np.empty(len(options), dtype=object)
    arr[:] = list(options)
    return arr[rng.choice(len(options), size=n, p=p)]


def build_firms(plan: pl.DataFrame, rng: np.random.Generator) -> Firms:
    regions = reference_table("regions")
    province_of = dict(zip(regions["city"], regions["province"]))
    region_of = dict(zip(regions["city"], regions["region"]))
    counts = plan["firms"].to_numpy().astype(np.int64)
    universe = int(counts.sum())
    cell_start = np.concatenate([[0], np.cumsum(counts)])
    outside = round(universe * NON_UNIVERSE_PER_UNIVERSE)
    n = universe + outside
    is_universe = np.arange(n) < universe
    cell = np.full(n, -1, dtype=np.int64)
    cell[:universe] = np.repeat(np.arange(plan.height), counts)

    # --- place and tech
    city = np.empty(n, dtype=object)
    tech = np.empty(n, dtype=object)
    city[:universe] = np.repeat(plan["city"].to_numpy(), counts)
    tech[:universe] = np.repeat(plan["tech"].to_numpy(), counts)
    listed = np.array(regions["city"].to_list(), dtype=object)
    by_city = plan.group_by("city").agg(pl.col("firms").sum())
    weight = dict(zip(by_city["city"], by_city["firms"]))
    w = np.array([weight.get(c, 0) + max(1, universe // 2000) for c in listed], dtype=np.float64)
    u = rng.random(outside)
    where = rng.choice(listed.size, size=outside, p=w / w.sum())
    unlisted = rng.integers(0, len(nm.UNLISTED_CITIES), outside)
    out_city = np.where(u < UNLISTED_CITY_SHARE, np.array([c for c, _, _ in nm.UNLISTED_CITIES],
                                                           dtype=object)[unlisted], listed[where])
    out_city[u > 1 - BLANK_CITY_SHARE] = ""
    city[universe:] = out_city
    tech[universe:] = np.where(rng.random(outside) < 0.85, _pick(rng, TECHS, outside), "")
    unlisted_province = {c: p for c, p, _ in nm.UNLISTED_CITIES}
    province = np.array([province_of.get(c, unlisted_province.get(c, "")) for c in city], dtype=object)
    region = np.array([region_of.get(c, "其他" if c else "未知") for c in city], dtype=object)
    area = np.array([nm.AREA_CODES.get(c, 0) or next((a for x, _, a in nm.UNLISTED_CITIES if x == c), 0)
                     or 110000 for c in city], dtype=np.int64)

    # --- names: [prefix] core [（city）] suffix
    cores = nm.unique_cores(rng, n)
    suffix = np.empty(n, dtype=object)
    for t in TECHS:
        mask = (tech == t) & (rng.random(n) < 0.8)
        suffix[mask] = _pick(rng, nm.SUFFIXES[t], int(mask.sum()))
    rest = np.array([s is None for s in suffix])
    everything = [s for t in TECHS for s in nm.SUFFIXES[t]]
    suffix[rest] = _pick(rng, everything, int(rest.sum()))
    style = rng.choice(4, size=n, p=[0.5, 0.2, 0.1, 0.2])  # 市 prefix, bare prefix, (city), none
    short = np.array([len(s) < 8 for s in suffix])
    style[short & (style == 3)] = 0  # short suffixes need a prefix to look like a firm name
    has_city = city != ""
    style[~has_city] = 3
    prefix = np.where(style == 0, np.char.add(city.astype(str), "市"), np.where(style == 1, city.astype(str), ""))
    paren = np.where(style == 2, city.astype(str), "")
    former_share = np.where(is_universe, FORMER_NAME_SHARE[True], FORMER_NAME_SHARE[False])
    renamed = rng.random(n) < former_share
    former_suffix = _pick(rng, nm.FORMER_SUFFIXES, n)
    second_suffix = _pick(rng, nm.FORMER_SUFFIXES, n)
    two_former = renamed & (rng.random(n) < 0.1) & (second_suffix != former_suffix)
    frame = pl.DataFrame({
        "id": np.arange(n, dtype=np.int64),
        "universe": is_universe,
        "cell": cell,
        "city": city.astype(str), "province": province.astype(str), "region": region.astype(str),
        "area": area, "tech": tech.astype(str),
        "prefix": prefix.astype(str), "core": cores, "paren": paren.astype(str),
        "suffix": suffix.astype(str), "former_suffix": np.where(renamed, former_suffix, "").astype(str),
        "second_suffix": np.where(two_former, second_suffix, "").astype(str),
        "style": style,
    })
    paren_expr = (pl.when(pl.col("paren") != "").then(pl.concat_str(pl.lit("（"), "paren", pl.lit("）")))
                  .otherwise(pl.lit("")))
    frame = frame.with_columns(
        pl.concat_str("prefix", "core", paren_expr, "suffix").alias("name"),
        pl.when(pl.col("former_suffix") != "")
        .then(pl.concat_str("prefix", "core", paren_expr, "former_suffix")).alias("former"),
        pl.when(pl.col("second_suffix") != "")
        .then(pl.concat_str("prefix", "core", paren_expr, "second_suffix")).alias("former2"),
    )
    # A spelling that normalises to the same name: half-width parentheses, or a space (ASCII or
    # ideographic) after the prefix or before the suffix.
    space = pl.when(pl.col("id") % 3 == 0).then(pl.lit("\u3000")).otherwise(pl.lit(" "))
    frame = frame.with_columns(
        pl.when(pl.col("paren") != "")
        .then(pl.concat_str("prefix", "core", pl.lit("("), "paren", pl.lit(")"), "suffix"))
        .when(pl.col("prefix") != "")
        .then(pl.concat_str("prefix", space, "core", "suffix"))
        .otherwise(pl.concat_str("core", space, "suffix")).alias("variant"),
        pl.Series("rename_year", rng.integers(2010, 2020, n)),
    )
    frame = frame.with_columns(
        nm.normalized(pl.col("name")).alias("norm"),
        nm.normalized(pl.col("former")).alias("former_norm"),
        nm.normalized(pl.col("former2")).alias("former2_norm"),
    )

    # --- USCC
    u = rng.random(n)
    no_uscc = u < np.where(is_universe, NO_USCC_SHARE[True], NO_USCC_SHARE[False])
    invalid = (~no_uscc) & (u > 1 - INVALID_USCC_SHARE)
    codes = nm.usccs(rng, area, invalid)
    uscc_kind = np.where(no_uscc, 1, np.where(invalid, 2, 0))
    frame = frame.with_columns(
        pl.Series("uscc", np.where(no_uscc, "", codes).astype(str)),
        pl.Series("uscc_kind", uscc_kind),
    )

    # --- size (patents and financing follow it), high-tech status, R&D staff
    size = np.exp(rng.normal(0.0, 1.25, n))
    hightech = np.zeros(n, dtype=bool)
    rd = np.full(n, -1, dtype=np.int64)  # -1: blank
    plan_rows = plan.iter_rows(named=True)
    for k, row in enumerate(plan_rows):
        lo, hi = int(cell_start[k]), int(cell_start[k + 1])
        f = hi - lo
        hightech[lo + rng.choice(f, size=row["hightech_firms"], replace=False)] = True
        weights = size[lo:hi] ** 0.6 * rng.uniform(0.5, 1.5, f)
        blank = rng.random(f) < BLANK_RD_SHARE
        if blank.all():
            blank[int(rng.integers(0, f))] = False
        weights[blank] = 0.0
        staff = _largest_remainder(int(row["rd_staff"]), weights)
        rd[lo:hi] = np.where(blank, -1, staff)
    outside_rd = np.round(np.exp(rng.normal(3.0, 1.2, outside))).astype(np.int64)
    rd[universe:] = np.where(rng.random(outside) < 0.35, -1, outside_rd)
    frame = frame.with_columns(
        pl.Series("size", size), pl.Series("hightech", hightech), pl.Series("rd", rd),
        pl.Series("founded_year", rng.integers(1995, 2021, n)),
    )
    frame = frame.with_columns(
        pl.Series("tracks", _tracks(rng, tech, is_universe)),
        pl.Series("rd_text", _rd_text(rng, rd)),
        pl.Series("founded", _founded(rng, frame["founded_year"].to_numpy())),
        pl.Series("transfer", _pick(rng, ("是", "否", ""), n, p=[0.2, 0.5, 0.3]).astype(str)),
        pl.Series("province_text", np.where(rng.random(n) < 0.4, province, "").astype(str)),
    )
    return Firms(frame, cell_start, universe)


def _tracks(rng: np.random.Generator, tech: np.ndarray, is_universe: np.ndarray) -> np.ndarray:
    """The tracks cell: the tech's track (or an alias) first among known tracks, an unknown track
    before it sometimes, other tracks of any class after it; joined by ; 、 or ，."""
    choices = nm.track_choices(reference_table("tracks"))
    every = [(track, aliases) for t in TECHS for track, aliases in choices[t]]
    n = tech.size
    out = np.empty(n, dtype=object)
    u = rng.random((n, 6))
    seps = (";", "、", "，")
    for i in range(n):
        items: list[str] = []
        if not tech[i]:
            if is_universe[i]:
                raise AssertionError("universe firm without tech")
            if u[i, 0] < 0.5:
                items.append(nm.UNKNOWN_TRACKS[int(u[i, 1] * len(nm.UNKNOWN_TRACKS))])
            out[i] = seps[int(u[i, 2] * 3)].join(items)
            continue
        if u[i, 0] < 0.08:
            items.append(nm.UNKNOWN_TRACKS[int(u[i, 1] * len(nm.UNKNOWN_TRACKS))])
        own = choices[tech[i]]
        # The class's first track (大数据, 人工智能, ...) is the most common primary track.
        j = 0 if u[i, 2] < 0.45 else int(rng.integers(0, len(own)))
        track, aliases = own[j]
        items.append(aliases[int(rng.integers(0, len(aliases)))] if aliases and u[i, 3] < 0.2 else track)
        for _ in range(int(u[i, 4] * 3)):
            other, _ = every[int(rng.integers(0, len(every)))]
            if other != track and other not in items:
                items.append(other)
        out[i] = seps[int(u[i, 5] * 3)].join(items)
    return out.astype(str)


def _rd_text(rng: np.random.Generator, rd: np.ndarray) -> np.ndarray:
    out = np.where(rd < 0, "", rd.astype(str)).astype(object)
    big = np.flatnonzero((rd >= 1000) & (rng.random(rd.size) < 0.5))
    out[big] = [f"{v:,}" for v in rd[big]]
    return out.astype(str)


def _founded(rng: np.random.Generator, years: np.ndarray) -> np.ndarray:
    n = years.size
    days = rng.integers(0, 365, n)
    dates = (years - 1970).astype("datetime64[Y]").astype("datetime64[D]") + days
    s = pl.Series(dates.astype("datetime64[ms]")).cast(pl.Date)
    forms = [s.dt.strftime("%Y-%m-%d"), s.dt.strftime("%Y/%-m/%-d"), s.dt.strftime("%Y年%-m月%-d日"),
             s.dt.strftime("%Y%m%d"), pl.Series(years.astype(str)), pl.Series([""] * n)]
    pick = rng.choice(len(forms), size=n, p=[0.5, 0.15, 0.12, 0.08, 0.05, 0.1])
    stacked = np.stack([f.to_numpy().astype(object) for f in forms], axis=1)
    return stacked[np.arange(n), pick].astype(str)


def _city_written(rng: np.random.Generator, city: np.ndarray, province: np.ndarray) -> np.ndarray:
    """The city as one export writes it: 深圳, 深圳市, 广东省深圳市, 广东深圳, 深圳市南山区."""
    n = city.size
    pick = rng.choice(5, size=n, p=[0.35, 0.35, 0.15, 0.08, 0.07])
    out = np.empty(n, dtype=object)
    for i in range(n):
        c, p = city[i], province[i]
        if not c:
            out[i] = ""
            continue
        municipal = p == c + "市"
        k = pick[i]
        if k == 0:
            out[i] = c
        elif k == 1 or (municipal and k in (2, 3)) or (k in (2, 3) and not p):
            out[i] = c + "市"
        elif k == 2:
            out[i] = p + c + "市"
        elif k == 3:
            short = p.removesuffix("省").removesuffix("市")
            out[i] = short + c if not short.endswith("自治区") and len(short) <= 3 else c + "市"
        else:
            out[i] = c + "市" + nm.DISTRICTS[c] if c in nm.DISTRICTS else c + "市"
    return out.astype(str)


def firm_records(firms: Firms, rng: np.random.Generator) -> tuple[pl.DataFrame, int]:
    """The rows of firms.csv (Chinese headers), shuffled, and how many are duplicate records.

    Each firm has one full record; DUPLICATE_SHARE of them a second one that merges into it (same
    USCC or, without a valid one, a name that normalises equal) and changes nothing: the name written
    another way, every other field the same value (maybe written another way) or blank."""
    f = firms.frame
    n = f.height
    dup = np.sort(rng.choice(n, size=round(n * DUPLICATE_SHARE), replace=False))
    city = f["city"].to_numpy().astype(object)
    province = f["province"].to_numpy().astype(object)
    former_cell = f.select(
        pl.concat_str(pl.col("former"), pl.col("former2"), separator="；", ignore_nulls=True)
        .fill_null("")).to_series().to_numpy().astype(object)
    primary = pl.DataFrame({
        "企业名称": f["name"],
        "统一社会信用代码": f["uscc"],
        "曾用名": former_cell.astype(str),
        "省份": f["province_text"],
        "城市": _city_written(rng, city, province),
        "所属赛道": f["tracks"],
        "研发人员数量": f["rd_text"],
        "是否有专利转让许可": f["transfer"],
        "成立日期": f["founded"],
    })
    d = dup.size
    blank = rng.random((d, 6)) < np.array([0.5, 0.5, 0.3, 0.5, 0.6, 0.5])
    rd = f["rd"].to_numpy()[dup]
    rd_again = np.where(rd < 0, "", rd.astype(str)).astype(object)
    tracks = f["tracks"].to_numpy()[dup].astype(object)
    tracks_again = np.array([t.replace("，", "、") if i % 2 else t for i, t in enumerate(tracks)], dtype=object)
    again = pl.DataFrame({
        "企业名称": f["variant"].to_numpy()[dup],
        "统一社会信用代码": f["uscc"].to_numpy()[dup],
        "曾用名": np.where(blank[:, 0], "", former_cell[dup]).astype(str),
        "省份": np.where(blank[:, 1], "", province[dup]).astype(str),
        "城市": np.where(blank[:, 2], "", _city_written(rng, city[dup], province[dup])).astype(str),
        "所属赛道": np.where(blank[:, 3], "", tracks_again).astype(str),
        "研发人员数量": np.where(blank[:, 4], "", rd_again).astype(str),
        "是否有专利转让许可": np.where(blank[:, 5], "", f["transfer"].to_numpy()[dup]).astype(str),
        "成立日期": np.where(blank[:, 5], "", f["founded"].to_numpy()[dup]).astype(str),
    })
    records = pl.concat([primary, again])
    order = rng.permutation(records.height)
    return records[order], d
