"""Pictures of invoices: opened within bounds (Pillow's decompression-bomb limit, a size cap),
and the invoice QR codes found in them (zxing-cpp)."""

from __future__ import annotations

import io
from typing import Any

from fapiao.documents.readers import UnreadableFile
from fapiao.domain.errors import Text

MAX_PIXELS = 40_000_000  # a 50-megapixel phone photo halved is well within


def open_picture(name: str, content: bytes) -> Any:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(content)) as picture:
            width, height = picture.size
            if width * height > MAX_PIXELS:
                raise UnreadableFile(
                    Text("图片“{0}”过大（{1}×{2}像素）", name, width, height), field="file"
                )
            picture.load()
            return picture.convert("RGB")
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError) as error:
        raise UnreadableFile(Text("图片“{0}”无法读取：{1}", name, error), field="file") from None


def qr_payloads(picture: Any) -> list[str]:
    """The invoice QR payloads (``01,…``) in the picture, in the order found."""
    import zxingcpp

    found = zxingcpp.read_barcodes(picture.convert("L"), formats=zxingcpp.BarcodeFormat.QRCode)
    return [str(code.text) for code in found if code.text.startswith("01,")]
