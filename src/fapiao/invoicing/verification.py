"""查验 as this installation answers it (the public page, the API and ``fapiao verify``): the
authority's answer, except that an invoice issued here and not yet received by the authority is
said to be so (``已开具，尚未上传至税务机关``) instead of 查无此票 — only when every input agrees
with it, so that the answer tells nothing to one who guesses numbers."""

from __future__ import annotations

from typing import Any

from fapiao.authority.client import authority_client
from fapiao.domain.errors import DomainError
from fapiao.domain.kinds import InvoiceKind
from fapiao.domain.verification import (
    NOT_UPLOADED_MESSAGE,
    Facts,
    Outcome,
    compare,
    query_from_inputs,
)
from fapiao.invoicing.models import Invoice, Upload


def verify(inputs: dict[str, Any], *, client: str) -> dict[str, Any]:
    """The answer to one 查验 of ``inputs`` (typed inputs or ``qr``) asked by ``client``."""
    answer = authority_client().verify(inputs, client=client)
    if answer.get("outcome") != Outcome.NOT_FOUND:
        return answer
    try:
        query = query_from_inputs(inputs)
    except DomainError:
        return answer
    invoice = (
        Invoice.objects.filter(kind__in=list(InvoiceKind), code=query.code, number=query.number)
        .only("issued_on", "amount", "total", "check_code")
        .first()
    )
    if invoice is None or Upload.objects.filter(invoice=invoice, accepted=True).exists():
        return answer
    facts = Facts(invoice.issued_on, invoice.amount, invoice.total, invoice.check_code)
    if compare(query, facts) is not None:
        return answer
    return {
        **dict.fromkeys(("field", "status", "signature_valid", "checks_today")),
        "outcome": Outcome.NOT_UPLOADED.value,
        "message": NOT_UPLOADED_MESSAGE,
        "invoice": None,
        "checked_at": answer.get("checked_at"),
        "signature": None,  # ours, not the authority's
    }
