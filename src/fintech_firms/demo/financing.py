"""financing.csv: the plan's top-tier-led events, other events of universe and outside firms, repeated
rows of events (another round spelling, another date form) and events of unknown firms.

Every event of a firm has its own full date, so (firm, date, round) keys never collide; top-tier
capital leads exactly the plan's events of universe firms (all dated <= AS_OF) and no other event of
a universe firm.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from rapidfuzz import fuzz, process

from ..reference.tables import aliases_of
from ..rules.names import normalize_name
from . import names as nm
from .firms import Firms
from .fuzzcheck import CandidateIndex
from .plan import AS_OF, reference_table

FINANCING_COLUMNS = ["firm_name", "uscc", "date", "round", "amount", "lead_investors", "investors"]
OTHER_EVENTS_PER_UNIVERSE_FIRM = 0.35
EVENTS_PER_OUTSIDE_FIRM = 0.3
DUPLICATE_SHARE = 0.03
UNKNOWN_FIRM_SHARE = 0.01
TOP_VC_NEAR = 85  # a non-top investor scores below this against every top-tier name and alias

# Canonical round, weight, spellings (all normalise to the canonical round).
ROUNDS = (
    ("天使轮", 0.15, ("天使轮", "天使", "天使轮融资")),
    ("Pre-A", 0.07, ("Pre-A", "Pre-A轮", "pre-A轮")),
    ("A", 0.22, ("A轮", "A", "Series A", "A轮融资")),
    ("A+", 0.08, ("A+轮", "A+")),
    ("B", 0.14, ("B轮", "B", "Series B")),
    ("B+", 0.04, ("B+轮", "B+")),
    ("C", 0.08, ("C轮", "C", "Series C")),
    ("D", 0.04, ("D轮", "D", "Series D")),
    ("Pre-IPO", 0.03, ("Pre-IPO", "Pre-IPO轮")),
    ("战略投资", 0.12, ("战略投资", "战略融资", "战投")),
    ("并购", 0.03, ("并购", "收购")),
)
AMOUNTS = ("数千万人民币", "1亿元", "未披露", "", "数百万人民币", "超亿元", "数亿元", "5000万元", "2亿元人民币",
           "数千万美元", "")
_DATE_FORMS = ("%Y-%m-%d", "%Y/%-m/%-d", "%Y%m%d", "%Y年%-m月%-d日")


@dataclass
class FinancingCounts:
    rows: int = 0
    events: int = 0
    duplicate_rows: int = 0
    top_vc_led_events: int = 0  # of universe firms, dated <= AS_OF
    unknown_firm_rows: int = 0


def top_vc_spellings() -> list[list[str]]:
    """Per investor of the default top_vc.csv, its name then its aliases."""
    top = reference_table("top_vc")
    return [[name, *aliases_of(aliases)] for name, aliases in zip(top["name"], top["aliases"])]


def top_vc_names() -> list[str]:
    """Every name and alias of the default top_vc.csv."""
    return [spelling for spellings in top_vc_spellings() for spelling in spellings]


def non_top_investors() -> list[str]:
    """OTHER_INVESTORS that neither equal (normalised) nor come near (ratio >= 85) a top-tier name."""
    top = [normalize_name(x) for x in top_vc_names()]
    mine = [normalize_name(x) for x in nm.OTHER_INVESTORS]
    scores = process.cdist(mine, top, scorer=fuzz.ratio, workers=1)
    return [name for name, key, row in zip(nm.OTHER_INVESTORS, mine, scores)
            if key not in top and row.max() < TOP_VC_NEAR]


def _top_pick(rng: np.random.Generator, n: int) -> np.ndarray:
    """Top-tier investors as exports write them: the name or one of its aliases."""
    names = top_vc_spellings()
    out = np.empty(n, dtype=object)
    who = rng.integers(0, len(names), n)
    u = rng.random(n)
    for i in range(n):
        spellings = names[who[i]]
        out[i] = spellings[0] if u[i] < 0.5 else spellings[1 + int((u[i] - 0.5) * 2 * (len(spellings) - 1))]
    return out


def _distinct_dates(rng: np.random.Generator, firm: np.ndarray, year: np.ndarray) -> np.ndarray:
    """A day in its year for every event, no two events of a firm on the same day."""
    start = (year.astype(np.int64) - 1970).astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64)
    end = (year.astype(np.int64) + 1 - 1970).astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64)
    day = start + (rng.random(year.size) * (end - start)).astype(np.int64)
    for _ in range(100):
        frame = pl.DataFrame({"f": firm, "d": day})
        first = frame.select(pl.struct("f", "d").is_first_distinct())
        redo = np.flatnonzero(~first.to_series().to_numpy())
        if redo.size == 0:
            return day
        day[redo] = start[redo] + (rng.random(redo.size) * (end - start)[redo]).astype(np.int64)
    raise RuntimeError("could not give every event of a firm its own date")


def _date_text(days: np.ndarray, form: np.ndarray) -> np.ndarray:
    s = pl.Series(days.astype("datetime64[D]")).cast(pl.Date)
    forms = np.stack([s.dt.strftime(f).to_numpy().astype(object) for f in _DATE_FORMS], axis=1)
    return forms[np.arange(days.size), form]


def _join(items: list[np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """Row-wise join of optional items (None skipped), with ; or 、."""
    n = items[0].size if items else 0
    sep = np.where(rng.random(n) < 0.7, ";", "、")
    out = np.empty(n, dtype=object)
    for i in range(n):
        out[i] = sep[i].join(x[i] for x in items if x[i] is not None)
    return out


class FinancingBuilder:
    def __init__(self, firms: Firms, plan: pl.DataFrame, index: CandidateIndex, rng: np.random.Generator):
        self.firms = firms
        self.plan = plan
        self.index = index
        self.rng = rng
        self.others = np.array(non_top_investors(), dtype=object)

    def _identify(self, firm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(firm_name, uscc) cells for events of these firms: name, USCC or both; the name exact, a
        variant or a former name; a USCC alone only when it is valid."""
        rng = self.rng
        f = self.firms.frame
        n = firm.size
        kind = f["uscc_kind"].to_numpy()[firm]
        uscc = f["uscc"].to_numpy()[firm].astype(object)
        u = rng.random(n)
        spelled = np.where(u < 0.1, f["variant"].to_numpy()[firm], f["name"].to_numpy()[firm]).astype(object)
        former = f["former"].to_numpy()[firm]
        use_former = (u > 0.95) & np.array([x is not None for x in former])
        spelled[use_former] = former[use_former]
        mode = rng.random(n)
        name_cell = spelled.copy()
        uscc_cell = np.full(n, "", dtype=object)
        valid = kind == 0
        both = valid & (mode < 0.25)
        only = valid & (mode > 0.85)
        uscc_cell[both | only] = uscc[both | only]
        name_cell[only] = ""
        invalid_too = (kind == 2) & (mode < 0.3)
        uscc_cell[invalid_too] = uscc[invalid_too]
        return name_cell, uscc_cell

    def build(self) -> tuple[pl.DataFrame, FinancingCounts]:
        rng = self.rng
        firms = self.firms
        f = firms.frame
        size = f["size"].to_numpy()
        u_count = firms.universe
        # Planned top-tier-led events, cell by cell.
        top_picks = []
        for k, leads in enumerate(self.plan["top_vc_leads"].to_list()):
            lo, hi = int(firms.cell_start[k]), int(firms.cell_start[k + 1])
            w = size[lo:hi] ** 0.7
            top_picks.append(lo + rng.choice(hi - lo, size=leads, p=w / w.sum()))
        top_firm = np.concatenate(top_picks) if top_picks else np.zeros(0, dtype=np.int64)
        n_top = top_firm.size
        n_other = round(u_count * OTHER_EVENTS_PER_UNIVERSE_FIRM)
        w = size[:u_count] ** 0.7
        other_firm = rng.choice(u_count, size=n_other, p=w / w.sum())
        n_out = round((firms.size - u_count) * EVENTS_PER_OUTSIDE_FIRM)
        w = size[u_count:] ** 0.7
        out_firm = u_count + rng.choice(firms.size - u_count, size=n_out, p=w / w.sum()) if n_out else \
            np.zeros(0, dtype=np.int64)
        firm = np.concatenate([top_firm, other_firm, out_firm]).astype(np.int64)
        group = np.concatenate([np.zeros(n_top, np.int64), np.ones(n_other, np.int64), np.full(n_out, 2)])
        n = firm.size
        years_top = np.arange(2012, AS_OF + 1)
        wy = 1.12 ** (years_top - 2012)
        year = rng.choice(years_top, size=n, p=wy / wy.sum())
        late = (group > 0) & (rng.random(n) < 0.07)
        year[late] = AS_OF + 1
        day = _distinct_dates(rng, firm, year)
        weights = np.array([w for _, w, _ in ROUNDS])
        round_k = rng.choice(len(ROUNDS), size=n, p=weights / weights.sum())
        spelling = np.array([int(u * len(ROUNDS[k][2])) for k, u in zip(round_k, rng.random(n))])

        # Lead investors.
        lead1 = np.full(n, None, dtype=object)
        lead2 = np.full(n, None, dtype=object)
        lead3 = np.full(n, None, dtype=object)
        top = group == 0
        lead1[top] = _top_pick(rng, int(top.sum()))
        second_top = top & (rng.random(n) < 0.2)
        lead2[second_top] = _top_pick(rng, int(second_top.sum()))
        co_lead = top & (rng.random(n) < 0.25)
        lead3[co_lead] = self.others[rng.integers(0, self.others.size, int(co_lead.sum()))]
        u = rng.random(n)
        plain = (group == 1) & (u < 0.8)
        lead1[plain] = self.others[rng.integers(0, self.others.size, int(plain.sum()))]
        two = (group == 1) & (u < 0.15)
        lead2[two] = self.others[rng.integers(0, self.others.size, int(two.sum()))]
        out_top = (group == 2) & (u < 0.25)
        lead1[out_top] = _top_pick(rng, int(out_top.sum()))
        out_plain = (group == 2) & (u >= 0.25) & (u < 0.75)
        lead1[out_plain] = self.others[rng.integers(0, self.others.size, int(out_plain.sum()))]
        # The same investor twice in one event would be one lead after deduplication anyway.
        lead2[lead2 == lead1] = None
        order = rng.random(n) < 0.3
        lead1[order], lead3[order] = lead3[order], lead1[order]
        leads = _join([lead1, lead2, lead3], rng)
        # numpy's stubs do not take None for np.where's values, though an object array holds it.
        extra = [np.where(rng.random(n) < share, self.others[rng.integers(0, self.others.size, n)], None)  # type: ignore[call-overload]
                 for share in (0.5, 0.25)]
        extra = [np.where(e == leads, None, e) for e in extra]
        investors = _join([np.where(leads == "", None, leads), *extra], rng)  # type: ignore[call-overload]
        amount = np.array(AMOUNTS, dtype=object)[rng.integers(0, len(AMOUNTS), n)]
        name_cell, uscc_cell = self._identify(firm)
        form = rng.integers(0, len(_DATE_FORMS), n)
        rows = pl.DataFrame({
            "firm_name": name_cell.astype(str), "uscc": uscc_cell.astype(str),
            "date": _date_text(day, form).astype(str),
            "round": np.array([ROUNDS[k][2][s] for k, s in zip(round_k, spelling)], dtype=str),
            "amount": amount.astype(str), "lead_investors": leads.astype(str), "investors": investors.astype(str),
        })

        # Repeated rows of some events: another round spelling and date form, the same leads.
        d = round(n * DUPLICATE_SHARE)
        again = np.sort(rng.choice(n, size=d, replace=False)) if d else np.zeros(0, dtype=np.int64)
        name2, uscc2 = self._identify(firm[again])
        spell2 = np.array([(s + 1 + int(u * (len(ROUNDS[k][2]) - 1))) % len(ROUNDS[k][2])
                           for k, s, u in zip(round_k[again], spelling[again], rng.random(d))], dtype=np.int64)
        dup_rows = pl.DataFrame({
            "firm_name": name2.astype(str), "uscc": uscc2.astype(str),
            "date": _date_text(day[again], (form[again] + rng.integers(1, len(_DATE_FORMS), d)) % len(_DATE_FORMS))
            .astype(str),
            "round": np.array([ROUNDS[k][2][s] for k, s in zip(round_k[again], spell2)], dtype=str),
            "amount": np.where(rng.random(d) < 0.5, "", amount[again]).astype(str),
            "lead_investors": leads[again].astype(str),
            "investors": np.where(rng.random(d) < 0.5, leads[again], investors[again]).astype(str),
        })

        # Events of firms that are in no table (unlinked).
        k = round(n * UNKNOWN_FIRM_SHARE)
        unknown = self.unknown_names(max(k // 2, 1)) if k else []
        pick = rng.integers(0, len(unknown), k) if k else np.zeros(0, dtype=np.int64)
        u_year = rng.integers(2014, AS_OF + 2, k)
        u_day = _distinct_dates(rng, pick, u_year) if k else np.zeros(0, dtype=np.int64)
        u_round = rng.choice(len(ROUNDS), size=k, p=weights / weights.sum())
        u_lead = np.where(rng.random(k) < 0.3, _top_pick(rng, k), self.others[rng.integers(0, self.others.size, k)])
        unknown_rows = pl.DataFrame({
            "firm_name": np.array(unknown, dtype=object)[pick].astype(str) if k else np.array([], dtype=str),
            "uscc": np.full(k, ""),
            "date": _date_text(u_day, rng.integers(0, len(_DATE_FORMS), k)).astype(str),
            "round": np.array([ROUNDS[r][2][0] for r in u_round], dtype=str),
            "amount": np.array(AMOUNTS, dtype=object)[rng.integers(0, len(AMOUNTS), k)].astype(str),
            "lead_investors": u_lead.astype(str), "investors": np.full(k, ""),
        })
        every = pl.concat([rows, dup_rows, unknown_rows])
        every = every[rng.permutation(every.height)]
        # Every event has its own (firm, date); the repeated rows merge into theirs.
        counts = FinancingCounts(rows=every.height, events=n + k, duplicate_rows=d,
                                 top_vc_led_events=int(top.sum()), unknown_firm_rows=k)
        return every, counts

    def unknown_names(self, n: int) -> list[str]:
        """Names of firms in no table that no firm name comes near (they stay unlinked)."""
        names = nm.unknown_firm_names(self.rng, n * 2)
        keys = [normalize_name(x) for x in names]
        best = self.index.best_other(keys, np.full(len(keys), -1), cutoff=87.0)
        kept = [x for x, k, b in zip(names, keys, best) if b == 0 and k not in self.index.exact]
        return kept[:n]
