"""查验: what a check asks for, how it is compared, and what it answers (DOMAIN §8).

The inputs depend on the kind, read off the query itself so that a missing input is refused
before anything is looked up (a refusal must not tell whether an invoice exists):

* 专票 (a code whose type is 专票): code, number, date, amount excluding tax;
* 普票 and 电子普票: code, number, date, the last 6 digits of the check code;
* 数电 (a 20-digit number, no code): number, date, 价税合计.

At most :data:`DAILY_LIMIT` checks per invoice per natural day (Asia/Shanghai), whoever asks.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from fapiao.domain.errors import DomainError
from fapiao.domain.kinds import spec
from fapiao.domain.money import parse_money
from fapiao.domain.numbering import parse_code, parse_digital_number, parse_number
from fapiao.domain.qr import parse_qr

DAILY_LIMIT = 5
TOO_MANY_MESSAGE = "超过该张发票当天查验次数(请于次日再次查验)"
NOT_FOUND_MESSAGE = "查无此票"
NOT_UPLOADED_MESSAGE = "已开具，尚未上传至税务机关"


class BadQuery(DomainError):
    code = "bad_query"


class Inputs(enum.StrEnum):
    SPECIAL = "special"  # 专票: 不含税金额
    ORDINARY = "ordinary"  # 普票: 校验码后6位
    DIGITAL = "digital"  # 数电: 价税合计


class Outcome(enum.StrEnum):
    MATCH = "一致"
    MISMATCH = "不一致"
    NOT_FOUND = "查无此票"
    TOO_MANY = "超过查验次数"
    NOT_UPLOADED = "已开具未上传"  # the issuer's own 查验: issued here, not yet received there


class RegistryStatus(enum.StrEnum):
    NORMAL = "正常"
    VOIDED = "作废"
    RED = "红冲"


#: What a 查验 may carry (typed inputs, or ``qr`` in their place), as the page, the API and the
#: authority's endpoint read them.
INPUT_FIELDS = ("code", "number", "issued_on", "amount", "check6", "total", "qr")

FIELD_LABELS = {
    "code": "发票代码",
    "number": "发票号码",
    "issued_on": "开票日期",
    "amount": "不含税金额",
    "check6": "校验码后6位",
    "total": "价税合计",
}


@dataclass(frozen=True, slots=True)
class Query:
    code: str  # "" for 数电
    number: str
    issued_on: date
    inputs: Inputs
    amount: Decimal | None = None
    check6: str | None = None
    total: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Facts:
    """What the registry holds of an invoice, as far as 查验 compares it."""

    issued_on: date
    amount: Decimal
    total: Decimal
    check_code: str


def inputs_for(code: str, number: str) -> Inputs:
    """Which inputs a query with this code and number needs; refuses malformed ones."""
    if not code.strip():
        parse_digital_number(number)
        return Inputs.DIGITAL
    kinds = parse_code(code).kinds
    parse_number(number)
    if not kinds:
        raise BadQuery("发票代码不属于可查验的票种", field="code")
    return Inputs.SPECIAL if spec(kinds[0]).special else Inputs.ORDINARY


def build_query(
    *,
    code: str,
    number: str,
    issued_on: date | None,
    amount: object = None,
    check6: object = None,
    total: object = None,
) -> Query:
    """A query from typed inputs, each required one present and well formed."""
    code, number = (code or "").strip(), (number or "").strip()
    if not number:
        raise BadQuery("请输入发票号码", field="number")
    inputs = inputs_for(code, number)
    if issued_on is None:
        raise BadQuery("请输入开票日期", field="issued_on")
    if inputs is Inputs.SPECIAL:
        if amount in (None, ""):
            raise BadQuery("请输入不含税金额", field="amount")
        value = parse_money(amount, field="amount", label="不含税金额")
        return Query(code, number, issued_on, inputs, amount=value)
    if inputs is Inputs.ORDINARY:
        text = str(check6 or "").strip()
        if len(text) != 6 or not text.isdigit():
            raise BadQuery("请输入校验码后6位数字", field="check6")
        return Query(code, number, issued_on, inputs, check6=text)
    if total in (None, ""):
        raise BadQuery("请输入价税合计", field="total")
    value = parse_money(total, field="total", label="价税合计")
    return Query(code, number, issued_on, inputs, total=value)


def query_from_inputs(inputs: Mapping[str, Any]) -> Query:
    """The query typed inputs or a pasted QR payload (``qr``) stand for."""
    if str(inputs.get("qr") or "").strip():
        return query_from_qr(str(inputs["qr"]))
    text = str(inputs.get("issued_on") or "").strip().replace("/", "-")
    if len(text) == 8 and text.isdigit():
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    try:
        issued_on = date.fromisoformat(text) if text else None
    except ValueError:
        raise BadQuery("开票日期格式应为YYYY-MM-DD", field="issued_on") from None
    return build_query(
        code=str(inputs.get("code") or ""),
        number=str(inputs.get("number") or ""),
        issued_on=issued_on,
        amount=inputs.get("amount"),
        check6=inputs.get("check6"),
        total=inputs.get("total"),
    )


def query_from_qr(payload: str) -> Query:
    """The query a scanned or pasted QR payload stands for."""
    qr = parse_qr(payload)  # its check field is not ours to judge: the registry answers
    inputs = inputs_for(qr.code, qr.number)
    return build_query(
        code=qr.code,
        number=qr.number,
        issued_on=qr.issued_on,
        amount=qr.amount if inputs is Inputs.SPECIAL else None,
        check6=qr.check_code[-6:] if inputs is Inputs.ORDINARY else None,
        total=qr.amount if inputs is Inputs.DIGITAL else None,
    )


def compare(query: Query, facts: Facts) -> str | None:
    """The first field of ``query`` that disagrees with ``facts``, or None when all agree."""
    if query.issued_on != facts.issued_on:
        return "issued_on"
    if query.inputs is Inputs.SPECIAL and query.amount != facts.amount:
        return "amount"
    if query.inputs is Inputs.ORDINARY and query.check6 != facts.check_code[-6:]:
        return "check6"
    if query.inputs is Inputs.DIGITAL and query.total != facts.total:
        return "total"
    return None


def mismatch_message(field: str) -> str:
    return f"不一致：{FIELD_LABELS[field]}与登记信息不符"
