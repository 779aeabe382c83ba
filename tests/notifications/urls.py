"""The project's URLs plus the screen's, until config/urls.py includes ``deliberation.screen_urls``
(then this adds nothing)."""

from django.urls import include, path

from config.urls import urlpatterns as project_urlpatterns

_included = any(getattr(p, "urlconf_name", None) == "deliberation.screen_urls" for p in project_urlpatterns)
urlpatterns = list(project_urlpatterns)
if not _included:
    urlpatterns.append(path("", include("deliberation.screen_urls")))
