"""The report's Chinese font: shipped in the package, so that labels are Chinese on a machine with no CJK font.

fonts/FireSansSC-Regular.otf is a subset of Noto Sans CJK SC (SIL OFL 1.1, fonts/OFL.txt): the 6,763 hanzi
of GB 2312, ASCII, punctuation and every character of the reference tables, renamed "FIRE Sans SC"
(tools/report_font/make_font.py). vl-convert (the PNG and SVG files) is given the folder; the HTML page
embeds a subset of only the characters it shows (tens of kilobytes instead of 1.5 MB).
"""

from __future__ import annotations

import base64
import io
from functools import cache
from pathlib import Path

FAMILY = "FIRE Sans SC"
FONT_DIR = Path(__file__).parent / "fonts"
FONT_FILE = FONT_DIR / "FireSansSC-Regular.otf"
# What the page and the charts ask for: the shipped font, then fonts that readers' systems usually have.
STACK = f'"{FAMILY}", "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif'


@cache
def register_with_vl_convert() -> None:
    """Once per process: vl-convert's font database is global."""
    import vl_convert

    vl_convert.register_font_directory(str(FONT_DIR))


@cache
def covered() -> frozenset[str]:
    """The characters the shipped font can draw."""
    from fontTools.ttLib import TTFont

    with TTFont(str(FONT_FILE), lazy=True) as font:
        return frozenset(chr(code) for code in font.getBestCmap())


def page_font_css(text: str) -> str:
    """An @font-face rule holding the shipped font cut to the characters of `text` (WOFF, base64)."""
    from fontTools import subset

    options = subset.Options()
    options.flavor = "woff"  # zlib-compressed; WOFF2 would need brotli
    options.layout_features = ["kern", "palt"]
    options.hinting = False
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]
    font = subset.load_font(str(FONT_FILE), options)
    subsetter = subset.Subsetter(options)
    # Sorted and de-duplicated: the same page gives the same font bytes.
    subsetter.populate(text="".join(sorted(set(text) & covered())))
    subsetter.subset(font)
    data = io.BytesIO()
    font.save(data)
    encoded = base64.b64encode(data.getvalue()).decode("ascii")
    return (f'@font-face{{font-family:"{FAMILY}";font-style:normal;font-weight:400;'
            f'src:url(data:font/woff;base64,{encoded}) format("woff");}}')
