"""Rendering throughput on one core: a 5-line invoice as PDF, OFD and 数电 XML, with the size of
each file. Prints figures; asserts nothing.

    python bench/render.py [--seconds 3]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from fapiao.documents.digital_xml import render_xml
from fapiao.documents.model import DocLine, Document
from fapiao.documents.ofd import render_ofd
from fapiao.documents.pdf import render_pdf
from fapiao.domain.invoice import Party
from fapiao.domain.kinds import InvoiceKind

D = Decimal
LINES = tuple(
    DocLine(name, spec, unit, quantity, price, D(amount), rate, D(tax), "3040201010000000000",
            rate_value)
    for name, spec, unit, quantity, price, amount, rate, tax, rate_value in (
        ("*信息技术服务*软件开发服务", "V2.0", "项", "1", "10000", "10000.00", "6%", "600.00",
         "0.06"),
        ("*非学历教育服务*培训费", "", "人次", "3", "250", "750.00", "6%", "45.00", "0.06"),
        ("*劳务*修理修配劳务", "CK6150", "次", "7.44", "3589.38053097345", "26704.99", "13%",
         "3471.65", "0.13"),
        ("*住宿服务*住宿费", "标准间", "间夜", "2", "358.490566037736", "716.98", "6%", "43.02",
         "0.06"),
        ("*餐饮服务*会议餐费", "", "次", "", "", "1207.55", "6%", "72.45", "0.06"),
    )
)  # fmt: skip
AMOUNT = sum((line.amount for line in LINES), D(0))
TAX = sum((line.tax for line in LINES), D(0))


def document(kind: InvoiceKind, number: int) -> Document:
    digital = kind.value.startswith("DIGITAL")
    return Document(
        kind=kind,
        code="" if digital else "042002600111",
        number=f"2642000000000{number:07d}" if digital else f"{number:08d}",
        issued_at=datetime(2026, 11, 23, 10, 30, tzinfo=ZoneInfo("Asia/Shanghai")),
        seller=Party("武汉江城示范科技有限公司", "91420100MA4K5TQ3XG",
                        "武汉市东湖新技术开发区光谷大道77号", "027-87654321",
                        "中国建设银行武汉光谷支行", "42050186360800001234"),
        buyer=Party("北京华章数据服务有限公司", "91110108MA01A2B3CF"),
        lines=LINES,
        amount=AMOUNT,
        tax=TAX,
        total=AMOUNT + TAX,
        qr=f"01,{'31' if digital else '10'},,{number},{AMOUNT + TAX},20261123,,A1B2,",
        check_code="" if digital else "37048473904177684897",
        remarks="项目编号：WX-2026-118",
        drawer="周煜敏",
        region="42",
        device_number="" if digital else "661900000001",
        signature="pvDpFyRWrvBmkC/pK876x0snKNqohsbg2U6I2mytvxZrodnCCSzbzMtUtX3GPmJWUEqm+RmFSX==",
        signature_algorithm="ed25519",
    )  # fmt: skip


def measure(name: str, render: Callable[[Document], bytes], kind: InvoiceKind, seconds: float):
    render(document(kind, 0))  # warm: font registration, caches
    count, size, started = 0, 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        count += 1
        size = len(render(document(kind, count)))  # a new number each time: nothing is reused
    elapsed = time.perf_counter() - started
    print(
        f"{name:<34} {count / elapsed:8.1f} /s {elapsed / count * 1000:8.1f} ms  {size:>7,} bytes"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    print("Fapiao rendering benchmark (one core, 5-line invoice)")
    measure("PDF, 数电 layout", render_pdf, InvoiceKind.DIGITAL_SPECIAL, args.seconds)
    measure("PDF, 税控 layout", render_pdf, InvoiceKind.VAT_ORDINARY_ELECTRONIC, args.seconds)
    measure("OFD, 数电", render_ofd, InvoiceKind.DIGITAL_SPECIAL, args.seconds)
    measure("OFD, 税控 with original_invoice.xml", render_ofd, InvoiceKind.VAT_ORDINARY_ELECTRONIC,
            args.seconds)  # fmt: skip
    measure("数电 XML", render_xml, InvoiceKind.DIGITAL_SPECIAL, args.seconds)


if __name__ == "__main__":
    main()
