"""Each chart as SVG and PNG (for slides), drawn by vl-convert with the packaged Chinese font."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from ..errors import InputError
from ..output.formats import write_bytes
from .figures import Figure
from .fonts import register_with_vl_convert
from .page import VL_VERSION

PNG_SCALE = 2  # twice the page's pixels: sharp on a slide


def figure_svg(figure: Figure) -> str:
    import vl_convert

    register_with_vl_convert()
    svg: str = vl_convert.vegalite_to_svg(figure.spec, vl_version=VL_VERSION)
    return stable_ids(svg)


_ID = re.compile(r'id="([A-Za-z]+_?)(\d+)"')


def stable_ids(svg: str) -> str:
    """Vega numbers gradients and clip paths with a counter that lives as long as vl-convert's JavaScript
    runtime (gradient_0, then gradient_1 for the same chart drawn again): number them from 0 in each file."""
    renames: dict[str, str] = {}
    counts: dict[str, int] = {}
    for prefix, number in _ID.findall(svg):
        if f"{prefix}{number}" not in renames:
            renames[f"{prefix}{number}"] = f"{prefix}{counts.get(prefix, 0)}"
            counts[prefix] = counts.get(prefix, 0) + 1
    if not renames:
        return svg
    pattern = re.compile("|".join(rf'(?<=id="){re.escape(o)}(?=")|(?<=#){re.escape(o)}(?=[)"])' for o in renames))
    return pattern.sub(lambda m: renames[m.group(0)], svg)


def figure_png(figure: Figure, scale: float = PNG_SCALE) -> bytes:
    import vl_convert

    register_with_vl_convert()
    png: bytes = vl_convert.vegalite_to_png(figure.spec, vl_version=VL_VERSION, scale=scale)
    return png


def write_figures(figures: Sequence[Figure], folder: Path) -> list[Path]:
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder} is a file; --figures takes a folder")
    written = []
    for figure in figures:
        svg, png = folder / f"{figure.key}.svg", folder / f"{figure.key}.png"
        write_bytes(figure_svg(figure).encode("utf-8"), svg)
        write_bytes(figure_png(figure), png)
        written += [svg, png]
    return written
