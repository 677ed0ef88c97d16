"""The PNG files: a chart is drawn (bars, text), and its Chinese labels are drawn in the packaged font.

The font check renders a label as SVG text in "FIRE Sans SC" and compares the pixels with the same label
drawn from the packaged font's own glyph outlines (fontTools): the two must cover the same pixels. Without
the font, vl-convert draws nothing for a family it does not know (shown in a fresh process that does not
register it), so the check fails when the font is missing, whatever fonts the machine has.
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from fontTools.pens.svgPathPen import SVGPathPen
from fontTools.ttLib import TTFont
from PIL import Image
from report_data import embedded_specs, index_frames, ingest_golden

from fintech_firms import chapter_tables
from fintech_firms.reference.tables import load
from fintech_firms.report import build_report
from fintech_firms.report.charts import BAR_COLOR
from fintech_firms.report.export import figure_png
from fintech_firms.report.fonts import FAMILY, FONT_FILE, covered, register_with_vl_convert

LABEL = "粤港澳大湾区领先城市"
SIZE, BASELINE = 48, 64


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    data = ingest_golden(tmp_path_factory.mktemp("png") / "parquet")
    return build_report(chapter_tables(data), index_frames(), None, top_cities=3)


def _image(png: bytes) -> Image.Image:
    return Image.open(io.BytesIO(png)).convert("RGB")


def _ink(image: Image.Image) -> set[tuple[int, int]]:
    """Pixels darker than mid-grey: the text."""
    gray = image.convert("L")
    width = gray.width
    return {(i % width, i // width) for i, v in enumerate(gray.get_flattened_data()) if v < 128}


def _text_svg(family: str) -> str:
    width = SIZE * (len(LABEL) + 1)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="90"><rect width="{width}" height="90" '
            f'fill="white"/><text x="10" y="{BASELINE}" font-size="{SIZE}" font-family="{family}">{LABEL}</text></svg>')


def _outline_svg() -> str:
    """The label drawn from the packaged font's glyph outlines, as paths: what the font looks like."""
    font = TTFont(str(FONT_FILE))
    glyphs, cmap = font.getGlyphSet(), font.getBestCmap()
    scale = SIZE / font["head"].unitsPerEm
    x, paths = 10.0, []
    for char in LABEL:
        name = cmap[ord(char)]
        pen = SVGPathPen(glyphs)
        glyphs[name].draw(pen)
        paths.append(f'<path transform="translate({x:.3f},{BASELINE}) scale({scale},{-scale})" d="{pen.getCommands()}"/>')
        x += font["hmtx"][name][0] * scale
    width = SIZE * (len(LABEL) + 1)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="90"><rect width="{width}" height="90" '
            f'fill="white"/>{"".join(paths)}</svg>')


def test_chinese_label_is_drawn_in_the_packaged_font():
    import vl_convert

    register_with_vl_convert()
    drawn = _ink(_image(vl_convert.svg_to_png(_text_svg(FAMILY))))
    reference = _ink(_image(vl_convert.svg_to_png(_outline_svg())))
    assert len(reference) > 2000  # ten filled characters at 48 px
    overlap = len(drawn & reference) / len(drawn | reference)
    assert overlap > 0.9, f"the label's pixels match the packaged font's outlines only {overlap:.0%}"


def test_without_the_font_the_label_is_not_drawn():
    """What the check above guards against: a fresh process that does not register the font draws nothing."""
    script = ("import sys, vl_convert; sys.stdout.buffer.write(vl_convert.svg_to_png(sys.stdin.read()))")
    png = subprocess.run([sys.executable, "-c", script], input=_text_svg(FAMILY).encode(), capture_output=True,
                         check=True).stdout
    assert _ink(_image(png)) == set()


def test_chart_png_is_drawn(report):
    figure = next(f for f in report.figures if f.key == "fig08a_firms_by_region")
    image = _image(figure_png(figure, scale=1))
    assert image.width > 300 and image.height > 150
    bar = tuple(int(BAR_COLOR[i:i + 2], 16) for i in (1, 3, 5))
    pixels = list(image.get_flattened_data())
    assert pixels.count(bar) > 2000  # six bars
    assert len(_ink(image)) > 500  # labels, values, title
    assert len(set(pixels)) > 20  # anti-aliased text: not a blank or flat image


def test_font_covers_every_label_and_the_reference_places(report):
    specs = embedded_specs(report.html)
    text = set()
    for spec in specs.values():
        text |= set(spec["title"])
        for row in spec["data"]["values"]:
            text |= {c for v in row.values() if isinstance(v, str) for c in v}
    places = load("regions", None).frame
    for column in ("city", "province", "region"):
        text |= {c for v in places.get_column(column).drop_nulls().to_list() for c in v}
    assert {c for c in text if ord(c) > 0x2000} - covered() == set()
    assert {"粤", "冀", "渝", "湾", "其", "他"} <= covered()


def test_packaged_font_is_the_documented_subset():
    font = TTFont(str(FONT_FILE))
    assert font["name"].getDebugName(1) == FAMILY
    assert len(font.getBestCmap()) >= 6763  # GB 2312's hanzi and more
    assert (Path(FONT_FILE).parent / "OFL.txt").read_text(encoding="utf-8").count("SIL OPEN FONT LICENSE Version 1.1") == 1
