"""The XML parts of an invoice's OFD that are not its pages: OFD.xml's CustomData, the
``original_invoice.xml`` of the 2019 e-invoice schema, the signature attachment, the QR picture,
and the helpers that write OFD elements."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import segno

from fapiao.documents.model import Document, money

NS = "http://www.ofdspec.org/2016"
INVOICE_NS = "http://www.edrm.org.cn/schema/e-invoice/2019"


def qr_png(payload: str) -> bytes:
    out = io.BytesIO()
    segno.make(payload, error="m", micro=False, mask=2).save(out, kind="png", scale=6, border=1)
    return out.getvalue()


def xml_bytes(root: ET.Element) -> bytes:
    return b'<?xml version="1.0" encoding="UTF-8"?>' + ET.tostring(root, encoding="utf-8")


def el(
    tag: str, parent: ET.Element | None = None, text: str | None = None, **attributes: str
) -> ET.Element:
    name = f"{{{NS}}}{tag}"
    element = (
        ET.Element(name, attributes) if parent is None else ET.SubElement(parent, name, attributes)
    )
    if text is not None:
        element.text = text
    return element


def custom_data(doc: Document) -> dict[str, str]:
    """The key fields, as ``OFD.xml`` CustomData carries them."""
    data = {
        "发票代码": doc.code,
        "发票号码": doc.number,
        "开票日期": doc.issued_on.strftime("%Y年%m月%d日"),
        "校验码": doc.check_code,
        "购买方名称": doc.buyer.name,
        "购买方纳税人识别号": doc.buyer.tax_id,
        "销售方名称": doc.seller.name,
        "销售方纳税人识别号": doc.seller.tax_id,
        "合计金额": money(doc.amount),
        "合计税额": money(doc.tax),
        "价税合计": money(doc.total),
    }
    return {name: value for name, value in data.items() if value}


def original_invoice(doc: Document) -> bytes:
    """``original_invoice.xml`` of an old-style e-invoice (the 2019 e-invoice schema)."""
    ET.register_namespace("fp", INVOICE_NS)

    def sub(parent: ET.Element, tag: str, text: str = "") -> ET.Element:
        element = ET.SubElement(parent, f"{{{INVOICE_NS}}}{tag}")
        element.text = text
        return element

    root = ET.Element("eInvoice", {"Version": "1.0"})
    for tag, value in (
        ("DocID", "01"),
        ("InvoiceCode", doc.code),
        ("InvoiceNo", doc.number),
        ("TypeCode", doc.spec.qr_type),
        ("IssueDate", doc.issued_on.strftime("%Y年%m月%d日")),
        ("InvoiceCheckCode", doc.check_code),
        ("MachineNo", doc.device_number),
        ("TaxControlCode", doc.signature),
    ):
        sub(root, tag, value)
    for role, party in (("Buyer", doc.buyer), ("Seller", doc.seller)):
        block = sub(root, role)
        sub(block, f"{role}Name", party.name)
        sub(block, f"{role}TaxID", party.tax_id)
        sub(block, f"{role}AddrTel", f"{party.address}{party.phone}")
        sub(block, f"{role}FinancialAccount", f"{party.bank}{party.account}")
    sub(root, "TaxInclusiveTotalAmount", money(doc.total))
    sub(root, "TaxExclusiveTotalAmount", money(doc.amount))
    sub(root, "TaxTotalAmount", money(doc.tax))
    sub(root, "Payee", doc.payee)
    sub(root, "Checker", doc.reviewer)
    sub(root, "InvoiceClerk", doc.drawer)
    sub(root, "Note", doc.remarks)
    sub(root, "GraphCode", doc.qr)  # the QR payload, as the real files carry it
    goods = sub(root, "GoodsInfos")
    for line in doc.lines:
        item = sub(goods, "GoodsInfo")
        for tag, value in (
            ("Item", line.name),
            ("Specification", line.spec),
            ("MeasurementDimension", line.unit),
            ("Price", line.unit_price),
            ("Quantity", line.quantity),
            ("Amount", money(line.amount)),
            ("TaxScheme", line.rate),
            ("TaxAmount", line.tax_text),
        ):
            sub(item, tag, value)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="utf-8")


def signature_xml(doc: Document) -> bytes:
    root = ET.Element("FapiaoSignature")
    fields = (
        ("InvoiceNumber", doc.ident),
        ("SignatureAlgorithm", doc.signature_algorithm),
        ("KeyId", doc.key_fingerprint),
        ("SignatureValue", doc.signature),
    )
    for tag, value in fields:
        ET.SubElement(root, tag).text = value
    return xml_bytes(root)
