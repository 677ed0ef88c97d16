"""Each chart as SVG and PNG (for slides), drawn by vl-convert with the packaged Chinese font."""

from __future__ import annotations

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
    return svg


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
