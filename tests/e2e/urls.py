"""The site's URLs plus the uploaded photos, for the in-process live server of the page walk
(in production the proxy serves media; with DEBUG off Django does not)."""

from django.conf import settings
from django.urls import include, re_path
from django.views.static import serve

urlpatterns = [
    re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}),
    re_path(r"", include("config.urls")),
]
