"""The short summary `firms ingest` prints; the full account is in ingest_report.json."""

from __future__ import annotations

from pathlib import Path

from .writer import REPORT_NAME


def summary_lines(report: dict, out_dir: Path) -> list[str]:
    lines = [f"Wrote {out_dir}/ ({', '.join(f'{n} {t}' for t, n in report['tables'].items())})"]
    for source, f in report["files"].items():
        lines.append(
            f"  {source} [{f['encoding']}]: {f['rows_read']} rows read, {f['kept']} kept, "
            f"{f['merged_duplicates']} merged as duplicates, {f['quarantined']} quarantined"
            + (f", {f['blank_rows']} blank" if f["blank_rows"] else "")
        )
        for reason, n in f["quarantined_by_reason"].items():
            lines.append(f"      {n} × {reason}")
    for table, counts in report["links"].items():
        parts = ", ".join(f"{m} {n}" for m, n in counts.items() if n)
        lines.append(f"  links in {table}: {parts or 'none'}")
    if report["unlinked_names"]:
        top = ", ".join(f"{u['name']} ({u['rows']})" for u in report["unlinked_names"][:5])
        lines.append(f"  unlinked names: {report['unlinked_distinct_names']}; most frequent: {top}")
    overrides = report.get("link_overrides") or {}
    if overrides.get("entries"):
        lines.append(f"  links.csv: {overrides['entries']} decisions, {overrides['used']} used, "
                     f"{len(overrides['stale'])} stale (see link_overrides in the report)")
    if report["invalid_usccs"]["count"]:
        lines.append(f"  invalid USCCs ignored: {report['invalid_usccs']['count']}")
    if report["patent_type_disagreements"]:
        lines.append(f"  patent type disagreements (number wins): {report['patent_type_disagreements']}")
    for issue in report["cell_issues"]:
        lines.append(f"  {issue['rows']} × {issue['source']} {issue['column']}: {issue['reason']} (read as blank)")
    lines.append("  every input row accounted for" if report["all_rows_accounted"]
                 else "  WARNING: some rows are not accounted for")
    lines.append(f"Full report: {out_dir / REPORT_NAME}")
    return lines
