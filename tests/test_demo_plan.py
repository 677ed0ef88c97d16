"""The demo plan (src/fintech_firms/demo/plan.csv, solved by tools/demo_plan/solve.py) holds every figure
of the report by arithmetic alone. tests/test_demo_figures.py checks the same figures on the engine's
output for the generated records."""

from __future__ import annotations

import pytest
from report_figures import check, figures, from_plan

from fintech_firms.demo.plan import SHARED_PATENTS, load_plan

FIGURES = figures()


@pytest.fixture(scope="module")
def answers():
    return from_plan(load_plan(), SHARED_PATENTS)


def test_every_figure_is_there():
    assert len(FIGURES) == 111


@pytest.mark.parametrize("fig", FIGURES, ids=[f.id for f in FIGURES])
def test_plan_holds_figure(fig, answers):
    check(fig, answers)
