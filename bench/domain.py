"""Domain throughput on one core: 5-line invoices computed and validated; QR payloads built
and parsed. Prints figures; asserts nothing.

    python bench/domain.py [--seconds 2]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal

from fapiao.domain.invoice import Draft, Party, validate_draft
from fapiao.domain.kinds import InvoiceKind
from fapiao.domain.qr import build_qr, parse_qr
from fapiao.domain.rates import R6, R9, R13, TaxpayerKind
from fapiao.domain.tax import LineInput, PriceMode, compute_lines
from fapiao.domain.words import amount_in_words

D = Decimal
SELLER = Party(
    "湖北某某科技有限公司",
    "9132020013590404XW",
    "武汉市洪山区珞喻路1号",
    "027-88888888",
    "中国银行武汉分行",
    "1234567890123",
)
BUYER = Party(
    "无锡市安协安全培训中心",
    "52320200509244470T",
    "无锡市梁溪区上马墩路16号",
    "85409880",
    "交通银行无锡朝阳支行",
    "322000620018170121121",
)
LINES = (
    LineInput(
        "软件开发服务",
        R6,
        quantity=D("3"),
        unit_price=D("1200.50"),
        tax_code="3040201010000000000",
        short_name="信息技术服务",
        unit="项",
    ),
    LineInput(
        "螺纹钢",
        R13,
        quantity=D("7.44"),
        unit_price=D("3589.38053097345"),
        tax_code="1080205010000000000",
        short_name="黑色金属冶炼压延品",
        unit="吨",
    ),
    LineInput(
        "稻谷",
        R9,
        amount=D("4500.00"),
        quantity=D("1500"),
        tax_code="1010101010000000000",
        short_name="谷物",
        unit="千克",
    ),
    LineInput(
        "会议服务",
        R6,
        amount=D("8800.00"),
        tax_code="3040304000000000000",
        short_name="文化创意服务",
    ),
    LineInput(
        "维护服务",
        R6,
        amount=D("999.99"),
        tax=D("60.00"),
        tax_code="3040201030000000000",
        short_name="信息技术服务",
    ),
)
DRAFT = Draft(
    InvoiceKind.DIGITAL_SPECIAL,
    SELLER,
    BUYER,
    LINES,
    PriceMode.EXCLUSIVE,
    remarks="合同号 HT-2026-001",
    drawer="张三",
)


def rate(name: str, work: Callable[[], object], seconds: float) -> None:
    work()
    count = 0
    started = time.perf_counter()
    deadline = started + seconds
    while time.perf_counter() < deadline:
        for _ in range(200):
            work()
        count += 200
    elapsed = time.perf_counter() - started
    print(f"{name:<44} {count / elapsed:>12,.0f} /s   {elapsed / count * 1e6:8.1f} µs each")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=2.0)
    seconds = parser.parse_args().seconds
    general = TaxpayerKind.GENERAL
    qr = build_qr(
        kind=InvoiceKind.DIGITAL_SPECIAL,
        code="",
        number="26422000000000000001",
        amount=D("128656.32"),
        issued_on=date(2026, 11, 23),
        check_code="",
    )
    print("Fapiao domain benchmark (one core)")
    rate("compute 5-line invoice (tax math only)", lambda: compute_lines(LINES), seconds)
    rate(
        "validate 5-line invoice (all rules + math)",
        lambda: validate_draft(DRAFT, taxpayer_kind=general),
        seconds,
    )
    rate("amount in words", lambda: amount_in_words(D("128656.32")), seconds)
    rate(
        "QR payload build",
        lambda: build_qr(
            kind=InvoiceKind.DIGITAL_SPECIAL,
            code="",
            number="26422000000000000001",
            amount=D("128656.32"),
            issued_on=date(2026, 11, 23),
            check_code="",
        ),
        seconds,
    )
    rate("QR payload parse", lambda: parse_qr(qr), seconds)


if __name__ == "__main__":
    main()
