"""``/healthz`` (the process answers) and ``/readyz`` (it can serve: database, Redis, migrations,
the clock's and the worker's heartbeats). JSON, no login, no session, no redirect to HTTPS, so
the proxy and the operator's monitoring can call them."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from ops import checks


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    results = checks.run_all()
    ready = all(ok for ok, _detail in results.values())
    body = {
        "status": "ok" if ready else "unavailable",
        "checks": {name: {"ok": ok, "detail": detail} for name, (ok, detail) in results.items()},
    }
    return JsonResponse(body, status=200 if ready else 503)
