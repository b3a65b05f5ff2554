"""Pictures of invoices: opened within bounds (Pillow's decompression-bomb limit, a size cap),
and the invoice QR codes found in them (zxing-cpp)."""

from __future__ import annotations

import io
from typing import Any

from fapiao.documents.readers import UnreadableFile
from fapiao.domain.errors import Text

MAX_PIXELS = 40_000_000  # a 50-megapixel phone photo halved is well within


def open_picture(name: str, content: bytes) -> Any:
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(content)) as picture:
            width, height = picture.size
            if width * height > MAX_PIXELS:
                raise UnreadableFile(
                    Text("图片“{0}”过大（{1}×{2}像素）", name, width, height), field="file"
                )
            picture.load()
            # a phone keeps the way it was held in the EXIF orientation: turned as it says
            return ImageOps.exif_transpose(picture).convert("RGB")
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError) as error:
        raise UnreadableFile(Text("图片“{0}”无法读取：{1}", name, error), field="file") from None


def qr_codes(picture: Any) -> list[tuple[str, int]]:
    """The invoice QR codes (payloads ``01,…``) in the picture, in the order found, each with
    its orientation as zxing-cpp tells it (degrees, 0 upright, -90 turned a quarter left)."""
    import zxingcpp

    found = zxingcpp.read_barcodes(picture.convert("L"), formats=zxingcpp.BarcodeFormat.QRCode)
    return [
        (str(code.text), int(code.orientation)) for code in found if code.text.startswith("01,")
    ]


def qr_payloads(picture: Any) -> list[str]:
    """The invoice QR payloads (``01,…``) in the picture, in the order found."""
    return [payload for payload, _ in qr_codes(picture)]


def quarter_turn(codes: list[tuple[str, int]]) -> int:
    """The quarter turn that stands the page upright (0, 90, 180 or 270 degrees, as Pillow's
    ``rotate`` takes them: counter-clockwise), told by the first invoice QR code (printed
    upright on every invoice); 0 without one."""
    if not codes:
        return 0
    return round(codes[0][1] / 90) * 90 % 360
