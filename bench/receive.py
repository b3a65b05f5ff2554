"""Reading received invoices on one core: ms per invoice for 数电 XML, OFD (both kinds) and text
PDFs (both layouts), each beside the share of key fields read right, on invoices rendered
here (5 lines, a new number each time) and on the real samples. The baseline of the same run
is the PDF render rate (a PDF made per second), so that runs on a slower or faster machine
compare by ratio. Prints figures; asserts nothing.

    python bench/receive.py [--seconds 3]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import django

sys.path.insert(0, str(Path(__file__).resolve().parent))
from render import document  # the rendering benchmark's 5-line invoice

KEYS = ("invoice_number", "date", "seller_tax_id", "buyer_tax_id", "amount_excl_tax", "tax",
        "total")  # fmt: skip
SAMPLES = next(
    (
        path
        for path in (
            Path(os.environ.get("FAPIAO_SAMPLES", "/nonexistent")),
            Path(__file__).resolve().parents[2] / "shared" / "samples",
            Path("/work/shared/samples"),
        )
        if path.is_dir()
    ),
    Path("/nonexistent"),
)
#: the samples' key fields as printed on them
SAMPLE_KEYS = {
    "shudian-special.pdf": ("24512000000202537619", "2024-09-25", "91511002572793472P",
                            "91511002309361947N", "113855.15", "14801.17", "128656.32"),
    "e-ordinary.pdf": ("32321709", "2019-09-19", "91410100MA44HUD80N", None, "91.59", "11.91",
                       "103.50"),
    "e-ordinary-with-original-xml.ofd": ("99999951", "2020-10-10", "91500106MA2CE71F65",
                                         "9150010807MGZHI002", "300.00", "18.00", "318.00"),
    "shudian-ordinary.ofd": ("24112000000048542163", "2024-05-28", "91110108690017781B",
                             "91460300MAA92DJN95", "4197.17", "251.83", "4449.00"),
    "shudian-ordinary.xml": ("25322000000365404822", "2025-08-08", "52320200509244470T",
                             "9132020013590404XW", "235.85", "14.15", "250.00"),
}  # fmt: skip


def accuracy(found: dict[str, Any], wanted: tuple[str | None, ...]) -> tuple[int, int]:
    return sum(found[key] == value for key, value in zip(KEYS, wanted, strict=True)), len(KEYS)


def rate(work: Callable[[int], Any], seconds: float) -> tuple[float, int]:
    work(0)  # warm
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        count += 1
        work(count)
    return (time.perf_counter() - started) / count, count


def photograph(
    pdf: bytes, angle: float = 15, quality: int = 60, blur: float = 0.8, scale: float = 2.5
) -> bytes:
    """A PDF as a phone photo: rasterised, turned, blurred, JPEG-compressed."""
    import io

    import pypdfium2
    from PIL import Image, ImageFilter

    page = pypdfium2.PdfDocument(pdf)[0].render(scale=scale).to_pil().convert("RGB")
    turned = page.rotate(angle, expand=True, fillcolor=(235, 230, 220), resample=Image.BICUBIC)
    out = io.BytesIO()
    turned.filter(ImageFilter.GaussianBlur(blur)).save(out, "JPEG", quality=quality)
    return out.getvalue()


def photo_rows(render_each: float, title: str, *, with_qr: bool, **how: float) -> None:
    """Prints, for each layout, the median time of three photos read and the key fields right;
    without the QR code every field comes from OCR alone."""
    from fapiao.documents.pdf import render_pdf
    from fapiao.domain.kinds import InvoiceKind
    from fapiao.receiving.reading import read_file

    print(f"{title:<34} {'ms/image':>10}")
    for name, kind in (("数电 layout", InvoiceKind.DIGITAL_SPECIAL),
                       ("税控 layout", InvoiceKind.VAT_SPECIAL_PAPER)):  # fmt: skip
        times, right, total = [], 0, 0
        for n in range(3):
            doc = document(kind, n + 1)
            if with_qr:
                qr_type = "31" if kind.value.startswith("DIGITAL") else "01"
                amount = doc.total if qr_type == "31" else doc.amount
                qr = f"01,{qr_type},{doc.code},{doc.number},{amount},20261123,{doc.check_code},A,"
                doc = dataclasses.replace(doc, qr=qr)
            content = photograph(render_pdf(doc), **how)
            started = time.perf_counter()
            found = read_file("photo.jpg", content)[0].as_json()
            times.append(time.perf_counter() - started)
            wanted = (doc.number, "2026-11-23", doc.seller.tax_id, doc.buyer.tax_id,
                      str(doc.amount), str(doc.tax), str(doc.total))  # fmt: skip
            ok, of = accuracy(found, wanted)
            right, total = right + ok, total + of
        each = sorted(times)[1]  # the median of three (the first loads the models)
        print(f"  {name:<32} {each * 1000:10.0f} {each / render_each:9.1f} {right / total:12.1%}")


def detector_comparison() -> None:
    """Prints the seconds OCR alone takes on a photo: our engine, and rapidocr's with its own
    onnxruntime detector (the same settings otherwise); the median of three each."""
    import io

    import numpy
    import rapidocr
    from PIL import Image

    from fapiao.documents.pdf import render_pdf
    from fapiao.domain.kinds import InvoiceKind
    from fapiao.receiving import ocr

    photo = photograph(render_pdf(document(InvoiceKind.DIGITAL_SPECIAL, 9)))
    picture = numpy.asarray(Image.open(io.BytesIO(photo)).convert("RGB"))
    plain = rapidocr.RapidOCR(params=ocr.engine_params(ocr.MAX_SIDE))
    plain(picture)  # loads its models
    figures = []
    for engine in (ocr.engine(ocr.MAX_SIDE), plain):
        times = []
        for _ in range(3):
            started = time.perf_counter()
            engine(picture)
            times.append(time.perf_counter() - started)
        figures.append(sorted(times)[1] * 1000)
    ours, theirs = (f"{figure:.0f} ms" for figure in figures)
    print(f"  OCR alone, detector on OpenVINO f32: {ours}; on onnxruntime {theirs} (same photo)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fapiao.settings")
    django.setup()
    from fapiao.documents.digital_xml import render_xml
    from fapiao.documents.ofd import render_ofd
    from fapiao.documents.pdf import render_pdf
    from fapiao.domain.kinds import InvoiceKind
    from fapiao.receiving.reading import read_file

    render_each, _ = rate(lambda n: render_pdf(document(InvoiceKind.DIGITAL_SPECIAL, n)), 1.0)
    print("Fapiao reading benchmark (one core, 5-line invoices rendered here)")
    print(f"baseline: PDF render {1 / render_each:.1f}/s ({render_each * 1000:.1f} ms)")
    print(f"{'format':<34} {'ms/invoice':>10} {'× render':>9} {'fields right':>13}")
    cases = (
        ("数电 XML", render_xml, InvoiceKind.DIGITAL_SPECIAL, "xml"),
        ("OFD, 数电 (CustomTag + text)", render_ofd, InvoiceKind.DIGITAL_SPECIAL, "ofd"),
        ("OFD, 税控 (original XML)", render_ofd, InvoiceKind.VAT_ORDINARY_ELECTRONIC, "ofd"),
        ("PDF, 数电 layout (text + QR)", render_pdf, InvoiceKind.DIGITAL_SPECIAL, "pdf"),
        ("PDF, 税控 layout (text + QR)", render_pdf, InvoiceKind.VAT_ORDINARY_ELECTRONIC, "pdf"),
    )
    for name, render, kind, extension in cases:
        files = {n: (render(document(kind, n)), document(kind, n)) for n in range(20)}

        def read(n: int, files: dict[int, Any] = files, extension: str = extension) -> Any:
            return read_file(f"x.{extension}", files[n % 20][0])[0].as_json()

        each, _ = rate(read, args.seconds)
        right = total = 0
        for content, doc in files.values():
            found = read_file(f"x.{extension}", content)[0].as_json()
            wanted = (doc.number, "2026-11-23", doc.seller.tax_id, doc.buyer.tax_id,
                      str(doc.amount), str(doc.tax), str(doc.total))  # fmt: skip
            ok, of = accuracy(found, wanted)
            right, total = right + ok, total + of
        print(f"{name:<34} {each * 1000:10.1f} {each / render_each:9.2f} "
              f"{right / total:12.1%}")  # fmt: skip
    photo_rows(render_each, "photo (15°, JPEG 60), OCR on one thread", with_qr=True)
    photo_rows(
        render_each,
        "harder, no QR (−5°, JPEG 35, blur 1.5)",
        with_qr=False,
        angle=-5,
        quality=35,
        blur=1.5,
        scale=2.0,
    )
    detector_comparison()
    if SAMPLES.exists():
        print("the real samples (one file each, read once):")
        for sample, wanted in SAMPLE_KEYS.items():
            content = (SAMPLES / sample).read_bytes()
            started = time.perf_counter()
            found = read_file(sample, content)[0].as_json()
            each = time.perf_counter() - started
            ok, of = accuracy(found, wanted)
            score = f"{ok}/{of}"
            print(f"  {sample:<32} {each * 1000:10.1f} {each / render_each:9.2f} {score:>13}")


if __name__ == "__main__":
    main()
