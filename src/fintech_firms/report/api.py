"""`firms report`: the chapter-4 tables and the index as charts, in one HTML page and as SVG/PNG files."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from ..analytics.chapter import Table, build_tables
from ..analytics.columns import METRICS, TOTAL, Column
from ..errors import InputError
from ..output.formats import write_bytes
from ..version import __version__
from .figures import DEFAULT_TOP_CITIES, Figure, chapter_figures, index_figures
from .linking import linking_figure, linking_summary
from .page import Facts, Section, cell, render_page, table_html

INGEST_REPORT = "ingest_report.json"  # written by `firms ingest` beside the tables (ingest.writer.REPORT_NAME)
TECH_MODES = {"primary": "技术类别按企业首个已知赛道归类",
              "any": "技术类别按企业的全部赛道归类（一家企业可计入多个类别）"}
IndexFunction = Callable[..., pl.DataFrame]


@dataclass(frozen=True)
class Report:
    html: str
    figures: list[Figure]


def build_report(tables: Mapping[str, Table], index_frames: Mapping[str, pl.DataFrame] | None = None,
                 provenance: Mapping[str, Any] | None = None, *, index_note: str | None = None,
                 top_cities: int = DEFAULT_TOP_CITIES, linking: Mapping[str, Any] | None = None) -> Report:
    """The page from the chapter-4 tables (`chapter_tables`), the index frames ("region", "city") if any,
    the ingest report of the data folder, and the linking evaluation with its sweep if any
    (`links.evaluate.evaluate(data, truth, sweep=True)`: a section with the sweep's chart)."""
    if top_cities < 1:
        raise InputError("--top-cities must be at least 1")
    settings = dict(tables["about"].frame.iter_rows())
    chapter = chapter_figures(tables, top_cities)
    sections = [
        Section("regions", "分区域（图8–11）", [f for f in chapter if f.source in ("by_region", "by_city")]),
        Section("tech", "分技术类别（图12–15）", [f for f in chapter if f.source == "by_tech"]),
        Section("region-tech", "技术类别的区域分布与集中度（图16–17）",
                [f for f in chapter if f.source in ("region_tech", "tech_concentration", "tech_leaders")]),
    ]
    index = index_figures(index_frames, top_cities) if index_frames else []
    if index:
        sections.insert(0, Section("index", "金融科技燃指数（图1–4）", index))
    else:
        sections.insert(0, Section("index", "金融科技燃指数（图1–4）",
                                   paragraphs=[index_note or "本数据文件夹没有燃指数的结果，故无指数图表。"]))
    if linking is not None:
        cards, paragraphs, method_table = linking_summary(linking)
        sections.append(Section("linking", "名称关联的准确度（附图）", [linking_figure(linking)], paragraphs,
                                cards, method_table))
    facts = Facts(headline=_headline(tables), universe=_universe(settings), settings=settings,
                  provenance_html=_provenance_html(provenance, settings),
                  footer=f"由 fintech_firms {settings.get('fintech_firms', __version__)} 生成："
                         "同样的数据生成同样的文件。")
    figures = [f for s in sections for f in s.figures]
    return Report(render_page(sections, facts), figures)


def load_index(index: IndexFunction | None, data_dir: Path, year: int | None,
               min_patents: int = 1) -> tuple[dict[str, pl.DataFrame] | None, str | None]:
    """The index frames by region and by city, or None and the reason shown in their place. min_patents:
    the firm universe, the chapter-4 tables' own, so that both parts of the page count the same firms."""
    if index is None:
        return None, "燃指数尚未提供：这一版本没有 firms index，故无指数图表。"
    try:
        frames = {by: index(data_dir, year=year, level="all", by=by, min_patents=min_patents)
                  for by in ("region", "city")}
    except InputError as exc:
        return None, f"燃指数无法计算，故无指数图表：{exc}"
    return frames, None


def evaluate_links(data_dir: Path, truth: Path) -> dict[str, Any]:
    """The linking evaluation against a truth file (CSV or XLSX, as `firms links eval` takes it) with its
    sweep: what the linking section shows (about 5 s of CPU on the scale-1 demo)."""
    from ..links.evaluate import evaluate

    return evaluate(Path(data_dir), Path(truth), sweep=True)


def read_provenance(data_dir: Path) -> dict[str, Any] | None:
    path = Path(data_dir) / INGEST_REPORT
    try:
        loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read {path}: {exc}") from None
    return loaded


def write_report(data_dir: Path, out: Path, *, figures_dir: Path | None = None, as_of: int | None = None,
                 index: IndexFunction | None = None, top_cities: int = DEFAULT_TOP_CITIES,
                 linking: Mapping[str, Any] | None = None, tables: Mapping[str, Table] | None = None,
                 **table_options: Any) -> list[Path]:
    """Build the tables from data_dir, then write the page (and each chart as SVG and PNG). linking: an
    evaluation with its sweep (`evaluate_links`), for the linking section. tables: the chapter-4 tables
    when the caller has built them already (with the same options), so that they are not built twice."""
    if out.exists() and out.is_dir():
        raise InputError(f"{out} is a folder; --out takes the HTML file to write")
    from concurrent.futures import ThreadPoolExecutor

    from .page import vega_runtime

    with ThreadPoolExecutor(1) as pool:
        # vl-convert bundles Vega's JavaScript (seconds, once per process) while DuckDB computes the tables.
        bundle = pool.submit(vega_runtime)
        if tables is None:
            tables = build_tables(Path(data_dir), as_of=as_of, **table_options)
        frames, note = load_index(index, Path(data_dir), as_of, table_options.get("min_patents", 1))
        bundle.result()
    report = build_report(tables, frames, read_provenance(Path(data_dir)), index_note=note, top_cities=top_cities,
                          linking=linking)
    write_bytes(report.html.encode("utf-8"), out)
    written = [out]
    if figures_dir is not None:
        from .export import write_figures

        written += write_figures(report.figures, figures_dir)
    return written


def _universe(settings: Mapping[str, str]) -> str:
    mode = TECH_MODES.get(settings.get("tech_mode", ""), settings.get("tech_mode", ""))
    return (f"口径：截至 {settings.get('as_of')} 年、至少有 {settings.get('min_patents')} 件专利申请的金融科技企业；"
            f"{mode}。")


def _headline(tables: Mapping[str, Table]) -> list[tuple[str, str, str]]:
    national = tables["by_region"].frame.filter(pl.col("region") == TOTAL).row(0, named=True)
    cards = []
    for metric in ("firms", "hightech_ratio", "patents", "invention_share", "rd_per_firm", "top_vc_leads"):
        column = METRICS[metric]
        cards.append((column.label, cell(national[metric], column), "全国"))
    top = tables["top_share"].frame
    for dim, metric, words in (("region", "firms", "区域企业数"), ("city", "patents", "城市专利数")):
        row = top.filter((pl.col("dimension") == dim) & (pl.col("metric") == metric))
        if row.height and row.item(0, "share") is not None:
            members = row.item(0, "members").split("+")
            cards.append((f"前{len(members)}名{words}占全国比重", cell(row.item(0, "share"), Column("s", "", "ratio")),
                          "、".join(members)))
    return cards


def _provenance_html(report: Mapping[str, Any] | None, settings: Mapping[str, str]) -> str:
    parts = []
    if report is None:
        parts.append("<p class=\"note\">数据文件夹中没有 ingest_report.json（不是由 firms ingest 写出的），"
                     "故无读取记录。</p>")
    else:
        files = [(name, f["encoding"], f["rows_read"], f["kept"], f["merged_duplicates"], f["quarantined"],
                  "；".join(f"{reason} {n}" for reason, n in f["quarantined_by_reason"].items()))
                 for name, f in report.get("files", {}).items()]
        columns = (Column("file", "文件", "text"), Column("encoding", "编码", "text"),
                   Column("read", "读取行数", "count"),
                   Column("kept", "保留", "count"), Column("merged", "合并的重复行", "count"),
                   Column("quarantined", "隔离", "count"), Column("reasons", "隔离原因", "text"))
        parts.append("<h3>读取与隔离（ingest_report.json）</h3>" + table_html(files, columns))
        methods = sorted({m for counts in report.get("links", {}).values() for m in counts})
        links = [(table, *(counts.get(m, 0) for m in methods)) for table, counts in report.get("links", {}).items()]
        link_columns = (Column("table", "表", "text"), *(Column(m, m, "count") for m in methods))
        parts.append("<h3>与企业的关联方式（行数）</h3>" + table_html(links, link_columns))
        accounted = "每一输入行都有去处。" if report.get("all_rows_accounted") else "警告：有输入行未被计入。"
        parts.append(f"<p class=\"note\">{accounted}</p>")
    rows = list(settings.items())
    parts.append("<h3>口径设置（firms tables 的 about 表）</h3>"
                 + table_html(rows, (Column("setting", "设置", "text"), Column("value", "取值", "text"))))
    return "".join(parts)
