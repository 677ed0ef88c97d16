"""The whole job on the demo data, side by side with a pandas peer and DuckDB's floor.

    python benchmarks/run.py --scales 1,10 [--repeat 5] [--warmup 1] [--seed 2022]
                             [--work benchmarks/.cache] [--json FILE] [--markdown FILE]
                             [--only KEY,KEY] [--parquet DIR]

For each scale: the demo raw folder (generated once, then reused from --work), then rounds of every
measurement in turn: a warm-up round that is not counted, and --repeat counted rounds. Measuring in
rounds rather than one measurement after the other means that a busy spell on a shared machine slows
ours and the peer alike, so their ratio holds.

- ingest: `firms ingest RAW --quiet` (wall time, peak RSS);
- aggregate (CLI): `firms aggregate --by region,tech --format csv`;
- aggregate (API): `fintech_firms.aggregate(data, by=["region", "tech"])` in this process, the first
  call after the round's ingest (which opens the folder) and the next one;
- tables: `firms tables` (the chapter-4 tables, and the FIRE index tables since the demo has city statistics);
- index (API): `fintech_firms.index(data, level="all")` in this process: the FIRE index of the 59 cities
  and 13 regions, both years, every level;
- report: `firms report` (issue 12): the HTML page, its chapter-4 tables and the index included;
- pandas peer: benchmarks/peer_pandas.py, from the raw folder to the region x tech table;
- polars peer: benchmarks/peer_polars.py, the same table written in polars for speed;
- floor, raw: DuckDB counting the rows of the raw CSV files; floor, Parquet: DuckDB scanning the
  columns the aggregate reads (benchmarks/floor.py).

Once per scale, outside the timings, the folder is also ingested with fuzzy linking off
(--fuzzy-threshold 101), and each peer's table must equal ours on it, or the run stops (exit 1).
The targets of the benchmark issue, the index (11), the report (12) and the speed issue (14) are checked
at the scales they name (1, 10, 30) and printed with the results.

`--only report,tables` measures only those lines (keys of MEASUREMENTS; the folder is ingested once,
untimed, when ingest is not among them), and `--parquet DIR` measures them on a folder `firms ingest`
already wrote (no raw folder is generated; ingest, the peers and the raw floor cannot be measured then):
`--scales 10 --only report --parquet DIR` times the report of a scale-10 folder in a minute. The in-process
calls timed right after each round's ingest (NEEDS_INGEST) need ingest among them. Targets whose
measurements a run did not take are not checked.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import polars as pl
from floor import raw_csv_files, read_raw, scan_parquet
from measure import CommandFailed, Sample, Stats, run_command, summarise, time_call

import fintech_firms as ff
from fintech_firms.demo.folder import prepare
from fintech_firms.demo.plan import DEFAULT_SEED
from fintech_firms.errors import InputError

HERE = Path(__file__).resolve().parent
PEER = HERE / "peer_pandas.py"
PEER_POLARS = HERE / "peer_polars.py"
FIRMS = [sys.executable, "-m", "fintech_firms"]
BY = ["region", "tech"]
PEER_COLUMNS = ["firms", "hightech_firms", "hightech_ratio", "patents", "invention_patents",
                "invention_share", "rd_staff", "rd_per_firm"]
RATIO_COLUMNS = {"hightech_ratio", "invention_share", "rd_per_firm"}

# (key, label) in the order each round runs them: ingest first, since the others read its output.
MEASUREMENTS = [
    ("ingest", "firms ingest"),
    ("aggregate_cli", "firms aggregate --by region,tech (CLI)"),
    ("aggregate_api_first", "fintech_firms.aggregate (in-process, first call after the ingest)"),
    ("aggregate_api", "fintech_firms.aggregate (in-process, next call)"),
    ("tables", "firms tables"),
    ("index_api", "fintech_firms.index (in-process, 59 cities, 2 years, every level)"),
    ("report", "firms report (the HTML page: chapter-4 tables, index, charts)"),
    ("peer", "pandas peer (raw to region x tech table)"),
    ("peer_polars", "polars peer (raw to region x tech table)"),
    ("floor_raw", "floor: DuckDB count over read_csv (raw CSV)"),
    ("floor_parquet", "floor: DuckDB scan of the aggregate's Parquet columns"),
]
VERSIONED = ["fintech_firms", "polars", "duckdb", "pyarrow", "rapidfuzz", "fastexcel", "openpyxl", "pandas",
             "numpy"]


@dataclass(frozen=True)
class Target:
    scale: float
    label: str
    measured: Callable[[dict[float, dict[str, Stats]]], float]
    limit: float
    unit: str
    needs: tuple[float, ...] = ()  # other scales the measure reads
    issue: str = "benchmark"  # the issue that set it

    def applies(self, scales) -> bool:
        return {self.scale, *self.needs} <= set(scales)


# The benchmark issue's targets on a 2-core, 24 GB machine; each is met when measured <= limit.
TARGETS = [
    Target(1, "ingest wall time", lambda r: r[1]["ingest"].median, 30, "s"),
    Target(1, "ingest peak RSS", lambda r: r[1]["ingest"].peak_rss, 3, "GB"),
    Target(1, "aggregate in-process (next call)", lambda r: r[1]["aggregate_api"].median, 0.1, "s"),
    Target(1, "aggregate through the CLI", lambda r: r[1]["aggregate_cli"].median, 1, "s"),
    Target(1, "(ingest + tables) / pandas peer", lambda r: _ours_over_peer(r[1]), 1 / 5, "x"),
    Target(10, "ingest time, scale 10 / scale 1", lambda r: r[10]["ingest"].median / r[1]["ingest"].median,
           12, "x", needs=(1,)),
    Target(10, "ingest peak RSS", lambda r: r[10]["ingest"].peak_rss, 10, "GB"),
    Target(10, "aggregate in-process (next call)", lambda r: r[10]["aggregate_api"].median, 1, "s"),
    # The FIRE index issue's targets.
    Target(1, "index in-process", lambda r: r[1]["index_api"].median, 1, "s", issue="11"),
    Target(10, "index in-process", lambda r: r[10]["index_api"].median, 5, "s", issue="11"),
    # Issue 12: the report of the scale-10 demo is written in <= 10 s.
    Target(10, "firms report", lambda r: r[10]["report"].median, 10, "s", issue="12"),
    # Issue 14 (ingest at a polars expert's speed, in bounded memory); "ours" is ingest + aggregate (CLI).
    Target(1, "(ingest + aggregate) / polars peer", lambda r: _ingest_aggregate(r[1]) / r[1]["peer_polars"].median,
           2, "x", issue="14"),
    Target(1, "(ingest + aggregate) / polars peer (stretch)",
           lambda r: _ingest_aggregate(r[1]) / r[1]["peer_polars"].median, 1, "x", issue="14"),
    Target(1, "(ingest + aggregate) / pandas peer", lambda r: _ingest_aggregate(r[1]) / r[1]["peer"].median,
           1 / 8, "x", issue="14"),
    Target(1, "ingest peak RSS", lambda r: r[1]["ingest"].peak_rss, 1, "GB", issue="14"),
    Target(10, "ingest wall time", lambda r: r[10]["ingest"].median, 40, "s", issue="14"),
    Target(10, "ingest peak RSS", lambda r: r[10]["ingest"].peak_rss, 4, "GB", issue="14"),
    Target(30, "ingest peak RSS (within the machine's 24 GB)", lambda r: r[30]["ingest"].peak_rss, 24, "GB",
           issue="14"),
    Target(30, "ingest time, scale 30 / scale 10", lambda r: r[30]["ingest"].median / r[10]["ingest"].median,
           3.3, "x", needs=(10,), issue="14"),
    Target(100, "ingest peak RSS (within the machine's 24 GB)", lambda r: r[100]["ingest"].peak_rss, 24, "GB",
           issue="14"),
]


def _ours_over_peer(stats: dict[str, Stats]) -> float:
    return (stats["ingest"].median + stats["tables"].median) / stats["peer"].median


def _ingest_aggregate(stats: dict[str, Stats]) -> float:
    return stats["ingest"].median + stats["aggregate_cli"].median


class PeerMismatch(RuntimeError):
    pass


# What a run on a given Parquet folder (--parquet) cannot measure: it has no raw folder.
NEEDS_RAW = ("ingest", "peer", "peer_polars", "floor_raw")
# In-process calls timed right after each round's ingest: without it, every round after the first would
# find the folder's engine or index result kept in memory (both are kept while the folder's files stay).
NEEDS_INGEST = ("aggregate_api_first", "index_api")


def bench_scale(scale: float, args: argparse.Namespace, log: Callable[[str], None]) -> dict:
    folder = args.work / f"demo-{scale:g}-seed{args.seed}"
    out = folder / "out"
    measured = [(key, label) for key, label in MEASUREMENTS if key in args.only]
    if args.parquet is not None:
        raw, parquet, exact, prepared = None, args.parquet, None, None
        out.mkdir(parents=True, exist_ok=True)
        log(f"scale {scale:g}: measuring {', '.join(args.only)} on {parquet}")
    else:
        prepared = prepare(folder / "raw", seed=args.seed, scale=scale)
        raw, parquet, exact = prepared.raw, out / "parquet", out / "parquet-exact"
        log(f"scale {scale:g}: {'generated' if prepared.generated else 'reusing'} {raw} "
            f"({prepared.summary['firm_records']:,} firm records, {prepared.summary['patent_rows']:,} patent rows)")
        if {"peer", "peer_polars"} & set(args.only):
            run_command([*FIRMS, "ingest", str(raw), "--out", str(exact), "--quiet", "--fuzzy-threshold", "101"])
        if "ingest" not in args.only:  # the others read the folder: written once, untimed
            run_command([*FIRMS, "ingest", str(raw), "--out", str(parquet), "--quiet"])
    runs: dict[str, Callable[[], Sample]] = {
        "ingest": lambda: run_command([*FIRMS, "ingest", str(raw), "--out", str(parquet), "--quiet",
                                       "--timings", str(out / "ingest_timings.json")]),
        "aggregate_cli": lambda: run_command([*FIRMS, "aggregate", "--by", ",".join(BY), "--data", str(parquet),
                                              "--format", "csv", "--out", str(out / "aggregate.csv")]),
        # Each round's ingest rewrites the folder, so the first call opens it again; the next call is what
        # a notebook's later calls cost.
        "aggregate_api_first": lambda: time_call(lambda: ff.aggregate(parquet, by=BY)),
        "aggregate_api": lambda: time_call(lambda: ff.aggregate(parquet, by=BY)),
        "tables": lambda: run_command([*FIRMS, "tables", "--data", str(parquet), "--out", str(out / "tables")]),
        "index_api": lambda: time_call(lambda: ff.index(parquet, level="all")),
        "report": lambda: run_command([*FIRMS, "report", "--data", str(parquet), "--out", str(out / "report.html")]),
        "peer": lambda: run_command([sys.executable, str(PEER), str(raw), "--out", str(out / "peer.csv")]),
        "peer_polars": lambda: run_command([sys.executable, str(PEER_POLARS), str(raw),
                                            "--out", str(out / "peer_polars.csv")]),
        "floor_raw": lambda: time_call(lambda: read_raw(csv_files)),
        "floor_parquet": lambda: time_call(lambda: scan_parquet(parquet)),
    }
    csv_files = raw_csv_files(raw) if raw is not None else []
    samples: dict[str, list[Sample]] = {key: [] for key, _ in measured}
    stage_runs: list[dict] = []
    for round_no in range(args.warmup + args.repeat):
        counted = round_no >= args.warmup
        for key, _ in measured:
            sample = runs[key]()
            if counted:
                samples[key].append(sample)
                if key == "ingest":
                    stage_runs.append(json.loads((out / "ingest_timings.json").read_text(encoding="utf-8")))
        if round_no == 0 and exact is not None:
            for peer in ("peer", "peer_polars"):
                if peer in args.only:
                    compare_with_peer(out / f"{peer}.csv", exact)
        log(f"  round {round_no + 1}/{args.warmup + args.repeat}{'' if counted else ' (warm-up)'}: "
            + ", ".join(f"{key} {samples[key][-1].seconds:.2f} s" for key, _ in measured if counted))
    floor_rows = {"parquet": scan_parquet(parquet)}
    if raw is not None:
        floor_rows = {"raw_csv": read_raw(csv_files), **floor_rows}
    return {
        "scale": scale,
        "raw": None if prepared is None else {
            "folder": str(raw), "bytes": sum(p.stat().st_size for p in raw.iterdir() if p.is_file()),
            "firm_records": prepared.summary["firm_records"], "patent_rows": prepared.summary["patent_rows"],
            "financing_rows": prepared.summary["financing_rows"],
            "hightech_rows": prepared.summary["hightech_rows"],
            "city_stats_rows": prepared.summary["city_stats_rows"]},
        "parquet": str(parquet),
        "floor_rows": floor_rows,
        # True: both peers' tables equal ours; None: no peer was measured.
        "peer_equal": True if {"peer", "peer_polars"} & set(args.only) else None,
        "stats": {key: summarise(samples[key]) for key, _ in measured},
        "ingest_stages": summarise_stages(stage_runs),
    }


def summarise_stages(runs: list[dict]) -> list[dict]:
    """Median seconds (wall and CPU) and highest peak RSS of each ingest stage over the counted rounds
    (from `firms ingest --timings`)."""
    if not runs:
        return []
    stages = []
    for i, first in enumerate(runs[0]["stages"]):
        same = [run["stages"][i] for run in runs]
        peaks = [s["peak_rss_gb"] for s in same if s["peak_rss_gb"] is not None]
        cpu = [s["cpu_seconds"] for s in same if s.get("cpu_seconds") is not None]
        stages.append({"stage": first["stage"], "median_s": statistics.median(s["seconds"] for s in same),
                       "cpu_s": statistics.median(cpu) if cpu else None,
                       "peak_rss_gb": max(peaks) if peaks else None})
    return stages


def compare_with_peer(peer_csv: Path, exact: Path) -> None:
    """The peer's table must equal ours with fuzzy linking off: counts exactly, ratios to 1e-12."""
    ours = ff.aggregate(exact, by=BY).select(*BY, *PEER_COLUMNS).sort(BY)
    theirs = pl.read_csv(peer_csv, schema_overrides={"region": pl.String, "tech": pl.String}).sort(BY)
    if theirs.columns != ours.columns:
        raise PeerMismatch(f"the peer's columns {theirs.columns} are not {ours.columns}")
    keys = ours.select(BY).join(theirs.select(BY), on=BY, how="full", coalesce=True)
    if keys.height != ours.height or keys.height != theirs.height:
        raise PeerMismatch(f"groups differ: ours {ours.height}, the peer's {theirs.height}, together {keys.height}")
    both = ours.join(theirs, on=BY, suffix="_peer")
    for column in PEER_COLUMNS:
        a, b = both[column].cast(pl.Float64), both[f"{column}_peer"].cast(pl.Float64)
        if column in RATIO_COLUMNS:
            same = ((a - b).abs() <= 1e-12 * a.abs().clip(lower_bound=1)) | (a.is_null() & b.is_null())
        else:
            same = (a == b).fill_null(False)
        if not same.all():
            bad = both.filter(~same).select(*BY, column, f"{column}_peer").head(5)
            raise PeerMismatch(f"{column} differs in {(~same).sum()} groups, e.g.\n{bad}")


def check_targets(results: dict[float, dict[str, Stats]]) -> list[dict]:
    checked = []
    for target in TARGETS:
        if not target.applies(results):
            continue
        try:
            value = target.measured(results)
        except KeyError:  # a measurement this run did not take (--only)
            continue
        checked.append({"issue": target.issue, "scale": target.scale, "target": target.label, "limit": target.limit,
                        "unit": target.unit, "measured": value, "met": value <= target.limit})
    return checked


def machine() -> dict:
    memory_kb = next((int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal:")), 0) if Path("/proc/meminfo").exists() else 0
    versions = {}
    for name in VERSIONED:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {"cpus": os.cpu_count(), "memory_gb": round(memory_kb * 1024 / 1e9, 1),
            "python": platform.python_version(), "platform": platform.platform(), "versions": versions}


# (label, numerator keys, denominator keys): the ratios of the issue, ours over pandas and over the floor.
RATIOS = [
    ("ours / pandas: (ingest + tables) / peer", ("ingest", "tables"), ("peer",)),
    ("ours / pandas: (ingest + aggregate CLI) / peer", ("ingest", "aggregate_cli"), ("peer",)),
    ("ours / polars: (ingest + aggregate CLI) / polars peer", ("ingest", "aggregate_cli"), ("peer_polars",)),
    ("polars peer / pandas peer", ("peer_polars",), ("peer",)),
    ("ours / floor: ingest / raw floor", ("ingest",), ("floor_raw",)),
    ("ours / floor: aggregate in-process / Parquet floor", ("aggregate_api",), ("floor_parquet",)),
    ("ours / floor: aggregate CLI / Parquet floor", ("aggregate_cli",), ("floor_parquet",)),
]


def ratio(stats: dict[str, dict], numerator: tuple[str, ...], denominator: tuple[str, ...]) -> float:
    return sum(stats[k]["median_s"] for k in numerator) / sum(stats[k]["median_s"] for k in denominator)


def _cpu_ratio(stats: dict[str, dict], numerator: tuple[str, ...], denominator: tuple[str, ...]) -> str:
    """The same ratio in CPU time, where every side ran as a child process (else blank)."""
    cpu = [stats[k].get("cpu_s") for k in (*numerator, *denominator)]
    if any(c is None for c in cpu):
        return ""
    return f"{sum(cpu[:len(numerator)]) / sum(cpu[len(numerator):]):.2f}x"


def render_markdown(report: dict) -> str:
    machine = report["machine"]
    lines = [f"Run of {report['date']}: `{report['command']}`", "",
             (f"Machine: {machine['cpus']} cores, {machine['memory_gb']} GB, Python {machine['python']}, "
              f"{machine['platform']}."), "",
             "Versions: " + ", ".join(f"{k} {v}" for k, v in machine["versions"].items() if v) + ".", ""]
    for scale in report["scales"]:
        lines += _scale_section(scale, report["warmup"])
    scales = {s["scale"]: s["stats"] for s in report["scales"]}
    if len(scales) > 1:
        lines += _growth_section(scales)
        lines += _stage_growth({s["scale"]: s.get("ingest_stages") or [] for s in report["scales"]})
    if report["targets"]:
        lines += ["### Targets", "", "| issue | scale | target | limit | measured | |",
                  "| --- | --- | --- | ---: | ---: | --- |"]
        lines += [f"| {t['issue']} | {t['scale']:g} | {t['target']} | {_amount(t['limit'], t['unit'])} | "
                  f"{_amount(t['measured'], t['unit'])} | {'met' if t['met'] else '**missed**'} |"
                  for t in report["targets"]]
    return "\n".join(lines).rstrip() + "\n"


def _scale_section(scale: dict, warmup: int) -> list[str]:
    stats, raw = scale["stats"], scale["raw"]
    runs = len(next(iter(stats.values()))["runs_s"]) if stats else 0
    if raw is not None:
        data = (f"{raw['firm_records']:,} firm records, {raw['patent_rows']:,} patent rows, "
                f"{raw['financing_rows']:,} financing rows, {raw['hightech_rows']:,} certificate rows "
                f"({raw['bytes'] / 1e6:,.0f} MB).")
    else:
        data = f"The Parquet folder {scale['parquet']} (--parquet)."
    peers = "; both peers' tables equal ours with fuzzy linking off." if scale["peer_equal"] else "."
    lines = [f"### Scale {scale['scale']:g}", "", f"{data} Medians of {runs} runs after {warmup} warm-up{peers}",
             "", "| measurement | median | min – max | spread | CPU (user + sys) | peak RSS |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for key, label in MEASUREMENTS:
        if key not in stats:
            continue
        s = stats[key]
        rss = f"{s['peak_rss_gb']:.2f} GB" if s["peak_rss_gb"] is not None else "(in-process)"
        cpu = _seconds(s["cpu_s"]) if s.get("cpu_s") is not None else ""
        lines.append(f"| {label} | {_seconds(s['median_s'])} | {_seconds(s['min_s'])} – {_seconds(s['max_s'])} "
                     f"| {s['spread']:.0%} | {cpu} | {rss} |")
    if scale.get("ingest_stages"):
        lines += ["", "`firms ingest`, stage by stage (its `--timings` file; medians of wall and CPU time, "
                  "and each stage's own peak RSS):",
                  "", "| stage | median | CPU | peak RSS |", "| --- | ---: | ---: | ---: |"]
        lines += [f"| {st['stage']} | {_seconds(st['median_s'])} | "
                  + (_seconds(st["cpu_s"]) if st.get("cpu_s") is not None else "") + " | "
                  + (f"{st['peak_rss_gb']:.2f} GB" if st["peak_rss_gb"] is not None else "") + " |"
                  for st in scale["ingest_stages"]]
    ratios = [(label, num, den) for label, num, den in RATIOS if set(num) | set(den) <= set(stats)]
    if ratios:
        lines += ["", "| ratio | wall time | CPU time |", "| --- | ---: | ---: |"]
        lines += [f"| {label} | {ratio(stats, num, den):.2f}x | {_cpu_ratio(stats, num, den)} |"
                  for label, num, den in ratios]
    return [*lines, ""]


def _growth_section(scales: dict[float, dict]) -> list[str]:
    """Median time and peak RSS of each measurement at each scale, and the growth from the smallest."""
    order = sorted(scales)
    first = order[0]
    lines = ["### Growth across scales", "",
             "| measurement | " + " | ".join(f"scale {s:g}" for s in order) + " | "
             + " | ".join(f"{s:g} / {first:g}" for s in order[1:]) + " |",
             "| --- |" + " ---: |" * (2 * len(order) - 1)]
    for key, label in MEASUREMENTS:
        if any(key not in scales[s] for s in order):
            continue
        cells = []
        for s in order:
            rss = scales[s][key]["peak_rss_gb"]
            cells.append(_seconds(scales[s][key]["median_s"]) + (f", {rss:.2f} GB" if rss is not None else ""))
        growth = []
        for s in order[1:]:
            rss, rss0 = scales[s][key]["peak_rss_gb"], scales[first][key]["peak_rss_gb"]
            growth.append(f"{scales[s][key]['median_s'] / scales[first][key]['median_s']:.1f}x"
                          + (f", {rss / rss0:.1f}x" if rss and rss0 else ""))
        lines.append(f"| {label} | " + " | ".join(cells + growth) + " |")
    return [*lines, ""]


def _stage_growth(stages: dict[float, list[dict]]) -> list[str]:
    """Each ingest stage's median time and peak RSS at each scale, matched by the stage's name: the
    stages' order differs where the patents file is too big for the linking to run beside its parse,
    and a stage that did not run at a scale shows a dash."""
    order = [s for s in sorted(stages) if stages[s]]
    if len(order) < 2:
        return []
    lines = ["`firms ingest` stage by stage across scales (median time, the stage's own peak RSS):", "",
             "| stage | " + " | ".join(f"scale {s:g}" for s in order) + " |",
             "| --- |" + " ---: |" * len(order)]
    by_name = {s: {st["stage"]: st for st in stages[s]} for s in order}
    names = list(dict.fromkeys(st["stage"] for s in order for st in stages[s]))
    for name in names:
        cells = []
        for s in order:
            st = by_name[s].get(name)
            if st is None:
                cells.append("–")
                continue
            cells.append(_seconds(st["median_s"])
                         + (f", {st['peak_rss_gb']:.2f} GB" if st["peak_rss_gb"] is not None else ""))
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return [*lines, ""]


def _seconds(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def _amount(value: float, unit: str) -> str:
    if unit == "s":
        return _seconds(value)
    return f"{value:.2f} {unit}" if unit != "x" else f"{value:.2f}x"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default="1,10", help="comma-separated demo scales (0.01-100)")
    parser.add_argument("--repeat", type=int, default=5, help="counted rounds (at least 1)")
    parser.add_argument("--warmup", type=int, default=1, help="rounds run first and not counted")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--work", type=Path, default=HERE / ".cache", help="demo folders and outputs")
    parser.add_argument("--json", type=Path, help="write the results, every run included, as JSON")
    parser.add_argument("--markdown", type=Path, help="write the results as Markdown tables")
    parser.add_argument("--only", help="comma-separated measurements to take (default: all): "
                                       + ", ".join(key for key, _ in MEASUREMENTS))
    parser.add_argument("--parquet", type=Path, help="measure on this folder written by `firms ingest` "
                                                     "(one scale; not ingest, the peers or the raw floor)")
    args = parser.parse_args(argv)
    try:
        args.scales = [float(s) for s in args.scales.split(",") if s.strip()]
    except ValueError:
        parser.error(f"--scales takes numbers separated by commas, not {args.scales!r}")
    if not args.scales or args.repeat < 1 or args.warmup < 0:
        parser.error("give at least one scale, --repeat >= 1 and --warmup >= 0")
    keys = [key for key, _ in MEASUREMENTS]
    args.only = [k.strip() for k in args.only.split(",") if k.strip()] if args.only else keys
    unknown = [k for k in args.only if k not in keys]
    if unknown or not args.only:
        parser.error(f"--only takes measurements out of {', '.join(keys)}, not {args.only!r}")
    after_ingest = [k for k in args.only if k in NEEDS_INGEST]
    if after_ingest and "ingest" not in args.only:
        parser.error(f"--only: {', '.join(after_ingest)} must follow each round's ingest (else they time what "
                     "the process kept from the round before): add ingest, without --parquet")
    if args.parquet is not None:
        needs_raw = [k for k in args.only if k in NEEDS_RAW]
        if needs_raw or len(args.scales) != 1:
            parser.error(f"--parquet: one scale, and not {', '.join(NEEDS_RAW)} (they read the raw folder)")
        if not args.parquet.is_dir():
            parser.error(f"--parquet: no folder {args.parquet}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)
    try:
        results = [bench_scale(scale, args, log) for scale in args.scales]
    except (CommandFailed, PeerMismatch, InputError) as exc:
        print(f"benchmark stopped: {exc}", file=sys.stderr)
        return 1
    report = {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "command": " ".join(["python", "benchmarks/run.py", *(argv if argv is not None else sys.argv[1:])]),
        "machine": machine(),
        "repeat": args.repeat,
        "warmup": args.warmup,
        "targets": check_targets({r["scale"]: r["stats"] for r in results}),
        "scales": [{**r, "stats": {k: v.as_dict() for k, v in r["stats"].items()}} for r in results],
    }
    markdown = render_markdown(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    if args.markdown:
        args.markdown.write_text(markdown, encoding="utf-8")
    print(markdown, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
