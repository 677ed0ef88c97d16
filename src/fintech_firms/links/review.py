"""`firms links review`: the names whose link a person should check, one row each, with the
candidates the fuzzy step saw and blank `decision` and `note` columns to fill. The filled file,
saved as links.csv (or links.xlsx) in the raw folder, is applied by the next ingest."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ..rules.fuzzy import ranked_keys
from .data import LinkData, load, names_outcome

TOP = 3
# A name left unlinked is listed when a firm scores at least this far under the threshold.
NEAR_POINTS = 10.0
# Candidates of a fuzzy or ambiguous link are listed down to this score, so that a person sees
# what else came close (an unlinked name's, down to the near score that lists it).
CANDIDATE_CUTOFF = 75.0
REVIEWED = ("fuzzy", "ambiguous", "manual", "manual: none")
NO_MATCH = "no match"
NONE_DECISION = "none"

COLUMNS = ["name", "rows", "tables", "example", "link", "score", "firm", "firm_uscc",
           *[f"candidate_{i}{part}" for i in range(1, TOP + 1) for part in ("", "_uscc", "_score")],
           "decision", "note"]


def review(data: Path) -> pl.DataFrame:
    """The review queue of the data folder, most rows first (columns: COLUMNS)."""
    return review_frame(load(data))


def review_frame(links: LinkData) -> pl.DataFrame:
    names = names_outcome(links.rows)
    flagged = links.rows.filter(pl.col("outcome").is_in(REVIEWED))["name_key"].unique()
    unlinked = links.rows.filter(pl.col("outcome") == NO_MATCH)["name_key"].unique()
    near = max(0.0, links.fuzzy.threshold - NEAR_POINTS)
    index = links.choice_index()
    flagged_keys = sorted(flagged.to_list())
    unlinked_keys = sorted(set(unlinked.to_list()) - set(flagged_keys))
    ranked = dict(zip(flagged_keys, ranked_keys(flagged_keys, index, min(CANDIDATE_CUTOFF, near), top=TOP,
                                                workers=links.fuzzy.workers)))
    ranked.update(zip(unlinked_keys, ranked_keys(unlinked_keys, index, near, top=TOP,
                                                 workers=links.fuzzy.workers)))
    keep = set(flagged_keys) | {k for k in unlinked_keys if ranked[k]}
    names = names.filter(pl.col("name_key").is_in(sorted(keep))).sort(
        ["rows", "name_key"], descending=[True, False])

    firm = {r[0]: (r[1], r[2]) for r in links.firms.select("firm_id", "name", "uscc").iter_rows()}
    out: dict[str, list] = {c: [] for c in COLUMNS}
    for key, name, rows, tables, example, firm_id, outcome, score in names.iter_rows():
        linked = firm.get(firm_id, (None, None))
        values = {"name": name, "rows": rows, "tables": tables, "example": example, "link": outcome,
                  "score": score,
                  "firm": linked[0], "firm_uscc": linked[1], "note": None,
                  "decision": _prefilled(outcome, linked)}
        candidates = ranked[key]
        for i in range(TOP):
            cand_id, cand_score = candidates[i] if i < len(candidates) else (None, None)
            cand = firm.get(cand_id, (None, None))
            values[f"candidate_{i + 1}"] = cand[0]
            values[f"candidate_{i + 1}_uscc"] = cand[1]
            values[f"candidate_{i + 1}_score"] = None if cand_score is None else round(cand_score, 2)
        for column in COLUMNS:
            out[column].append(values[column])
    schema = {c: pl.Utf8 for c in COLUMNS} | {"rows": pl.Int64, "score": pl.Float64} | {
        f"candidate_{i}_score": pl.Float64 for i in range(1, TOP + 1)}
    return pl.DataFrame(out, schema=schema)


def _prefilled(outcome: str, firm: tuple[str | None, str | None]) -> str | None:
    """A name links.csv decided keeps its decision, so that the new file can replace the old one."""
    if outcome == "manual":
        return firm[1] or firm[0]
    if outcome == "manual: none":
        return NONE_DECISION
    return None
