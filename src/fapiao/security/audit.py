"""The audit log: sign-ins, lockouts, permission and setting changes, exports … Append-only
and hash-chained with the same mechanism as the invoice history (``core.chain.walk_chain``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from fapiao.core.chain import walk_chain
from fapiao.core.clients import client, client_agent
from fapiao.core.signing import digest
from fapiao.security.models import AuditEvent, AuditHead

if TYPE_CHECKING:
    from fapiao.invoicing.models import Taxpayer

LABELS = {
    "login.ok": "登录成功", "login.failed": "登录失败", "login.locked": "账户被锁定",
    "login.unlocked": "解除锁定", "login.refused_locked": "锁定期间尝试登录",
    "logout": "退出", "register": "注册",
    "register.confirmed": "邮箱确认",
    "password.reset": "重置密码", "otp.sent": "发送验证码", "role.granted": "授予角色",
    "role.revoked": "撤销角色", "apikey.created": "创建API密钥", "apikey.revoked": "撤销API密钥",
    "export": "导出", "setting.changed": "修改设置", "invitation.sent": "发出邀请",
    "invitation.accepted": "接受邀请", "invitation.declined": "拒绝邀请",
    "mobile.bound": "绑定手机号",
    "risk.raised": "风险预警", "risk.acknowledged": "确认预警", "risk.resolved": "解决预警",
    "risk.dismissed": "忽略预警", "user.created": "创建用户",
}  # fmt: skip


def _hash(event: AuditEvent) -> str:
    return digest(
        {
            "sequence": event.sequence, "type": event.type, "actor": event.actor,
            "taxpayer": event.taxpayer_id, "ip": event.ip, "user_agent": event.user_agent,
            "at": event.at.astimezone(UTC).isoformat(), "payload": event.payload,
            "previous": event.previous_hash,
        }
    )  # fmt: skip


def client_of(request: HttpRequest | None) -> tuple[str | None, str]:
    if request is None:  # a service called while serving a request still knows its address
        return client() or None, client_agent()
    return request.META.get("REMOTE_ADDR") or None, request.META.get("HTTP_USER_AGENT", "")[:300]


@transaction.atomic
def audit_append(
    type: str,
    *,
    actor: str,
    payload: dict[str, Any] | None = None,
    taxpayer: Taxpayer | None = None,
    request: HttpRequest | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1)
    ip, agent = client_of(request)
    event = AuditEvent(
        sequence=head.sequence + 1, type=type, actor=actor, taxpayer=taxpayer, ip=ip,
        user_agent=agent, at=at or timezone.now(), payload=payload or {},
        previous_hash=head.head,
    )  # fmt: skip
    event.hash = _hash(event)
    event.save()
    head.sequence, head.head = event.sequence, event.hash
    head.save(update_fields=["sequence", "head"])
    return event


def audit_verify() -> list[tuple[str, str]]:
    """(where, what) for every break in the audit chain."""
    head = AuditHead.objects.filter(pk=1).first()
    end = (head.sequence, head.head) if head else (0, "0" * 64)
    problems = []
    for event, found in walk_chain(AuditEvent.objects.order_by("sequence"), _hash, end):
        where = "链头" if event is None else f"审计事件#{event.sequence}"
        problems += [(where, what) for what in found]
    return problems
