"""四性检测 of an archive package, from its bytes alone (no database): 真实性 (every file as its
checksum says, every invoice's content as its signature says), 完整性 (every invoice the
package declares, every number of its ranges), 可用性 (every file opens with its reader) and
安全性 (only the formats an archive may hold, nothing executable inside them)."""

from __future__ import annotations

import base64
import hashlib
import io
import json
from collections.abc import Callable
from typing import Any

from defusedxml import ElementTree
from django.utils import timezone

from fapiao.core.archives import INVOICE, ArchiveRefused, BoundedZip, Limits
from fapiao.core.signing import digest, verify_raw

PACKAGE = Limits(entries=200_000, member=64 * 2**20, total=4 * 2**30, ratio=400)
CHECKSUMS = "checksums.sha256"
REPORT = "report.json"
ALLOWED = (".xml", ".ofd", ".pdf", ".json", ".xlsx", ".sha256")
#: what a PDF may not carry into an archive: scripts, launched programs, embedded files
PDF_ACTIVE = (b"/JavaScript", b"/JS ", b"/JS(", b"/Launch", b"/EmbeddedFile", b"/RichMedia")
OFD_ALLOWED = (".xml", ".ttf", ".otf", ".png", ".jpg", ".jpeg", ".bmp", ".tif")
PROPERTIES = {"authenticity": "真实性", "integrity": "完整性", "usability": "可用性",
              "safety": "安全性"}  # fmt: skip
SHOWN = 50


def package_check(content: bytes) -> dict[str, Any]:
    """The 四性检测 report of the package ``content``."""
    found: dict[str, list[str]] = {name: [] for name in PROPERTIES}
    counted: dict[str, int] = dict.fromkeys(PROPERTIES, 0)
    try:
        package = BoundedZip(content, PACKAGE, label="归档包")
    except ArchiveRefused as refused:
        found["usability"].append(str(refused.message))
        return _report(found, counted)
    names = [n for n in package.names() if not n.endswith("/")]
    for name in names:
        counted["safety"] += 1
        if name.startswith("/") or ".." in name.split("/") or not name.endswith(ALLOWED):
            found["safety"].append(f"{name}：不允许的文件名或格式")
    try:
        metadata = json.loads(package.read("metadata.json"))
        sums = _checksums(package.read(CHECKSUMS).decode())
    except (KeyError, ValueError, ArchiveRefused):
        found["integrity"].append("缺少或无法读取 metadata.json / checksums.sha256")
        return _report(found, counted)
    _authentic(package, names, sums, found, counted)
    records = _records(package, names, found)
    _complete(package, metadata, records, found, counted)
    for name in names:
        if name.startswith("files/"):
            counted["usability"] += 1
            _usable_and_safe(name, package.read(name), found)
    return _report(found, counted)


def _report(found: dict[str, list[str]], counted: dict[str, int]) -> dict[str, Any]:
    properties = {
        name: {"label": label, "ok": not found[name], "checked": counted[name],
               "problems": found[name][:SHOWN], "more": max(0, len(found[name]) - SHOWN)}
        for name, label in PROPERTIES.items()
    }  # fmt: skip
    return {"ok": all(p["ok"] for p in properties.values()),
            "checked_at": timezone.now().isoformat(), "properties": properties}  # fmt: skip


def _checksums(text: str) -> dict[str, str]:
    sums = {}
    for line in text.splitlines():
        value, _, name = line.partition("  ")
        if name:
            sums[name] = value
    return sums


def _authentic(package: BoundedZip, names: list[str], sums: dict[str, str],
               found: dict[str, list[str]], counted: dict[str, int]) -> None:  # fmt: skip
    for name in names:
        if name in (CHECKSUMS, REPORT):
            continue
        counted["authenticity"] += 1
        if name not in sums:
            found["authenticity"].append(f"{name}：不在校验值清单中")
        elif hashlib.sha256(package.read(name)).hexdigest() != sums[name]:
            found["authenticity"].append(f"{name}：内容与校验值不符（已被修改）")
    for name in sums:
        if name not in names:
            found["integrity"].append(f"{name}：校验值清单中的文件缺失")


def _records(package: BoundedZip, names: list[str], found: dict[str, list[str]]) -> list[Any]:
    records = []
    for name in names:
        if name.startswith("records/"):
            try:
                record = json.loads(package.read(name))
            except ValueError:
                found["usability"].append(f"{name}：无法解析")
                continue
            record["_name"] = name
            records.append(record)
            if digest(record["content"]) != record["digest"]:
                found["authenticity"].append(f"{name}：发票内容与其摘要不符")
            elif not verify_raw(record["algorithm"], base64.b64decode(record["public_key"]),
                                record["digest"].encode(), record["signature"]):  # fmt: skip
                found["authenticity"].append(f"{name}：数字签名验证失败")
    return records


def _complete(package: BoundedZip, metadata: dict[str, Any], records: list[Any],
              found: dict[str, list[str]], counted: dict[str, int]) -> None:  # fmt: skip
    files = {r["file"] for r in records}
    counted["integrity"] += len(records)
    if len(records) != metadata["count"]:
        found["integrity"].append(f"声明{metadata['count']}张发票，包内有{len(records)}条记录")
    for record in records:
        if record["file"] not in package.names():
            found["integrity"].append(f"{record['_name']}：发票文件{record['file']}缺失")
    try:
        rows = ElementTree.fromstring(package.read("index.xml")).findall("发票")
        if len(rows) != len(records):
            found["integrity"].append(
                f"目录（index.xml）有{len(rows)}条，包内有{len(records)}条记录"
            )
    except (KeyError, ElementTree.ParseError, ArchiveRefused):
        found["integrity"].append("缺少或无法读取目录 index.xml")
    for key, (first, last) in metadata.get("ranges", {}).items():
        have = {int(r["sequence"]) for r in records if r["series"] == key}
        missing = [n for n in range(first, last + 1) if n not in have]
        if missing:
            found["integrity"].append(f"号码段{key}：缺少号码{'、'.join(map(str, missing[:10]))}"
                                      f"（共{len(missing)}个）")  # fmt: skip
    if len(files) != len(records):
        found["integrity"].append("发票记录与文件不是一一对应")


def _usable_and_safe(name: str, content: bytes, found: dict[str, list[str]]) -> None:
    readers: dict[str, Callable[[bytes], None]] = {".xml": _xml, ".ofd": _ofd, ".pdf": _pdf}
    reader = next((read for ext, read in readers.items() if name.endswith(ext)), None)
    if reader is None:
        return
    try:
        reader(content)
    except _Unsafe as unsafe:
        found["safety"].append(f"{name}：{unsafe}")
    except Exception:  # any reader's failure is the file's, whatever the library raises
        found["usability"].append(f"{name}：无法用阅读器打开")


class _Unsafe(Exception):
    pass


def _xml(content: bytes) -> None:
    ElementTree.fromstring(content)


def _ofd(content: bytes) -> None:
    ofd = BoundedZip(content, INVOICE, label="OFD")
    for member in ofd.names():
        if not member.endswith("/") and not member.lower().endswith(OFD_ALLOWED):
            raise _Unsafe(f"OFD 内含不允许的文件 {member}")
    ElementTree.fromstring(ofd.read("OFD.xml"))


def _pdf(content: bytes) -> None:
    from pypdf import PdfReader

    if any(marker in content for marker in PDF_ACTIVE):
        raise _Unsafe("PDF 内含脚本、启动动作或嵌入文件")
    reader = PdfReader(io.BytesIO(content))
    root = reader.trailer["/Root"]
    names = root.get("/Names")
    if "/OpenAction" in root or "/AA" in root or (names is not None and "/JavaScript" in names):
        raise _Unsafe("PDF 内含打开即执行的动作或脚本")
    if not reader.pages:
        raise ValueError("no pages")
    reader.pages[0].extract_text()
