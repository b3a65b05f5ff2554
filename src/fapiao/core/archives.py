"""Bounded reading of ZIP archives: every place that opens one (OFD files, Excel workbooks,
received invoices, backups) goes through :class:`BoundedZip`, so that a small file that unpacks
to gigabytes (a ZIP bomb) is refused before it is unpacked, with a message in Chinese.

The bounds: the number of entries, each entry's declared and actual unpacked size, the total
unpacked, and the ratio of unpacked to packed size of a large entry. The actual size is counted
while reading, so an entry that declares less than it holds is stopped at its bound too.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from dataclasses import dataclass

from fapiao.domain.errors import DomainError, Text

MIB = 1024 * 1024
_CHUNK = 64 * 1024


class ArchiveRefused(DomainError):
    code = "unreadable_file"


@dataclass(frozen=True)
class Limits:
    entries: int = 2_000
    member: int = 32 * MIB
    total: int = 128 * MIB
    ratio: int = 200  # for entries over 1 MiB unpacked: fonts pack ~2:1, XML ~20:1


#: an invoice file (OFD): a few pages, fonts and images
INVOICE = Limits(entries=1_000, member=16 * MIB, total=48 * MIB)
#: a spreadsheet of catalog rows or an invoice batch (100,000 rows fit well inside)
WORKBOOK = Limits(entries=500, member=128 * MIB, total=256 * MIB, ratio=400)


class BoundedZip:
    """A ZIP archive read within ``limits``; :meth:`read` an entry, :meth:`names` them all."""

    def __init__(self, content: bytes, limits: Limits, *, label: str = "压缩文件") -> None:
        self.limits, self.label, self._read = limits, label, 0
        try:
            self._archive = zipfile.ZipFile(io.BytesIO(content))
            entries = self._archive.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as error:
            raise ArchiveRefused(Text("{0}无法读取：{1}", label, error), field="file") from None
        if len(entries) > limits.entries:
            raise ArchiveRefused(
                Text("{0}包含{1}个文件，超过上限{2}个", label, len(entries), limits.entries),
                field="file",
            )
        declared = 0
        for entry in entries:
            self._check_size(entry.filename, entry.file_size)
            if entry.file_size > MIB and entry.file_size > limits.ratio * max(
                entry.compress_size, 1
            ):
                raise ArchiveRefused(
                    Text("{0}中的“{1}”压缩比异常，疑为恶意文件", label, entry.filename),
                    field="file",
                )
            declared += entry.file_size
        if declared > limits.total:
            raise ArchiveRefused(self._too_large(declared), field="file")

    def _too_large(self, size: int) -> Text:
        return Text(
            "{0}解压后共{1}MB，超过上限{2}MB",
            self.label, -(-size // MIB), self.limits.total // MIB,
        )  # fmt: skip

    def _check_size(self, name: str, size: int) -> None:
        if size > self.limits.member:
            raise ArchiveRefused(
                Text("{0}中的“{1}”解压后超过{2}MB", self.label, name, self.limits.member // MIB),
                field="file",
            )

    def names(self) -> list[str]:
        return self._archive.namelist()

    def read(self, name: str) -> bytes:
        """The entry's content (``KeyError`` when there is none), counted as it is unpacked."""
        out = bytearray()
        try:
            with self._archive.open(name) as entry:
                while chunk := entry.read(_CHUNK):
                    out += chunk
                    self._check_size(name, len(out))
                    if self._read + len(out) > self.limits.total:
                        raise ArchiveRefused(self._too_large(self._read + len(out)), field="file")
        except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, NotImplementedError) as error:
            raise ArchiveRefused(
                Text("{0}中的“{1}”无法读取：{2}", self.label, name, error), field="file"
            ) from None
        self._read += len(out)
        return bytes(out)
