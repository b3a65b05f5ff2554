"""通知中心's pages: every notice of the signed-in user (any role, inside a taxpayer or not),
opened (which reads it), marked read, with each delivery's outcome."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from fapiao.domain.notices import CHANNEL_LABELS, KINDS, SEVERITY_LABELS
from fapiao.notices.models import DeliveryStatus
from fapiao.notices.selectors import notices_of
from fapiao.notices.services import notices_read
from fapiao.web.settings_views import flash_of, told_then

PER_PAGE = 50


@login_required
def notices(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    unread = request.GET.get("unread") == "1"
    found = notices_of(request.user, unread=unread, kind=kind if kind in KINDS else "")  # type: ignore[arg-type]
    shown = Paginator(found, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "notices/list.html", {
        "page_obj": shown, "kinds": KINDS, "kind": kind, "unread_only": unread,
        "severities": SEVERITY_LABELS, "channels": CHANNEL_LABELS,
        "statuses": dict(DeliveryStatus.choices), "message": flash_of(request),
    })  # fmt: skip


@login_required
def notice_open(request: HttpRequest, notice_id: int) -> HttpResponse:
    """Open a notice: it is read, and its page follows (the list when it names none)."""
    notice = notices_of(request.user).filter(pk=notice_id).first()  # type: ignore[arg-type]
    if notice is None:
        raise Http404
    notices_read(request.user, [notice.pk])  # type: ignore[arg-type]
    safe = url_has_allowed_host_and_scheme(notice.link, allowed_hosts={request.get_host()})
    return redirect(notice.link if safe and notice.link.startswith("/") else "/notices/")


@require_POST
@login_required
def notices_mark_read(request: HttpRequest) -> HttpResponse:
    ids = [int(i) for i in request.POST.getlist("id") if i.isdigit()]
    count = notices_read(request.user, ids or None)  # type: ignore[arg-type]
    return told_then(request, "/notices/", gettext("已将%(n)s条通知标为已读") % {"n": count})
