"""The real URL conf plus the vote pages and API, until ``config/urls.py`` includes them (each
module is only added while its names do not resolve there), and the bench's bare endpoint."""

from __future__ import annotations

from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, include, path

from config.urls import urlpatterns as real_patterns
from deliberation import bench_views


def _resolves(name: str) -> bool:
    try:
        get_resolver("config.urls").reverse(name)
    except NoReverseMatch:
        return False
    return True


extra: list[URLPattern | URLResolver] = []
if not _resolves("round-list"):
    extra.append(path("", include("deliberation.vote_urls")))
if not _resolves("api-rounds"):
    extra.append(path("api/v1/", include("deliberation.vote_api_urls")))
if not _resolves("bench-ok"):
    extra.append(path("bench/ok/", bench_views.ok, name="bench-ok"))

urlpatterns = [*real_patterns, *extra]
