"""The site's URLs plus media served as ``DEBUG`` serves it (config/urls.py), for the test."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import re_path
from django.views.static import serve

from config.urls import urlpatterns as site


def media(request: HttpRequest, path: str) -> Any:
    return serve(request, path, document_root=settings.MEDIA_ROOT)  # the test's MEDIA_ROOT


urlpatterns = [*site, re_path(r"^media/(?P<path>.*)$", media)]
