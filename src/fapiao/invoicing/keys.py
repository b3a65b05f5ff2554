"""Each taxpayer's signing key: Ed25519, private half encrypted at rest under FAPIAO_SECRET_KEY.

SM2 with SM3 was the first choice; see the README for why Ed25519 (``cryptography``) is used.
Every signature records its algorithm and key, so a later algorithm can sit beside this one.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import os
from datetime import datetime

from cryptography.exceptions import InvalidSignature
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

from fapiao.invoicing.models import SigningKey, Taxpayer

ALGORITHM = "ed25519"
_NONCE = 12


def _wrapping_key(secret: str) -> bytes:
    return HKDF(algorithm=SHA256(), length=32, salt=None, info=b"fapiao signing keys").derive(
        secret.encode()
    )


def key_create(taxpayer: Taxpayer, *, at: datetime) -> SigningKey:
    """A new active key pair for ``taxpayer``; the caller holds the taxpayer's lock."""
    private = Ed25519PrivateKey.generate()
    raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    nonce = os.urandom(_NONCE)
    sealed = AESGCM(_wrapping_key(settings.SECRET_KEY)).encrypt(
        nonce, raw, str(taxpayer.pk).encode()
    )
    SigningKey.objects.filter(taxpayer=taxpayer, active=True).update(active=False)
    key = SigningKey.objects.create(
        taxpayer=taxpayer,
        algorithm=ALGORITHM,
        public_key=private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw),
        private_key=nonce + sealed,
        created_at=at,
    )
    taxpayer.signing_key = key
    taxpayer.save(update_fields=["signing_key"])
    return key


@functools.lru_cache(maxsize=1024)
def _private(taxpayer_id: int, sealed: bytes, secret: str) -> Ed25519PrivateKey:
    raw = AESGCM(_wrapping_key(secret)).decrypt(
        sealed[:_NONCE], sealed[_NONCE:], str(taxpayer_id).encode()
    )
    return Ed25519PrivateKey.from_private_bytes(raw)


_KEYS: dict[int, SigningKey] = {}


def active_key(taxpayer: Taxpayer) -> SigningKey:
    """The taxpayer's current key, as named by its (locked) row; key rows never change, so
    each process keeps the ones it has read."""
    pk = taxpayer.signing_key_id
    if pk is None:
        raise SigningKey.DoesNotExist(f"{taxpayer} has no signing key")
    key = _KEYS.get(pk)
    if key is None:
        key = _KEYS[pk] = SigningKey.objects.get(pk=pk)
    return key


def sign(key: SigningKey, message: bytes) -> str:
    """The base64 signature of ``message`` with ``key``."""
    private = _private(key.taxpayer_id, bytes(key.private_key), settings.SECRET_KEY)
    return base64.b64encode(private.sign(message)).decode()


def verify(key: SigningKey, message: bytes, signature: str) -> bool:
    if key.algorithm != ALGORITHM:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(bytes(key.public_key)).verify(
            base64.b64decode(signature), message
        )
    except (InvalidSignature, ValueError):
        return False
    return True


def fingerprint(key: SigningKey) -> str:
    """A short, stable name of the public key (SHA-256, 16 hex digits)."""
    return hashlib.sha256(bytes(key.public_key)).hexdigest()[:16]
