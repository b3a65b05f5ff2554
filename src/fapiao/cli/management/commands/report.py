from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone

from fapiao.cli.base import FapiaoCommand, table
from fapiao.core.clock import local_date
from fapiao.domain.reporting import Span, parse_period
from fapiao.reports.exports import report_xlsx
from fapiao.reports.pdf import report_pdf
from fapiao.reports.selectors import Group, Report, report_of, trend_of


def _rows(title: str, groups: list[Group]) -> str:
    header = [[title, "张数", "金额", "税额", "价税合计"]]
    body = [[g.key or "—", str(g.figures.count), str(g.figures.amount), str(g.figures.tax),
             str(g.figures.total)] for g in groups]  # fmt: skip
    return table(header + body)


def _taxes(report: Report) -> str:
    def money(value: Any, declared: bool) -> str:
        return str(value) if declared else "—"

    return table([["所属期", "开票销项税额", "申报销项税额", "进项税额", "应纳税额", "税负率"]] + [
        [f"{t.start:%Y-%m-%d}~{t.end:%Y-%m-%d}", str(t.invoiced_tax),
         money(t.output_tax, t.declared) if t.declared else "未申报",
         money(t.input_tax, t.declared), money(t.payable, t.declared),
         "—" if t.burden is None else f"{t.burden}%"]
        for t in report.taxes
    ])  # fmt: skip


def _usage(report: Report) -> str:
    usage = report.usage
    if usage is None:
        return ""

    def rate(value: Any) -> str:
        return "—" if value is None else f"{value}%"

    stock = table([["发票库存", "发票代码", "已用", "剩余"]] + [
        [f"{s.channel} {s.kind}", s.code, str(s.used), str(s.left)] for s in usage.segments
    ])  # fmt: skip
    return f"发票使用情况：作废率 {rate(report.void_rate)}，红冲率 {rate(report.red_rate)}\n{stock}"


class Command(FapiaoCommand):
    help = (
        "报表查询：daily（日报表，--date）、monthly（月报表，--month YYYY-MM）、annual（年报表，"
        "--year）、range（--from --to）；金额为净额（红字为负，作废不计）"
    )

    def arguments(self, parser: CommandParser) -> None:
        parser.add_argument("span", choices=[s.value for s in Span])
        parser.add_argument("--date", dest="day", help="日报表的日期 YYYY-MM-DD（默认今天）")
        parser.add_argument("--month", help="月报表的月份 YYYY-MM（默认本月）")
        parser.add_argument("--year", help="年报表的年份（默认今年）")
        parser.add_argument("--from", dest="start", help="区间开始日期")
        parser.add_argument("--to", dest="end", help="区间结束日期（含）")
        parser.add_argument("--out", type=Path, help="另存为Excel（.xlsx）或PDF（.pdf，含图表）")

    def run(self, **options: Any) -> tuple[Any, str]:
        period = parse_period(
            options["span"], today=local_date(timezone.now()), day=options["day"],
            month=options["month"], year=options["year"], start=options["start"],
            end=options["end"],
        )  # fmt: skip
        report_taxpayer = self.taxpayer(options)
        report = report_of(report_taxpayer, period)
        net = report.net
        if options["out"] is not None:
            path: Path = options["out"]
            suffix = path.suffix.lower()
            if suffix not in (".xlsx", ".pdf"):
                raise CommandError("报表导出文件应以 .xlsx 或 .pdf 结尾（--out）", returncode=2)
            try:
                content = (report_xlsx(report) if suffix == ".xlsx"
                           else report_pdf(report, trend_of(report_taxpayer, period)))  # fmt: skip
                path.write_bytes(content)
            except OSError as error:
                raise CommandError(f"无法写入文件“{path}”：{error.strerror}") from None

        def percent(value: Any) -> str:
            return "—" if value is None else f"{value}%"

        text = "\n\n".join([
            f"{period.span.label} {period.label}：蓝字 {report.blue} 张，红字 {report.red} 张，"
            f"作废 {report.voided} 张\n净额：金额 {net.amount} 元，税额 {net.tax} 元，"
            f"价税合计 {net.total} 元\n同比 {percent(report.yoy)}，环比 {percent(report.mom)}",
            _rows("发票种类", report.by_kind),
            _rows("税率", report.by_rate),
            _rows("购买方（前10）", report.top_buyers),
            _rows("商品（税收分类编码，前10）", report.top_products),
            _rows("开票人", report.by_issuer),
            "税费缴纳\n" + _taxes(report),
            _usage(report),
        ])  # fmt: skip
        return report.as_dict(), text
