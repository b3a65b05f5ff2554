"""开票模板: a taxpayer's starting points for the issuing form. Saving one is a settings change
on the taxpayer's history."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from fapiao.domain.errors import DomainError, Text
from fapiao.domain.limits import PERSON_NAME, REMARKS, check_length, check_printable, require
from fapiao.invoicing.ledger import event_append
from fapiao.invoicing.locks import taxpayer_lock
from fapiao.invoicing.models import InvoiceTemplate, Taxpayer

#: the form's optional fields a template may show or hide (name: what the form calls it)
OPTIONAL_FIELDS = {
    "buyer.address": "购买方地址", "buyer.phone": "购买方电话", "buyer.bank": "购买方开户行",
    "buyer.account": "购买方银行账号", "buyer.email": "交付邮箱", "spec": "规格型号",
    "unit": "单位", "payee": "收款人", "reviewer": "复核人",
}  # fmt: skip
TEMPLATE_NAME = 40


class TemplateRefused(DomainError):
    code = "template"


@transaction.atomic
def template_save(
    *,
    taxpayer: Taxpayer,
    name: str,
    remarks: str = "",
    payee: str = "",
    reviewer: str = "",
    fields: Iterable[str] = tuple(OPTIONAL_FIELDS),
    default: bool = False,
    actor: str,
) -> InvoiceTemplate:
    """Create or change the template ``name``; a default one makes the others not default."""
    name, remarks, payee, reviewer = (v.strip() for v in (name, remarks, payee, reviewer))
    require(name, field="name", label="模板名称")
    for value, limit, field, label, newlines in (
        (name, TEMPLATE_NAME, "name", "模板名称", False),
        (remarks, REMARKS, "remarks", "备注", True),
        (payee, PERSON_NAME, "payee", "收款人", False),
        (reviewer, PERSON_NAME, "reviewer", "复核人", False),
    ):  # fmt: skip
        check_length(value, limit, field=field, label=label)
        check_printable(value, field=field, label=label, newlines=newlines)
    shown = list(dict.fromkeys(fields))
    unknown = [field for field in shown if field not in OPTIONAL_FIELDS]
    if unknown:
        raise TemplateRefused(Text("没有可选项“{0}”", unknown[0]), field="fields")
    locked = taxpayer_lock(taxpayer.pk)
    if default:
        InvoiceTemplate.objects.filter(taxpayer=taxpayer).update(default=False)
    template, created = InvoiceTemplate.objects.update_or_create(
        taxpayer=taxpayer, name=name,
        defaults={"remarks": remarks, "payee": payee, "reviewer": reviewer, "fields": shown,
                  "default": default},
    )  # fmt: skip
    event_append(
        taxpayer=locked, type="template.created" if created else "template.updated",
        actor=actor, at=timezone.now(), payload={"name": name, "default": default},
    )  # fmt: skip
    return template


def templates_of(taxpayer: Taxpayer) -> list[InvoiceTemplate]:
    return list(InvoiceTemplate.objects.filter(taxpayer=taxpayer))
