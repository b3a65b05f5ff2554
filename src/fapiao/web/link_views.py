"""Public download pages: a link's token opens the invoice's files, nothing else."""

from __future__ import annotations

from urllib.parse import quote

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from fapiao.documents.delivery import (
    LinkUnavailable,
    formats_of,
    link_download,
    link_resolve,
    link_url,
    qr_png,
)
from fapiao.documents.services import FORMATS
from fapiao.domain.kinds import InvoiceKind, spec


@require_GET
def link_page(request: HttpRequest, token: str) -> HttpResponse:
    try:
        link = link_resolve(token)
    except LinkUnavailable as error:
        return render(request, "documents/link.html", {"error": error.message, "kind": "发票下载"},
                      status=404)  # fmt: skip
    invoice = link.invoice
    context = {
        "invoice": invoice,
        "link": link,
        "kind": spec(InvoiceKind(invoice.kind)).name,
        "formats": formats_of(invoice),
    }
    response = render(request, "documents/link.html", context)
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_GET
def link_file(request: HttpRequest, token: str, format: str) -> HttpResponse:
    try:
        name, content = link_download(link_resolve(token), format)
    except LinkUnavailable as error:
        return HttpResponse(error.message, status=404, content_type="text/plain; charset=utf-8")
    response = HttpResponse(content, content_type=FORMATS[format])
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_GET
def link_qr(request: HttpRequest, token: str) -> HttpResponse:
    """The link's QR code, for printing on a receipt or showing at the counter."""
    try:
        link_resolve(token)
    except LinkUnavailable as error:
        return HttpResponse(error.message, status=404, content_type="text/plain; charset=utf-8")
    return HttpResponse(qr_png(link_url(token)), content_type="image/png")
