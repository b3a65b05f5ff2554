"""The backup file: a tar of the snapshot's tables and its manifest, encrypted with age to one or
more X25519 recipients. The server holds only the recipients (public keys): what decrypts a
backup — the identity — is kept apart from the server's secret and, ideally, off the server.
"""

from __future__ import annotations

import json
import tarfile
from pathlib import Path
from typing import Any

import pyrage
from pyrage import x25519

from fapiao.domain.errors import DomainError, Text

MANIFEST = "manifest.json"
FORMAT = "fapiao-backup/1"


class BackupRefused(DomainError):
    code = "backup_refused"


def keypair() -> tuple[str, str]:
    """A new identity (``AGE-SECRET-KEY-1…``, to keep safe) and its recipient (``age1…``)."""
    identity = x25519.Identity.generate()
    return str(identity), str(identity.to_public())


def recipients_of(texts: list[str]) -> list[x25519.Recipient]:
    if not texts:
        raise BackupRefused(
            "未配置备份公钥：请先运行 fapiao backup keygen，并把公钥设为 FAPIAO_BACKUP_RECIPIENTS",
            field="recipients",
        )
    try:
        return [x25519.Recipient.from_str(text.strip()) for text in texts]
    except pyrage.RecipientError:
        raise BackupRefused("备份公钥格式不正确（应以 age1 开头）", field="recipients") from None


def identities_of(text: str) -> list[x25519.Identity]:
    keys = [
        line.strip() for line in text.splitlines() if line.strip().startswith("AGE-SECRET-KEY-")
    ]
    try:
        found = [x25519.Identity.from_str(key) for key in keys]
    except pyrage.IdentityError:
        found = []
    if not found:
        raise BackupRefused("备份私钥文件中没有有效的私钥（AGE-SECRET-KEY-…）", field="identity")
    return found


def seal_folder(folder: Path, out: Path, recipients: list[x25519.Recipient]) -> None:
    """``folder``'s files (flat) as one encrypted archive at ``out``."""
    plain = out.with_suffix(".tar")
    with tarfile.open(plain, "w") as tar:
        for path in sorted(folder.iterdir()):
            tar.add(path, arcname=path.name)
    try:
        pyrage.encrypt_file(str(plain), str(out), recipients)
    finally:
        plain.unlink(missing_ok=True)


def open_archive(archive: Path, identities: list[x25519.Identity], into: Path) -> dict[str, Any]:
    """Decrypt and unpack ``archive`` into the empty folder ``into``; returns its manifest.
    Refused — with nothing left behind — when it is not ours, was made for another key, or
    is truncated or altered (age authenticates every chunk and the end)."""
    if not archive.is_file():
        raise BackupRefused(Text("备份文件不存在：{0}", archive), field="archive")
    plain = into / "backup.tar"
    try:
        pyrage.decrypt_file(str(archive), str(plain), identities)
    except pyrage.DecryptError as error:
        plain.unlink(missing_ok=True)
        if "No matching keys" in str(error):
            raise BackupRefused(
                "该备份不是用此私钥对应的公钥加密的，无法解密", field="identity"
            ) from None
        raise BackupRefused("备份文件已损坏或被截断，无法解密", field="archive") from None
    except OSError:
        plain.unlink(missing_ok=True)
        raise BackupRefused("备份文件已损坏或被截断，无法解密", field="archive") from None
    try:
        with tarfile.open(plain, "r") as tar:
            for member in tar.getmembers():
                # flat regular files with plain names only: nothing lands outside ``into``
                if not member.isfile() or "/" in member.name or member.name.startswith("."):
                    raise BackupRefused("备份文件内容不正确", field="archive")
            tar.extractall(into, filter="data")
    except tarfile.TarError:
        raise BackupRefused("备份文件内容不正确", field="archive") from None
    finally:
        plain.unlink(missing_ok=True)
    try:
        manifest = json.loads((into / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError):
        raise BackupRefused("备份文件缺少清单（manifest.json）", field="archive") from None
    if manifest.get("format") != FORMAT:
        raise BackupRefused("不是 Fapiao 的备份文件", field="archive")
    return dict(manifest)
