"""Reading the figures 查验 needs from an invoice's printed text, in layout order as real PDFs
give it (labels first, values later), whoever issued it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from fapiao.domain.printed import read_printed
from fapiao.domain.words import amount_in_words

OLDER = """河南增值税电子普通发票
发票代码: 发票号码: 开票日期: 年 月 日 校 验 码:
机器编号:
名 称: 纳税人识别号: 地 址、电 话: 开户行及账号:
041001900111
32321709
2019  09  19
66881  99000  29471  47011
661807105160
¥91.59 ¥11.91
¥103.50壹佰零叁圆伍角
某某贸易有限公司 0371-53307501 85409880
"""

DIGITAL = """电子发票（增值税专用发票） 发票号码：
开票日期：
购 买 方 信 息 统一社会信用代码/纳税人识别号：
24512000000202537619
2024年09月25日
91511002309361947N
622202123456789012
¥113855.15 ¥14801.17
壹拾贰万捌仟陆佰伍拾陆圆叁角贰分 ¥128656.32
"""


def test_an_older_invoice_is_read_by_the_shape_of_each_figure() -> None:
    printed = read_printed(OLDER)
    assert (printed.code, printed.number) == ("041001900111", "32321709")
    assert printed.issued_on == date(2019, 9, 19)
    assert printed.check_code == "66881990002947147011"
    assert (printed.total, printed.amount) == (Decimal("103.50"), Decimal("91.59"))


def test_a_digital_invoice_has_no_code_and_a_real_region() -> None:
    printed = read_printed(DIGITAL)
    assert (printed.code, printed.number) == ("", "24512000000202537619")
    assert printed.issued_on == date(2024, 9, 25)
    assert (printed.total, printed.amount) == (Decimal("128656.32"), Decimal("113855.15"))
    # full-width digits and yen read the same
    wide = DIGITAL.translate(str.maketrans("0123456789¥", "０１２３４５６７８９￥"))
    assert read_printed(wide).number == "24512000000202537619"


def test_nothing_found_is_nothing() -> None:
    printed = read_printed("一张白纸")
    assert (printed.number, printed.code, printed.issued_on, printed.total) == ("", "", None, None)


@given(
    sequence=st.integers(1, 10**15 - 1),
    day=st.dates(date(2021, 1, 1), date(2030, 12, 31)),
    amount=st.decimals(Decimal("0.01"), Decimal("9999999.99"), places=2),
    rate=st.sampled_from([Decimal("0"), Decimal("0.03"), Decimal("0.06"), Decimal("0.13")]),
    noise=st.lists(st.integers(10**7, 10**9), max_size=4),
)
def test_a_digital_face_is_read_back_whatever_its_figures(
    sequence: int, day: date, amount: Decimal, rate: Decimal, noise: list[int]
) -> None:
    tax = (amount * rate).quantize(Decimal("0.01"))
    total = amount + tax
    number = f"{day.year % 100:02d}42{0}{sequence:015d}"
    text = "\n".join([
        "电子发票（普通发票） 发票号码： 开票日期：", *map(str, noise), number,
        f"{day.year}年{day.month:02d}月{day.day:02d}日", f"¥{amount} ¥{tax}",
        f"{amount_in_words(total)} ¥{total}",
    ])  # fmt: skip
    printed = read_printed(text)
    assert (printed.number, printed.issued_on, printed.total) == (number, day, total)
    assert printed.amount == (amount if tax else total)
