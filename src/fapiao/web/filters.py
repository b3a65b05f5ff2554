"""The console's filters (django-filter): each list's search form, validated field by field in
Chinese; the rows themselves come from the app's selector, so the page, its export and the API
find the same invoices."""

from __future__ import annotations

from typing import Any

import django_filters as filters
from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from fapiao.domain.kinds import InvoiceKind, spec
from fapiao.domain.lifecycle import Status
from fapiao.domain.rates import ALL_RATES
from fapiao.invoicing.selectors import invoice_list
from fapiao.web.activity import activity_of


def _kinds() -> list[tuple[str, str]]:
    return [(kind.value, spec(kind).name) for kind in InvoiceKind]


def _statuses() -> list[tuple[str, str]]:
    return [(status.value, status.label) for status in Status]


def _rates() -> list[tuple[str, str]]:
    return [(rate.key, rate.label) for rate in ALL_RATES]


class InvoiceFilter(filters.FilterSet):
    number = filters.CharFilter(label=_("发票号码"), method="_pass",
                                help_text=_("号码、代码，或代码与号码连写"))  # fmt: skip
    buyer = filters.CharFilter(label=_("购买方名称或税号"), method="_pass")
    item = filters.CharFilter(label=_("项目名称"), method="_pass")
    start = filters.DateFilter(label=_("开票日期从"), method="_pass",
                               widget=forms.DateInput(attrs={"type": "date"}))  # fmt: skip
    end = filters.DateFilter(label=_("至"), method="_pass",
                             widget=forms.DateInput(attrs={"type": "date"}))  # fmt: skip
    kind = filters.ChoiceFilter(label=_("种类"), choices=_kinds, method="_pass",
                                empty_label=_("全部"))  # fmt: skip
    status = filters.ChoiceFilter(label=_("状态"), choices=_statuses, method="_pass",
                                  empty_label=_("全部"))  # fmt: skip
    color = filters.ChoiceFilter(label=_("红蓝字"), method="_pass", empty_label=_("全部"),
                                 choices=[("blue", _("蓝字")), ("red", _("红字"))])  # fmt: skip
    rate = filters.ChoiceFilter(label=_("税率"), method="_pass", empty_label=_("全部"),
                                choices=_rates)  # fmt: skip
    min_total = filters.NumberFilter(label=_("价税合计不低于"), method="_pass", min_value=0)
    max_total = filters.NumberFilter(label=_("价税合计不高于"), method="_pass", min_value=0)

    def _pass(self, queryset: QuerySet[Any], name: str, value: Any) -> QuerySet[Any]:
        return queryset  # the selector applies every filter at once (filter_queryset)

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        data = self.form.cleaned_data
        color = data.get("color")
        return invoice_list(
            self.taxpayer,
            kind=InvoiceKind(data["kind"]) if data.get("kind") else None,
            status=Status(data["status"]) if data.get("status") else None,
            start=data.get("start"),
            end=data.get("end"),
            buyer=(data.get("buyer") or "").strip(),
            number=(data.get("number") or "").strip(),
            item=(data.get("item") or "").strip(),
            min_total=data.get("min_total"),
            max_total=data.get("max_total"),
            red=None if not color else color == "red",
            rate=data.get("rate") or "",
        )

    def __init__(self, data: Any, *, taxpayer: Any) -> None:
        self.taxpayer = taxpayer
        super().__init__(data, queryset=invoice_list(taxpayer))
        styled(self.form)
        self.form.fields["kind"].widget.attrs["data-search"] = ""  # Tom Select: type to find


#: the audit page's categories: which entries each one shows (by the start of their type)
CATEGORIES = {
    "accounts": (_("登录与账户"), ("login.", "logout", "register", "password.", "otp.",
                                   "invitation.")),
    "roles": (_("权限与密钥"), ("role.", "apikey.")),
    "invoices": (_("开具与交付"), ("invoice.", "delivery.", "link.", "numbers.", "stock.")),
    "reds": (_("红字与作废"), ("red_form.", "invoice.red", "invoice.voided")),
    "closing": (_("抄报、申报与清卡"), ("period.", "clearing.")),
    "settings": (_("设置与目录"), ("setting.", "taxpayer.", "channel.", "monitoring.", "credit.",
                                  "customers.", "products.", "template.")),
    "exports": (_("导出"), ("export",)),
}  # fmt: skip


class AuditFilter(filters.FilterSet):
    category = filters.ChoiceFilter(label=_("类别"), method="_pass", empty_label=_("全部"),
                                    choices=[(k, v[0]) for k, v in CATEGORIES.items()])  # fmt: skip
    actor = filters.CharFilter(label=_("操作人"), method="_pass")
    start = filters.DateFilter(label=_("日期从"), method="_pass",
                               widget=forms.DateInput(attrs={"type": "date"}))  # fmt: skip
    end = filters.DateFilter(label=_("至"), method="_pass",
                             widget=forms.DateInput(attrs={"type": "date"}))  # fmt: skip

    def _pass(self, queryset: QuerySet[Any], name: str, value: Any) -> QuerySet[Any]:
        return queryset

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        data = self.form.cleaned_data
        chosen = CATEGORIES.get(data.get("category") or "")
        return activity_of(
            self.taxpayer,
            prefixes=chosen[1] if chosen else (),
            actor=(data.get("actor") or "").strip(),
            start=data.get("start"),
            end=data.get("end"),
        )

    def __init__(self, data: Any, *, taxpayer: Any) -> None:
        self.taxpayer = taxpayer
        super().__init__(data, queryset=activity_of(taxpayer))
        styled(self.form)


def styled(form: forms.Form) -> None:
    """Bootstrap's classes on a filter form's fields."""
    for field in form.fields.values():
        small = "form-select form-select-sm" if isinstance(field.widget, forms.Select) else (
            "form-control form-control-sm")  # fmt: skip
        field.widget.attrs["class"] = small
