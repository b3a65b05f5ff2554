"""The public 查验 page: no login; typed inputs, a pasted QR payload or an invoice file."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from fapiao.authority.client import Unreachable
from fapiao.documents.readers import file_size_check, inputs_from_file
from fapiao.domain.errors import DomainError
from fapiao.domain.kinds import InvoiceKind, spec
from fapiao.domain.verification import INPUT_FIELDS
from fapiao.invoicing.verification import verify


def client_address(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", ""))


def verify_page(request: HttpRequest) -> HttpResponse:
    context: dict[str, Any] = {"values": {}, "answer": None, "error": None}
    if request.method == "POST":
        values = {name: request.POST.get(name, "").strip() for name in INPUT_FIELDS}
        context["values"] = values
        try:
            upload = request.FILES.get("file")
            if upload:
                file_size_check(upload.name or "", upload.size or 0)
            inputs = inputs_from_file(upload.name, upload.read()) if upload else values
            answer = verify(inputs, client=client_address(request))
        except DomainError as error:
            context["error"] = error
        except Unreachable:
            context["error"] = DomainError("税务机关服务暂时无法连接，请稍后再试")
        else:
            context["answer"] = answer
            invoice = answer.get("invoice")
            if invoice:
                context["kind_name"] = spec(InvoiceKind(invoice["kind"])).name
    error = context["error"]
    if error is not None and error.field not in (*INPUT_FIELDS, "file"):
        context["general_error"] = error  # not about one field: shown above the result
    status = 429 if getattr(context["error"], "code", "") == "too_many_misses" else 200
    return render(request, "authority/verify.html", context, status=status)
