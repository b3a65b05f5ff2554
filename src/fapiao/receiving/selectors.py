"""Reads of 进项与报销, scoped to the taxpayer: received invoices, claims, and approved claims as
voucher lines an accounting package imports (用友 / 金蝶: one line per debit or credit)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from fapiao.core.clock import local_date
from fapiao.core.spreadsheets import neutralise
from fapiao.domain.kinds import InvoiceKind, spec
from fapiao.invoicing.models import Taxpayer
from fapiao.invoicing.selectors import NotFound
from fapiao.receiving.models import Claim, ClaimStatus, ReceivedInvoice

#: the voucher file's columns, in order
VOUCHER_COLUMNS = (
    "凭证日期",
    "凭证字",
    "凭证号",
    "摘要",
    "科目编码",
    "科目名称",
    "借方金额",
    "贷方金额",
    "报销人",
    "报销单号",
    "发票号码",
)
#: the accounts a claim's voucher uses (a 小企业会计准则 chart; change them in the package)
EXPENSE = ("6602", "管理费用")
INPUT_TAX = ("22210101", "应交税费—应交增值税（进项税额）")
PAYABLE = ("2241", "其他应付款")


def received_of(taxpayer: Taxpayer, *, status: str = "", q: str = "") -> QuerySet[ReceivedInvoice]:
    found = ReceivedInvoice.objects.filter(taxpayer=taxpayer).order_by("-received_at", "-pk")
    if status:
        found = found.filter(status=status)
    if q:
        found = found.filter(number__contains=q) | found.filter(seller_name__contains=q)
    return found


def received_get(taxpayer: Taxpayer, pk: int) -> ReceivedInvoice:
    found = ReceivedInvoice.objects.filter(taxpayer=taxpayer, pk=pk).first()
    if found is None:
        raise NotFound("进项发票不存在", field="id")
    return found


def claims_of(taxpayer: Taxpayer, *, claimant: Any = None, status: str = "") -> QuerySet[Claim]:
    found = Claim.objects.filter(taxpayer=taxpayer).select_related("claimant")
    if claimant is not None:
        found = found.filter(claimant=claimant)
    if status:
        found = found.filter(status=status)
    return found.order_by("-created_at", "-pk")


def claim_get(taxpayer: Taxpayer, pk: int) -> Claim:
    found = Claim.objects.select_related("claimant").filter(taxpayer=taxpayer, pk=pk).first()
    if found is None:
        raise NotFound("报销单不存在", field="id")
    return found


def claim_as_dict(claim: Claim) -> dict[str, Any]:
    return {
        "id": claim.pk,
        "claimant": claim.claimant.username,
        "purpose": claim.purpose,
        "status": claim.status,
        "status_label": ClaimStatus(claim.status).label,
        "amount": str(claim.amount),
        "created_at": claim.created_at.isoformat(),
        "decided_by": claim.decided_by,
        "reason": claim.reason,
        "invoices": [r.pk for r in claim.invoices.order_by("pk")],
    }


def _deductible(row: ReceivedInvoice) -> bool:
    try:
        return spec(InvoiceKind(row.kind)).special and not row.not_ours
    except ValueError:
        return False


def voucher_lines(taxpayer: Taxpayer) -> list[list[Any]]:
    """Each approved claim as a voucher: its expenses (net of deductible input tax) and that
    tax debited, what is owed to the claimant credited; debits equal credits."""
    rows: list[list[Any]] = []
    claims = claims_of(taxpayer, status=ClaimStatus.APPROVED).order_by("decided_at", "pk")
    for number, claim in enumerate(claims, 1):
        day = local_date(claim.decided_at or claim.created_at).isoformat()
        head = [day, "记", number]
        for row in claim.invoices.order_by("pk"):
            tax = (row.tax or Decimal(0)) if _deductible(row) else Decimal(0)
            expense = (row.total or Decimal(0)) - tax
            what = f"{claim.purpose} {row.seller_name}"
            rows.append(
                [*head, what, *EXPENSE, expense, "", claim.claimant.username, claim.pk, str(row)]
            )
            if tax:
                rows.append(
                    [*head, what, *INPUT_TAX, tax, "", claim.claimant.username, claim.pk, str(row)]
                )
        rows.append(
            [
                *head,
                f"应付{claim.claimant.username}报销款",
                *PAYABLE,
                "",
                claim.amount,
                claim.claimant.username,
                claim.pk,
                "",
            ]
        )
    return rows


def vouchers_csv(taxpayer: Taxpayer) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(VOUCHER_COLUMNS)
    for row in voucher_lines(taxpayer):
        writer.writerow([neutralise(value) for value in row])
    return ("\ufeff" + out.getvalue()).encode()  # with a BOM: Excel opens it as UTF-8


def vouchers_xlsx(taxpayer: Taxpayer) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("凭证")
    sheet.append(list(VOUCHER_COLUMNS))
    for row in voucher_lines(taxpayer):
        sheet.append([neutralise(value) for value in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
