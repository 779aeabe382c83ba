"""What a locked-out login attempt is answered (django-axes' ``AXES_LOCKOUT_CALLABLE``).

429 with ``Retry-After``: JSON ``{"detail": ...}`` under ``/api/`` (the token endpoint), the
login page's own look elsewhere. The message says for how long, never whether the username
exists or the password was right.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    minutes = max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))
    message = _("登录失败次数过多，请 %(minutes)d 分钟后再试") % {"minutes": minutes}
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=429)
    else:
        response = render(request, "registration/locked_out.html", {"message": message}, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response
