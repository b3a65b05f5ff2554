"""Each taxpayer's signing key: Ed25519, private half sealed under FAPIAO_SECRET_KEY.

SM2 with SM3 was the first choice; see the README for why Ed25519 (``cryptography``) is used.
Every signature records its algorithm and key, so a later algorithm can sit beside this one.
"""

from __future__ import annotations

from datetime import datetime

from fapiao.core.signing import ALGORITHM, fingerprint_of, key_pair, seal, sign_sealed, verify_raw
from fapiao.invoicing.models import SigningKey, Taxpayer


def key_create(taxpayer: Taxpayer, *, at: datetime) -> SigningKey:
    """A new active key pair for ``taxpayer``; the caller holds the taxpayer's lock."""
    raw, public = key_pair()
    SigningKey.objects.filter(taxpayer=taxpayer, active=True).update(active=False)
    key = SigningKey.objects.create(
        taxpayer=taxpayer,
        algorithm=ALGORITHM,
        public_key=public,
        private_key=seal(raw, str(taxpayer.pk).encode()),
        created_at=at,
    )
    taxpayer.signing_key = key
    taxpayer.save(update_fields=["signing_key"])
    return key


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
    return sign_sealed(bytes(key.private_key), str(key.taxpayer_id).encode(), message)


def verify(key: SigningKey, message: bytes, signature: str) -> bool:
    return verify_raw(key.algorithm, bytes(key.public_key), message, signature)


def fingerprint(key: SigningKey) -> str:
    """A short, stable name of the public key (SHA-256, 16 hex digits)."""
    return fingerprint_of(bytes(key.public_key))


def keys_forget() -> None:
    """Forget the keys this process has read (after a restore put other rows in their place)."""
    _KEYS.clear()
