"""The names a clerk reads for the fields of a request: ``buyer.name`` is 购买方名称,
``lines.0.rate`` is 第1行税率. Messages name fields this way, never by their paths."""

from __future__ import annotations

import re

from fapiao.domain.errors import Text

NAMES = {
    "kind": "票种", "channel": "开票渠道", "mode": "价格方式", "remarks": "备注",
    "drawer": "开票人", "payee": "收款人", "reviewer": "复核人", "email": "交付邮箱",
    "mobile": "交付手机号", "request_id": "请求编号", "reason": "原因", "party": "确认方",
    "buyer": "购买方", "buyer.name": "购买方名称", "buyer.tax_id": "购买方纳税人识别号",
    "buyer.address": "购买方地址", "buyer.phone": "购买方电话", "buyer.bank": "购买方开户行",
    "buyer.account": "购买方银行账号", "buyer.email": "购买方邮箱",
    "buyer.individual": "消费者个人", "lines": "明细",
    "name": "项目名称", "tax_code": "税收分类编码", "spec": "规格型号", "unit": "单位",
    "quantity": "数量", "unit_price": "单价", "amount": "金额", "rate": "税率",
    "discount": "折扣行", "tax": "税额", "short_name": "简称", "tax_id": "纳税人识别号",
    "address": "地址", "phone": "电话", "bank": "开户行", "account": "银行账号",
    "start": "开始日期", "end": "结束日期", "code": "发票代码", "number": "发票号码",
    "issued_on": "开票日期", "check_code": "校验码", "total": "价税合计",
}  # fmt: skip

_LINE = re.compile(r"lines\.(\d+)(?:\.(\w+))?")


def field_name(path: str) -> str:
    """The clerk's name of the field at ``path`` (the path itself when it has none); a
    :class:`Text` where it is made of parts, so other languages say it too."""
    found = _LINE.fullmatch(path)
    if found:
        row = int(found.group(1)) + 1
        part = NAMES.get(found.group(2) or "")
        return Text("第{0}行{1}", row, part) if part else Text("第{0}行", row)
    return NAMES.get(path) or NAMES.get(path.rsplit(".", 1)[-1], path)


def missing_message(paths: list[str]) -> str:
    """``请填写购买方名称、第1行税率``: every missing field of a request, once each, in order."""
    names = list(dict.fromkeys(field_name(path) for path in paths))
    listed: str = names[0] if names else ""
    for name in names[1:]:
        listed = Text("{0}、{1}", listed, name)
    return Text("请填写{0}", listed)
