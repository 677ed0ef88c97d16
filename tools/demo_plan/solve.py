"""Solve the demo data's plan: the region × city × tech targets that the generator turns into records.

    python tools/demo_plan/solve.py [--figures CSV] [--out src/fintech_firms/demo/plan.csv]

Needs scipy (`pip install -e ".[plan]"`); the generator and the tests only read the solved plan.csv.

Every row of the report's figures CSV and of assumptions.csv (values the report does not give, chosen
by us) becomes linear constraints on integer counts per (city, tech) cell: firms, hightech_firms,
patents, invention_patents, rd_staff, top_vc_leads. A ratio or mean printed by the report becomes two
bounds, num >= lo × den and num <= hi × den; a rank becomes "every group not ranked above is below";
a leader becomes "this cell beats every other cell by at least one". Among the plans that satisfy all of
them, the MILP picks the one closest (relative L1) to a seed that spreads each region's and class's
targets over cities by the invented city weights, so the result looks like a plausible country.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

from fintech_firms.demo.plan import PLAN_COLUMNS, SHARED_PATENTS  # noqa: E402
from fintech_firms.reference.tables import TECH_CLASSES  # noqa: E402

HERE = Path(__file__).parent
FIGURES = ROOT / "tests" / "fixtures" / "report-2022-ch4-figures.csv"
PLAN = ROOT / "src" / "fintech_firms" / "demo" / "plan.csv"

METRICS = ("F", "H", "P", "I", "R", "L")  # firms, hightech, patents, inventions, rd_staff, top-VC leads
# A figure's metric as (numerator, denominator); None: a count.
BASE = {
    "firms": ("F", None), "hightech_ratio": ("H", "F"), "patents": ("P", None),
    "invention_share": ("I", "P"), "rd_staff": ("R", None), "rd_per_firm": ("R", "F"),
    "top_vc_leads": ("L", None), "top_vc_leads_per_firm": ("L", "F"),
}
HALF_WIDTH = {"ratio_1dp_pct": 0.0005, "rounded_1dp": 0.05, "rounded_2dp": 0.005}
INWARD = 1e-6       # keeps a value off the rounding boundary
GAP = {"ratio": 0.001, "mean": 0.01}   # how far below a ranked value the unranked groups stay
TOP3 = ("京津冀", "长三角", "粤港澳大湾区")
# Per-cell realism: the range of a cell's patents, R&D staff and top-tier-led rounds per firm (every firm
# holds a patent, most more than one), and of its high-tech and invention shares (a few units of slack
# for cells of one or two firms).
PER_FIRM = {"P": (2, 1000), "R": (1, 100), "L": (0, 3)}
SHARE_RANGE = {"H": (0, 0.75), "I": (0.25, 0.97)}


@dataclass(frozen=True)
class Figure:
    metric: str
    dim: str
    key: str
    value: str
    kind: str
    note: str


class Model:
    """Integer variables per (metric, city, tech), linear constraints, and group sums."""

    def __init__(self, cities: list[tuple[str, str]], techs: list[str]):
        self.cities = cities                     # (city, region)
        self.techs = techs
        self.cells = [(c, r, t) for c, r in cities for t in techs]
        self.index = {(m, c, t): i for i, (m, (c, _, t)) in enumerate(
            (m, cell) for m in METRICS for cell in self.cells)}
        self.n = len(self.index)
        self.rows: list[dict[int, float]] = []
        self.lo: list[float] = []
        self.hi: list[float] = []

    def group(self, metric: str, region=None, city=None, tech=None) -> dict[int, float]:
        return {self.index[metric, c, t]: 1.0 for c, r, t in self.cells
                if (region is None or r == region) and (city is None or c == city) and (tech is None or t == tech)}

    def add(self, expr: dict[int, float], lo: float = -np.inf, hi: float = np.inf) -> None:
        self.rows.append(expr)
        self.lo.append(lo)
        self.hi.append(hi)

    def matrix(self) -> sparse.csr_matrix:
        data, ri, ci = [], [], []
        for k, row in enumerate(self.rows):
            for i, v in row.items():
                ri.append(k)
                ci.append(i)
                data.append(v)
        return sparse.csr_matrix((data, (ri, ci)), shape=(len(self.rows), self.n))


def combine(*terms: tuple[float, dict[int, float]]) -> dict[int, float]:
    out: dict[int, float] = defaultdict(float)
    for coef, expr in terms:
        for i, v in expr.items():
            out[i] += coef * v
    return dict(out)


def read(path: Path) -> list[Figure]:
    with path.open(encoding="utf-8") as f:
        return [Figure(r["metric"], r["dim"], r["key"], r["value"], r["kind"], r.get("note", ""))
                for r in csv.DictReader(f)]


class Translator:
    """Figures and assumptions -> constraints."""

    def __init__(self, model: Model, firm_totals: dict[tuple[str, str], int], fixed_leads: dict[str, int]):
        self.m = model
        self.labels = {label: key for key, label in TECH_CLASSES.items()}
        self.regions = list(dict.fromkeys(r for _, r in model.cities))
        self.firm_totals = firm_totals             # (dim, group) -> fixed firm count
        self.fixed_leads = fixed_leads             # region -> its stated top-tier-led rounds
        self.ranked: dict[tuple[str, str], list[tuple[int, str, float, float]]] = defaultdict(list)
        self.unvalued_first: dict[tuple[str, str], str] = {}

    def members(self, dim: str) -> list[str]:
        return {"region": self.regions, "city": [c for c, _ in self.m.cities], "tech": self.m.techs}[dim]

    def where(self, dim: str, key: str) -> dict[str, str]:
        if dim == "total":
            return {}
        if dim == "region|tech":
            region, tech = key.split("|")
            return {"region": region, "tech": self.labels[tech]}
        return {dim: self.labels[key] if dim == "tech" else key}

    def expr(self, metric: str, where: dict[str, str]) -> dict[int, float]:
        return self.m.group(metric, **where)

    def interval(self, fig: Figure) -> tuple[float, float]:
        v = float(fig.value)
        if fig.kind == "exact":
            return v, v
        h = HALF_WIDTH[fig.kind] - INWARD
        return v - h, v + h

    def bound_ratio(self, num: dict, den: dict, lo: float, hi: float) -> None:
        self.m.add(combine((1, num), (-lo, den)), lo=0)
        self.m.add(combine((1, num), (-hi, den)), hi=0)

    def add(self, fig: Figure) -> None:
        if fig.kind in ("target", "weight"):
            return
        handler = getattr(self, "_" + fig.metric, None)
        if handler is not None:
            handler(fig)
            return
        num_m, den_m = BASE[fig.metric]
        where = self.where(fig.dim, fig.key)
        lo, hi = self.interval(fig)
        num = self.expr(num_m, where)
        if den_m is None:
            self.m.add(num, lo, hi)
        else:
            self.bound_ratio(num, self.expr(den_m, where), lo, hi)
        self.note_rank(fig, lo, hi)
        if m := re.search(r"second after (\S+)", fig.note):
            # Second in its class: only the named group may beat it.
            tech = where["tech"]
            for region in self.regions:
                if region not in (where["region"], m.group(1)):
                    self.m.add(combine((1, num), (-1, self.expr(num_m, {"region": region, "tech": tech}))), lo=1)

    def note_rank(self, fig: Figure, lo: float, hi: float) -> None:
        if fig.dim not in ("region", "tech", "city"):
            return
        key = self.where(fig.dim, fig.key)[fig.dim]
        if m := re.search(r"\brank (\d+)\b", fig.note):
            self.ranked[fig.metric, fig.dim].append((int(m.group(1)), key, lo, hi))
        if m := re.search(r"\((\S+) is rank 1\)", fig.note):
            self.unvalued_first[fig.metric, fig.dim] = self.labels.get(m.group(1), m.group(1))
        if "fewest" in fig.note:
            self.ranked[fig.metric, fig.dim].append((-1, key, lo, hi))

    def ranks(self) -> None:
        """Groups with a stated rank are ordered; the others stay below the last of ranks 1..K."""
        for (metric, dim), items in self.ranked.items():
            num_m, den_m = BASE[metric]
            kind = "ratio" if metric in ("hightech_ratio", "invention_share") else "mean"
            fewest = [x for x in items if x[0] == -1]
            stated = sorted(x for x in items if x[0] > 0)
            first = self.unvalued_first.get((metric, dim))
            if first and first not in {k for _, k, *_ in stated}:
                stated = [(1, first, None, None)] + stated
            numbers = [r for r, *_ in stated]
            if numbers != list(range(1, len(numbers) + 1)):
                raise SystemExit(f"{metric} by {dim}: ranks {numbers} leave a gap; fill it in assumptions.csv")
            named = {k for _, k, *_ in stated} | {k for _, k, *_ in fewest}

            # Called only within this iteration; the defaults bind this iteration's metric and dimension
            # explicitly (bugbear B023), not by late lookup of the loop variables.
            def value(key, num_m=num_m, den_m=den_m, dim=dim):
                return self.expr(num_m, {dim: key}), (self.expr(den_m, {dim: key}) if den_m else None)

            def below(key, limit):       # group value <= limit
                num, den = value(key)
                if den is None:
                    self.m.add(num, hi=limit)
                else:
                    self.m.add(combine((1, num), (-limit, den)), hi=0)

            def above(key, limit):
                num, den = value(key)
                if den is None:
                    self.m.add(num, lo=limit)
                else:
                    self.m.add(combine((1, num), (-limit, den)), lo=0)

            gap = 1 if den_m is None else GAP[kind]
            # An unvalued rank 1 beats rank 2's upper bound.
            if first and len(stated) > 1:
                above(first, stated[1][3] + gap)
            for (_, k1, lo1, _), (_, k2, _, hi2) in zip(stated, stated[1:]):
                if lo1 is not None and lo1 <= hi2:
                    raise SystemExit(f"{metric} by {dim}: {k1} and {k2} overlap")
            last_lo = stated[-1][2] if stated else None
            for key in self.members(dim):
                if key in named:
                    continue
                if last_lo is not None:
                    below(key, last_lo - gap)
                for _, _, _, fhi in fewest:
                    above(key, fhi + gap)

    # Figures that are not a plain metric of one group.

    def _firms_share_top3(self, fig: Figure) -> None:
        self._top_share(fig, "F", None)

    def _patents_share_top3(self, fig: Figure) -> None:
        self._top_share(fig, "P", SHARED_PATENTS)

    def _top_share(self, fig: Figure, metric: str, shared: int | None) -> None:
        """The named groups are the top ones, in the order written, and hold this share of the nation."""
        members = fig.key.split("+")
        lo, hi = self.interval(fig)
        inside = combine(*((1, self.expr(metric, {fig.dim: g})) for g in members))
        total = self.m.group(metric)
        # National patents count a patent that two firms of different cells share once.
        offset = shared or 0
        self.m.add(combine((1, inside), (-lo, total)), lo=lo * -offset)
        self.m.add(combine((1, inside), (-hi, total)), hi=hi * -offset)
        self._strict_order(metric, fig.dim, members, {})

    def _strict_order(self, metric: str, dim: str, order: list[str], fixed: dict[str, str]) -> None:
        for a, b in zip(order, order[1:]):
            self.m.add(combine((1, self.expr(metric, {dim: a} | fixed)), (-1, self.expr(metric, {dim: b} | fixed))),
                       lo=1)
        for other in self.members(dim):
            if other not in order:
                self.m.add(combine((1, self.expr(metric, {dim: order[-1]} | fixed)),
                                   (-1, self.expr(metric, {dim: other} | fixed))), lo=1)

    def _top_vc_leads_per_firm_rank(self, fig: Figure) -> None:
        """An order of per-firm values whose counts and firm totals are all fixed: checked, and the rest below."""
        order = fig.key.split(">")
        values = []
        for g in order:
            leads, firms = self.fixed_leads[g], self.firm_totals["region", g]
            values.append(leads / firms)
        if any(a <= b for a, b in zip(values, values[1:])):
            raise SystemExit(f"{fig.key}: fixed values {values} are not in that order")
        for other in self.members(fig.dim):
            if other not in order:
                num = self.expr("L", {fig.dim: other})
                den = self.expr("F", {fig.dim: other})
                self.m.add(combine((1, num), (-(values[-1] - 1e-4), den)), hi=0)

    def _firms_region_share_of_tech(self, fig: Figure) -> None:
        self._share_of_tech(fig, "F")

    def _patents_region_share_of_tech(self, fig: Figure) -> None:
        self._share_of_tech(fig, "P")

    def _share_of_tech(self, fig: Figure, metric: str) -> None:
        where = self.where(fig.dim, fig.key)
        lo, hi = self.interval(fig)
        self.bound_ratio(self.expr(metric, where), self.expr(metric, {"tech": where["tech"]}), lo, hi)
        if "largest region" in fig.note:
            self._strict_order(metric, "region", [where["region"]], {"tech": where["tech"]})

    def _firms_top3_concentration(self, fig: Figure) -> None:
        tech = self.labels[fig.key]
        lo, hi = self.interval(fig)
        inside = combine(*((1, self.expr("F", {"region": r, "tech": tech})) for r in TOP3))
        self.bound_ratio(inside, self.expr("F", {"tech": tech}), lo, hi)
        if "lowest" in fig.note:
            for other in self.m.techs:
                if other != tech:
                    inside = combine(*((1, self.expr("F", {"region": r, "tech": other})) for r in TOP3))
                    self.m.add(combine((1, inside), (-(hi + GAP["ratio"]), self.expr("F", {"tech": other}))), lo=0)

    def _leader(self, fig: Figure, metric: str, dim: str) -> None:
        self._strict_order(metric, dim, [fig.value], {"tech": self.labels[fig.key]})

    def _firms_leader_city(self, fig: Figure) -> None:
        self._leader(fig, "F", "city")

    def _patents_leader_city(self, fig: Figure) -> None:
        self._leader(fig, "P", "city")

    def _rd_leader_region(self, fig: Figure) -> None:
        self._leader(fig, "R", "region")


def seed_values(model: Model, figures: list[Figure], assumptions: list[Figure]) -> np.ndarray:
    """A plausible starting point: for firms, patents and R&D staff a region × class table raked to the
    region and class totals around the cells the report fixes; shares and means as region factor ×
    class factor; each region's cells spread over its cities by the invented city weights."""
    labels = {label: key for key, label in TECH_CLASSES.items()}
    known: dict[tuple[str, str, str], float] = {}
    for f in figures + assumptions:
        if f.dim in ("region", "tech") and f.kind not in ("weight", "leader", "order"):
            key = labels[f.key] if f.dim == "tech" else f.key
            known[f.metric, f.dim, key] = float(f.value)
    weights = {f.key: float(f.value) for f in assumptions if f.kind == "weight"}
    regions = list(dict.fromkeys(r for _, r in model.cities))
    techs = model.techs
    region_weight = defaultdict(float)
    for c, r in model.cities:
        region_weight[r] += weights[c]

    def per_firm(dim, key, metric, count_metric):
        if (metric, dim, key) in known:
            return known[metric, dim, key]
        return known[count_metric, dim, key] / known["firms", dim, key]

    profile = {}
    for dim, keys in (("region", regions), ("tech", techs)):
        for k in keys:
            profile[dim, k] = {
                "F": known["firms", dim, k],
                "H": per_firm(dim, k, "hightech_ratio", "hightech_firms"),
                "P": known["patents", dim, k],
                "I": known["invention_share", dim, k],
                "R": per_firm(dim, k, "rd_per_firm", "rd_staff"),
                "L": per_firm(dim, k, "top_vc_leads_per_firm", "top_vc_leads"),
            }
    totals = {
        "F": ([profile["region", r]["F"] for r in regions], [profile["tech", t]["F"] for t in techs]),
        "P": ([profile["region", r]["P"] for r in regions], [profile["tech", t]["P"] for t in techs]),
        "R": ([profile["region", r]["R"] * profile["region", r]["F"] for r in regions],
              [profile["tech", t]["R"] * profile["tech", t]["F"] for t in techs]),
    }
    fixed = fixed_cells(figures, regions, techs, totals)
    table = {m: rake(np.array(rows), np.array(cols), fixed[m]) for m, (rows, cols) in totals.items()}
    national = {}
    for m, den in (("H", "F"), ("I", "P"), ("R", "F"), ("L", "F")):
        national[m] = (sum(profile["region", r][m] * profile["region", r][den] for r in regions)
                       / sum(profile["region", r][den] for r in regions))
    seed = np.zeros(model.n)
    for c, r, t in model.cells:
        pr, pt = profile["region", r], profile["tech", t]
        ri, ti = regions.index(r), techs.index(t)
        w = weights[c] / region_weight[r]
        f, p, rd = (table[m][ri, ti] * w for m in ("F", "P", "R"))
        values = {"F": f, "P": p, "R": rd,
                  "H": f * pr["H"] * pt["H"] / national["H"], "I": p * pr["I"] * pt["I"] / national["I"],
                  "L": f * pr["L"] * pt["L"] / national["L"]}
        for m in METRICS:
            seed[model.index[m, c, t]] = values[m]
    return seed


def fixed_cells(figures, regions, techs, totals) -> dict[str, dict[tuple[int, int], float]]:
    """The region × class cells that the figures pin down, as values of the seed tables."""
    labels = {label: key for key, label in TECH_CLASSES.items()}
    fixed: dict[str, dict[tuple[int, int], float]] = {"F": {}, "P": {}, "R": {}}
    concentration = {}
    for f in figures:
        if f.dim == "region|tech":
            region, label = f.key.split("|")
            cell = regions.index(region), techs.index(labels[label])
            if f.metric == "firms_region_share_of_tech":
                fixed["F"][cell] = float(f.value) * totals["F"][1][cell[1]]
            elif f.metric == "patents_region_share_of_tech":
                fixed["P"][cell] = float(f.value) * totals["P"][1][cell[1]]
            elif f.metric == "rd_staff":
                fixed["R"][cell] = float(f.value)
        elif f.metric == "firms_top3_concentration":
            concentration[techs.index(labels[f.key])] = float(f.value)
    # The top three regions' share of a class: what the fixed region leaves, split by region size.
    top = [regions.index(r) for r in TOP3]
    for t, share in concentration.items():
        left = share * totals["F"][1][t] - sum(v for (r, tt), v in fixed["F"].items() if tt == t and r in top)
        free = [r for r in top if (r, t) not in fixed["F"]]
        size = sum(totals["F"][0][r] for r in free)
        for r in free:
            fixed["F"][r, t] = left * totals["F"][0][r] / size
    return fixed


def rake(rows: np.ndarray, cols: np.ndarray, fixed: dict[tuple[int, int], float]) -> np.ndarray:
    """Iterative proportional fitting of the free cells to row and column totals around fixed cells."""
    table = np.outer(rows, cols) / cols.sum()
    free = np.ones_like(table, dtype=bool)
    for (r, c), v in fixed.items():
        table[r, c] = v
        free[r, c] = False
    for _ in range(200):
        for axis, target in ((1, rows), (0, cols)):
            pinned = np.where(free, 0, table).sum(axis=axis)
            loose = np.where(free, table, 0).sum(axis=axis)
            factor = np.divide(np.maximum(target - pinned, 0), loose, out=np.ones_like(loose), where=loose > 0)
            table = np.where(free, table * (factor[:, None] if axis == 1 else factor[None, :]), table)
    return table


def solve(figures_path: Path, out: Path, time_limit: float) -> None:
    figures = read(figures_path)
    assumptions = read(HERE / "assumptions.csv")
    with (ROOT / "src" / "fintech_firms" / "reference" / "regions.csv").open(encoding="utf-8") as f:
        cities = [(r["city"], r["region"]) for r in csv.DictReader(f)]
    techs = list(TECH_CLASSES)
    model = Model(cities, techs)
    labels = {label: key for key, label in TECH_CLASSES.items()}
    firm_totals = {}
    for f in figures + assumptions:
        if f.metric == "firms" and f.kind == "exact" and f.dim in ("region", "tech"):
            firm_totals[f.dim, labels[f.key] if f.dim == "tech" else f.key] = int(f.value)
    fixed_leads = {f.key: int(f.value) for f in figures if f.metric == "top_vc_leads" and f.dim == "region"}
    tr = Translator(model, firm_totals, fixed_leads)
    for f in figures + assumptions:
        tr.add(f)
    tr.ranks()
    # Cell consistency: every firm holds a patent; parts never exceed wholes; realistic per-firm sizes.
    for c, _, t in model.cells:
        ix = {m: {model.index[m, c, t]: 1.0} for m in METRICS}
        model.add(combine((1, ix["H"]), (-1, ix["F"])), hi=0)
        model.add(combine((1, ix["I"]), (-1, ix["P"])), hi=0)
        for m, (least, most) in PER_FIRM.items():
            model.add(combine((1, ix[m]), (-least, ix["F"])), lo=0)
            model.add(combine((1, ix[m]), (-most, ix["F"])), hi=0)
        model.add(combine((1, ix["H"]), (-SHARE_RANGE["H"][1], ix["F"])), hi=1)
        model.add(combine((1, ix["I"]), (-SHARE_RANGE["I"][0], ix["P"])), lo=-3)
        model.add(combine((1, ix["I"]), (-SHARE_RANGE["I"][1], ix["P"])), hi=3)
    seed = seed_values(model, figures, assumptions)
    x = run_milp(model, seed, time_limit)
    write(model, x, out)


def run_milp(model: Model, seed: np.ndarray, time_limit: float) -> np.ndarray:
    """The plan closest to the seed. Firms are compared with the seed's firms; every other metric with
    the seed's ratio to its cell's own denominator (patents per firm, high-tech share, invention share,
    R&D and leads per firm), so cells keep plausible shares and means. The penalty is convex piecewise
    linear, steep beyond a fifth of the seed value, so that the figures' demands are spread over many
    cells rather than piled on a few."""
    n = model.n
    deviation = []                                  # (expr of x, target constant, seed size)
    for c, _, t in model.cells:
        i = {m: model.index[m, c, t] for m in METRICS}
        deviation.append(({i["F"]: 1.0}, seed[i["F"]], seed[i["F"]]))
        for m, den in (("P", "F"), ("H", "F"), ("I", "P"), ("R", "F"), ("L", "F")):
            ratio = seed[i[m]] / seed[i[den]] if seed[i[den]] > 0 else 0.0
            deviation.append(({i[m]: 1.0, i[den]: -ratio}, 0.0, seed[i[m]]))
    k = len(deviation)
    a_x = model.matrix()
    dev = sparse.lil_matrix((k, n))
    for row, (expr, _, _) in enumerate(deviation):
        for col, v in expr.items():
            dev[row, col] = v
    dev = dev.tocsr()
    target = np.array([t for _, t, _ in deviation])
    size = np.array([s for _, _, s in deviation])
    eye = sparse.identity(k)
    # Variables: x (n), near (k, at most a fifth of the seed value), far (k).
    a = sparse.vstack([
        sparse.hstack([a_x, sparse.csr_matrix((a_x.shape[0], 2 * k))]),
        sparse.hstack([dev, eye, eye]),      # e(x) + near + far >= target
        sparse.hstack([-dev, eye, eye]),     # near + far - e(x) >= -target
    ]).tocsr()
    lo = np.concatenate([model.lo, target, -target])
    hi = np.concatenate([model.hi, np.full(2 * k, np.inf)])
    weight = 1 / np.sqrt(size + 1)
    c = np.concatenate([np.zeros(n), weight, 10 * weight])
    upper = np.concatenate([np.full(n, np.inf), 0.2 * size + 1, np.full(k, np.inf)])
    result = milp(c, integrality=np.concatenate([np.ones(n), np.zeros(2 * k)]),
                  bounds=Bounds(np.zeros(n + 2 * k), upper),
                  constraints=LinearConstraint(a, lo, hi),
                  options={"time_limit": time_limit, "mip_rel_gap": 0.02, "disp": False})
    if result.x is None:
        raise SystemExit(f"no plan satisfies the figures: {result.message}")
    print(f"{result.message} (objective {result.fun:.1f})", file=sys.stderr)
    return np.round(result.x[:n]).astype(np.int64)


def write(model: Model, x: np.ndarray, out: Path) -> None:
    with out.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(PLAN_COLUMNS)
        for c, r, t in model.cells:
            values = [int(x[model.index[m, c, t]]) for m in METRICS]
            if values[0]:
                w.writerow([r, c, t, *values])
    print(f"wrote {out} ({sum(1 for _ in out.open()) - 1} cells)", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--figures", type=Path, default=FIGURES)
    parser.add_argument("--out", type=Path, default=PLAN)
    parser.add_argument("--time-limit", type=float, default=600)
    args = parser.parse_args()
    solve(args.figures, args.out, args.time_limit)


if __name__ == "__main__":
    main()
