"""patents.csv: the plan's patents, cell by cell, with shared patents, typos and noise.

Per cell c (firms F, patents P, inventions I of the plan) and its guest patents (G of them, GI
inventions: patents owned by a firm of another cell with one of c's firms as co-applicant):

- c's firms own P - G applications, I - GI of them inventions; every firm owns at least one;
- the shared patents c owns are among those, each with one guest firm of its guest cell;
- other co-applicants are firms of the same cell, people, universities and outside companies.

So each cell's firms are applicants on exactly P distinct applications, I of them inventions. On top
of those: rows repeating an application (number written another way, applicants re-spelled),
applications of people/universities/outside companies only, and rows with invalid numbers (all
quarantined). Patents are generated a group of cells at a time and written in slices, so memory stays
bounded at any scale.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from . import names as nm
from .firms import Firms
from .fuzzcheck import CandidateIndex, ratio
from .plan import AS_OF, BUSY_CITIES
from .writer import CsvAppender

PATENT_COLUMNS = ["app_no", "applicants", "patent_type", "app_date", "ipc", "legal_status"]
FIRST_YEAR = 2003
YEAR_GROWTH = 1.17  # applications per year grow by this factor
OLD_NUMBER_SHARE = 0.0015  # 8-digit numbers (1996-2002)
PCT_SHARE = 0.012
DESIGN_SHARE = 0.12  # of the non-inventions
CO_FIRM_SHARE, SECOND_CO_FIRM_SHARE = 0.06, 0.015
PERSON_SHARE, TWO_PEOPLE_SHARE = 0.08, 0.02
UNIVERSITY_SHARE, OUTSIDE_SHARE = 0.03, 0.005
VARIANT_SHARE = 0.05
FORMER_SHARE = 0.7  # of the mentions of a renamed firm on its patents from before the rename
TYPO_SHARE = 0.0028  # typo'd applicant cells per application
DUPLICATE_SHARE = 0.02
OUTSIDE_ONLY_SHARE = 0.01
INVALID_SHARE = 0.005
TYPE_DISAGREE_SHARE = 0.002
GROUP_PATENTS = 1_000_000  # applications per group of cells (numbers)
SLICE_PATENTS = 250_000  # applications per slice (strings, written at once)

_TYPE_WORDS = (("发明专利", "发明"), ("实用新型", "实用新型专利"), ("外观设计", "外观设计专利"))
_IPC = {
    "big_data": ("G06F16/2458", "G06F16/28", "G06Q40/02", "G06F21/62", "G06Q10/06"),
    "blockchain": ("H04L9/32", "H04L9/06", "G06Q20/38", "G06Q40/04", "H04L67/10"),
    "ai": ("G06N3/08", "G06N20/00", "G06K9/62", "G06F40/30", "G10L15/22"),
    "cloud": ("G06F9/50", "H04L67/10", "G06F9/455", "G06F11/34", "H04L41/08"),
    "iot": ("H04W4/70", "G08C17/02", "H04L67/12", "G06Q20/32", "G07F19/00"),
    "internet": ("G06Q40/02", "G06Q20/40", "G06Q30/02", "G06Q40/08", "H04L29/06"),
}
_STATUS = ("有效", "审中", "失效", "授权", "驳回", "撤回", "")
_HOMOPHONES = {"技": "计", "科": "可", "限": "现", "公": "工", "司": "斯", "信": "新", "息": "习", "数": "树",
               "据": "具", "网": "往", "络": "落", "智": "志", "能": "龙", "服": "福", "份": "分", "股": "古",
               "术": "述", "云": "芸", "计": "记", "融": "荣", "金": "今", "链": "连", "件": "建", "电": "点",
               "设": "社", "备": "贝", "支": "之", "付": "富", "互": "护", "联": "连", "物": "务", "字": "子",
               "软": "软", "算": "蒜"}


@dataclass
class PatentCounts:
    rows: int = 0
    distinct: int = 0  # valid distinct applications written (firm ones and the others)
    firm_patents: int = 0
    shared: int = 0
    duplicate_rows: int = 0
    invalid_rows: int = 0
    outside_only: int = 0
    type_disagreements: int = 0
    typo_applicants: int = 0
    former_name_applicants: int = 0
    typo_names: list[str] = field(default_factory=list)


# --- shared patents -------------------------------------------------------------------------------

def allocate_shared(plan: pl.DataFrame, count: int, rng: np.random.Generator) -> pl.DataFrame:
    """`count` shared patents: (owner cell, guest cell, invention) with owner and guest in different
    regions and techs and not both in 北京/深圳/上海, such that every cell keeps >= firms owned patents
    and its inventions and non-inventions cover what it owns and what it is guest on."""
    if count == 0:
        return pl.DataFrame(schema={"owner": pl.Int64, "guest": pl.Int64, "invention": pl.Boolean})
    p = plan["patents"].to_numpy().astype(np.int64)
    f = plan["firms"].to_numpy().astype(np.int64)
    inventions = plan["invention_patents"].to_numpy().astype(np.int64).copy()
    cap = {True: inventions, False: p - inventions}
    cap_guest = p - f
    region = plan["region"].to_numpy()
    tech = plan["tech"].to_numpy()
    busy = np.isin(plan["city"].to_numpy(), list(BUSY_CITIES))
    allowed = (region[:, None] != region[None, :]) & (tech[:, None] != tech[None, :]) & ~(busy[:, None] & busy[None, :])
    weight = p.astype(np.float64)
    owners, guests, kinds = [], [], []
    for _ in range(count):
        first = bool(rng.random() < 0.6)
        for kind in (first, not first):
            guest_ok = (cap[kind] > 0) & (cap_guest > 0)
            owner_ok = (cap[kind] > 0) & (allowed & guest_ok[None, :]).any(axis=1)
            if not owner_ok.any():
                continue
            w = weight * owner_ok
            c1 = int(rng.choice(w.size, p=w / w.sum()))
            w = weight * (guest_ok & allowed[c1])
            c2 = int(rng.choice(w.size, p=w / w.sum()))
            cap[kind][c1] -= 1
            cap[kind][c2] -= 1
            cap_guest[c2] -= 1
            owners.append(c1)
            guests.append(c2)
            kinds.append(kind)
            break
        else:
            raise ValueError(f"the plan cannot hold {count} shared patents (placed {len(owners)}): too few "
                             "cells of different regions and techs with patents to spare")
    return pl.DataFrame({"owner": owners, "guest": guests, "invention": kinds},
                        schema={"owner": pl.Int64, "guest": pl.Int64, "invention": pl.Boolean})


# --- typos -----------------------------------------------------------------------------------------

def candidate_index(firms: Firms) -> CandidateIndex:
    f = firms.frame
    names = pl.concat([
        f.select(pl.col("norm").alias("n"), "id"),
        f.filter(pl.col("former_norm").is_not_null()).select(pl.col("former_norm").alias("n"), "id"),
        f.filter(pl.col("former2_norm").is_not_null()).select(pl.col("former2_norm").alias("n"), "id"),
    ])
    return CandidateIndex(names["n"].to_list(), names["id"].to_numpy())


def make_typos(firms: Firms, index: CandidateIndex, count: int, rng: np.random.Generator) -> dict[int, str]:
    """Up to `count` universe firms, each with one typo of its name (one character changed) that
    links to it under the engine's fuzzy rule with room to spare: rapidfuzz ratio >= 91 for the firm,
    every other firm at least 4 points less, and the typo is no firm's name or former name."""
    f = firms.frame.head(firms.universe)
    norm = f["norm"].to_numpy().astype(object)
    eligible = np.flatnonzero(np.fromiter((len(s) >= 12 for s in norm), dtype=bool, count=norm.size))
    count = min(count, eligible.size)
    if count == 0:
        return {}
    size = f["size"].to_numpy()[eligible]
    chosen = np.sort(rng.choice(eligible, size=count, replace=False, p=size / size.sum()))
    former, former2 = f["former_norm"].to_numpy(), f["former2_norm"].to_numpy()
    own = {int(i): [x for x in (norm[i], former[i], former2[i]) if x] for i in chosen}
    prefix_len = f["prefix"].str.len_chars().to_numpy()
    pool = nm.TYPO_CHARS
    out: dict[int, str] = {}
    pending = chosen
    for _ in range(3):
        typos: list[str] = []
        for i in pending:
            name = norm[i]
            core_at = int(prefix_len[i])
            use_suffix = rng.random() < 0.55
            positions = [k for k in range(core_at + 4, len(name)) if name[k] in _HOMOPHONES
                         and _HOMOPHONES[name[k]] != name[k]]
            if use_suffix and positions:
                k = positions[int(rng.integers(0, len(positions)))]
                typos.append(name[:k] + _HOMOPHONES[name[k]] + name[k + 1:])
            else:
                k = core_at + int(rng.integers(0, 4))
                typos.append(name[:k] + pool[int(rng.integers(0, len(pool)))] + name[k + 1:])
        intended = np.array([max(ratio(t, x) for x in own[i]) for t, i in zip(typos, pending)])
        other = index.best_other(typos, pending, cutoff=87.0)
        good = (intended >= 91) & (other <= intended - 4)
        good &= np.fromiter((t not in index.exact for t in typos), dtype=bool, count=len(typos))
        taken = set(out.values())
        for t, i, g in zip(typos, pending, good):
            if g and t not in taken:
                out[int(i)] = t
                taken.add(t)
        pending = np.array([i for i in pending if int(i) not in out], dtype=np.int64)
        if pending.size == 0:
            break
    return dict(sorted(out.items()))


# --- the patents of one group of cells --------------------------------------------------------------

@dataclass
class _Numbers:
    """Per-(width, year, type digit) counters: each new application gets the next serial."""

    counters: dict[tuple[int, int, int], int] = field(default_factory=dict)

    def take(self, width: np.ndarray, year: np.ndarray, digit: np.ndarray) -> np.ndarray:
        """Distinct numbers (as integers: 12 digits, or 8 for width 8) for these applications."""
        frame = pl.DataFrame({"w": width.astype(np.int64), "y": year.astype(np.int64),
                              "d": digit.astype(np.int64)})
        frame = frame.with_columns(pl.int_range(pl.len(), dtype=pl.Int64).over("w", "y", "d").alias("k"))
        groups = frame.group_by("w", "y", "d").agg(pl.len().alias("n")).sort("w", "y", "d")
        base = pl.DataFrame(
            [(w, y, d, self.counters.get((w, y, d), 0)) for w, y, d, _ in groups.iter_rows()],
            schema={"w": pl.Int64, "y": pl.Int64, "d": pl.Int64, "base": pl.Int64}, orient="row")
        for w, y, d, n in groups.iter_rows():
            self.counters[(w, y, d)] = self.counters.get((w, y, d), 0) + n
        k = frame.join(base, on=["w", "y", "d"], how="left", maintain_order="left").select(
            pl.col("k") + pl.col("base"))["k"].to_numpy()
        year = year.astype(np.int64)
        digit = digit.astype(np.int64)
        twelve = width == 12
        if (twelve & (k >= 10 ** 7)).any() or (~twelve & (k >= 10 ** 5)).any():
            raise ValueError("too many applications for one year and type")
        off = (year * 7919 + digit * 104729) % 10 ** 7
        serial12 = (k * 7_654_321 + off) % 10 ** 7
        serial8 = (k * 7_321 + off) % 10 ** 5
        return np.where(twelve, year * 10 ** 8 + digit * 10 ** 7 + serial12,
                        (year % 100) * 10 ** 6 + digit * 10 ** 5 + serial8)


def _number_text(number: np.ndarray, width: np.ndarray, form: np.ndarray) -> pl.Series:
    """Application numbers as exports write them (CN prefix or not, dot or not, check or not)."""
    twelve = width == 12
    check = np.where(twelve, nm.app_no_checks(number, 12), nm.app_no_checks(number % 10 ** 8, 8))
    frame = pl.DataFrame({"n": number, "twelve": twelve, "c": check.astype(str), "form": form})
    digits = pl.when(pl.col("twelve")).then(pl.col("n").cast(pl.Utf8)).otherwise(
        pl.col("n").cast(pl.Utf8).str.zfill(8))
    frame = frame.with_columns(digits.alias("d"))
    d, c = pl.col("d"), pl.col("c")
    spaced = pl.concat_str(pl.lit("CN "), d.str.slice(0, 4), pl.lit(" "), d.str.slice(4, 4), pl.lit(" "),
                           d.str.slice(8, 4), pl.lit("."), c)
    text = (pl.when(pl.col("form") == 0).then(pl.concat_str(pl.lit("CN"), d, pl.lit("."), c))
            .when(pl.col("form") == 1).then(pl.concat_str(d, pl.lit("."), c))
            .when(pl.col("form") == 2).then(pl.concat_str(d, c))
            .when((pl.col("form") == 3) & pl.col("twelve")).then(spaced)
            .when(pl.col("form") == 3).then(pl.concat_str(d, pl.lit("."), c))
            .when(pl.col("form") == 4).then(d)
            .otherwise(pl.concat_str(pl.lit("CN"), d)))
    return frame.select(text.alias("app_no")).to_series()


def _dates(rng: np.random.Generator, years: np.ndarray, p_blank: float) -> pl.Series:
    n = years.size
    leap = (years % 4 == 0) & ((years % 100 != 0) | (years % 400 == 0))
    days = (rng.random(n) * np.where(leap, 366, 365)).astype(np.int64)
    dates = (years.astype(np.int64) - 1970).astype("datetime64[Y]").astype("datetime64[D]") + days
    s = pl.Series(dates).cast(pl.Date)
    pick = rng.choice(4, size=n, p=[0.68 - p_blank / 2, p_blank, 0.2 - p_blank / 2, 0.12])
    frame = pl.DataFrame({"d": s, "k": pick})
    return frame.select(
        pl.when(pl.col("k") == 0).then(pl.col("d").dt.strftime("%Y-%m-%d"))
        .when(pl.col("k") == 1).then(pl.lit(""))
        .when(pl.col("k") == 2).then(pl.col("d").dt.strftime("%Y/%-m/%-d"))
        .otherwise(pl.col("d").dt.strftime("%Y年%-m月%-d日")).alias("app_date")
    ).to_series()


class PatentWriter:
    def __init__(self, firms: Firms, plan: pl.DataFrame, shared: pl.DataFrame, typos: dict[int, str],
                 out: CsvAppender, seeds: np.random.SeedSequence):
        self.firms = firms
        self.plan = plan
        self.shared = shared
        self.typos = typos
        self.out = out
        self.seeds = seeds
        self.numbers = _Numbers()
        self.counts = PatentCounts()
        # Every applicant name written (for the linking truth, demo/truth.py); draws no random numbers.
        self.written: set[str] = set()
        f = firms.frame
        self.name = f["name"]
        self.variant = f["variant"]
        self.former = f["former"]
        self.former2 = f["former2"]
        self.rename_year = f["rename_year"].to_numpy()
        self.has_former = f["former"].is_not_null().to_numpy()
        self.has_former2 = f["former2"].is_not_null().to_numpy()
        self.size = f["size"].to_numpy()
        self.tech_of_cell = plan["tech"].to_list()
        self.people = nm.people(np.random.default_rng(seeds.spawn(1)[0]), 5000)
        guests = shared.group_by("guest").agg(pl.len().alias("g"), pl.col("invention").sum().alias("gi"))
        g = np.zeros(plan.height, dtype=np.int64)
        gi = np.zeros(plan.height, dtype=np.int64)
        g[guests["guest"].to_numpy()] = guests["g"].to_numpy()
        gi[guests["guest"].to_numpy()] = guests["gi"].to_numpy()
        self.owned = plan["patents"].to_numpy() - g
        self.owned_inv = plan["invention_patents"].to_numpy() - gi
        self.shared_by_owner = {k: v for k, v in zip(*_by_owner(shared))}

    def run(self) -> PatentCounts:
        groups: list[list[int]] = [[]]
        total = 0
        for cell, owned in enumerate(self.owned.tolist()):
            if groups[-1] and total + owned > GROUP_PATENTS:
                groups.append([])
                total = 0
            groups[-1].append(cell)
            total += owned
        seeds = self.seeds.spawn(len(groups))
        for k, (cells, seed) in enumerate(zip(groups, seeds)):
            self._group(cells, np.random.default_rng(seed), first=k == 0)
        return self.counts

    def _group(self, cells: list[int], rng: np.random.Generator, first: bool) -> None:
        firms = self.firms
        owner_l, kind_l, guest_l, cell_l = [], [], [], []
        for c in cells:
            lo, hi = int(firms.cell_start[c]), int(firms.cell_start[c + 1])
            f = hi - lo
            n = int(self.owned[c])
            own_shared = self.shared_by_owner.get(c)
            s_inv = own_shared[1] if own_shared is not None else np.zeros(0, dtype=bool)
            s_guest = own_shared[0] if own_shared is not None else np.zeros(0, dtype=np.int64)
            internal_inv = int(self.owned_inv[c]) - int(s_inv.sum())
            internal = n - s_inv.size
            kinds = np.concatenate([
                np.where(s_inv, 0, 1),
                np.zeros(internal_inv, dtype=np.int64),
                np.ones(internal - internal_inv, dtype=np.int64),
            ])
            non = kinds == 1
            kinds[non & (rng.random(n) < DESIGN_SHARE)] = 2
            weights = self.size[lo:hi]
            extra = rng.choice(f, size=n - f, p=weights / weights.sum()) if n > f else np.zeros(0, np.int64)
            owners = rng.permutation(np.concatenate([np.arange(f), extra])) + lo
            guest = np.full(n, -1, dtype=np.int64)
            if s_guest.size:
                g_lo = self.firms.cell_start[s_guest]
                g_n = self.firms.cell_start[s_guest + 1] - g_lo
                guest[: s_guest.size] = g_lo + (rng.random(s_guest.size) * g_n).astype(np.int64)
            owner_l.append(owners)
            kind_l.append(kinds)
            guest_l.append(guest)
            cell_l.append(np.full(n, c, dtype=np.int64))
        owner = np.concatenate(owner_l)
        kind = np.concatenate(kind_l)
        guest = np.concatenate(guest_l)
        cell = np.concatenate(cell_l)
        order = rng.permutation(owner.size)
        owner, kind, guest, cell = owner[order], kind[order], guest[order], cell[order]
        n = owner.size
        # Years grow towards AS_OF; a few old 8-digit numbers.
        years = np.arange(FIRST_YEAR, AS_OF + 1)
        w = YEAR_GROWTH ** (years - FIRST_YEAR)
        year = rng.choice(years, size=n, p=w / w.sum())
        old = rng.random(n) < OLD_NUMBER_SHARE
        year[old] = rng.integers(1996, FIRST_YEAR, int(old.sum()))
        if first and n:
            year[0], old[0] = AS_OF, False
        # The typo'd mention: the owner mention on the firm's first application here.
        typo = np.zeros(n, dtype=bool)
        if self.typos:
            typo_firms = np.fromiter(self.typos, dtype=np.int64)
            hit = np.flatnonzero(np.isin(owner, typo_firms))
            _, first_at = np.unique(owner[hit], return_index=True)
            typo[hit[first_at]] = True
        for start in range(0, n, SLICE_PATENTS):
            part = slice(start, min(n, start + SLICE_PATENTS))
            self._slice(rng, owner[part], kind[part], guest[part], cell[part], year[part], old[part],
                        typo[part])

    def _mentions(self, rng, owner, guest, cell, year, typo) -> pl.DataFrame:
        """Applicant mentions: (patent, order key, firm or -1, text)."""
        n = owner.size
        cs = self.firms.cell_start
        lo, f = cs[cell], cs[cell + 1] - cs[cell]
        pid = np.arange(n, dtype=np.int64)
        parts = [(pid, np.where(rng.random(n) < 0.92, -1.0, rng.random(n)), owner, typo)]
        shared = guest >= 0
        parts.append((pid[shared], rng.random(int(shared.sum())), guest[shared], np.zeros(int(shared.sum()), bool)))
        co = (f >= 2) & (rng.random(n) < CO_FIRM_SHARE)
        off1 = 1 + (rng.random(n) * np.maximum(f - 1, 1)).astype(np.int64)
        first_co = lo + (owner - lo + off1) % np.maximum(f, 1)
        parts.append((pid[co], rng.random(int(co.sum())), first_co[co], np.zeros(int(co.sum()), bool)))
        co2 = co & (f >= 3) & (rng.random(n) < SECOND_CO_FIRM_SHARE / CO_FIRM_SHARE)
        off2 = 1 + (rng.random(n) * np.maximum(f - 2, 1)).astype(np.int64)
        off2 = np.where(off2 >= off1, off2 + 1, off2)
        second_co = lo + (owner - lo + off2) % np.maximum(f, 1)
        parts.append((pid[co2], rng.random(int(co2.sum())), second_co[co2], np.zeros(int(co2.sum()), bool)))
        firm_part = pl.DataFrame({
            "pid": np.concatenate([p[0] for p in parts]),
            "key": np.concatenate([p[1] for p in parts]),
            "firm": np.concatenate([p[2] for p in parts]),
            "typo": np.concatenate([p[3] for p in parts]),
        })
        firm_part = firm_part.with_columns(pl.Series("year", year[firm_part["pid"].to_numpy()]))
        fid = firm_part["firm"].to_numpy()
        yr = firm_part["year"].to_numpy()
        m = fid.size
        use_former = self.has_former[fid] & (yr < self.rename_year[fid]) & (rng.random(m) < FORMER_SHARE)
        use_former2 = use_former & self.has_former2[fid] & (rng.random(m) < 0.4)
        use_variant = rng.random(m) < VARIANT_SHARE
        typo_mask = firm_part["typo"].to_numpy()
        typo_text = np.array([self.typos.get(int(x), "") for x in fid[typo_mask]], dtype=object)
        text = pl.DataFrame({
            "name": self.name.gather(fid), "variant": self.variant.gather(fid),
            "former": self.former.gather(fid), "former2": self.former2.gather(fid),
            "use_former": use_former & ~typo_mask, "use_former2": use_former2 & ~typo_mask,
            "use_variant": use_variant,
        }).select(
            pl.when(pl.col("use_former2")).then(pl.col("former2"))
            .when(pl.col("use_former")).then(pl.col("former"))
            .when(pl.col("use_variant")).then(pl.col("variant"))
            .otherwise(pl.col("name")).alias("text")
        )["text"].to_numpy().astype(object)
        text[typo_mask] = typo_text
        self.counts.typo_applicants += int(typo_mask.sum())
        self.counts.typo_names.extend(typo_text.tolist())
        self.counts.former_name_applicants += int((use_former & ~typo_mask).sum())
        firm_part = firm_part.select("pid", "key", "firm").with_columns(pl.Series("text", text, dtype=pl.Utf8))
        # Other applicants: people, universities, outside companies.
        others = [self._others(rng, pid, PERSON_SHARE, self.people),
                  self._others(rng, pid, TWO_PEOPLE_SHARE, self.people),
                  self._others(rng, pid, UNIVERSITY_SHARE, np.array(nm.UNIVERSITIES, dtype=object)),
                  self._others(rng, pid, OUTSIDE_SHARE, np.array(nm.OUTSIDE_COMPANIES, dtype=object))]
        return pl.concat([firm_part, *others])

    @staticmethod
    def _others(rng, pid, share, pool) -> pl.DataFrame:
        pick = rng.random(pid.size) < share
        k = int(pick.sum())
        return pl.DataFrame({"pid": pid[pick], "key": rng.random(k), "firm": np.full(k, -1, dtype=np.int64),
                             "text": pool[rng.integers(0, len(pool), k)].astype(str)})

    @staticmethod
    def _join(mentions: pl.DataFrame, n: int, rng) -> pl.Series:
        """One applicants cell per patent, in key order, joined by ; ； or 、."""
        grouped = (mentions.unique(["pid", "text"], keep="first", maintain_order=True)
                   .sort("pid", "key", maintain_order=True).group_by("pid", maintain_order=True)
                   .agg(pl.col("text").str.join("\x1f")))
        sep = np.array([";", "；", "、"], dtype=object)[rng.choice(3, size=n, p=[0.6, 0.2, 0.2])]
        cells = pl.DataFrame({"pid": np.arange(n, dtype=np.int64), "sep": sep.astype(str)}).join(
            grouped, on="pid", how="left", maintain_order="left")
        return cells.select(pl.col("text").str.replace_all("\x1f", pl.col("sep"), literal=True))["text"]

    def _slice(self, rng, owner, kind, guest, cell, year, old, typo) -> None:
        n = owner.size
        c = self.counts
        mentions = self._mentions(rng, owner, guest, cell, year, typo)
        applicants = self._join(mentions, n, rng)
        # Applications of people, universities and outside companies only (count nowhere).
        k = round(n * OUTSIDE_ONLY_SHARE)
        o_years = rng.choice(np.arange(2008, AS_OF + 1), size=k)
        o_kind = rng.choice(3, size=k, p=[0.5, 0.4, 0.1])
        o_pid = np.arange(k, dtype=np.int64)
        pools = [self.people, np.array(nm.UNIVERSITIES, dtype=object), np.array(nm.OUTSIDE_COMPANIES, dtype=object)]
        o_mentions = pl.concat([self._others(rng, o_pid, share, pool)
                                for share, pool in ((0.5, pools[0]), (0.6, pools[1]), (0.3, pools[2]))])
        missing = np.setdiff1d(o_pid, o_mentions["pid"].to_numpy())
        o_mentions = pl.concat([o_mentions, pl.DataFrame({
            "pid": missing, "key": np.zeros(missing.size), "firm": np.full(missing.size, -1, dtype=np.int64),
            "text": pools[1][rng.integers(0, len(pools[1]), missing.size)].astype(str)})])
        o_applicants = self._join(o_mentions, k, rng)

        # Numbers for every valid application of the slice, then the invalid rows' numbers.
        all_year = np.concatenate([year, o_years]).astype(np.int64)
        all_old = np.concatenate([old, np.zeros(k, dtype=bool)])
        all_kind = np.concatenate([kind, o_kind])
        pct = (~all_old) & (all_kind < 2) & (rng.random(n + k) < PCT_SHARE)
        digit = np.where(all_kind == 0, 1, np.where(all_kind == 1, 2, 3))
        digit = np.where(pct, np.where(all_kind == 0, 8, 9), digit)
        width = np.where(all_old, 8, 12)
        number = self.numbers.take(width, all_year, digit)
        form = rng.choice(6, size=n + k, p=[0.35, 0.25, 0.15, 0.05, 0.15, 0.05])
        app_no = _number_text(number, width, form)
        type_text, disagree = _type_text(rng, all_kind)
        tech = np.array(self.tech_of_cell, dtype=object)[cell]
        ipc = np.concatenate([
            np.array([_IPC[t][int(u * 5)] for t, u in zip(tech, rng.random(n))], dtype=object),
            np.array([_IPC["internet"][int(u * 5)] for u in rng.random(k)], dtype=object),
        ])
        ipc[rng.random(n + k) < 0.15] = ""
        status = np.array(_STATUS, dtype=object)[rng.integers(0, len(_STATUS), n + k)]
        main = pl.DataFrame({
            "app_no": app_no,
            "applicants": pl.concat([applicants, o_applicants]),
            "patent_type": type_text,
            "app_date": _dates(rng, all_year, 0.2),
            "ipc": ipc.astype(str),
            "legal_status": status.astype(str),
        })

        # Rows repeating an application of a firm: number written another way, the same firms.
        d = round(n * DUPLICATE_SHARE)
        again = np.sort(rng.choice(n, size=d, replace=False)) if d else np.zeros(0, dtype=np.int64)
        dup_mentions = mentions.filter(pl.col("pid").is_in(again) & (pl.col("firm") >= 0))
        fid = dup_mentions["firm"].to_numpy()
        respelled = np.where(rng.random(fid.size) < 0.5, self.variant.gather(fid).to_numpy(),
                             self.name.gather(fid).to_numpy()).astype(str)
        shuffle = rng.random(fid.size) < 0.3
        dup_mentions = dup_mentions.with_columns(
            pl.Series("text", respelled),
            pl.Series("key", np.where(shuffle, rng.random(fid.size), dup_mentions["key"].to_numpy())))
        keep_people = mentions.filter(pl.col("pid").is_in(again) & (pl.col("firm") < 0))
        keep_people = keep_people.filter(pl.Series(rng.random(keep_people.height) < 0.5))
        remap = {int(p): i for i, p in enumerate(again)}
        dup_all = pl.concat([dup_mentions, keep_people]).with_columns(
            pl.col("pid").replace_strict(remap, return_dtype=pl.Int64))
        dup_form = (form[again] + 1 + rng.integers(0, 5, d)) % 6
        dup_rows = pl.DataFrame({
            "app_no": _number_text(number[again], width[again], dup_form),
            "applicants": self._join(dup_all, d, rng),
            "patent_type": np.where(rng.random(d) < 0.5, "", _correct_type(all_kind[again])).astype(str),
            "app_date": _dates(rng, all_year[again], 0.4),
            "ipc": np.where(rng.random(d) < 0.5, "", ipc[again]).astype(str),
            "legal_status": np.where(rng.random(d) < 0.5, "", status[again]).astype(str),
        })

        # Rows with invalid numbers (quarantined): wrong check digit, ZL prefix, malformed.
        q = round(n * INVALID_SHARE)
        bad_year = rng.choice(np.arange(2010, AS_OF + 1), size=q).astype(np.int64)
        bad_digit = rng.choice([1, 2, 3], size=q)
        bad_number = self.numbers.take(np.full(q, 12), bad_year, bad_digit)
        checks = nm.app_no_checks(bad_number, 12) if q else np.array([], dtype=str)
        wrong = np.array(list("0123456789X"))[(np.array(["0123456789X".index(x) for x in checks], dtype=np.int64)
                                                + rng.integers(1, 11, q)) % 11] if q else checks
        how = rng.choice(4, size=q, p=[0.5, 0.25, 0.15, 0.1])
        digits = bad_number.astype(str)
        bad_text = np.where(how == 0, np.char.add(np.char.add(np.char.add("CN", digits), "."), wrong),
                   np.where(how == 1, np.char.add(np.char.add(np.char.add("ZL", digits), "."), checks),
                   np.where(how == 2, np.array([s[:11] for s in digits], dtype=str),
                            np.array([s[:4] + "A" + s[5:] + "." + ch for s, ch in zip(digits, checks)],
                                     dtype=str)))) if q else np.array([], dtype=str)
        bad_rows = pl.DataFrame({
            "app_no": bad_text.astype(str),
            "applicants": self.name.gather(owner[rng.integers(0, n, q)] if n else np.zeros(0, np.int64)),
            "patent_type": np.full(q, ""), "app_date": _dates(rng, bad_year, 0.3),
            "ipc": np.full(q, ""), "legal_status": np.full(q, ""),
        })
        for names in (mentions["text"], o_mentions["text"], dup_all["text"], bad_rows["applicants"]):
            self.written.update(names.drop_nulls().to_list())
        rows = pl.concat([main, dup_rows, bad_rows], how="vertical")
        rows = rows[rng.permutation(rows.height)]
        self.out.write(rows)
        c.rows += rows.height
        c.distinct += n + k
        c.firm_patents += n
        c.shared += int((guest >= 0).sum())
        c.duplicate_rows += d
        c.invalid_rows += q
        c.outside_only += k
        c.type_disagreements += disagree


def _type_text(rng: np.random.Generator, kinds: np.ndarray) -> tuple[np.ndarray, int]:
    """patent_type as written: the number's type in words, blank, or (a few) another type."""
    m = kinds.size
    text = _correct_type(kinds, rng)
    u = rng.random(m)
    text[u < 0.43] = ""
    wrong = u > 1 - TYPE_DISAGREE_SHARE
    other = (kinds + rng.integers(1, 3, m)) % 3
    text[wrong] = _correct_type(other[wrong])
    return text.astype(str), int(wrong.sum())


def _correct_type(kinds: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
    alt = rng.random(kinds.size) < 0.3 if rng is not None else np.zeros(kinds.size, dtype=bool)
    words = np.array([w for pair in _TYPE_WORDS for w in pair], dtype=object)
    return words[kinds * 2 + alt].astype(object)


def _by_owner(shared: pl.DataFrame):
    grouped = shared.group_by("owner", maintain_order=True).agg("guest", "invention")
    owners = grouped["owner"].to_list()
    pairs = [(np.asarray(g, dtype=np.int64), np.asarray(v, dtype=bool))
             for g, v in zip(grouped["guest"].to_list(), grouped["invention"].to_list())]
    return owners, pairs
