"""The CJK TrueType font embedded in every PDF and OFD.

Reportlab embeds TrueType outlines (a subset per document); CFF-flavoured OpenType such as Noto
CJK does not work there, so the default is WenQuanYi Zen Hei (Debian ``fonts-wqy-zenhei``),
then AR PL UMing (``fonts-arphic-uming``). ``FAPIAO_FONT_PATH`` (and ``FAPIAO_FONT_INDEX`` for a
font collection) points at another TrueType font.
"""

from __future__ import annotations

import enum
import functools
import os
from dataclasses import dataclass
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from fapiao.domain.errors import Text

CANDIDATES = (
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
    ("/usr/share/fonts/truetype/arphic/ukai.ttc", 0),
)
#: monospaced faces for what real invoices print so (tax ids, 密码区): the collection's own Mono
#: face when the CJK font is WenQuanYi Zen Hei, else DejaVu Sans Mono (Debian fonts-dejavu-core)
MONO_IN_COLLECTION = {"wqy-zenhei.ttc": 1}
MONO_CANDIDATES = ("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",)
#: the faces real invoices print in: labels and titles in a Song (宋体) face, values in a Kai
#: (楷体) face; AR PL UMing and UKai from Debian (fonts-arphic-uming, fonts-arphic-ukai)
SERIF_CANDIDATES = ("/usr/share/fonts/truetype/arphic/uming.ttc",)
KAI_CANDIDATES = ("/usr/share/fonts/truetype/arphic/ukai.ttc",)


class FontMissing(RuntimeError):
    pass


@dataclass(frozen=True)
class FontFile:
    path: Path
    index: int


def font_file() -> FontFile:
    """The configured font, or the first installed candidate."""
    configured = os.environ.get("FAPIAO_FONT_PATH", "").strip()
    if configured:
        path = Path(configured)
        if not path.is_file():
            raise FontMissing(Text("FAPIAO_FONT_PATH 指向的字体文件不存在：{0}", path))
        return FontFile(path, int(os.environ.get("FAPIAO_FONT_INDEX", "0") or 0))
    for candidate, index in CANDIDATES:
        if Path(candidate).is_file():
            return FontFile(Path(candidate), index)
    raise FontMissing(
        "没有可嵌入的中文TrueType字体：请安装 fonts-wqy-zenhei（make 会自动安装），"
        "或用 FAPIAO_FONT_PATH 指定字体文件"
    )


class Face(enum.StrEnum):
    SANS = "sans"  # the configured CJK font
    SERIF = "serif"  # labels, titles
    KAI = "kai"  # values
    MONO = "mono"  # tax ids, 密码区


def _first(candidates: tuple[str, ...]) -> FontFile | None:
    for candidate in candidates:
        if Path(candidate).is_file():
            return FontFile(Path(candidate), 0)
    return None


def mono_font_file() -> FontFile:
    """The monospaced face; the CJK font itself when none is installed."""
    found = font_file()
    index = MONO_IN_COLLECTION.get(found.path.name)
    if index is not None and not os.environ.get("FAPIAO_FONT_PATH", "").strip():
        return FontFile(found.path, index)
    return _first(MONO_CANDIDATES) or found


def face_file(face: Face) -> FontFile:
    """The font file of ``face``: the configured CJK font stands in for a face not installed
    (and for all of them when ``FAPIAO_FONT_PATH`` names one)."""
    if face is Face.MONO:
        return mono_font_file()
    if face is Face.SANS or os.environ.get("FAPIAO_FONT_PATH", "").strip():
        return font_file()
    candidates = SERIF_CANDIDATES if face is Face.SERIF else KAI_CANDIDATES
    return _first(candidates) or _first(SERIF_CANDIDATES) or font_file()


@functools.cache
def registered(face: Face) -> str:
    """Register ``face`` with reportlab once per process; its name there."""
    found = face_file(face)
    name = f"Fapiao{face.value.title()}"
    pdfmetrics.registerFont(TTFont(name, str(found.path), subfontIndex=found.index))
    return name
