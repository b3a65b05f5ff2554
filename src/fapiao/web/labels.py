"""How the history and the audit log read to a clerk: every event's name in Chinese, and its
details as sentences (用户 baoxiao，角色 报销人), never a code or a Python dict."""

from __future__ import annotations

from typing import Any

from fapiao.core.refusals import say
from fapiao.core.roles import Role
from fapiao.domain.kinds import InvoiceKind, spec
from fapiao.security.audit import LABELS as AUDIT_LABELS

#: the taxpayer's history (the ledger)
EVENTS = {
    "invoice.issued": "开具", "invoice.red_issued": "开具红字发票", "invoice.red_flushed": "被红冲",
    "invoice.voided": "作废", "invoice.printed": "打印", "invoice.delivered": "交付",
    "invoice.resent": "重新上传", "delivery.queued": "排队交付", "delivery.failed": "交付失败",
    "link.created": "生成下载链接", "link.revoked": "撤销下载链接",
    "red_form.created": "提出红字信息表/确认单", "red_form.confirmed": "确认单已确认",
    "red_form.rejected": "确认单被拒绝", "red_form.lapsed": "确认单超时作废",
    "red_form.cancelled": "撤销信息表/确认单", "red_form.used": "信息表/确认单已使用",
    "taxpayer.created": "登记企业", "taxpayer.updated": "修改企业信息",
    "channel.created": "新增开票渠道", "monitoring.set": "更新监控数据",
    "credit.set": "设置授信额度",
    "stock.received": "领用发票", "numbers.received": "获得数电发票号码",
    "period.reported": "抄报", "period.declared": "申报", "clearing.submitted": "提交清卡",
    "clearing.approved": "清卡通过", "clearing.rejected": "清卡被驳回",
    "clearing.cleared": "清卡完成", "template.created": "新增开票模板",
    "template.updated": "修改开票模板",
}  # fmt: skip
EVENTS.update({
    f"{catalog}.{action}": verb + noun
    for catalog, noun in (("customers", "客户"), ("products", "商品"))
    for action, verb in (("created", "新增"), ("updated", "修改"), ("deleted", "删除"),
                         ("imported", "导入"))
})  # fmt: skip
EVENT_LABELS = {**EVENTS, **AUDIT_LABELS}

#: what a detail's key is called
KEYS = {
    "user": "用户", "username": "用户", "role": "角色", "method": "方式", "reason": "原因",
    "what": "内容", "rows": "行数", "query": "条件", "number": "号码", "form": "编号",
    "form_status": "状态", "blue": "蓝字发票", "name": "名称", "tax_id": "纳税人识别号",
    "period": "所属期", "type": "类型", "to": "发往", "prefix": "密钥", "identifier": "账户",
    "purpose": "用途", "monthly_credit": "授信额度", "from": "来源", "channel": "渠道",
    "changed": "修改", "invited_by": "邀请人", "kind": "种类", "count": "张数", "start": "起始号码",
    "end": "终止号码", "total": "价税合计", "amount": "金额", "language": "语言", "theme": "主题",
    "mobile": "手机号", "created": "新增", "updated": "修改", "skipped": "跳过", "status": "状态",
}  # fmt: skip
#: details a clerk has no use for (ids, digests, job numbers)
HIDDEN = {"id", "key", "digest", "job", "sequence", "signature", "previous"}
METHODS = {"password": "密码", "code": "验证码", "mobile": "手机验证码", "email": "电子邮件",
           "sms": "短信", "link": "下载链接"}  # fmt: skip
WHATS = {"audit": "审计日志", "invoices": "发票", "red_forms": "红字确认单", "voids": "作废管理",
         "preferences": "个人设置", "reports": "报表"}  # fmt: skip


def event_label(type: str) -> str:
    return say(EVENT_LABELS.get(type, type))


def _value(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return say("是" if value else "否")
    if isinstance(value, dict):
        return "，".join(f"{say(KEYS.get(k, k))} {_value(k, v)}" for k, v in value.items())
    if isinstance(value, list):
        return "、".join(_value(key, v) for v in value)
    text = "" if value is None else str(value)
    if key == "role":
        try:
            return say(str(Role(text).label))
        except ValueError:
            return text
    if key == "method":
        return say(METHODS.get(text, text))
    if key == "what":
        return say(WHATS.get(text, text))
    if key == "kind":
        try:
            return say(spec(InvoiceKind(text)).short_name)
        except ValueError:
            return text
    return text


def describe(payload: Any) -> str:
    """An event's details as a sentence: ``用户 baoxiao，角色 报销人``."""
    if not isinstance(payload, dict):
        return "" if payload is None else str(payload)
    parts = [
        f"{say(KEYS.get(key, key))} {_value(key, value)}"
        for key, value in payload.items()
        if key not in HIDDEN and value not in ("", None, [], {})
    ]
    return "；".join(parts)
