"""The national XML of a 数电 invoice (DOMAIN §9), and reading one back.

Element names follow the platform's files, hyphen and mixed case included
(``TotalTax-includedAmount``, ``TotaltaxIncludedAmount``). The taxpayer-side signature travels
in ``FapiaoSignature``: algorithm, key fingerprint and the value over the invoice's digest.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal, InvalidOperation
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as safe_xml

from fapiao.documents.model import Document, money
from fapiao.domain.errors import DomainError, Text
from fapiao.domain.regions import SEPARATE_CITIES, region4, region_name

VERSION = "0.36"
MUNICIPALITIES = {"11", "12", "31", "50"}
AUTONOMOUS = {
    "15": "自治区",
    "45": "壮族自治区",
    "54": "自治区",
    "64": "回族自治区",
    "65": "维吾尔自治区",
}


class BadXml(DomainError):
    code = "bad_xml"


def tax_bureau(region: str) -> tuple[str, str]:
    """The code and name of ``region``'s tax bureau: a 计划单列市's own, else the province's."""
    if region in SEPARATE_CITIES:
        return f"1{region}000000", f"国家税务总局{SEPARATE_CITIES[region]}市税务局"
    province = region[:2]
    name = region_name(province)
    suffix = "市" if province in MUNICIPALITIES else AUTONOMOUS.get(province, "省")
    return f"1{province}00000000", f"国家税务总局{name}{suffix}税务局"


def _sub(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, tag)
    if text is not None:
        element.text = text
    return element


def _label(parent: ET.Element, tag: str, code: str, name: str) -> None:
    element = _sub(parent, tag)
    _sub(element, "LabelCode", code)
    _sub(element, "LabelName", name)


def render_xml(doc: Document, *, taxpayer_general: bool = True) -> bytes:
    """The 数电 XML of ``doc`` (UTF-8, with declaration)."""
    if not doc.spec.digital:
        raise BadXml(Text("{0}没有数电XML", doc.spec.name), field="kind")
    root = ET.Element("EInvoice")
    header = _sub(root, "Header")
    _sub(header, "EIid", doc.number)
    _sub(header, "EInvoiceTag", f"SWEI{region4(doc.region)}")
    _sub(header, "Version", VERSION)
    labels = _sub(header, "InherentLabel")
    _label(labels, "InIssuType", "N" if doc.red else "Y", "是否蓝字发票标志")
    _label(labels, "EInvoiceType", "01", "电子发票")
    special = doc.spec.special
    _label(
        labels,
        "GeneralOrSpecialVAT",
        "01" if special else "02",
        "增值税专用发票" if special else "普通发票",
    )
    _label(
        labels,
        "TaxpayerType",
        "1" if taxpayer_general else "2",
        "一般纳税人" if taxpayer_general else "小规模纳税人",
    )
    # as the platform's files: how it was issued (policy: our pages and API count as 网页开票)
    undefined = _sub(_sub(header, "UndefinedLabel"), "Label")
    _sub(undefined, "LabelType", "发票开具方式标签")
    _sub(undefined, "LabelCode", "1")
    _sub(undefined, "LabelName", "网页开票")
    data = _sub(root, "EInvoiceData")
    for tag, prefix, party in (
        ("SellerInformation", "Seller", doc.seller),
        ("BuyerInformation", "Buyer", doc.buyer),
    ):
        block = _sub(data, tag)
        _sub(block, f"{prefix}IdNum", party.tax_id)
        _sub(block, f"{prefix}Name", party.name)
        for suffix, value in (
            ("Addr", party.address),
            ("TelNum", party.phone),
            ("BankName", party.bank),
            ("BankAccNum", party.account),
        ):
            if value:
                _sub(block, f"{prefix}{suffix}", value)
    basic = _sub(data, "BasicInformation")
    _sub(basic, "TotalAmWithoutTax", money(doc.amount))
    _sub(basic, "TotalTaxAm", money(doc.tax))
    _sub(basic, "TotalTax-includedAmount", money(doc.total))
    _sub(basic, "TotalTax-includedAmountInChinese", doc.total_in_words)
    _sub(basic, "Drawer", doc.drawer)
    _sub(basic, "RequestTime", doc.issued_at.strftime("%Y-%m-%d %H:%M:%S"))
    for line in doc.lines:
        item = _sub(data, "IssuItemInformation")
        _sub(item, "ItemName", line.name)
        for tag, value in (
            ("SpecMod", line.spec),
            ("MeaUnits", line.unit),
            ("Quantity", line.quantity),
            ("UnPrice", line.unit_price),
        ):
            if value:
                _sub(item, tag, value)
        _sub(item, "Amount", money(line.amount))
        _sub(item, "TaxRate", line.rate_value or line.rate)
        _sub(item, "ComTaxAm", line.tax_text)
        _sub(item, "TotaltaxIncludedAmount", money(line.amount + line.tax))
        _sub(item, "TaxClassificationCode", line.tax_code)
    _sub(data, "SpecificInformation")
    additional = _sub(data, "AdditionalInformation")
    if doc.remarks:
        _sub(additional, "Remark", doc.remarks)
    # the seller's identity was checked at sign-in (01, as the platform's files say)
    _sub(_sub(root, "SellerAuthentication"), "AuthenticationMethods", "01")
    supervision = _sub(root, "TaxSupervisionInfo")
    _sub(supervision, "InvoiceNumber", doc.number)
    _sub(supervision, "IssueTime", doc.issued_on.isoformat())
    code, name = tax_bureau(doc.region)
    _sub(supervision, "TaxBureauCode", code)
    _sub(supervision, "TaxBureauName", name)
    if doc.signature:
        signature = _sub(root, "FapiaoSignature")
        _sub(signature, "SignatureAlgorithm", doc.signature_algorithm)
        _sub(signature, "KeyId", doc.key_fingerprint)
        _sub(signature, "SignatureValue", doc.signature)
    ET.indent(root, space="    ")
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="utf-8" standalone="yes"?>\n' + body + b"\n"


def _text(element: ET.Element | None, path: str) -> str:
    found = None if element is None else element.find(path)
    return (found.text or "").strip() if found is not None else ""


def parse_xml(content: bytes) -> dict[str, Any]:
    """The fields of a 数电 XML (ours or the platform's), as plain data."""
    try:
        root = safe_xml(content)
    except ET.ParseError as error:
        raise BadXml(Text("XML格式不正确：{0}", error), field="file") from None
    except DefusedXmlException:
        raise BadXml("XML文件不能包含DTD或实体声明", field="file") from None
    if root.tag != "EInvoice":
        raise BadXml("不是数电发票XML（根元素应为EInvoice）", field="file")
    data = root.find("EInvoiceData")
    basic = None if data is None else data.find("BasicInformation")

    def party(tag: str, prefix: str) -> dict[str, str]:
        block = None if data is None else data.find(tag)
        return {
            "tax_id": _text(block, f"{prefix}IdNum"),
            "name": _text(block, f"{prefix}Name"),
            "address": _text(block, f"{prefix}Addr"),
            "phone": _text(block, f"{prefix}TelNum"),
            "bank": _text(block, f"{prefix}BankName"),
            "account": _text(block, f"{prefix}BankAccNum"),
        }

    def amount(element: ET.Element | None, path: str) -> Decimal | None:
        """The figure, 0 for the ``***`` of an untaxed line, None when absent or unreadable."""
        text = _text(element, path)
        if text and set(text) == {"*"}:
            return Decimal(0)
        try:
            value = Decimal(text) if text else None
        except InvalidOperation:
            return None
        return value if value is None or value.is_finite() else None

    lines = [
        {
            "name": _text(item, "ItemName"),
            "spec": _text(item, "SpecMod"),
            "unit": _text(item, "MeaUnits"),
            "quantity": _text(item, "Quantity"),
            "unit_price": _text(item, "UnPrice"),
            "amount": amount(item, "Amount"),
            "rate": _text(item, "TaxRate"),
            "tax": amount(item, "ComTaxAm"),
            "tax_code": _text(item, "TaxClassificationCode"),
        }
        for item in ([] if data is None else data.findall("IssuItemInformation"))
    ]
    labels = root.find("Header/InherentLabel")
    return {
        "number": _text(root, "Header/EIid") or _text(root, "TaxSupervisionInfo/InvoiceNumber"),
        "issued_on": _text(root, "TaxSupervisionInfo/IssueTime"),
        "special": _text(labels, "GeneralOrSpecialVAT/LabelCode") == "01",
        "blue": _text(labels, "InIssuType/LabelCode") != "N",
        "seller": party("SellerInformation", "Seller"),
        "buyer": party("BuyerInformation", "Buyer"),
        "amount": amount(basic, "TotalAmWithoutTax"),
        "tax": amount(basic, "TotalTaxAm"),
        "total": amount(basic, "TotalTax-includedAmount"),
        "total_in_words": _text(basic, "TotalTax-includedAmountInChinese"),
        "drawer": _text(basic, "Drawer"),
        "remarks": _text(data, "AdditionalInformation/Remark"),
        "lines": lines,
        "signature": _text(root, "FapiaoSignature/SignatureValue"),
        "signature_algorithm": _text(root, "FapiaoSignature/SignatureAlgorithm"),
    }
