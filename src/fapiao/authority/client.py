"""The one door between the taxpayer side and the authority (a port).

:class:`AuthorityClient` is what the taxpayer side may ask; :class:`EmbeddedClient` answers in
this process from the authority's own tables (the embedded default), :class:`HttpClient` asks an
authority running as a separate service (``FAPIAO_AUTHORITY_URL``). A real provider's API
(诺诺, 百望, 乐企) would be one more implementation.

Every answer is plain JSON values, so both implementations give the same thing.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Protocol

from django.conf import settings

from fapiao.authority import anchors, checking, grants, keyring, numbers, registry, reviews
from fapiao.domain.errors import DomainError, Text
from fapiao.domain.kinds import InvoiceKind


class Unreachable(Exception):
    """The authority could not be asked now; try again later."""


class AuthorityClient(Protocol):
    def upload(self, *, tax_id: str, name: str, uploads: list[dict[str, Any]]) -> dict[str, Any]:
        """The authority's ``{"answers": [...], "signature"}`` to a batch of uploads."""
        ...

    def records(
        self, *, tax_id: str, after: int = 0, limit: int = 1000, content: bool = False
    ) -> dict[str, Any]: ...

    def anchor(self, *, tax_id: str, name: str, heads: list[dict[str, Any]]) -> dict[str, Any]:
        """存证: the authority keeps and signs each chain head: ``{"anchors": [...]}``."""
        ...

    def anchors(self, *, tax_id: str, chain: str, after: int = 0) -> dict[str, Any]:
        """One page of the heads kept for ``chain``: ``{"anchors": [...], "next"}``."""
        ...

    def grant_stock(
        self,
        *,
        tax_id: str,
        name: str,
        region: str,
        device_number: str,
        kind: InvoiceKind,
        count: int,
    ) -> dict[str, Any]: ...

    def credit(self, *, tax_id: str) -> Decimal | None: ...

    def digital_numbers(
        self, *, tax_id: str, name: str, region: str, channel_digit: str, year: int, count: int
    ) -> dict[str, Any]:
        """A block of 数电 numbers: ``{"prefix", "first", "last", "grant"}``."""
        ...

    def confirmation_number(self, *, tax_id: str, name: str, region: str, year: int) -> str: ...

    def verify(self, inputs: dict[str, Any], *, client: str) -> dict[str, Any]: ...

    def public_key(self) -> dict[str, str]: ...

    def file_period(self, filing: dict[str, Any]) -> dict[str, Any]: ...

    def clearing_submit(self, application: dict[str, Any]) -> dict[str, Any]: ...

    def clearing_status(self, number: str) -> dict[str, Any]: ...


class EmbeddedClient:
    """The authority in this process (its own tables of the same database)."""

    def upload(self, *, tax_id: str, name: str, uploads: list[dict[str, Any]]) -> dict[str, Any]:
        # through JSON, as over HTTP: the authority keeps only what the wire would carry
        wire = json.loads(json.dumps(uploads))
        return registry.receive_signed(tax_id=tax_id, name=name, uploads=wire)

    def records(
        self, *, tax_id: str, after: int = 0, limit: int = 1000, content: bool = False
    ) -> dict[str, Any]:
        return registry.records(tax_id=tax_id, after=after, limit=limit, content=content)

    def anchor(self, *, tax_id: str, name: str, heads: list[dict[str, Any]]) -> dict[str, Any]:
        wire = json.loads(json.dumps(heads))
        return anchors.anchors_receive(tax_id=tax_id, name=name, heads=wire)

    def anchors(self, *, tax_id: str, chain: str, after: int = 0) -> dict[str, Any]:
        return anchors.anchors_list(tax_id=tax_id, chain=chain, after=after)

    def grant_stock(
        self,
        *,
        tax_id: str,
        name: str,
        region: str,
        device_number: str,
        kind: InvoiceKind,
        count: int,
    ) -> dict[str, Any]:
        grant = grants.grant_stock(
            tax_id=tax_id, name=name, region=region, device_number=device_number,
            kind=kind, count=count,
        )  # fmt: skip
        return {"code": grant.code, "first": grant.first, "last": grant.last, "grant": grant.pk}

    def credit(self, *, tax_id: str) -> Decimal | None:
        return grants.credit_of(tax_id)

    def digital_numbers(
        self, *, tax_id: str, name: str, region: str, channel_digit: str, year: int, count: int
    ) -> dict[str, Any]:
        grant = numbers.digital_numbers_grant(
            tax_id=tax_id, name=name, region=region, channel_digit=channel_digit, year=year,
            count=count,
        )  # fmt: skip
        return {"prefix": grant.prefix, "first": grant.first, "last": grant.last, "grant": grant.pk}

    def confirmation_number(self, *, tax_id: str, name: str, region: str, year: int) -> str:
        return numbers.confirmation_number_grant(tax_id=tax_id, name=name, region=region, year=year)

    def verify(self, inputs: dict[str, Any], *, client: str) -> dict[str, Any]:
        return checking.verify_inputs(inputs, client=client)

    def public_key(self) -> dict[str, str]:
        return keyring.public_key()

    def file_period(self, filing: dict[str, Any]) -> dict[str, Any]:
        return reviews.file_period(**json.loads(json.dumps(filing)))

    def clearing_submit(self, application: dict[str, Any]) -> dict[str, Any]:
        return reviews.clearing_submit(**json.loads(json.dumps(application)))

    def clearing_status(self, number: str) -> dict[str, Any]:
        return reviews.clearing_status(number)


class HttpClient:
    """An authority reached over HTTP (its ``/authority/v1`` API)."""

    def __init__(self, base: str, token: str, timeout: float = 10.0) -> None:
        self.base = base.rstrip("/") + "/authority/v1"
        self.token = token
        self.timeout = timeout

    def _call(
        self, method: str, path: str, body: Any = None, *, headers: dict[str, str] | None = None
    ) -> Any:
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode()
        request = urllib.request.Request(  # noqa: S310 - the URL is the configured authority
            self.base + path,
            data=data,
            method=method,
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {self.token}",
                **(headers or {}),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            try:
                answer = json.loads(error.read())
            except ValueError:
                answer = {}
            if 400 <= error.code < 500 and "message" in answer:
                raised = DomainError(answer["message"], field=answer.get("field"))
                raised.code = answer.get("code", "authority_refused")
                raise raised from None
            raise Unreachable(Text("税务机关服务返回{0}", error.code)) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as error:
            raise Unreachable(Text("无法连接税务机关服务：{0}", error)) from None

    def upload(self, *, tax_id: str, name: str, uploads: list[dict[str, Any]]) -> dict[str, Any]:
        body = {"tax_id": tax_id, "name": name, "uploads": uploads}
        return dict(self._call("POST", "/uploads", body))

    def records(
        self, *, tax_id: str, after: int = 0, limit: int = 1000, content: bool = False
    ) -> dict[str, Any]:
        query = urllib.parse.urlencode(
            {"tax_id": tax_id, "after": after, "limit": limit, "content": int(content)}
        )
        return dict(self._call("GET", f"/records?{query}"))

    def anchor(self, *, tax_id: str, name: str, heads: list[dict[str, Any]]) -> dict[str, Any]:
        return dict(
            self._call("POST", "/anchors", {"tax_id": tax_id, "name": name, "heads": heads})
        )

    def anchors(self, *, tax_id: str, chain: str, after: int = 0) -> dict[str, Any]:
        query = urllib.parse.urlencode({"tax_id": tax_id, "chain": chain, "after": after})
        return dict(self._call("GET", f"/anchors?{query}"))

    def grant_stock(
        self,
        *,
        tax_id: str,
        name: str,
        region: str,
        device_number: str,
        kind: InvoiceKind,
        count: int,
    ) -> dict[str, Any]:
        body = {
            "tax_id": tax_id, "name": name, "region": region,
            "device_number": device_number, "kind": kind.value, "count": count,
        }  # fmt: skip
        return dict(self._call("POST", "/stock", body))

    def credit(self, *, tax_id: str) -> Decimal | None:
        answer = self._call("GET", "/credit?" + urllib.parse.urlencode({"tax_id": tax_id}))
        value = answer.get("monthly_credit")
        return None if value is None else Decimal(value)

    def digital_numbers(
        self, *, tax_id: str, name: str, region: str, channel_digit: str, year: int, count: int
    ) -> dict[str, Any]:
        body = {
            "tax_id": tax_id, "name": name, "region": region, "channel_digit": channel_digit,
            "year": year, "count": count,
        }  # fmt: skip
        return dict(self._call("POST", "/digital-numbers", body))

    def confirmation_number(self, *, tax_id: str, name: str, region: str, year: int) -> str:
        body = {"tax_id": tax_id, "name": name, "region": region, "year": year}
        return str(self._call("POST", "/confirmation-numbers", body)["number"])

    def verify(self, inputs: dict[str, Any], *, client: str) -> dict[str, Any]:
        return dict(self._call("POST", "/verify", inputs, headers={"X-Fapiao-Client": client}))

    def public_key(self) -> dict[str, str]:
        return dict(self._call("GET", "/key"))

    def file_period(self, filing: dict[str, Any]) -> dict[str, Any]:
        return dict(self._call("POST", "/filings", filing))

    def clearing_submit(self, application: dict[str, Any]) -> dict[str, Any]:
        return dict(self._call("POST", "/clearings", application))

    def clearing_status(self, number: str) -> dict[str, Any]:
        return dict(self._call("GET", f"/clearings/{urllib.parse.quote(number)}"))


def authority_client() -> AuthorityClient:
    """The configured authority: over HTTP when ``FAPIAO_AUTHORITY_URL`` is set, else here."""
    url = getattr(settings, "FAPIAO_AUTHORITY_URL", "")
    if url:
        return HttpClient(url, settings.FAPIAO_AUTHORITY_TOKEN)
    return EmbeddedClient()


def _every_page(read: Callable[[int], dict[str, Any]], items: str) -> list[dict[str, Any]]:
    """Every item of a paged answer (``{items: [...], "next"}``), read page by page."""
    found: list[dict[str, Any]] = []
    after: int | None = 0
    while after is not None:
        page = read(after)
        found += page[items]
        after = page["next"]
    return found


def registry_records(
    client: AuthorityClient, tax_id: str, *, content: bool = False
) -> list[dict[str, Any]]:
    """Every record of the taxpayer's registry, in registration order."""
    return _every_page(
        lambda after: client.records(tax_id=tax_id, after=after, content=content), "records"
    )


def anchored_heads(client: AuthorityClient, tax_id: str, chain: str) -> list[dict[str, Any]]:
    """Every head the authority keeps for the taxpayer's ``chain``, in the order it came."""
    return _every_page(
        lambda after: client.anchors(tax_id=tax_id, chain=chain, after=after), "anchors"
    )
