import os

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/v1/", include("deliberation.api_urls")),
    path("api/v1/", include("deliberation.vote_api_urls")),
    path("api/v1/", include("projects.api_urls")),
    path("", include("notifications.urls")),
    path("", include("projects.urls")),
    path("", include("deliberation.urls")),
    path("", include("deliberation.vote_urls")),
    path("", include("deliberation.screen_urls")),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

if (
    os.environ.get("YISHI_BENCH_ENDPOINTS") == "1"
):  # the bare endpoint bench/bench_votes_http.py compares with
    from deliberation import bench_views

    urlpatterns += [path("bench/ok/", bench_views.ok, name="bench-ok")]
