"""A font that draws Chinese, for the matplotlib charts in the XLSX report.

matplotlib's default DejaVu Sans has no CJK glyphs and silently draws empty boxes, so a machine without a CJK
font must fail loudly instead of producing an unreadable workbook.
"""

from __future__ import annotations

from functools import lru_cache

from nlp_service.errors import FontMissingError

PREFERRED = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN", "WenQuanYi Zen Hei",
             "WenQuanYi Micro Hei", "Microsoft YaHei", "SimHei", "PingFang SC", "Heiti SC", "Noto Sans CJK JP",
             "Noto Serif CJK SC", "AR PL UMing CN")
PACKAGE = "fonts-noto-cjk"


@lru_cache(maxsize=1)
def cjk_font() -> str:
    """The family name of an installed CJK font, preferring a simplified-Chinese sans-serif."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    for name in PREFERRED:
        if name in installed:
            return name
    for f in font_manager.fontManager.ttflist:  # any other font whose name says CJK or Chinese
        if any(tag in f.name for tag in ("CJK", "Hei", "Song", "Kai", "Ming", "Han Sans")):
            return f.name
    raise FontMissingError(
        f"no font that can draw Chinese is installed; install the Debian package {PACKAGE} "
        f"(apt-get install {PACKAGE}, which provides /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc) "
        "and run again; matplotlib caches its font list, so delete ~/.cache/matplotlib if it still fails")
