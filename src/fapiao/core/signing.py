"""Signatures and sealed private keys, shared by the taxpayer side and the authority.

Ed25519 (``cryptography``); private keys are encrypted at rest with AES-GCM under a key derived
from FAPIAO_SECRET_KEY and bound to their owner. See the README for why not SM2.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import os
from datetime import datetime
from decimal import Decimal
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from django.conf import settings

from fapiao.domain.errors import DomainError

ALGORITHM = "ed25519"
_NONCE = 12


def _wrapping_key(secret: str) -> bytes:
    return HKDF(algorithm=SHA256(), length=32, salt=None, info=b"fapiao signing keys").derive(
        secret.encode()
    )


def key_pair() -> tuple[bytes, bytes]:
    """A new key pair: its raw private and raw public bytes."""
    private = Ed25519PrivateKey.generate()
    return (
        private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()),
        private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw),
    )


def seal(raw: bytes, owner: bytes) -> bytes:
    """``raw`` encrypted under FAPIAO_SECRET_KEY, bound to ``owner``."""
    nonce = os.urandom(_NONCE)
    return nonce + AESGCM(_wrapping_key(settings.SECRET_KEY)).encrypt(nonce, raw, owner)


SEAL_MESSAGE = (
    "签名密钥无法用当前的 FAPIAO_SECRET_KEY 解开：数据库可能来自另一台服务器或密钥已更换。"
    "请把 FAPIAO_SECRET_KEY 设回开具这些发票时的值并重启；原密钥已无从找回时，请联系管理员"
)


class SealBroken(DomainError):
    """A sealed private key does not open with this installation's FAPIAO_SECRET_KEY."""

    code = "key_unreadable"


@functools.lru_cache(maxsize=1024)
def _unseal(sealed: bytes, owner: bytes, secret: str) -> Ed25519PrivateKey:
    try:
        raw = AESGCM(_wrapping_key(secret)).decrypt(sealed[:_NONCE], sealed[_NONCE:], owner)
    except InvalidTag:
        raise SealBroken(SEAL_MESSAGE) from None
    return Ed25519PrivateKey.from_private_bytes(raw)


def unseal_raw(sealed: bytes, owner: bytes) -> bytes:
    """The raw private key :func:`seal` sealed for ``owner`` (for a backup, which carries keys
    re-sealable on another server, inside its own encryption)."""
    try:
        return AESGCM(_wrapping_key(settings.SECRET_KEY)).decrypt(
            sealed[:_NONCE], sealed[_NONCE:], owner
        )
    except InvalidTag:
        raise SealBroken(SEAL_MESSAGE) from None


def sign_sealed(sealed: bytes, owner: bytes, message: bytes) -> str:
    """The base64 signature of ``message`` by the key :func:`seal` sealed for ``owner``."""
    private = _unseal(sealed, owner, settings.SECRET_KEY)
    return base64.b64encode(private.sign(message)).decode()


def verify_raw(algorithm: str, public_key: bytes, message: bytes, signature: str) -> bool:
    """Whether ``signature`` (base64) is ``public_key``'s signature of ``message``."""
    if algorithm != ALGORITHM:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(
            base64.b64decode(signature, validate=True), message
        )
    except (InvalidSignature, ValueError):
        return False
    return True


def fingerprint_of(public_key: bytes) -> str:
    """A short, stable name of a public key (SHA-256, 16 hex digits)."""
    return hashlib.sha256(public_key).hexdigest()[:16]


def canonical(value: Any) -> str:
    """The one JSON text of ``value`` that is hashed and signed: sorted keys, no spaces."""

    def default(item: Any) -> str:
        if isinstance(item, Decimal | datetime):
            return str(item) if isinstance(item, Decimal) else item.isoformat()
        raise TypeError(type(item))

    return json.dumps(
        value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=default
    )


def digest(value: Any) -> str:
    """SHA-256 of the canonical JSON of ``value``."""
    return hashlib.sha256(canonical(value).encode()).hexdigest()


def signed_answer_valid(answer: dict[str, Any], key: dict[str, str]) -> bool:
    """Whether ``answer`` carries a ``signature`` of the rest of it by ``key`` (``algorithm``
    and base64 ``public_key``), as the authority signs its receipts and 查验 answers."""
    body = {name: value for name, value in answer.items() if name != "signature"}
    try:
        public = base64.b64decode(key["public_key"], validate=True)
    except ValueError:
        return False
    return verify_raw(
        key["algorithm"], public, canonical(body).encode(), str(answer.get("signature", ""))
    )
