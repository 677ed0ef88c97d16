"""Vega-Lite chart specs (through Altair) of the few shapes the report uses: bars, grouped bars, a heatmap.

Each function takes the chart's rows (plain dicts cut from a `firms tables` frame, nothing recomputed)
and returns a Vega-Lite spec as a dict. No selections or parameters: Altair would name them with a
process-wide counter (`param_1`, `view_1`), and the report must be byte-identical from run to run.
"""

from __future__ import annotations

from typing import Any, Final

import altair as alt

from .fonts import FAMILY

WIDTH = 560
STEP = 22  # pixels per bar (per band of a category axis)
BAR_COLOR = "#c0392b"  # the FIRE report's red
SCHEME: Final = "reds"
# Number formats (d3-format): counts with thousands separators, ratios as percentages, means with decimals.
FORMATS = {"count": ",.0f", "ratio": ".1%", "mean1": ",.1f", "mean2": ",.2f", "score": ",.3f", "percent2": ".2%",
           "growth": "+.2%"}
AXIS_FORMATS = FORMATS | {"ratio": ".0%", "score": ",.1f"}  # tick labels: fewer digits
# Index scores (0-10) would get a tick every 0.5 by default on a 560 px axis, too dense to read: one per point.
TICKS: dict[str, dict[str, Any]] = {"score": {"tickCount": 10}}

Spec = dict[str, Any]


def _finish(chart: alt.TopLevelMixin, title: str) -> Spec:
    chart = chart.properties(title=title).configure(font=FAMILY, background="white", padding=8).configure_view(
        stroke=None).configure_axis(labelFontSize=12, titleFontSize=12, labelLimit=220).configure_title(
        fontSize=15, anchor="start")
    # No validation here: checking each spec against the Vega-Lite schema (jsonschema) took half of the time the
    # page's specs take; tests/test_report_specs.py validates every spec of the test pages instead.
    spec: Spec = chart.to_dict(validate=False)
    return spec


def bars(rows: list[dict[str, Any]], *, category: str, value: str, kind: str, title: str, axis_title: str,
         tooltip: list[tuple[str, str, str]], sort_by_value: bool = True, label: str | None = None) -> Spec:
    """Horizontal bars, one per row, each with its value written at its end.

    tooltip: (field, title, kind) triples. label: a field holding the text to write (default: the value).
    """
    fmt = FORMATS[kind]
    base = alt.Chart(alt.Data(values=rows)).encode(
        y=alt.Y(f"{category}:N", title=None, sort="-x" if sort_by_value else None),
        x=alt.X(f"{value}:Q", title=axis_title, axis=alt.Axis(format=AXIS_FORMATS[kind], grid=False,
                                                              **TICKS.get(kind, {}))),
    )
    bar = base.mark_bar(color=BAR_COLOR).encode(tooltip=_tooltip(tooltip))
    text_encoding = alt.Text(f"{label}:N") if label else alt.Text(f"{value}:Q", format=fmt)
    text = base.mark_text(align="left", dx=3, fontSize=11, color="#333").encode(text=text_encoding)
    chart = alt.layer(bar, text).properties(width=WIDTH, height=alt.Step(STEP))
    return _finish(chart, title)


def grouped_bars(rows: list[dict[str, Any]], *, category: str, group: str, value: str, kind: str, title: str,
                 axis_title: str, groups: list[str], tooltip: list[tuple[str, str, str]]) -> Spec:
    """Horizontal bars grouped by category, one bar per (category, group) row, coloured by group."""
    chart = alt.Chart(alt.Data(values=rows)).mark_bar().encode(
        y=alt.Y(f"{category}:N", title=None, sort=None),
        yOffset=alt.YOffset(f"{group}:N", sort=groups),
        x=alt.X(f"{value}:Q", title=axis_title, axis=alt.Axis(format=AXIS_FORMATS[kind])),
        color=alt.Color(f"{group}:N", sort=groups, title=None, scale=alt.Scale(scheme="set2"),
                        legend=alt.Legend(orient="top")),
        tooltip=_tooltip(tooltip),
    ).properties(width=WIDTH, height=alt.Step(12, **{"for": "offset"}))  # 12 px per bar, 4 bars per category
    return _finish(chart, title)


def heatmap(rows: list[dict[str, Any]], *, x: str, y: str, value: str, kind: str, title: str, legend_title: str,
            x_order: list[str], y_order: list[str], tooltip: list[tuple[str, str, str]]) -> Spec:
    """One cell per row (x, y), its colour and its text the value."""
    fmt = FORMATS[kind]
    base = alt.Chart(alt.Data(values=rows)).encode(
        x=alt.X(f"{x}:N", title=None, sort=x_order, axis=alt.Axis(orient="top", labelAngle=0)),
        y=alt.Y(f"{y}:N", title=None, sort=y_order),
    )
    cells = base.mark_rect().encode(
        color=alt.Color(f"{value}:Q", title=legend_title, scale=alt.Scale(scheme=SCHEME),
                        legend=alt.Legend(format=AXIS_FORMATS[kind])),
        tooltip=_tooltip(tooltip),
    )
    text = base.mark_text(fontSize=10).encode(
        text=alt.Text(f"{value}:Q", format=fmt),
        color=alt.condition(f"datum['{value}'] > 0.25", alt.value("white"), alt.value("#222")),
    )
    chart = alt.layer(cells, text).properties(width=alt.Step(64), height=alt.Step(STEP))
    return _finish(chart, title)


def _tooltip(fields: list[tuple[str, str, str]]) -> list[alt.Tooltip]:
    tips = []
    for field, title, kind in fields:
        if kind == "text":
            tips.append(alt.Tooltip(f"{field}:N", title=title))
        else:
            tips.append(alt.Tooltip(f"{field}:Q", title=title, format=FORMATS.get(kind, ",")))
    return tips


def sweep_lines(rows: list[dict[str, Any]], *, x: str, series: list[tuple[str, str, str]], keep: str,
                marked_x: float, goals: list[tuple[str, float]], y_min: float, title: str, x_title: str,
                y_title: str, tooltip: list[tuple[str, str, str]]) -> Spec:
    """Lines with a point per value: each series a column of the rows kept by the Vega expression `keep`
    (folded, so the spec's data are the rows as given); a dashed rule per goal (series label, value) and
    a grey rule at marked_x.

    series: (column, label, colour) triples. The data carry every row; `keep` chooses the ones drawn.
    """
    labels = [label for _, label, _ in series]
    as_label = " : ".join(f"datum.measure === '{column}' ? '{label}'" for column, label, _ in series[:-1])
    as_label = f"{as_label} : '{series[-1][1]}'" if as_label else f"'{series[-1][1]}'"
    color = alt.Color("measure_label:N", title=None, sort=labels,
                      scale=alt.Scale(domain=labels, range=[c for _, _, c in series]),
                      legend=alt.Legend(orient="top"))
    xs = [row[x] for row in rows]
    x_scale = alt.Scale(domain=[min(xs), max(xs)]) if xs else alt.Scale()
    y = alt.Y("value:Q", title=y_title, scale=alt.Scale(domain=[y_min, 1]), axis=alt.Axis(format=".1%"))
    lines = alt.Chart().transform_filter(keep).transform_fold(
        [column for column, _, _ in series], as_=["measure", "value"]).transform_filter(
        "isValid(datum.value)").transform_calculate(measure_label=as_label).mark_line(
        point=True, strokeWidth=2).encode(
        x=alt.X(f"{x}:Q", title=x_title, scale=x_scale, axis=alt.Axis(format="d", tickMinStep=1)),
        y=y, color=color, tooltip=[alt.Tooltip("measure_label:N", title="指标"),
                                   alt.Tooltip("value:Q", title="取值", format=".2%"), *_tooltip(tooltip)])
    goal = alt.Chart(alt.Data(values=[{"measure_label": label, "value": value} for label, value in goals])).mark_rule(
        strokeDash=[6, 4], opacity=0.7).encode(y=y, color=color)
    marked = alt.Chart(alt.Data(values=[{x: marked_x}])).mark_rule(color="#777", strokeDash=[2, 3]).encode(
        x=alt.X(f"{x}:Q", scale=x_scale))
    chart = alt.layer(lines, goal, marked, data=alt.Data(values=rows)).properties(width=WIDTH, height=300)
    return _finish(chart, title)
