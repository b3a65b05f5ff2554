"""清卡凭证: the PDF proof that a device's period was cleared, with the authority's signature."""

from __future__ import annotations

import io
from datetime import timedelta

from django.utils import timezone
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from fapiao.closing.models import Clearing, ClearingStatus
from fapiao.documents.fonts import Face, registered
from fapiao.domain.closing import ClosingRefused
from fapiao.domain.periods import Period

COLUMNS = ("票种", "蓝字份数", "红字份数", "作废份数", "销售额", "税额")
WIDTHS = (62, 20, 20, 20, 30, 28)  # mm


def certificate_pdf(clearing: Clearing) -> bytes:
    """The 清卡凭证 of an approved clearing."""
    if clearing.status != ClearingStatus.APPROVED or clearing.decision is None:
        raise ClosingRefused("清卡通过后才能下载清卡凭证", field="clearing")
    font = registered(Face.SANS)
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, pageCompression=1, initialFontName=font)
    canvas.setTitle(f"清卡凭证 {clearing.number}")
    canvas.setCreator("Fapiao")
    width, height = A4
    period = Period(clearing.period_start, clearing.period_end)
    taxpayer = clearing.taxpayer
    decision = clearing.decision
    last_day = clearing.period_end - timedelta(days=1)
    decided = clearing.decided_at and timezone.localtime(clearing.decided_at)
    canvas.setFont(font, 20)
    canvas.drawCentredString(width / 2, height - 30 * mm, "清卡凭证")
    canvas.setFont(font, 10.5)
    facts = (
        ("申请编号", clearing.number),
        ("纳税人名称", taxpayer.name),
        ("纳税人识别号", taxpayer.tax_id),
        ("设备编号", clearing.channel.device_number),
        ("所属期", f"{period.label}（{period.start:%Y-%m-%d}至{last_day:%Y-%m-%d}）"),
        ("清卡类型", clearing.type),
        ("审核结果", f"已通过（{decision.get('decided_by', '')}）"),
        ("审核时间", f"{decided:%Y-%m-%d %H:%M:%S}" if decided else ""),
        ("新的开票截止日期", f"{clearing.lock_date:%Y-%m-%d}"),
    )
    y = height - 45 * mm
    for label, value in facts:
        canvas.drawString(20 * mm, y, f"{label}：")
        canvas.drawString(58 * mm, y, str(value))
        y -= 7 * mm
    y -= 4 * mm
    x = 20 * mm
    for title, w in zip(COLUMNS, WIDTHS, strict=True):
        canvas.drawString(x + 1 * mm, y, title)
        x += w * mm
    canvas.line(20 * mm, y - 2 * mm, 20 * mm + sum(WIDTHS) * mm, y - 2 * mm)
    y -= 8 * mm
    for row in clearing.summary["kinds"].values():
        cells = (
            row["name"], str(row["blue_count"]), str(row["red_count"]), str(row["void_count"]),
            row["net_amount"], row["net_tax"],
        )  # fmt: skip
        x = 20 * mm
        for cell, w in zip(cells, WIDTHS, strict=True):
            canvas.drawString(x + 1 * mm, y, cell)
            x += w * mm
        y -= 7 * mm
    canvas.line(20 * mm, y + 4 * mm, 20 * mm + sum(WIDTHS) * mm, y + 4 * mm)
    canvas.drawString(21 * mm, y - 1 * mm, "合计")
    canvas.drawString(20 * mm + sum(WIDTHS[:4]) * mm + 1 * mm, y - 1 * mm,
                      clearing.summary["sales"])  # fmt: skip
    canvas.drawString(20 * mm + sum(WIDTHS[:5]) * mm + 1 * mm, y - 1 * mm,
                      clearing.summary["tax"])  # fmt: skip
    y -= 16 * mm
    canvas.setFont(font, 8)
    canvas.drawString(20 * mm, y, "税务机关签名（Ed25519，对审核结果的规范JSON）：")
    signature = str(decision.get("signature", ""))
    for start in range(0, len(signature), 90):
        y -= 5 * mm
        canvas.drawString(20 * mm, y, signature[start : start + 90])
    canvas.showPage()
    canvas.save()
    return out.getvalue()
