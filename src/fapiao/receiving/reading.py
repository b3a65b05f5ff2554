"""Reading a received invoice file: every source it offers, each made a
:class:`~fapiao.domain.reading.Candidate` and merged page by page (:mod:`fapiao.domain.reading`).

- 数电 XML: the XML itself.
- OFD: the attached original_invoice.xml of older e-invoices, CustomData, the fields
  CustomTag.xml points at, the QR payload the XML carries, and the page's text objects by their
  layout (template and page).
- PDF: each page's text layer by its layout (pdfium gives each run of text its box), the QR
  code printed on it (drawn by pdfium, read by zxing-cpp) and, for ours, the payload in the
  Subject. Several invoices in one PDF are one per page; a page with no invoice number (a
  list of goods continued) is passed over.
- A picture (JPEG, PNG), or a PDF page without text: OCR and the QR code in it.
- QR text pasted (``01,32,…``).
- ZIP: each member, as above (one level deep, within the archive bounds).

Everything is bounded: the file's size (``FAPIAO_FILE_MAX_BYTES``), an archive's members and
sizes (``core.archives.INVOICE``), a PDF's pages (:data:`MAX_PAGES`) and the time spent
(:data:`TIME_LIMIT`, checked between pages and members; files read by OCR have
``OCR_TIME_LIMIT`` in :func:`read_in_time`).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from typing import Any

from django.conf import settings

from fapiao.core.archives import INVOICE, BoundedZip
from fapiao.documents.readers import UnreadableFile, file_size_check
from fapiao.domain.errors import DomainError, Text
from fapiao.domain.reading import Reading, merge
from fapiao.receiving.sources import (
    MAX_PAGES,
    OCR_TIME_LIMIT,
    TIME_LIMIT,
    Deadline,
    image_readings,
    ofd_reading,
    pdf_readings,
    qr_candidate,
    xml_candidate,
)

__all__ = [
    "MAX_PAGES",
    "Deadline",
    "needs_ocr",
    "qr_candidate",
    "read_bounded",
    "read_file",
    "read_in_time",
]

_PICTURES = (b"\x89PNG", b"\xff\xd8\xff")
_PICTURE_NAMES = (".png", ".jpg", ".jpeg")


def needs_ocr(content: bytes) -> bool:
    """Whether reading ``content`` takes OCR: a picture, a PDF without text, a ZIP of pictures."""
    if content.startswith(_PICTURES):
        return True
    if content.startswith(b"%PDF"):
        return not _has_text(content)
    if content.startswith(b"PK"):
        try:
            names = zipfile.ZipFile(io.BytesIO(content)).namelist()
        except (zipfile.BadZipFile, ValueError):
            return False
        if "OFD.xml" in names:  # an OFD: its pictures are stamps and codes, its text is there
            return False
        return any(name.lower().endswith(_PICTURE_NAMES) for name in names)
    return False


def _has_text(content: bytes) -> bool:
    import pypdfium2

    try:
        pdf = pypdfium2.PdfDocument(content)
    except pypdfium2.PdfiumError:
        return True  # unreadable: refused at once, not later
    try:
        return any(pdf[n].get_textpage().count_chars() for n in range(min(len(pdf), 5)))
    finally:
        pdf.close()


def read_in_time(name: str, content: bytes) -> list[Reading]:
    """Every invoice of the file, in the time it may take: a picture or a scan here, in OCR's
    own time (a minute inside the task engine's timeout, for the worker reads them); anything
    else in a child process bounded in time (:func:`read_bounded`)."""
    if not needs_ocr(content):
        return read_bounded(name, content)
    seconds = max(TIME_LIMIT, min(OCR_TIME_LIMIT, settings.Q_CLUSTER["timeout"] - 60))
    return read_file(name, content, deadline=Deadline(name, seconds))


def read_bounded(name: str, content: bytes, *, seconds: float = TIME_LIMIT) -> list[Reading]:
    """:func:`read_file` in a child process that is killed after ``seconds``: a file that
    makes a parser hang or crash inside its C code (pdfium, zxing) is refused, not waited
    for, and takes nothing down with it. For files that need no OCR (the worker reads those in
    OCR's own time, :data:`~fapiao.receiving.sources.OCR_TIME_LIMIT`)."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_read_child, args=(sender, name, content), daemon=True)
    child.start()
    sender.close()
    try:
        if not receiver.poll(seconds):
            raise UnreadableFile(Text("读取文件“{0}”超时", name), field="file")
        try:
            outcome, value = receiver.recv()
        except EOFError:  # the child died (a parser crashed it)
            raise UnreadableFile(
                Text("文件“{0}”无法读取：解析时出错", name), field="file"
            ) from None
    finally:
        if child.is_alive():
            child.kill()
        child.join()
        receiver.close()
    if outcome == "refused":
        raise UnreadableFile(value, field="file")
    return list(value)


def _read_child(sender: Any, name: str, content: bytes) -> None:
    try:
        sender.send(("read", read_file(name, content)))
    except UnreadableFile as refused:
        sender.send(("refused", refused.message))
    finally:
        sender.close()


def read_file(name: str, content: bytes, *, deadline: Deadline | None = None) -> list[Reading]:
    """Every invoice ``content`` holds, read; :class:`UnreadableFile` (in Chinese, naming the
    file) when it holds none or cannot be read."""
    file_size_check(name, len(content))
    if not content.strip():
        raise UnreadableFile(Text("文件“{0}”是空文件", name), field="file")
    deadline = deadline or Deadline(name)
    try:
        readings = list(_read(name, content, deadline, nested=False))
    except UnreadableFile:
        raise
    except DomainError as refused:  # a bad XML, OFD, archive or QR: one kind of refusal
        raise UnreadableFile(refused.message, field="file") from None
    except (ValueError, KeyError, TypeError, IndexError, OSError, RecursionError) as error:
        # a file that breaks a parser is refused like any unreadable file
        raise UnreadableFile(
            Text("文件“{0}”无法读取：{1}", name, type(error).__name__), field="file"
        ) from None
    if not readings:
        raise UnreadableFile(Text("文件“{0}”中没有可识别的发票", name), field="file")
    return readings


def _read(name: str, content: bytes, deadline: Deadline, *, nested: bool) -> Iterator[Reading]:
    head = content.lstrip()[:8]
    if content.startswith(b"%PDF"):
        yield from pdf_readings(content, deadline)
    elif content.startswith(b"PK"):
        archive = BoundedZip(content, INVOICE, label="压缩文件")
        if "OFD.xml" in archive.names():
            yield ofd_reading(content)
        elif nested:
            raise UnreadableFile(Text("压缩文件“{0}”中又有压缩文件，不予读取", name), field="file")
        else:
            yield from _zip(archive, deadline)
    elif head.startswith(b"<"):
        yield merge([xml_candidate(content)])
    elif content.startswith(_PICTURES):
        yield from image_readings(name, content)
    elif re.match(rb"\s*01[,\xef]", content):
        yield merge([qr_candidate(content.decode("utf-8", "replace"))])
    else:
        raise UnreadableFile(
            Text("无法识别文件“{0}”：请上传发票的PDF、OFD、XML、图片、二维码内容或ZIP", name),
            field="file",
        )


def _zip(archive: BoundedZip, deadline: Deadline) -> Iterator[Reading]:
    for member in sorted(archive.names()):
        if member.endswith("/") or member.rsplit("/", 1)[-1].startswith("."):
            continue
        deadline.check()
        try:
            yield from _read(member, archive.read(member), deadline, nested=True)
        except UnreadableFile:
            if member.lower().endswith((".pdf", ".ofd", ".xml", ".png", ".jpg", ".jpeg")):
                raise
            # anything else in a bulk download (a list, a readme) is no invoice: passed over
