"""The console's tables (django-tables2): paging with 共 N 条 and a page size, sorting by any
column, amounts right-aligned with thousands separators, status badges, row actions, and 导出 of
exactly the filtered rows as CSV or Excel."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any, ClassVar
from urllib.parse import quote

import django_tables2 as tables
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django_tables2.config import RequestConfig
from openpyxl import Workbook

from fapiao.core.refusals import say
from fapiao.core.spreadsheets import neutralise
from fapiao.security.audit import audit_append
from fapiao.web.labels import describe, event_label
from fapiao.web.templatetags.webtags import kind_name, money, status_label

PAGE_SIZES = (20, 50, 100)
#: the rows' own links (an invoice, its PDF) are plain navigation, not the list's htmx swaps
ROWS = {"hx-boost": "false"}
#: the most rows one export writes (a larger result asks for narrower filters)
EXPORT_MAX = 100_000


class MoneyColumn(tables.Column):
    """An amount: right-aligned, ``1,234.50``; exported as a number."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("attrs", {"th": {"class": "num"}, "td": {"class": "num"}})
        super().__init__(*args, **kwargs)

    def render(self, value: Any) -> str:
        return money(value)

    def value(self, value: Any) -> Any:
        return value


class InvoiceTable(tables.Table):
    issued_on = tables.DateColumn("Y-m-d", verbose_name=_("开票日期"))
    kind = tables.Column(verbose_name=_("种类"))
    number = tables.Column(verbose_name=_("发票号码"), order_by=("code", "number"))
    buyer_name = tables.Column(verbose_name=_("购买方"))
    amount = MoneyColumn(verbose_name=_("金额"))
    tax = MoneyColumn(verbose_name=_("税额"))
    total = MoneyColumn(verbose_name=_("价税合计"))
    status = tables.Column(verbose_name=_("状态"))
    actions = tables.Column(verbose_name=_("操作"), empty_values=(), orderable=False,
                            exclude_from_export=True)  # fmt: skip

    class Meta:
        attrs: ClassVar = {"class": "table table-hover align-middle", "id": "results",
                           "tbody": ROWS}  # fmt: skip
        empty_text = _("没有符合条件的发票")
        order_by: ClassVar = ("-issued_on",)

    def render_kind(self, value: str) -> str:
        return kind_name(value)

    def value_kind(self, value: str) -> str:
        return kind_name(value)

    def render_number(self, record: Any) -> Any:
        return format_html('<a href="/invoices/{}/">{}</a>', record.pk, str(record))

    def value_number(self, record: Any) -> str:
        return str(record)

    def render_status(self, record: Any) -> Any:
        badge = format_html('<span class="badge status {}">{}</span>', record.status,
                            status_label(record.status))  # fmt: skip
        if record.red:
            return format_html('{} <span class="badge red">{}</span>', badge, _("红字"))
        return badge

    def value_status(self, record: Any) -> str:
        label = status_label(record.status)
        return f"{label} {_('红字')}" if record.red else label

    def render_actions(self, record: Any) -> Any:
        return format_html(
            '<a class="btn btn-sm btn-outline-primary" href="/invoices/{pk}/">{view}</a> '
            '<a class="btn btn-sm btn-outline-secondary" href="/invoices/{pk}/pdf" download>'
            "PDF</a>",
            pk=record.pk, view=_("查看"),
        )  # fmt: skip


def listing(request: HttpRequest, table: tables.Table) -> tables.Table:
    """``table`` paged and sorted as the request asks (``?per_page=`` one of PAGE_SIZES)."""
    try:
        per_page = int(request.GET.get("per_page", PAGE_SIZES[0]))
    except ValueError:
        per_page = PAGE_SIZES[0]
    if per_page not in PAGE_SIZES:
        per_page = PAGE_SIZES[0]
    RequestConfig(request, paginate={"per_page": per_page}).configure(table)
    table.page_sizes = PAGE_SIZES  # type: ignore[attr-defined]
    table.per_page_chosen = per_page  # type: ignore[attr-defined]
    return table


def export(request: HttpRequest, table: tables.Table, *, name: str, what: str) -> HttpResponse:
    """The table's rows (all of them, as filtered and sorted; no paging) as ``?export=csv`` or
    ``xlsx``, audited as an export of ``what``."""
    RequestConfig(request, paginate=False).configure(table)
    rows = list(table.as_values(exclude_columns=("actions",)))[: EXPORT_MAX + 1]
    format = request.GET.get("export", "csv")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if format == "xlsx":
        book = Workbook(write_only=True)
        sheet = book.create_sheet(str(name))
        for row in rows:
            sheet.append([_cell(value) for value in row])
        out = io.BytesIO()
        book.save(out)
        content = out.getvalue()
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        text = io.StringIO()
        writer = csv.writer(text)
        for row in rows:
            writer.writerow([neutralise(str(value)) if value is not None else "" for value in row])
        content = text.getvalue().encode("utf-8-sig")  # Excel and WPS read UTF-8 with the BOM
        content_type, format = "text/csv", "csv"
    me = request.caller  # type: ignore[attr-defined]
    payload = {"what": what, "rows": len(rows) - 1, "query": request.GET.urlencode()}
    audit_append("export", actor=me.actor, taxpayer=me.taxpayer, request=request, payload=payload)
    response = HttpResponse(content, content_type=content_type)
    filename = f"{name}-{stamp}.{format}"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


def _cell(value: Any) -> Any:
    if isinstance(value, Decimal | int):
        return value
    return neutralise("" if value is None else str(value))


class RedFormTable(tables.Table):
    number = tables.Column(verbose_name=_("编号"))
    type = tables.Column(verbose_name=_("类型"))
    blue = tables.Column(verbose_name=_("蓝字发票"), order_by=("blue__code", "blue__number"))
    reason = tables.Column(verbose_name=_("红冲原因"))
    raised_by = tables.Column(verbose_name=_("提出方"))
    total = MoneyColumn(verbose_name=_("价税合计"))
    status = tables.Column(verbose_name=_("状态"))
    created_at = tables.DateTimeColumn("Y-m-d H:i", verbose_name=_("提出时间"))
    actions = tables.Column(verbose_name=_("操作"), empty_values=(), orderable=False,
                            exclude_from_export=True)  # fmt: skip

    class Meta:
        attrs: ClassVar = {"class": "table table-hover align-middle", "id": "red-forms",
                           "tbody": ROWS}  # fmt: skip
        empty_text = _("没有红字信息表或确认单")

    def render_type(self, record: Any) -> str:
        return say(record.get_type_display())

    def value_type(self, record: Any) -> str:
        return say(record.get_type_display())

    def render_blue(self, record: Any) -> Any:
        return format_html('<a href="/invoices/{}/">{}</a>', record.blue_id, str(record.blue))

    def value_blue(self, record: Any) -> str:
        return str(record.blue)

    def render_raised_by(self, value: str) -> str:
        return str(_("销售方") if value == "seller" else _("购买方"))

    def value_raised_by(self, value: str) -> str:
        return self.render_raised_by(value)

    def render_status(self, record: Any) -> Any:
        return format_html('<span class="badge status rf-{}">{}</span>', record.status,
                           say(record.get_status_display()))  # fmt: skip

    def value_status(self, record: Any) -> str:
        return say(record.get_status_display())

    def render_actions(self, record: Any) -> Any:
        return format_html('<a class="btn btn-sm btn-outline-primary" href="/invoices/{}/#forms">'
                           "{}</a>", record.blue_id, _("处理"))  # fmt: skip


class AuditTable(tables.Table):
    when = tables.DateTimeColumn("Y-m-d H:i:s", verbose_name=_("时间"))
    kind = tables.Column(verbose_name=_("事件"))
    who = tables.Column(verbose_name=_("操作人"))
    place = tables.Column(verbose_name=_("来源地址"), empty_values=())
    agent = tables.Column(verbose_name=_("浏览器"), visible=False)  # in the export only
    details = tables.Column(verbose_name=_("内容"), orderable=False)

    class Meta:
        attrs: ClassVar = {"class": "table table-sm table-hover align-middle", "id": "audit",
                           "tbody": ROWS}  # fmt: skip
        empty_text = _("没有记录")
        order_by: ClassVar = ("-when",)

    def render_kind(self, value: str) -> str:
        return event_label(value)

    def value_kind(self, value: str) -> str:
        return event_label(value)

    def render_place(self, value: str) -> str:
        return value or str(_("本机（命令行或后台任务）"))

    def value_place(self, value: str) -> str:
        return self.render_place(value)

    def render_details(self, record: Any) -> Any:
        said = describe(record["details"])
        if record.get("invoice_ref"):
            return format_html('{} <a href="/invoices/{}/">{}</a>', said, record["invoice_ref"],
                               _("查看发票"))  # fmt: skip
        return said

    def value_details(self, record: Any) -> str:
        return describe(record["details"])


class BatchTable(tables.Table):
    created_at = tables.DateTimeColumn("Y-m-d H:i", verbose_name=_("上传时间"))
    filename = tables.Column(verbose_name=_("文件"))
    channel = tables.Column(verbose_name=_("开票渠道"), accessor="channel__name")
    rows = tables.Column(verbose_name=_("明细行"), attrs={"td": {"class": "num"}})
    invoice_count = tables.Column(verbose_name=_("发票"), attrs={"td": {"class": "num"}})
    issued = tables.Column(verbose_name=_("已开具"), attrs={"td": {"class": "num"}})
    status = tables.Column(verbose_name=_("状态"))
    created_by = tables.Column(verbose_name=_("上传人"))

    class Meta:
        attrs: ClassVar = {"class": "table table-hover align-middle", "id": "batches",
                           "tbody": ROWS}  # fmt: skip
        empty_text = _("还没有上传过明细文件")
        order_by: ClassVar = ("-created_at",)

    def render_filename(self, record: Any) -> Any:
        return format_html('<a href="/batches/{}/">{}</a>', record.pk, record.filename)

    def render_status(self, record: Any) -> Any:
        return format_html('<span class="badge status batch-{}">{}</span>', record.status,
                           say(record.get_status_display()))  # fmt: skip

    def value_status(self, record: Any) -> str:
        return say(record.get_status_display())
