"""归档: a package per taxpayer, month and kind — each invoice's file in its archival format (数电
XML, OFD, the paper invoice's PDF), its record (content, digest, signature and key, history, the
authority's registry entry), an index (Excel and XML), checksums, and the 四性检测 report made
from the finished package. Kept at least to the end of its retention; nothing deletes it before.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from fapiao.archiving.checks import CHECKSUMS, REPORT, package_check
from fapiao.archiving.models import ArchivePackage
from fapiao.authority.client import Unreachable, authority_client, registry_records
from fapiao.core.signing import fingerprint_of
from fapiao.documents.services import document_render
from fapiao.domain.errors import DomainError, Text
from fapiao.domain.kinds import ChannelType, InvoiceKind, spec
from fapiao.invoicing.ledger import invoice_content, invoice_digest
from fapiao.invoicing.models import Event, Invoice, Taxpayer
from fapiao.jobs.services import handler
from fapiao.security.audit import audit_append

FORMAT = "fapiao-archive/1"
#: 《发票管理办法》: issued invoices' 存根联 and the 发票登记簿 are kept 5 years at least
MINIMUM_YEARS = 5


class ArchiveRefused(DomainError):
    code = "archive_refused"


def month_from(text: str) -> date:
    """``2026-11`` as the first day of that month."""
    try:
        return date.fromisoformat(f"{text.strip()}-01")
    except ValueError:
        raise ArchiveRefused("归档月份格式应为 YYYY-MM，如 2026-11", field="period") from None


def retention_years() -> int:
    return max(MINIMUM_YEARS, int(settings.FAPIAO_ARCHIVE_YEARS))


def retain_until(month: date) -> date:
    """The last day of the retention: counted from the end of the package's year."""
    return date(month.year + retention_years() + 1, 1, 1) - timedelta(days=1)


def _format_of(kind: InvoiceKind) -> str:
    known = spec(kind)
    if known.channel == ChannelType.DIGITAL:
        return "xml"  # 数电: the XML is the invoice
    return "pdf" if known.paper else "ofd"


def _series(invoice: Invoice) -> tuple[str, int]:
    if invoice.code:
        return invoice.code, int(invoice.number)
    return invoice.number[:5], int(invoice.number[5:])


def _registry(taxpayer: Taxpayer) -> dict[tuple[str, str], Any] | None:
    try:
        records = registry_records(authority_client(), taxpayer.tax_id)
    except (Unreachable, DomainError, OSError):
        return None
    return {(record["code"], record["number"]): record for record in records}


def package_make(*, taxpayer: Taxpayer, month: date, kind: str = "", actor: str) -> ArchivePackage:
    """Make, check and keep the archive package of ``taxpayer``'s invoices of ``month``."""
    month = month.replace(day=1)
    end = (month + timedelta(days=32)).replace(day=1)
    if end > timezone.localdate().replace(day=1) + timedelta(days=32):
        raise ArchiveRefused("不能归档尚未开始的月份", field="period")
    if kind and kind not in InvoiceKind.values:
        raise ArchiveRefused("发票种类不正确", field="kind")
    invoices = Invoice.objects.filter(taxpayer=taxpayer, issued_on__gte=month, issued_on__lt=end)
    if kind:
        invoices = invoices.filter(kind=kind)
    invoices = (
        invoices.select_related("signing_key").prefetch_related("lines").order_by("issued_at", "pk")
    )
    name = f"{taxpayer.tax_id}-FP-{month:%Y-%m}-{kind or 'ALL'}"
    registry = _registry(taxpayer)
    members: dict[str, bytes] = {}
    rows, ranges = [], {}
    for index, invoice in enumerate(invoices, start=1):
        number = f"{index:05d}"
        ext = _format_of(InvoiceKind(invoice.kind))
        file = f"files/{number}-{invoice.code}{invoice.number}.{ext}"
        members[file] = document_render(invoice, ext)
        series, sequence = _series(invoice)
        low, high = ranges.get(series, (sequence, sequence))
        ranges[series] = (min(low, sequence), max(high, sequence))
        key = invoice.signing_key
        record = {
            "file": file, "series": series, "sequence": sequence, "status": invoice.status,
            "content": invoice_content(invoice), "digest": invoice_digest(invoice),
            "signature": invoice.signature, "algorithm": key.algorithm,
            "public_key": base64.b64encode(bytes(key.public_key)).decode(),
            "key_fingerprint": fingerprint_of(bytes(key.public_key)),
            "history": [
                {"sequence": e.sequence, "type": e.type, "actor": e.actor,
                 "at": e.at.isoformat(), "hash": e.hash}
                for e in Event.objects.filter(invoice=invoice).order_by("sequence")
            ],
            "registry": _registered(registry, invoice),
        }  # fmt: skip
        members[f"records/{number}-{invoice.code}{invoice.number}.json"] = _json(record)
        rows.append(_row(number, invoice, file, hashlib.sha256(members[file]).hexdigest()))
    retain = retain_until(month)
    metadata = {
        "format": FORMAT, "档号": name, "taxpayer": {"name": taxpayer.name,
        "tax_id": taxpayer.tax_id}, "month": f"{month:%Y-%m}", "kind": kind or "全部",
        "count": len(rows), "ranges": {k: list(v) for k, v in ranges.items()},
        "retention": {"years": retention_years(), "until": retain.isoformat()},
        "created_at": timezone.now().isoformat(), "created_by": actor,
        "registry_checked": registry is not None,
    }  # fmt: skip
    members["metadata.json"] = _json(metadata)
    members["index.xml"] = _index_xml(name, rows)
    members["index.xlsx"] = _index_xlsx(rows)
    sums = "".join(f"{hashlib.sha256(data).hexdigest()}  {member}\n"
                   for member, data in sorted(members.items()))  # fmt: skip
    members[CHECKSUMS] = sums.encode()
    report = package_check(_zip(members))
    members[REPORT] = _json(report)
    content = _zip(members)
    folder = Path(settings.FAPIAO_ARCHIVE_DIR or Path(settings.VAR_DIR) / "archives")
    folder = folder / taxpayer.tax_id
    folder.mkdir(parents=True, exist_ok=True)
    stamp = timezone.localtime()
    path = folder / f"{name}-{stamp:%Y%m%d%H%M%S}-{stamp.microsecond // 1000:03d}.zip"
    path.write_bytes(content)
    path.chmod(0o600)  # the taxpayer's invoices: for the service's own user only
    with transaction.atomic():
        package = ArchivePackage.objects.create(
            taxpayer=taxpayer, month=month, kind=kind, name=name, path=str(path),
            size=len(content), sha256=hashlib.sha256(content).hexdigest(), invoices=len(rows),
            created_at=timezone.now(), created_by=actor, checked_ok=report["ok"], report=report,
            retain_until=retain,
        )  # fmt: skip
        audit_append("archive.made", actor=actor, taxpayer=taxpayer,
                     payload={"name": name, "invoices": len(rows), "ok": report["ok"]})  # fmt: skip
    return package


def _registered(registry: dict[tuple[str, str], Any] | None, invoice: Invoice) -> dict[str, Any]:
    if registry is None:
        return {"checked": False, "reason": "税务机关暂时无法连接"}
    found = registry.get((invoice.code, invoice.number))
    if found is None:
        return {"checked": True, "registered": False}
    return {"checked": True, "registered": True, "status": found["status"],
            "content_matches": found["signed_digest"] == invoice_digest(invoice)}  # fmt: skip


def _row(number: str, invoice: Invoice, file: str, sha256: str) -> dict[str, str]:
    return {
        "件号": number, "发票种类": spec(InvoiceKind(invoice.kind)).name, "发票代码": invoice.code,
        "发票号码": invoice.number, "开票日期": invoice.issued_on.isoformat(),
        "购买方名称": invoice.buyer_name,
        "购买方识别号": str((invoice.buyer or {}).get("tax_id", "")),
        "金额": f"{invoice.amount:.2f}", "税额": f"{invoice.tax:.2f}",
        "价税合计": f"{invoice.total:.2f}", "状态": invoice.status, "文件": file, "SHA256": sha256,
    }  # fmt: skip


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=1, default=str).encode()


def _index_xml(name: str, rows: list[dict[str, str]]) -> bytes:
    root = ElementTree.Element("归档目录", {"档号": name, "件数": str(len(rows))})
    for row in rows:
        item = ElementTree.SubElement(root, "发票")
        for field, value in row.items():
            ElementTree.SubElement(item, field).text = value
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)


def _index_xlsx(rows: list[dict[str, str]]) -> bytes:
    from openpyxl import Workbook

    from fapiao.core.spreadsheets import neutralise

    book = Workbook()
    sheet = book.active
    sheet.title = "归档目录"
    sheet.append(list(rows[0]) if rows else ["件号"])
    for row in rows:
        sheet.append([neutralise(value) for value in row.values()])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, data in members.items():
            archive.writestr(member, data)
    return out.getvalue()


def package_delete(package: ArchivePackage, *, actor: str, today: date | None = None) -> None:
    """Delete a package whose retention has ended; refused within it, through every interface."""
    today = today or timezone.localdate()
    if today <= package.retain_until:
        raise ArchiveRefused(
            Text("档案保管期限至{0}，期限内不能删除", package.retain_until.isoformat()),
            field="package",
        )
    Path(package.path).unlink(missing_ok=True)
    with transaction.atomic():
        audit_append("archive.deleted", actor=actor, taxpayer=package.taxpayer,
                     payload={"name": package.name})  # fmt: skip
        package.delete()


@handler("archive.make")
def package_make_job(payload: dict[str, Any]) -> dict[str, Any]:
    package = package_make(
        taxpayer=Taxpayer.objects.get(pk=payload["taxpayer"]),
        month=date.fromisoformat(payload["month"]), kind=payload.get("kind", ""),
        actor=payload["actor"],
    )  # fmt: skip
    return {"package": package.pk, "ok": package.checked_ok}
