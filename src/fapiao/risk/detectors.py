"""The facts each risk rule looks at, gathered from the real records, judged by
:mod:`fapiao.domain.risk`. Each detector gives the incidents it saw in ``[since, now]`` as
:class:`Finding`. Here the rules on sign-ins and the audit log; those on invoices, channels and
uploads are :mod:`fapiao.risk.detectors_issuing`."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from fapiao.core.clock import local_date
from fapiao.domain import risk as rules
from fapiao.invoicing.models import (
    Membership,
)
from fapiao.security.models import AuditEvent


@dataclass(frozen=True)
class Finding:
    rule: str
    taxpayer_id: int | None
    key: str
    seen: int
    explanation: str
    links: list[tuple[str, str]] = field(default_factory=list)


class Context:
    """One round: its window, and each taxpayer's thresholds (the rule's defaults otherwise)."""

    def __init__(self, since: datetime, now: datetime, chosen: dict[tuple[int, str], Any]):
        self.since, self.now, self.chosen = since, now, chosen

    def on(self, taxpayer_id: int | None, rule: str) -> bool:
        setting = self.chosen.get((taxpayer_id or 0, rule))
        return setting is None or setting[0]

    def limit(self, taxpayer_id: int | None, rule: str, name: str) -> Decimal:
        setting = self.chosen.get((taxpayer_id or 0, rule))
        return rules.threshold(rule, name, setting[1] if setting else None)


Detector = Callable[[Context], Iterator[Finding]]
DETECTORS: dict[str, Detector] = {}


def detector(rule: str) -> Callable[[Detector], Detector]:
    def register(function: Detector) -> Detector:
        DETECTORS[rule] = function
        return function

    return register


def _taxpayers_of_name(name: str) -> list[int]:
    """The taxpayers of the user a sign-in name (username, e-mail or mobile) belongs to."""
    users = get_user_model().objects.filter(
        Q(username=name) | Q(email__iexact=name) | Q(profile__mobile=name)
    )
    found = Membership.objects.filter(user__in=users, taxpayer__isnull=False)
    return sorted(set(found.values_list("taxpayer_id", flat=True)))


def at_text(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%m-%d %H:%M")


#: what a failed sign-in leaves in the audit log: a wrong password or code, or a try while locked
FAILED = ("login.failed", "login.refused_locked")


def _failures(ctx: Context, minutes: int) -> list[tuple[str, str | None]]:
    """(name, address) of each failed sign-in of the last ``minutes`` minutes."""
    return list(
        AuditEvent.objects.filter(
            type__in=FAILED, at__gt=ctx.now - timedelta(minutes=minutes), at__lte=ctx.now
        ).values_list("actor", "ip")
    )


@detector("login_failures_name")
def _failures_by_name(ctx: Context) -> Iterator[Finding]:
    rule = "login_failures_name"
    window = int(rules.threshold(rule, "minutes"))
    for name, seen in Counter(name for name, _ in _failures(ctx, window)).items():
        for taxpayer_id in _taxpayers_of_name(name) or [None]:
            if ctx.on(taxpayer_id, rule) and seen >= ctx.limit(taxpayer_id, rule, "count"):
                yield Finding(
                    rule, taxpayer_id, name, seen,
                    f"账户“{name}”在{window}分钟内登录失败{seen}次（含锁定期间的尝试）",
                    [("审计日志", f"/audit/?actor={name}")],
                )  # fmt: skip


@detector("login_failures_address")
def _failures_by_address(ctx: Context) -> Iterator[Finding]:
    rule = "login_failures_address"
    window = int(rules.threshold(rule, "minutes"))
    by_address: dict[str, set[str]] = defaultdict(set)
    counts: Counter[str] = Counter()
    for name, ip in _failures(ctx, window):
        if ip:
            counts[ip] += 1
            by_address[ip].add(name)
    for ip, seen in counts.items():
        if seen >= ctx.limit(None, rule, "count"):
            names = "、".join(sorted(by_address[ip])[:5])
            yield Finding(
                rule, None, ip, seen, f"地址{ip}在{window}分钟内登录失败{seen}次，涉及账户：{names}"
            )


def _sign_ins(ctx: Context) -> Iterator[tuple[AuditEvent, list[AuditEvent]]]:
    """Each sign-in of the window with the same user's earlier ones."""
    for event in AuditEvent.objects.filter(type="login.ok", at__gt=ctx.since, at__lte=ctx.now):
        earlier = list(
            AuditEvent.objects.filter(
                type="login.ok", actor=event.actor, sequence__lt=event.sequence
            )
        )
        yield event, earlier


@detector("login_new_address")
def _new_address(ctx: Context) -> Iterator[Finding]:
    rule = "login_new_address"
    for event, earlier in _sign_ins(ctx):
        if not event.ip or event.ip in {e.ip for e in earlier}:
            continue
        for taxpayer_id in _taxpayers_of_name(event.actor):
            if ctx.on(taxpayer_id, rule) and len(earlier) >= ctx.limit(
                taxpayer_id, rule, "history"
            ):
                yield Finding(
                    rule, taxpayer_id, f"{event.actor}:{event.ip}", 1,
                    f"用户{event.actor}于{at_text(event.at)}从此前未用过的地址{event.ip}登录",
                    [("审计日志", f"/audit/?actor={event.actor}")],
                )  # fmt: skip


@detector("login_unusual_hour")
def _unusual_hour(ctx: Context) -> Iterator[Finding]:
    rule = "login_unusual_hour"
    for event, earlier in _sign_ins(ctx):
        local = timezone.localtime(event.at)
        for taxpayer_id in _taxpayers_of_name(event.actor):
            start, end = (int(ctx.limit(taxpayer_id, rule, n)) for n in ("start", "end"))
            usual = any(rules.in_band(timezone.localtime(e.at), start, end) for e in earlier)
            if (
                ctx.on(taxpayer_id, rule)
                and rules.in_band(local, start, end)
                and not usual
                and len(earlier) >= ctx.limit(taxpayer_id, rule, "history")
            ):
                yield Finding(
                    rule, taxpayer_id, f"{event.actor}:{local:%Y-%m-%d}", 1,
                    f"用户{event.actor}于{at_text(event.at)}登录，此前从未在{start}点至{end}点登录",
                    [("审计日志", f"/audit/?actor={event.actor}")],
                )  # fmt: skip


def _audited(ctx: Context, type: str) -> Any:
    return AuditEvent.objects.filter(type=type, at__gt=ctx.since, at__lte=ctx.now)


@detector("admin_granted")
def _admin_granted(ctx: Context) -> Iterator[Finding]:
    rule = "admin_granted"
    for event in _audited(ctx, "role.granted").filter(payload__role="admin"):
        if ctx.on(event.taxpayer_id, rule):
            yield Finding(
                rule,
                event.taxpayer_id,
                str(event.sequence),
                1,
                f"{event.actor}于{at_text(event.at)}授予{event.payload.get('user')}管理员权限",
                [("用户与角色", "/settings/users/"), ("审计日志", "/audit/?type=role.granted")],
            )


@detector("bulk_export")
def _bulk_export(ctx: Context) -> Iterator[Finding]:
    rule = "bulk_export"
    for event in _audited(ctx, "export"):
        rows = int(event.payload.get("rows") or event.payload.get("invoices") or 0)
        if ctx.on(event.taxpayer_id, rule) and rows >= ctx.limit(event.taxpayer_id, rule, "rows"):
            yield Finding(
                rule,
                event.taxpayer_id,
                str(event.sequence),
                rows,
                f"{event.actor}于{at_text(event.at)}导出了{rows}行数据"
                f"（{event.payload.get('what') or event.payload.get('file', '')}）",
                [("审计日志", "/audit/?type=export")],
            )


@detector("apikey_new_address")
def _key_new_address(ctx: Context) -> Iterator[Finding]:
    rule = "apikey_new_address"
    for event in _audited(ctx, "apikey.new_address"):
        earlier = int(event.payload.get("earlier") or 0)
        if ctx.on(event.taxpayer_id, rule) and earlier >= ctx.limit(
            event.taxpayer_id, rule, "history"
        ):
            prefix = event.payload.get("prefix", "")
            yield Finding(
                rule,
                event.taxpayer_id,
                f"{prefix}:{event.ip}",
                1,
                f"API密钥“{event.payload.get('name', '')}”（{prefix}…）于{at_text(event.at)}"
                f"从此前未用过的地址{event.ip}调用，此前已从{earlier}个地址调用",
                [("API密钥", "/settings/keys/"), ("审计日志", f"/audit/?actor={event.actor}")],
            )


@detector("buyer_id_invalid")
def _buyer_id_invalid(ctx: Context) -> Iterator[Finding]:
    rule = "buyer_id_invalid"
    refused = AuditEvent.objects.filter(
        type="invoice.refused",
        payload__reason="buyer_id_checksum",
        at__gt=ctx.now - timedelta(hours=24),
        at__lte=ctx.now,
    ).exclude(taxpayer=None)
    by_taxpayer: dict[int, list[AuditEvent]] = defaultdict(list)
    for event in refused.order_by("sequence"):
        by_taxpayer[event.taxpayer_id].append(event)
    for taxpayer_id, events in by_taxpayer.items():
        if ctx.on(taxpayer_id, rule) and len(events) >= ctx.limit(taxpayer_id, rule, "count"):
            ids = "、".join(sorted({e.payload.get("tax_id", "") for e in events})[:5])
            actors = "、".join(sorted({e.actor for e in events})[:5])
            yield Finding(
                rule,
                taxpayer_id,
                str(local_date(events[0].at)),
                len(events),
                f"24小时内{len(events)}次开票因购买方纳税人识别号校验位错误被拒（{ids}），"
                f"操作人：{actors}",
                [("审计日志", "/audit/?type=invoice.refused")],
            )
