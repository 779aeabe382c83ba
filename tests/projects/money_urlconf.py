"""The real URL conf, plus what is not wired into it yet in this tree: the money API (until
config.urls includes projects.api_urls) and stand-ins for page names base.html links to. Each is
only added while its name does not resolve in config.urls."""

from __future__ import annotations

from django.http import HttpResponse
from django.urls import NoReverseMatch, URLResolver, get_resolver, include, path

from config.urls import urlpatterns as real_patterns

BASE_NAMES = [
    "home",
    "project-list",
    "project-create",
    "inbox",
    "notification-list",
    "login",
    "logout",
]


def _placeholder(request, *args, **kwargs):  # type: ignore[no-untyped-def]
    return HttpResponse("placeholder")


def _missing(names: list[str]) -> list[str]:
    resolver: URLResolver = get_resolver("config.urls")
    missing = []
    for name in names:
        try:
            resolver.reverse(name)
        except NoReverseMatch:
            missing.append(name)
    return missing


urlpatterns = [
    *real_patterns,
    # the money API, until config.urls mounts it under api/v1/
    *([path("api/v1/", include("projects.api_urls"))] if _missing(["api-funds"]) else []),
    *[path(f"__placeholder__/{name}/", _placeholder, name=name) for name in _missing(BASE_NAMES)],
]
