from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from fapiao.domain.errors import DomainError
from fapiao.domain.invoice import Draft, Party, RemarksRequired, required_remarks, validate_draft
from fapiao.domain.kinds import InvoiceKind
from fapiao.domain.rates import EXEMPT, R1, R6, R13, ZERO_RATE, TaxpayerKind
from fapiao.domain.tax import LineInput

K = InvoiceKind
D = Decimal
GENERAL = TaxpayerKind.GENERAL

SELLER = Party(
    "无锡市安协安全培训中心",
    "52320200509244470T",
    "无锡市梁溪区上马墩路16号三号",
    "85409880",
    "交通银行股份有限公司无锡朝阳支行",
    "322000620018170121121",
)
BUYER = Party(
    "江苏苏豪天鹏农产品集团有限公司",
    "9132020013590404XW",
    "无锡市某路1号",
    "0510-88888888",
    "中国银行无锡分行",
    "1234567890",
)
TRAINING = LineInput(
    "培训费",
    R6,
    amount=D("235.85"),
    quantity=D(1),
    tax_code=("3070201020000000000"),
    short_name="非学历教育服务",
    unit="人",
)


def draft(**kwargs: object) -> Draft:
    values: dict[str, object] = {
        "kind": K.DIGITAL_SPECIAL,
        "seller": SELLER,
        "buyer": BUYER,
        "lines": (TRAINING,),
        "drawer": "周煜敏",
        **kwargs,
    }
    return Draft(**values)  # type: ignore[arg-type]


def test_a_valid_special_invoice_computes() -> None:
    computed = validate_draft(draft(), taxpayer_kind=GENERAL)
    assert computed.totals.total == D("250.00")
    assert computed.lines[0].display_name == "*非学历教育服务*培训费"


def refused(the_draft: Draft, taxpayer_kind: TaxpayerKind = GENERAL) -> DomainError:
    with pytest.raises(DomainError) as caught:
        validate_draft(the_draft, taxpayer_kind=taxpayer_kind)
    return caught.value


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"buyer": replace(BUYER, individual=True)},
            "buyer.individual",
            "不能向消费者个人开具数电专票",
        ),
        ({"buyer": replace(BUYER, tax_id="")}, "buyer.tax_id", "开具专票须填写购买方纳税人识别号"),
        ({"buyer": replace(BUYER, address="")}, "buyer.address", "开具专票须填写购买方地址"),
        ({"buyer": replace(BUYER, phone="")}, "buyer.phone", "开具专票须填写购买方电话"),
        ({"buyer": replace(BUYER, bank="")}, "buyer.bank", "开具专票须填写购买方开户行"),
        ({"buyer": replace(BUYER, account="")}, "buyer.account", "开具专票须填写购买方银行账号"),
        ({"buyer": replace(BUYER, bank="  ")}, "buyer.bank", "开具专票须填写购买方开户行"),
        (
            {"lines": (replace(TRAINING, rate=EXEMPT),)},
            "lines.0.rate",
            "第1行：数电专票不能使用免税税率",
        ),
        ({"lines": (replace(TRAINING, rate=ZERO_RATE),)}, "lines.0.rate", "不能使用0%税率"),
        (
            {"kind": K.VAT_SPECIAL_PAPER, "buyer": replace(BUYER, individual=True)},
            "buyer.individual",
            "不能向消费者个人开具专票",
        ),
    ],
)
def test_special_invoice_rules(changes: dict[str, object], field: str, message: str) -> None:
    error = refused(draft(**changes))
    assert error.field == field
    assert message in error.message


def test_ordinary_invoices_allow_individuals_and_zero_rates() -> None:
    person = Party("张三", individual=True)
    computed = validate_draft(
        draft(kind=K.DIGITAL_ORDINARY, buyer=person, lines=(replace(TRAINING, rate=EXEMPT),)),
        taxpayer_kind=GENERAL,
    )
    assert computed.totals.tax == D(0)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"seller": replace(SELLER, tax_id="52320200509244470A")}, "seller.tax_id", "校验位不正确"),
        ({"seller": replace(SELLER, name=" ")}, "seller.name", "请填写销售方名称"),
        ({"buyer": replace(BUYER, name="")}, "buyer.name", "请填写购买方名称"),
        (
            {"buyer": replace(BUYER, name="公" * 101)},
            "buyer.name",
            "购买方名称不能超过100个字符（现有101个）",
        ),
        (
            {"buyer": replace(BUYER, address="路" * 90, phone="1" * 11)},
            "buyer.address",
            "购买方地址、电话不能超过100个字符",
        ),
        (
            {"buyer": replace(BUYER, account="1" * 31)},
            "buyer.account",
            "购买方银行账号不能超过30个字符",
        ),
        (
            {"buyer": replace(BUYER, bank="行" * 70, account="1" * 31)},
            "buyer.account",
            "银行账号不能超过30个字符",
        ),
        ({"buyer": replace(BUYER, bank="行" * 71)}, "buyer.bank", "开户行不能超过70个字符"),
        ({"buyer": replace(BUYER, tax_id="9132020013590404XA")}, "buyer.tax_id", "校验位不正确"),
        ({"remarks": "注" * 201}, "remarks", "备注不能超过200个字符"),
        ({"drawer": "人" * 21}, "drawer", "开票人不能超过20个字符"),
        ({"lines": ()}, "lines", "发票至少需要一行明细"),
        ({"lines": (TRAINING,) * 2001}, "lines", "每张发票最多2000行明细"),
        ({"lines": (replace(TRAINING, name=""),)}, "lines.0.name", "请填写第1行项目名称"),
        ({"lines": (replace(TRAINING, short_name=""),)}, "lines.0.tax_code", "第1行税收分类简称"),
        ({"lines": (replace(TRAINING, tax_code="304"),)}, "lines.0.tax_code", "19位数字"),
        (
            {"lines": (replace(TRAINING, name="培" * 95),)},
            "lines.0.name",
            "第1行项目名称不能超过100个字符",
        ),
        (
            {"lines": (replace(TRAINING, spec="x" * 41),)},
            "lines.0.spec",
            "规格型号不能超过40个字符",
        ),
        ({"lines": (replace(TRAINING, unit="x" * 21),)}, "lines.0.unit", "单位不能超过20个字符"),
        (
            {"lines": (TRAINING, replace(TRAINING, rate=R1))},
            "lines.1.rate",
            "第2行：一般纳税人不能使用1%税率",
        ),
    ],
)
def test_field_rules(changes: dict[str, object], field: str, message: str) -> None:
    error = refused(draft(**changes))
    assert error.field == field
    assert message in error.message


def test_small_taxpayer_rates() -> None:
    small = TaxpayerKind.SMALL
    error = refused(draft(lines=(replace(TRAINING, rate=R13),)), small)
    assert error.message == "第1行：小规模纳税人不能使用13%税率"
    ok = validate_draft(
        draft(lines=(replace(TRAINING, rate=R1, amount=D("100")),)), taxpayer_kind=small
    )
    assert ok.totals.total == D("101.00")


BUILDING = replace(TRAINING, name="工程款", tax_code="3050100000000000000", short_name="建筑服务")


def test_special_businesses_need_remarks() -> None:
    building = draft(lines=(BUILDING,))
    assert required_remarks(building) == [
        "建筑服务发票须在备注栏注明建筑服务发生地县（市、区）名称及项目名称"
    ]
    error = refused(building)
    assert isinstance(error, RemarksRequired)
    assert error.field == "remarks"
    assert validate_draft(
        replace(building, remarks="武汉市洪山区 某某项目"), taxpayer_kind=GENERAL
    ).totals.total == D("250.00")
    lease = replace(TRAINING, tax_code="3040502020000000000", short_name="经营租赁")
    assert required_remarks(draft(lines=(lease, BUILDING))) == [
        "建筑服务发票须在备注栏注明建筑服务发生地县（市、区）名称及项目名称",
        "不动产经营租赁发票须在备注栏注明不动产的详细地址",
    ]


def test_difference_taxation_needs_its_mark() -> None:
    error = refused(draft(difference_taxation=True, remarks="差额"))
    assert error.message == "差额征税发票须在备注栏注明“差额征税”"
    assert validate_draft(
        draft(difference_taxation=True, remarks="差额征税：100.00。"), taxpayer_kind=GENERAL
    )


def test_red_draft_is_computed_negative() -> None:
    red = draft(red=True, lines=(replace(TRAINING, amount=D("-235.85"), quantity=D(-1)),))
    assert validate_draft(red, taxpayer_kind=GENERAL).totals.total == D("-250.00")


def test_errors_serialise_for_api_and_ui() -> None:
    error = refused(draft(buyer=replace(BUYER, name="")))
    assert error.as_dict() == {
        "code": "required",
        "message": "请填写购买方名称",
        "field": "buyer.name",
    }


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"buyer": replace(BUYER, name="江苏苏豪\u202e司公限有")}, "buyer.name", "202E"),
        ({"buyer": replace(BUYER, address="无锡市\x1b[31m梁溪区")}, "buyer.address", "001B"),
        ({"seller": replace(SELLER, account="3220\u200b00620018")}, "seller.account", "200B"),
        ({"lines": (replace(TRAINING, name="培训\x07费"),)}, "lines.0.name", "0007"),
        ({"lines": (TRAINING, replace(TRAINING, unit="人\ufeff"))}, "lines.1.unit", "FEFF"),
        ({"drawer": "周\u2066煜敏"}, "drawer", "2066"),
        ({"remarks": "项目\t地址"}, "remarks", "0009"),
        ({"buyer": replace(BUYER, phone="0510\n8888")}, "buyer.phone", "000A"),
    ],
)
def test_control_and_invisible_characters_are_refused_by_field(
    changes: dict[str, object], field: str, code: str
) -> None:
    with pytest.raises(DomainError) as caught:
        validate_draft(draft(**changes), taxpayer_kind=GENERAL)
    assert caught.value.field == field
    assert f"U+{code}" in caught.value.message and "不可见字符" in caught.value.message


def test_remarks_may_break_lines_and_ordinary_text_passes() -> None:
    text = "项目名称：无锡市梁溪区（一期）\n地址：上马墩路16号 ① ¥ № —"
    assert validate_draft(draft(remarks=text), taxpayer_kind=GENERAL).totals.total == D("250.00")
