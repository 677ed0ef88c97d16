"""Every chart spec of the report is valid Vega-Lite. The report builds its specs without Altair's validation
(report/charts.py: it took half the time the specs take), so the check is made here, on the pages of the
golden folder (with the index charts) and of the linking folder (with the sweep's chart)."""

from __future__ import annotations

import copy

import pytest
from altair.vegalite.v6.schema.core import Root
from jsonschema import ValidationError
from report_data import embedded_specs, index_frames, ingest_golden, ingest_linked

from fintech_firms import chapter_tables
from fintech_firms.report import build_report, evaluate_links, read_provenance
from fintech_firms.report.linking import KEY as LINKING


@pytest.fixture(scope="module")
def specs(tmp_path_factory) -> dict[str, dict]:
    data = ingest_golden(tmp_path_factory.mktemp("specs") / "parquet")
    page = build_report(chapter_tables(data), index_frames(), read_provenance(data), top_cities=3).html
    linked, truth = ingest_linked(tmp_path_factory.mktemp("specs-linked"))
    sweep = build_report(chapter_tables(linked), None, read_provenance(linked), linking=evaluate_links(linked, truth))
    return embedded_specs(page) | {LINKING: embedded_specs(sweep.html)[LINKING]}


def test_every_spec_is_valid_vega_lite(specs):
    assert len(specs) > 20 and LINKING in specs and "fig01_index_by_region" in specs
    for key, spec in specs.items():
        Root.validate(spec)  # raises on the first error
        assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/v6"), key


def test_the_check_fails_on_a_broken_spec(specs):
    broken = copy.deepcopy(next(iter(specs.values())))
    broken["layer"][0]["mark"] = {"type": "barr"}
    with pytest.raises(ValidationError):
        Root.validate(broken)
