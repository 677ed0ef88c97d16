"""The demo raw folder: a seeded generator whose records realise a plan of targets exactly.

    generate(Path("data/raw"), seed=2022, scale=1.0) -> DemoSummary

writes firms.csv (GB18030, Chinese headers), patents.csv, financing.csv (UTF-8, English headers) and
hightech.xlsx. After `firms ingest` with the default options, `aggregate(by=region, city, tech,
as_of=2021)` gives, for every cell of the plan scaled by `scale`, exactly its firms, hightech_firms,
patents, invention_patents, rd_staff and top_vc_leads. The same seed and scale give byte-identical
files.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from ..rules.names import normalize_name
from . import names as nm
from .city_stats import city_stats_frame
from .financing import FINANCING_COLUMNS, FinancingBuilder
from .firms import build_firms, firm_records
from .hightech import HIGHTECH_HEADER, hightech_rows
from .patents import (
    PATENT_COLUMNS,
    TYPO_SHARE,
    PatentWriter,
    allocate_shared,
    candidate_index,
    make_typos,
)
from .plan import DEFAULT_SEED, load_plan, scale_plan, shared_patents
from .truth import truth_frame, write_truth
from .writer import CsvAppender, write_csv, write_xlsx

__all__ = ["FILES", "DemoSummary", "generate"]

FILES = ("firms.csv", "patents.csv", "financing.csv", "hightech.xlsx", "city_stats.csv")
# A worksheet holds at most 1,048,576 rows (Excel's limit, the header included): from about scale 22 the
# certificates do not fit, and go to hightech.csv instead (UTF-8, the same Chinese headers).
XLSX_MAX_ROWS = 1_048_576
# Other spellings of the same inputs that would make ingest stop (two files for one table).
_CONFLICTS = ("firms.xlsx", "patents.xlsx", "financing.xlsx", "hightech.csv", "city_stats.xlsx")


@dataclass(frozen=True)
class DemoSummary:
    """What generate() wrote."""

    seed: int
    scale: float
    plan_cells: int
    # firms.csv
    firm_records: int  # rows
    distinct_firms: int  # firms after merging
    universe_firms: int  # firms of the plan (each holds >= 1 patent)
    non_universe_firms: int  # firms without patents
    duplicate_firm_records: int  # second records of a firm
    firms_without_uscc: int
    invalid_usccs: int  # firms whose USCC fails the check
    firms_with_former_names: int
    # patents.csv
    patent_rows: int
    distinct_patents: int  # valid distinct applications
    firm_patents: int  # of those, with a universe firm among the applicants
    shared_patents: int  # co-applied by firms of two cells
    duplicate_patent_rows: int  # rows repeating an application
    invalid_patent_rows: int  # rows with a malformed or wrong number (quarantined)
    outside_only_patents: int  # applications of people/universities/outside companies only
    patent_type_disagreements: int  # rows whose patent_type contradicts the number
    typo_applicants: int  # applicant cells with a typo (each links by fuzzy matching)
    typo_names: int  # distinct typo'd names
    former_name_applicants: int  # applicant cells written with a former name
    # financing.csv
    financing_rows: int
    financing_events: int  # distinct events (linked or not)
    duplicate_financing_rows: int
    top_vc_led_events: int  # of universe firms, all dated <= 2021
    unknown_firm_financing_rows: int
    # hightech.xlsx
    hightech_rows: int
    hightech_certificates: int
    duplicate_hightech_rows: int
    # city_stats.csv (the FIRE index's city statistics, invented)
    city_stats_rows: int
    files: tuple[str, ...] = FILES

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


def generate(out: Path, *, seed: int = DEFAULT_SEED, scale: float = 1.0,
             plan: pl.DataFrame | None = None, truth: Path | None = None) -> DemoSummary:
    """Write the demo raw folder for `plan` (default: the packaged plan) scaled by `scale` into `out`,
    and with `truth` the linking truth of every name written (demo/truth.py) to that file."""
    out = Path(out)
    plan = scale_plan(load_plan() if plan is None else plan, scale)
    shared_count = shared_patents(scale)
    out.mkdir(parents=True, exist_ok=True)
    clash = [name for name in _CONFLICTS if (out / name).exists()]
    if clash:
        raise FileExistsError(f"{out}: remove {', '.join(clash)} first (ingest would read two files for one table)")
    root = np.random.SeedSequence(seed)
    s_firms, s_records, s_shared, s_typos, s_patents, s_financing, s_hightech = root.spawn(7)

    firms = build_firms(plan, np.random.default_rng(s_firms))
    records, duplicates = firm_records(firms, np.random.default_rng(s_records))
    write_csv(out / "firms.csv", records, encoding="gb18030")

    index = candidate_index(firms)
    _check_unlinked(index, list(nm.UNIVERSITIES) + list(nm.OUTSIDE_COMPANIES))
    shared = allocate_shared(plan, shared_count, np.random.default_rng(s_shared))
    typos = make_typos(firms, index, round(TYPO_SHARE * int(plan["patents"].sum())),
                       np.random.default_rng(s_typos))
    with CsvAppender(out / "patents.csv", PATENT_COLUMNS) as sink:
        writer = PatentWriter(firms, plan, shared, typos, sink, s_patents)
        patents = writer.run()
        patents_written = writer.written

    builder = FinancingBuilder(firms, plan, index, np.random.default_rng(s_financing))
    financing, fcounts = builder.build()
    write_csv(out / "financing.csv", financing.select(FINANCING_COLUMNS))
    unknown = builder.unknown_names(20)
    rows, hcounts = hightech_rows(firms, unknown, np.random.default_rng(s_hightech))
    files: tuple[str, ...] = FILES
    if len(rows) + 1 <= XLSX_MAX_ROWS:
        write_xlsx(out / "hightech.xlsx", HIGHTECH_HEADER, rows)
    else:
        files = tuple("hightech.csv" if name == "hightech.xlsx" else name for name in FILES)
        if (out / "hightech.xlsx").exists():
            raise FileExistsError(f"{out}: remove hightech.xlsx first (ingest would read two files for one table)")
        write_csv(out / "hightech.csv", _certificate_frame(rows))
    # The FIRE index's city statistics (invented; their own random stream, so the files above are unchanged).
    stats = city_stats_frame(seed)
    headers = {"city": "城市", "year": "年份", "indicator": "指标", "value": "数值"}
    write_csv(out / "city_stats.csv", stats.rename(headers))
    if truth is not None:
        written = patents_written | set(financing["firm_name"].to_list()) | {r[0] for r in rows if r[0]}
        write_truth(truth, truth_frame(firms, typos, written))

    f = firms.frame
    return DemoSummary(
        seed=seed, scale=float(scale), plan_cells=plan.height,
        firm_records=records.height, distinct_firms=firms.size, universe_firms=firms.universe,
        non_universe_firms=firms.size - firms.universe, duplicate_firm_records=duplicates,
        firms_without_uscc=int((f["uscc_kind"] == 1).sum()), invalid_usccs=int((f["uscc_kind"] == 2).sum()),
        firms_with_former_names=int(f["former"].is_not_null().sum()),
        patent_rows=patents.rows, distinct_patents=patents.distinct, firm_patents=patents.firm_patents,
        shared_patents=patents.shared, duplicate_patent_rows=patents.duplicate_rows,
        invalid_patent_rows=patents.invalid_rows, outside_only_patents=patents.outside_only,
        patent_type_disagreements=patents.type_disagreements, typo_applicants=patents.typo_applicants,
        typo_names=len(set(patents.typo_names)), former_name_applicants=patents.former_name_applicants,
        financing_rows=fcounts.rows, financing_events=fcounts.events,
        duplicate_financing_rows=fcounts.duplicate_rows, top_vc_led_events=fcounts.top_vc_led_events,
        unknown_firm_financing_rows=fcounts.unknown_firm_rows,
        hightech_rows=hcounts.rows, hightech_certificates=hcounts.certificates,
        duplicate_hightech_rows=hcounts.duplicate_rows, city_stats_rows=stats.height, files=files,
    )


def _certificate_frame(rows: list[list]) -> pl.DataFrame:
    """The certificate rows as text: date cells as ISO dates, as a spreadsheet exports them to CSV."""
    columns = list(zip(*rows)) if rows else [() for _ in HIGHTECH_HEADER]
    return pl.DataFrame({
        name: pl.Series(name, [v.isoformat() if isinstance(v, dt.date) else v for v in values], dtype=pl.String)
        for name, values in zip(HIGHTECH_HEADER, columns)})


def _check_unlinked(index, names: list[str]) -> None:
    """Names that must stay unlinked: none equals a firm's name or comes within fuzzy reach."""
    keys = [normalize_name(x) for x in names]
    best = index.best_other(keys, np.full(len(keys), -1), cutoff=87.0)
    bad = [x for x, k, b in zip(names, keys, best) if b > 0 or k in index.exact]
    if bad:
        raise RuntimeError(f"names meant to stay unlinked come near firm names: {', '.join(bad[:5])}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write the demo raw folder.")
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--plan", type=Path, default=None, help="a plan CSV instead of the packaged one")
    parser.add_argument("--truth", type=Path, default=None, help="also write the linking truth here")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    summary = generate(args.out, seed=args.seed, scale=args.scale,
                       plan=None if args.plan is None else load_plan(args.plan), truth=args.truth)
    for key, value in summary.as_dict().items():
        print(f"{key}: {value}")
    print(f"seconds: {time.perf_counter() - started:.1f}")


if __name__ == "__main__":
    main()
