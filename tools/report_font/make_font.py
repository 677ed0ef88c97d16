"""Make the report's packaged Chinese font: a subset of Noto Sans CJK SC Regular (SIL OFL 1.1).

The charts' PNG and SVG files are drawn by vl-convert (resvg), which finds fonts on the system; a fresh
machine often has no CJK font at all, and then Chinese labels come out as empty boxes. So the package
ships this subset and registers it with vl-convert; the HTML report embeds the few glyphs a page uses.

Coverage: the 6,763 hanzi of GB 2312 (every common simplified character), ASCII, CJK and full-width
punctuation, and every character of the packaged reference tables (city, province, region names).

Source: Debian's fonts-noto-cjk (`apt-get install fonts-noto-cjk`), face 2 (SC) of NotoSansCJK-Regular.ttc.
Run from the repository root: `python tools/report_font/make_font.py` (needs fonttools). The family is
renamed to "FIRE Sans SC" so that a test can tell this font from a system-installed Noto.
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset

SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
SC_FACE = 2
ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "src/fintech_firms/report/fonts/FireSansSC-Regular.otf"
FAMILY = "FIRE Sans SC"
PUNCTUATION = "，。、：；！？（）《》〈〉“”‘’—…·％－＋＝【】〔〕「」『』～￥　①②③④⑤⑥⑦⑧⑨⑩"


def characters() -> str:
    hanzi = []
    for high in range(0xB0, 0xF8):  # GB 2312 rows 16-87: the hanzi
        for low in range(0xA1, 0xFF):
            try:
                hanzi.append(bytes([high, low]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    ascii_ = "".join(chr(c) for c in range(0x20, 0x7F))
    tables = sorted((ROOT / "src/fintech_firms/reference").glob("*.csv"))
    reference = "".join(p.read_text(encoding="utf-8") for p in tables)
    return "".join(sorted(set("".join(hanzi) + ascii_ + PUNCTUATION + reference) - {"\n", "\r"}))


def main() -> int:
    options = subset.Options()
    options.font_number = SC_FACE
    options.layout_features = ["kern", "palt"]
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]
    options.hinting = False
    font = subset.load_font(str(SOURCE), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=characters())
    subsetter.subset(font)
    names = font["name"]
    for record in names.names:
        text = record.toUnicode()
        if record.nameID in (1, 4):
            record.string = FAMILY
        elif record.nameID in (3, 6):
            record.string = "FIRESansSC-Regular"
        elif record.nameID == 5:
            record.string = text + "; subset of Noto Sans CJK SC for fintech_firms"
    font.save(str(OUT))
    print(f"Wrote {OUT} ({OUT.stat().st_size:,} bytes, {len(font.getBestCmap()):,} characters)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
