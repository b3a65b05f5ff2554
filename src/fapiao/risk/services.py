"""风险预警: the round that runs every rule, raises one alert per incident (a repeat counts on
the live alert), tells the taxpayer's 管理员 and 审计员 through the notification centre, and the
handling of alerts (确认, 解决 with a note, 忽略) and of the thresholds — each audited."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from fapiao.core.roles import AUDIT
from fapiao.domain import risk as rules
from fapiao.domain.errors import DomainError, Text
from fapiao.invoicing.accounts import members_with
from fapiao.invoicing.models import Taxpayer
from fapiao.jobs.services import periodic
from fapiao.notices.services import notice_send_all
from fapiao.risk import detectors_issuing  # noqa: F401 - registers the issuing rules
from fapiao.risk.detectors import DETECTORS, Context, Finding
from fapiao.risk.models import Alert, RiskRun, RuleSetting
from fapiao.security.audit import audit_append

#: how often the round runs, and the slow rules (the ledger's check) at most
EVERY = timedelta(minutes=10)
SLOW = {"ledger_problem": timedelta(hours=24)}
#: the longest window a round looks back over
WINDOW = timedelta(hours=24)


class RiskRefused(DomainError):
    code = "risk_refused"


def _chosen() -> dict[tuple[int, str], Any]:
    return {
        (s.taxpayer_id, s.rule): (s.enabled, {k: Decimal(v) for k, v in s.thresholds.items()})
        for s in RuleSetting.objects.all()
    }


def risk_evaluate(*, now: datetime | None = None, since: datetime | None = None) -> list[Alert]:
    """Run every rule over ``[since, now]`` (since the last round, at most a day); the alerts
    raised or counted again."""
    now = now or timezone.now()
    last = RiskRun.objects.filter(name="round").first()
    since = since or max(last.last_at if last else now - WINDOW, now - WINDOW)
    ctx = Context(since, now, _chosen())
    touched = []
    for rule, detect in DETECTORS.items():
        slow = SLOW.get(rule)
        if slow is not None:
            ran = RiskRun.objects.filter(name=rule).first()
            if ran is not None and ran.last_at > now - slow:
                continue
            RiskRun.objects.update_or_create(name=rule, defaults={"last_at": now})
        touched += [alert_raise(finding, now=now) for finding in detect(ctx)]
    RiskRun.objects.update_or_create(name="round", defaults={"last_at": now})
    return touched


@periodic
def risk_round() -> int:
    """The worker's round: every ten minutes, every rule; how many alerts it raised or counted."""
    last = RiskRun.objects.filter(name="round").first()
    if last is not None and last.last_at > timezone.now() - EVERY:
        return 0
    return len(risk_evaluate())


@transaction.atomic
def alert_raise(finding: Finding, *, now: datetime) -> Alert:
    """The live alert of the finding's incident, counted again, or a new one (told)."""
    rule = rules.RULES[finding.rule]
    live = (
        Alert.objects.select_for_update()
        .filter(
            taxpayer_id=finding.taxpayer_id,
            rule=finding.rule,
            key=finding.key,
            status__in=rules.LIVE,
        )
        .first()
    )
    links = [list(link) for link in finding.links]
    if live is not None:
        live.count = max(live.count + 1, finding.seen)
        live.last_seen, live.explanation, live.links = now, finding.explanation, links
        live.save(update_fields=["count", "last_seen", "explanation", "links"])
        return live
    limits = [v for name, v in rule.thresholds.items() if name == "count"]
    severity = rules.severity_of(finding.rule, finding.seen, limits[0][0] if limits else Decimal(0))
    alert = Alert.objects.create(
        taxpayer_id=finding.taxpayer_id,
        rule=finding.rule,
        key=finding.key[:200],
        severity=str(severity),
        title=rule.label,
        explanation=finding.explanation,
        links=links,
        count=max(finding.seen, 1),
        first_seen=now,
        last_seen=now,
    )
    audit_append(
        "risk.raised",
        actor="system",
        taxpayer=alert.taxpayer,
        at=now,
        payload={"alert": alert.pk, "rule": alert.rule, "severity": alert.severity},
    )
    notice_send_all(
        _readers(finding.taxpayer_id),
        kind="risk",
        severity=alert.severity,
        now=now,
        subject=f"风险预警：{rule.label}",
        text=finding.explanation,
        link=f"/risk/{alert.pk}/",
        taxpayer=alert.taxpayer,
    )
    return alert


def _readers(taxpayer_id: int | None) -> list[Any]:
    """Who is told: the taxpayer's 管理员 and 审计员; for an alert of no taxpayer (an address
    trying many names), the operators."""
    if taxpayer_id is None:
        return list(get_user_model().objects.filter(is_superuser=True, is_active=True))
    return members_with(taxpayer_id, AUDIT)


@transaction.atomic
def alert_move(
    *, alert: Alert, to: str, actor: str, note: str = "", request: HttpRequest | None = None
) -> Alert:
    """确认 (acknowledged), 解决 (resolved, with a note) or 忽略 (dismissed) an alert."""
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    if to not in rules.MOVES.get(alert.status, ()):
        raise RiskRefused(
            Text(
                "预警当前为“{0}”，不能改为“{1}”",
                rules.ALERT_STATUS_LABELS[alert.status],
                rules.ALERT_STATUS_LABELS.get(to, to),
            ),
            field="status",
        )
    note = note.strip()
    if to == rules.AlertStatus.RESOLVED and not note:
        raise RiskRefused("解决预警须填写处理说明", field="note")
    before = alert.status
    alert.status, alert.handled_by, alert.handled_at = to, actor, timezone.now()
    alert.note = note[:2000] or alert.note
    alert.save(update_fields=["status", "handled_by", "handled_at", "note"])
    audit_append(
        f"risk.{to}",
        actor=actor,
        taxpayer=alert.taxpayer,
        request=request,
        payload={
            "alert": alert.pk,
            "rule": alert.rule,
            "before": before,
            "after": to,
            "note": alert.note,
        },
    )
    return alert


@transaction.atomic
def rule_set(
    *,
    taxpayer: Taxpayer,
    rule: str,
    values: dict[str, str],
    enabled: bool,
    actor: str,
    request: HttpRequest | None = None,
) -> RuleSetting:
    """A taxpayer's thresholds of a rule, or the rule turned off (audited, before and after)."""
    if rule not in rules.RULES:
        raise RiskRefused(Text("没有规则{0}", rule), field="rule")
    try:
        checked = rules.thresholds_check(rule, values)
    except ValueError as bad:
        raise RiskRefused(Text("阈值“{0}”应为不小于0的数字", str(bad)), field=str(bad)) from None
    setting, _ = RuleSetting.objects.get_or_create(taxpayer=taxpayer, rule=rule)
    before = {"thresholds": dict(setting.thresholds), "enabled": setting.enabled}
    setting.thresholds = {**setting.thresholds, **{k: str(v) for k, v in checked.items()}}
    setting.enabled = enabled
    setting.save()
    after = {"thresholds": dict(setting.thresholds), "enabled": setting.enabled}
    if before != after:
        audit_append(
            "setting.changed",
            actor=actor,
            taxpayer=taxpayer,
            request=request,
            payload={"what": f"risk:{rule}", "before": before, "after": after},
        )
    return setting
