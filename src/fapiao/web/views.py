"""Pages. Thin: they read through selectors and write through services."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.csrf import ensure_csrf_cookie

import fapiao


@ensure_csrf_cookie  # pages call the API with the session; writes need the CSRF cookie
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home.html", {"version": fapiao.__version__})


def health(request: HttpRequest) -> JsonResponse:
    """Liveness and database reachability, for load balancers and ``make run``."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            database_ok = cursor.fetchone() == (1,)
    except Exception:  # any failure means the database is not usable
        database_ok = False
    return JsonResponse(
        {
            "status": "ok" if database_ok else "degraded",
            "database": connection.vendor,
            "database_ok": database_ok,
            "time": timezone.localtime().isoformat(),
        },
        status=200 if database_ok else 503,
    )
