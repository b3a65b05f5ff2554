"""A draft invoice checked against every rule that needs no database (DOMAIN §1, §3).

``validate_draft`` is what the issuing service calls before it takes a number: kind against
buyer and rates, field limits, remarks that special businesses need, and the tax math.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fapiao.domain import limits
from fapiao.domain.errors import DomainError, Text, line_field, line_label
from fapiao.domain.kinds import MAX_LINES, InvoiceKind, spec
from fapiao.domain.rates import TaxpayerKind, allowed_rates, check_rate_allowed
from fapiao.domain.tax import Computed, LineInput, PriceMode, compute_lines
from fapiao.domain.taxcodes import TAX_CODE_DIGITS, validate_tax_code
from fapiao.domain.taxpayer_id import validate_buyer_id, validate_uscc


class KindRuleBroken(DomainError):
    """The invoice's kind does not allow what the draft asks for."""

    code = "kind_rule"


class RemarksRequired(DomainError):
    code = "remarks_required"


@dataclass(frozen=True, slots=True)
class Party:
    name: str
    tax_id: str = ""
    address: str = ""
    phone: str = ""
    bank: str = ""
    account: str = ""
    individual: bool = False  # 消费者个人


@dataclass(frozen=True, slots=True)
class Draft:
    kind: InvoiceKind
    seller: Party
    buyer: Party
    lines: Sequence[LineInput]
    mode: PriceMode = PriceMode.EXCLUSIVE
    remarks: str = ""
    payee: str = ""  # 收款人
    reviewer: str = ""  # 复核人
    drawer: str = ""  # 开票人
    red: bool = False
    difference_taxation: bool = False  # 差额征税


@dataclass(frozen=True, slots=True)
class RemarkRule:
    """Lines whose tax code starts with ``prefix`` need remarks saying ``what``."""

    prefix: str
    business: str
    what: str


#: Special businesses that must put text in 备注 (DOMAIN §3, 青岛 tax bureau FAQ).
REMARK_RULES: tuple[RemarkRule, ...] = (
    RemarkRule("305", "建筑服务", "建筑服务发生地县（市、区）名称及项目名称"),
    RemarkRule("5", "销售不动产", "不动产的详细地址"),
    RemarkRule("3040502020", "不动产经营租赁", "不动产的详细地址"),
    RemarkRule("30101", "货物运输服务", "起运地、到达地、车种车号以及运输货物信息"),
)
_REMARK_PREFIXES = tuple(rule.prefix for rule in REMARK_RULES)
DIFFERENCE_TAXATION_MARK = "差额征税"


_PARTY_FIELDS = (
    ("name", "名称"), ("tax_id", "纳税人识别号"), ("address", "地址"), ("phone", "电话"),
    ("bank", "开户行"), ("account", "银行账号"),
)  # fmt: skip
_PEOPLE = (("payee", "收款人"), ("reviewer", "复核人"), ("drawer", "开票人"))


def check_party(party: Party, *, role: str = "", label: str = "", full: bool = False) -> None:
    """Name, address and phone, bank and account within their limits (and all present for a
    专票 when ``full``), none with a control or invisible character; fields are named
    ``role.field``, or just ``field`` without a role."""
    values = (party.name, party.tax_id, party.address, party.phone, party.bank, party.account)
    if limits.UNPRINTABLE.search("".join(values)) is not None:
        prefix = f"{role}." if role else ""
        for (name, text), value in zip(_PARTY_FIELDS, values, strict=True):
            limits.check_printable(value, field=prefix + name, label=Text("{0}{1}", label, text))
    if (
        party.name.strip()
        and len(party.name) <= limits.PARTY_NAME
        and len(party.address) + len(party.phone) <= limits.ADDRESS_PHONE
        and len(party.account) <= limits.BANK_ACCOUNT_NUMBER
        and len(party.bank) <= limits.BANK_NAME
        and (
            not full
            or all(
                value.strip()
                for value in (party.tax_id, party.address, party.phone, party.bank, party.account)
            )
        )
    ):
        return
    _explain_party(party, role=f"{role}." if role else "", label=label, full=full)


def _explain_party(party: Party, *, role: str, label: str, full: bool) -> None:
    limits.require(party.name, field=f"{role}name", label=Text("{0}名称", label))
    limits.check_length(
        party.name, limits.PARTY_NAME, field=f"{role}name", label=Text("{0}名称", label)
    )
    limits.check_length(
        party.address + party.phone,
        limits.ADDRESS_PHONE,
        field=f"{role}address",
        label=Text("{0}地址、电话", label),
    )
    limits.check_length(
        party.account,
        limits.BANK_ACCOUNT_NUMBER,
        field=f"{role}account",
        label=Text("{0}银行账号", label),
    )
    limits.check_length(
        party.bank, limits.BANK_NAME, field=f"{role}bank", label=Text("{0}开户行", label)
    )
    if full:
        for name, text in (
            ("tax_id", "纳税人识别号"),
            ("address", "地址"),
            ("phone", "电话"),
            ("bank", "开户行"),
            ("account", "银行账号"),
        ):
            if not getattr(party, name).strip():
                raise KindRuleBroken(
                    Text("开具专票须填写{0}{1}", label, text), field=f"{role}{name}"
                )


def _explain_line_lengths(line: LineInput, index: int) -> None:
    for name, value, limit, text in (
        ("name", f"*{line.short_name}*{line.name}", limits.ITEM_NAME, "项目名称"),
        ("spec", line.spec, limits.ITEM_SPEC, "规格型号"),
        ("unit", line.unit, limits.ITEM_UNIT, "单位"),
    ):
        limits.check_length(
            value,
            limit,
            field=line_field(index, name),
            label=Text("{0}{1}", line_label(index), text),
        )


def _check_lines(draft: Draft, taxpayer_kind: TaxpayerKind) -> None:
    """Per-line rules. This loop runs for every line of every invoice: failures build their
    messages, successes only compare."""
    item_spec = spec(draft.kind)
    if not draft.lines:
        raise KindRuleBroken("发票至少需要一行明细", field="lines")
    if len(draft.lines) > MAX_LINES:
        raise KindRuleBroken(Text("每张发票最多{0}行明细", MAX_LINES), field="lines")
    allowed = allowed_rates(taxpayer_kind)
    for index, line in enumerate(draft.lines):
        if not line.name.strip():
            limits.require(
                line.name,
                field=line_field(index, "name"),
                label=Text("{0}项目名称", line_label(index)),
            )
        if not line.short_name.strip():
            limits.require(
                line.short_name,
                field=line_field(index, "tax_code"),
                label=Text("{0}税收分类简称", line_label(index)),
            )
        if len(line.tax_code) != TAX_CODE_DIGITS or not line.tax_code.isdigit():
            validate_tax_code(line.tax_code, field=line_field(index, "tax_code"))
        if (
            len(line.short_name) + len(line.name) + 2 > limits.ITEM_NAME
            or len(line.spec) > limits.ITEM_SPEC
            or len(line.unit) > limits.ITEM_UNIT
        ):
            _explain_line_lengths(line, index)
        if line.rate not in allowed:
            check_rate_allowed(
                line.rate,
                taxpayer_kind,
                field=line_field(index, "rate"),
                where=f"{line_label(index)}：",
            )
        if line.rate.is_zero_kind and not item_spec.allows_zero_rates:
            raise KindRuleBroken(
                Text(
                    "{0}：{1}不能使用{2}税率",
                    line_label(index),
                    item_spec.short_name,
                    line.rate.label,
                ),
                field=line_field(index, "rate"),
            )


def required_remarks(draft: Draft) -> list[str]:
    """What the remarks must state for the special businesses among the lines."""
    codes = {line.tax_code for line in draft.lines if line.tax_code.startswith(_REMARK_PREFIXES)}
    needs: list[str] = []
    for rule in REMARK_RULES if codes else ():
        if any(code.startswith(rule.prefix) for code in codes):
            text = f"{rule.business}发票须在备注栏注明{rule.what}"
            if text not in needs:
                needs.append(text)
    return needs


def _check_remarks(draft: Draft) -> None:
    limits.check_length(draft.remarks, limits.REMARKS, field="remarks", label="备注")
    needs = required_remarks(draft)
    if needs and not draft.remarks.strip():
        raise RemarksRequired(needs[0], field="remarks")
    if draft.difference_taxation and DIFFERENCE_TAXATION_MARK not in draft.remarks:
        raise RemarksRequired("差额征税发票须在备注栏注明“差额征税”", field="remarks")


def _printed(draft: Draft) -> list[tuple[str, str, str]]:
    """The printed texts of the draft but the parties' and 备注: (value, field, label)."""
    texts: list[tuple[str, str, str]] = [
        (getattr(draft, name), name, text) for name, text in _PEOPLE
    ]
    for index, line in enumerate(draft.lines):
        for name, text in (("name", "项目名称"), ("spec", "规格型号"), ("unit", "单位")):
            label = Text("{0}{1}", line_label(index), text)
            texts.append((getattr(line, name), line_field(index, name), label))
    return texts


def check_printable(draft: Draft) -> None:
    """No control or invisible character in the lines, the people or 备注 (the parties are
    checked by :func:`check_party`): one search over them all, the field named on a hit."""
    joined = "".join(
        (draft.payee, draft.reviewer, draft.drawer,
         *(line.name + line.spec + line.unit for line in draft.lines))
    )  # fmt: skip
    if limits.UNPRINTABLE.search(joined) is not None:
        for value, field, label in _printed(draft):
            limits.check_printable(value, field=field, label=label)
    limits.check_printable(draft.remarks, field="remarks", label="备注", newlines=True)


def validate_draft(draft: Draft, *, taxpayer_kind: TaxpayerKind) -> Computed:
    """Check the draft and compute its lines and totals; raises the first broken rule."""
    item_spec = spec(draft.kind)
    check_printable(draft)
    check_party(draft.seller, role="seller", label="销售方", full=False)
    validate_uscc(draft.seller.tax_id, field="seller.tax_id", label="销售方统一社会信用代码")
    if draft.buyer.individual and not item_spec.allows_individual_buyer:
        raise KindRuleBroken(
            Text("不能向消费者个人开具{0}", item_spec.short_name), field="buyer.individual"
        )
    check_party(draft.buyer, role="buyer", label="购买方", full=item_spec.requires_buyer_details)
    if draft.buyer.tax_id:
        validate_buyer_id(draft.buyer.tax_id)
    for name, text in _PEOPLE:
        limits.check_length(getattr(draft, name), limits.PERSON_NAME, field=name, label=text)
    _check_lines(draft, taxpayer_kind)
    _check_remarks(draft)
    return compute_lines(draft.lines, mode=draft.mode, red=draft.red)
