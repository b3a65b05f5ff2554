"""The authority's own key: it signs receipts, answers and clearing decisions."""

from __future__ import annotations

import base64
import functools
from typing import Any

from django.utils import timezone

from fapiao.authority.models import (
    AuthorityKey,
)
from fapiao.core.signing import (
    ALGORITHM,
    canonical,
    key_pair,
    seal,
    sign_sealed,
)

OWNER = b"authority"


@functools.cache
def _key_id() -> int:
    key = AuthorityKey.objects.filter(active=True).order_by("-pk").first()
    if key is None:
        raw, public = key_pair()
        key = AuthorityKey.objects.create(
            algorithm=ALGORITHM,
            public_key=public,
            private_key=seal(raw, OWNER),
            created_at=timezone.now(),
        )
    return key.pk


@functools.cache
def _key(pk: int) -> AuthorityKey:
    return AuthorityKey.objects.get(pk=pk)


def authority_key() -> AuthorityKey:
    return _key(_key_id())


def authority_sign(value: dict[str, Any]) -> str:
    key = authority_key()
    return sign_sealed(bytes(key.private_key), OWNER, canonical(value).encode())


def public_key() -> dict[str, str]:
    key = authority_key()
    return {
        "algorithm": key.algorithm,
        "public_key": base64.b64encode(bytes(key.public_key)).decode(),
    }


def keys_forget() -> None:
    """Forget the keys this process has read (after a restore put other rows in their place)."""
    _key_id.cache_clear()
    _key.cache_clear()
