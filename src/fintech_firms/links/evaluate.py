"""`firms links eval`: precision, recall and F1 of the links against labelled names, and the sweep
of the fuzzy step's threshold and margin.

A truth file holds (written name, true firm): the firm's USCC, its name where it has none, or
`none` for a name that must stay unlinked (a person, a university, a firm outside the data). Names
are compared normalised. Each distinct name counts once, with the outcome most of its rows got
(data.names_outcome).

- correct: linked to its true firm; wrong firm: linked to another; false link: linked though its
  truth is `none`; missed: unlinked though it has a firm; correctly unlinked: `none` and unlinked.
- precision = correct / links; recall = correct / linkable names (those whose truth is a firm);
  F1 their harmonic mean. Per method: the links it made, how many are correct, its precision, and
  its recall (its correct links over all linkable names: the methods' recalls add up to the total).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ..errors import InputError
from ..rules.fuzzy import FuzzyOptions, ranked_keys
from ..rules.names import normalize_name, normalize_names
from ..rules.uscc import normalize_uscc
from ..tabular.reader import ROW, read_table
from .data import METHOD_ORDER, LinkData, load, names_outcome

NONE = "none"
THRESHOLDS = tuple(range(80, 101))
MARGINS = tuple(range(0, 11))
GOAL_PRECISION, GOAL_RECALL = 0.995, 0.98
_NAME_HEADERS = ("name", "written_name")
_FIRM_HEADERS = ("firm", "true_firm", "decision")


@dataclass(frozen=True)
class Labelled:
    """The truth names found in the data, with their outcome and the true firm_id (None: none)."""

    frame: pl.DataFrame  # name_key, name, truth, true_id, resolved, firm_id, outcome, score, rows
    not_in_data: list[str]


def read_truth(path: Path) -> pl.DataFrame:
    """(name, truth) rows of a truth file (.csv or .xlsx); a blank truth is an error."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file (the truth: written name, true firm)")
    table = read_table(path, lambda h: h.strip().lower().replace(" ", "_"),
                       set(_NAME_HEADERS) | set(_FIRM_HEADERS))
    name = next((c for c in _NAME_HEADERS if c in table.columns), None)
    firm = next((c for c in _FIRM_HEADERS if c in table.columns), None)
    if name is None or firm is None:
        raise InputError(f"{table.source}: needs a 'name' column and a 'firm' column (a USCC, a firm's "
                         f"name, or none); found: {', '.join(table.headers)}")
    frame = table.frame.select(ROW, pl.col(name).alias("name"), pl.col(firm).alias("truth"))
    blank = frame.filter(pl.col("name").is_null() | pl.col("truth").is_null())
    if blank.height:
        raise InputError(f"{table.source}: row {blank[ROW][0]} has no name or no firm "
                         f"(write `none` for a name that must stay unlinked)")
    frame = frame.with_columns(normalize_names(frame["name"]).alias("name_key"))
    firsts = frame.unique("name_key", keep="first", maintain_order=True)
    clash = frame.join(firsts.select("name_key", pl.col("truth").alias("first")), on="name_key").filter(
        _truth_key(pl.col("truth")) != _truth_key(pl.col("first")))
    if clash.height:
        row = clash.row(0, named=True)
        raise InputError(f"{table.source}: row {row[ROW]} gives {row['name']} another firm than an "
                         f"earlier row ({row['truth']} vs {row['first']})")
    return firsts.select("name_key", "name", "truth")


def _truth_key(expr: pl.Expr) -> pl.Expr:
    return expr.str.replace_all(r"\s", "").str.to_lowercase()


def label(links: LinkData, truth: pl.DataFrame) -> Labelled:
    resolve = _resolver(links)
    ids, resolved = [], []
    seen: dict[str, tuple[int | None, bool]] = {}
    for value in truth["truth"].to_list():
        if value not in seen:
            seen[value] = resolve(value)
        firm_id, ok = seen[value]
        ids.append(firm_id)
        resolved.append(ok)
    truth = truth.with_columns(pl.Series("true_id", ids, dtype=pl.Int64),
                               pl.Series("resolved", resolved, dtype=pl.Boolean))
    outcome = names_outcome(links.rows).drop("name").join(
        links.firms.select("firm_id", pl.col("name").alias("firm_name")), on="firm_id", how="left",
        maintain_order="left")
    found = truth.join(outcome, on="name_key", how="inner", maintain_order="left")
    missing = truth.join(outcome, on="name_key", how="anti", maintain_order="left")["name"].to_list()
    return Labelled(found, missing)


def _resolver(links: LinkData):
    """truth text → (firm_id or None, resolved): a USCC, a firm's name (or a name it carried)."""
    firms = links.firms
    by_uscc = dict(zip(firms["uscc"].to_list(), firms["firm_id"].to_list()))
    by_name: dict[str, set[int]] = {}
    for key, firm_id in zip(firms["name_key"].to_list(), firms["firm_id"].to_list()):
        by_name.setdefault(key, set()).add(firm_id)

    def resolve(value: str) -> tuple[int | None, bool]:
        if value.strip().lower() == NONE:
            return None, True
        code = normalize_uscc(value)
        if code in by_uscc:  # the firms' USCCs are valid ones (ingest drops the others)
            return by_uscc[code], True
        key = normalize_name(value)
        firms_named = by_name.get(key) or links.names.get(key) or set()
        if len(firms_named) == 1:
            return next(iter(firms_named)), True
        return None, False  # a firm the data does not hold (or several): no link can be right

    return resolve


def _kind(truth_none: bool, true_id, firm_id) -> str:
    if firm_id is None:
        return "correctly unlinked" if truth_none else "missed"
    if truth_none:
        return "false link"
    return "correct" if firm_id == true_id else "wrong firm"


KINDS = ("correct", "wrong firm", "false link", "missed", "correctly unlinked")


def _ratio(a: int, b: int) -> float | None:
    return a / b if b else None


def _f1(p: float | None, r: float | None) -> float | None:
    if p is None or r is None:
        return None
    return 2 * p * r / (p + r) if p + r else 0.0


def scores(kinds: list[str]) -> dict:
    counts = {k: 0 for k in KINDS}
    for k in kinds:
        counts[k] += 1
    return scores_from(counts)


def scores_from(counts: dict[str, int]) -> dict:
    links = counts["correct"] + counts["wrong firm"] + counts["false link"]
    linkable = counts["correct"] + counts["wrong firm"] + counts["missed"]
    p, r = _ratio(counts["correct"], links), _ratio(counts["correct"], linkable)
    return {"precision": p, "recall": r, "f1": _f1(p, r), "links": links, "correct": counts["correct"],
            "linkable": linkable, "confusion": counts}


def evaluate(data: Path, truth_file: Path, sweep: bool = False) -> dict:
    links = load(data)
    labelled = label(links, read_truth(truth_file))
    result = evaluation(labelled, links.fuzzy)
    if sweep:
        result["sweep"] = sweep_grid(links, labelled)
    return result


def evaluation(labelled: Labelled, fuzzy: FuzzyOptions) -> dict:
    f = labelled.frame
    kinds, errors = [], []
    for row in f.iter_rows(named=True):
        truth_none = row["resolved"] and row["true_id"] is None
        # A truth naming a firm the data does not hold: no link can be right, none is a miss.
        kind = _kind(truth_none, row["true_id"], row["firm_id"])
        kinds.append(kind)
        if kind not in ("correct", "correctly unlinked"):
            errors.append({"name": row["name"], "truth": row["truth"], "kind": kind,
                           "outcome": row["outcome"], "firm_id": row["firm_id"],
                           "firm": row["firm_name"], "score": row["score"],
                           "rows": row["rows"], "truth_found": row["resolved"]})
    methods = f["outcome"].to_list()
    overall = scores(kinds)
    by_method = {}
    for method in METHOD_ORDER:
        mine = [k for k, m in zip(kinds, methods) if m == method]
        made = sum(k != "correctly unlinked" and k != "missed" for k in mine)
        correct = mine.count("correct")
        by_method[method] = {"links": made, "correct": correct, "precision": _ratio(correct, made),
                             "recall": _ratio(correct, overall["linkable"])}
    errors.sort(key=lambda e: (-e["rows"], e["name"]))
    return {
        "names": f.height,
        "not_in_data": labelled.not_in_data,
        "settings": {"fuzzy_threshold": fuzzy.threshold, "fuzzy_margin": fuzzy.margin},
        "overall": {k: overall[k] for k in ("precision", "recall", "f1", "links", "correct", "linkable")},
        "confusion": overall["confusion"],
        "by_method": by_method,
        "errors": errors,
    }


def sweep_grid(links: LinkData, labelled: Labelled) -> list[dict]:
    """Precision and recall had the fuzzy step run at each threshold (80..100) and margin (0..10):
    the names it decided (linked fuzzily, or left unlinked with no firm of that exact name) are
    decided again; every other name keeps its outcome."""
    f = labelled.frame
    rescored = [
        outcome in ("fuzzy", "no match", "ambiguous") and not links.is_exact(key)
        for key, outcome in zip(f["name_key"].to_list(), f["outcome"].to_list())
    ]
    keys = [k for k, r in zip(f["name_key"].to_list(), rescored) if r]
    cutoff = min(THRESHOLDS) - max(MARGINS)
    ranked = dict(zip(keys, ranked_keys(keys, links.choice_index(), cutoff, top=2,
                                        workers=links.fuzzy.workers)))
    # Names no firm comes within the cut-off of stay unlinked at every setting: counted once.
    fixed: list[str] = []
    varying = []
    for key, true_id, resolved, firm_id, again in zip(
            f["name_key"].to_list(), f["true_id"].to_list(), f["resolved"].to_list(),
            f["firm_id"].to_list(), rescored):
        truth_none = resolved and true_id is None
        if again and ranked[key]:
            varying.append((ranked[key], truth_none, true_id))
        else:
            fixed.append(_kind(truth_none, true_id, None if again else firm_id))
    base = scores(fixed)["confusion"]
    grid = []
    for threshold in THRESHOLDS:
        for margin in MARGINS:
            counts = dict(base)
            for candidates, truth_none, true_id in varying:
                counts[_kind(truth_none, true_id, _decided(candidates, threshold, margin))] += 1
            s = scores_from(counts)
            grid.append({"threshold": threshold, "margin": margin, "precision": s["precision"],
                         "recall": s["recall"], "f1": s["f1"], "links": s["links"], "correct": s["correct"],
                         "meets_goal": (s["precision"] or 0) >= GOAL_PRECISION
                         and (s["recall"] or 0) >= GOAL_RECALL})
    return grid


def _decided(ranked: list[tuple[int, float]], threshold: float, margin: float) -> int | None:
    """rules.fuzzy.decide_ranked's firm, without its arrays: the sweep makes 231 decisions a name
    (tests/test_links.py checks that both agree)."""
    cutoff = max(0.0, threshold - margin)
    if not ranked or ranked[0][1] < cutoff:
        return None
    best = round(ranked[0][1], 2)
    if best < threshold:
        return None
    if len(ranked) > 1 and ranked[1][1] >= cutoff:
        second = round(ranked[1][1], 2)
        if best - second < margin or best == second:
            return None
    return ranked[0][0]


def best_setting(grid: list[dict], current: FuzzyOptions) -> dict | None:
    """Of the settings that meet the goal, the highest F1; on a tie the one nearest the current."""
    meeting = [g for g in grid if g["meets_goal"]]
    if not meeting:
        return None
    return min(meeting, key=lambda g: (-(g["f1"] or 0), abs(g["threshold"] - current.threshold)
                                       + abs(g["margin"] - current.margin), g["threshold"], g["margin"]))


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.2f} %"


def text(result: dict) -> str:
    """The evaluation for a terminal."""
    o, s = result["overall"], result["settings"]
    lines = [f"Linking against {result['names']} labelled names (fuzzy threshold {s['fuzzy_threshold']:g}, "
             f"margin {s['fuzzy_margin']:g})",
             f"  precision {_pct(o['precision'])}   recall {_pct(o['recall'])}   F1 {_pct(o['f1'])}"
             f"   ({o['correct']} correct of {o['links']} links; {o['linkable']} names have a firm)",
             "  " + ", ".join(f"{k} {n}" for k, n in result["confusion"].items())]
    if result["not_in_data"]:
        lines.append(f"  {len(result['not_in_data'])} labelled names occur in no linked table (not counted)")
    lines.append("")
    lines.append(f"  {'method':<12}{'links':>8}{'correct':>9}{'precision':>12}{'recall':>10}")
    for method, m in result["by_method"].items():
        lines.append(f"  {method:<12}{m['links']:>8}{m['correct']:>9}{_pct(m['precision']):>12}"
                     f"{_pct(m['recall']):>10}")
    errors = result["errors"]
    if errors:
        lines += ["", f"  Errors ({len(errors)}, most rows first):"]
        for e in errors[:50]:
            lines.append(f"    {e['kind']}: {e['name']} (true: {e['truth']}) got {e['outcome']}"
                         + (f" {e['firm']} (firm {e['firm_id']})" if e["firm_id"] is not None else "")
                         + (f" score {e['score']:g}" if e["score"] is not None else "") + f", {e['rows']} rows")
        if len(errors) > 50:
            lines.append(f"    ... {len(errors) - 50} more (--format json lists all)")
    if "sweep" in result:
        lines += ["", "  Fuzzy step re-scored (precision / recall):",
                  "  threshold " + "".join(f"{'margin ' + str(m):>16}" for m in MARGINS)]
        by = {(g["threshold"], g["margin"]): g for g in result["sweep"]}
        for t in THRESHOLDS:
            cells = []
            for m in MARGINS:
                g = by[(t, m)]
                mark = "*" if g["meets_goal"] else " "
                cells.append(f"{_short(g['precision'])}/{_short(g['recall'])}{mark}".rjust(16))
            lines.append(f"  {t:>9} " + "".join(cells))
        best = best_setting(result["sweep"], FuzzyOptions(s["fuzzy_threshold"], s["fuzzy_margin"]))
        goal = f"precision >= {GOAL_PRECISION * 100:g} % and recall >= {GOAL_RECALL * 100:g} %"
        if best is None:
            lines.append(f"  No setting meets {goal}.")
        else:
            lines.append(f"  * meets {goal}; best F1: --fuzzy-threshold {best['threshold']} "
                         f"--fuzzy-margin {best['margin']} ({_pct(best['precision'])} / {_pct(best['recall'])})")
    return "\n".join(lines) + "\n"


def headline_line(result: dict) -> str:
    o = result["overall"]
    return (f"Linking against the demo's truth ({result['names']:,} names): precision {_pct(o['precision'])}, "
            f"recall {_pct(o['recall'])} ({o['correct']:,} of {o['linkable']:,} linkable names; "
            f"{o['links'] - o['correct']:,} wrong links)")


def _short(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.2f}"


def summary_frame(result: dict) -> pl.DataFrame:
    """--format csv: a row for all names and one per method (or the sweep's grid when swept)."""
    if "sweep" in result:
        return pl.DataFrame(result["sweep"])
    o = result["overall"]
    rows = [{"scope": "overall", **{k: o[k] for k in ("links", "correct", "precision", "recall", "f1")}}]
    for method, m in result["by_method"].items():
        rows.append({"scope": method, "links": m["links"], "correct": m["correct"],
                     "precision": m["precision"], "recall": m["recall"], "f1": None})
    return pl.DataFrame(rows, schema={"scope": pl.Utf8, "links": pl.Int64, "correct": pl.Int64,
                                      "precision": pl.Float64, "recall": pl.Float64, "f1": pl.Float64})
