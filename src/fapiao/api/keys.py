"""Issuing, checking and revoking API keys (``fpk_<prefix>_<secret>``)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from fapiao.api.models import ApiKey, ApiKeyAddress
from fapiao.core import fastsql
from fapiao.core.clients import client
from fapiao.core.roles import OUTSIDE, Role
from fapiao.domain.errors import DomainError
from fapiao.invoicing.ledger import event_append
from fapiao.invoicing.locks import taxpayer_lock
from fapiao.invoicing.models import Taxpayer
from fapiao.security.audit import audit_append

LAST_USED_RESOLUTION = timedelta(minutes=1)
#: (key hash, address) pairs this process knows are recorded: a known address costs no query
_KNOWN: set[tuple[str, str]] = set()
KNOWN_MAX = 10_000


class ApiKeyError(DomainError):
    code = "api_key"


@dataclass(frozen=True)
class IssuedKey:
    key: ApiKey
    plaintext: str  # shown once


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def apikey_create(*, taxpayer: Taxpayer, name: str, role: Role, actor: str) -> IssuedKey:
    if role in OUTSIDE:
        raise ApiKeyError("API密钥不能使用税务机关或客服角色", field="role")
    name = name.strip()
    if not name:
        raise ApiKeyError("请填写密钥名称", field="name")
    prefix, secret = secrets.token_hex(4), secrets.token_urlsafe(32)
    locked = taxpayer_lock(taxpayer.pk)
    key = ApiKey.objects.create(
        taxpayer=locked, name=name, role=role, prefix=prefix, key_hash=_hash(secret),
        created_at=timezone.now(), created_by=actor,
    )  # fmt: skip
    event_append(
        taxpayer=locked, type="apikey.created", actor=actor, at=key.created_at,
        payload={"prefix": prefix, "name": name, "role": role.value},
    )  # fmt: skip
    audit_append("apikey.created", actor=actor, taxpayer=locked,
                 payload={"prefix": prefix, "role": role.value})  # fmt: skip
    return IssuedKey(key, f"fpk_{prefix}_{secret}")


@transaction.atomic
def apikey_revoke(*, key: ApiKey, actor: str) -> ApiKey:
    locked = taxpayer_lock(key.taxpayer_id)
    key = ApiKey.objects.get(pk=key.pk)
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        event_append(
            taxpayer=locked, type="apikey.revoked", actor=actor, at=key.revoked_at,
            payload={"prefix": key.prefix},
        )  # fmt: skip
        audit_append("apikey.revoked", actor=actor, taxpayer=locked,
                     payload={"prefix": key.prefix})  # fmt: skip
    return key


def apikey_check(plaintext: str) -> ApiKey | None:
    """The live key for ``plaintext``, or None; read from the database on every request, so a
    revocation takes effect at once."""
    kind, _, rest = plaintext.strip().partition("_")
    prefix, _, secret = rest.partition("_")
    if kind != "fpk" or not prefix or not secret:
        return None
    # on every API call: one statement with the taxpayer, no query compiling
    key = fastsql.get(ApiKey, related="taxpayer", prefix=prefix)
    if key is None or key.revoked_at is not None:
        return None
    if not hmac.compare_digest(key.key_hash, _hash(secret)):
        return None
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        # a write per request would cost every call a commit; a minute is precise enough
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    address = client()
    if address and (key.key_hash, address) not in _KNOWN:
        _address_note(key, address, now)
    return key


def _address_note(key: ApiKey, address: str, now: datetime) -> None:
    """Record the first use of ``key`` from ``address``; one from an address after the key's
    first is audited (``apikey.new_address``), which the risk rule of that name reads."""
    try:
        with transaction.atomic():
            _, created = ApiKeyAddress.objects.get_or_create(
                key=key, ip=address, defaults={"first_at": now}
            )
            earlier = key.addresses.exclude(ip=address).count() if created else 0
            if earlier:
                payload = {"prefix": key.prefix, "name": key.name, "earlier": earlier}
                audit_append(
                    "apikey.new_address",
                    actor=f"api:{key.prefix}",
                    taxpayer=key.taxpayer,
                    payload=payload,
                )
    except IntegrityError:  # a concurrent request of the same key recorded it first
        pass
    if len(_KNOWN) >= KNOWN_MAX:
        _KNOWN.clear()
    _KNOWN.add((key.key_hash, address))
