"""A bare JSON endpoint: the baseline the vote benchmark compares against (``bench/``).

Mounted only when ``YISHI_BENCH_ENDPOINTS=1`` (see ``config/urls.py``); it touches no database."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def ok(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})
