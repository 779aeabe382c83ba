import os

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.templatetags.static import static as static_url
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import views as account_views
from notifications import views as notification_views

urlpatterns = [
    path(
        "favicon.ico", RedirectView.as_view(url=static_url("favicon/favicon.ico"), permanent=True)
    ),
    # Django's language switch, which also remembers a logged-in user's choice (their emails).
    path("i18n/setlang/", notification_views.set_language, name="set_language"),
    path("", include("ops.urls")),  # /healthz, /readyz
    path("admin/", admin.site.urls),
    path("accounts/login/", account_views.PasswordLoginView.as_view(), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("account/", include("accounts.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # the split view serves its script as a file: no inline script under the CSP
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("api/v1/", include("deliberation.api_urls")),
    path("api/v1/", include("deliberation.vote_api_urls")),
    path("api/v1/", include("deliberation.execution_api_urls")),
    path("api/v1/", include("projects.api_urls")),
    path("api/v1/", include("meetings.api_urls")),
    path("api/v1/", include("residents.api_urls")),
    path("", include("notifications.urls")),
    path("", include("projects.urls")),
    path("", include("deliberation.urls")),
    path("", include("deliberation.execution_urls")),
    path("", include("deliberation.vote_urls")),
    path("", include("deliberation.screen_urls")),
    path("", include("opendata.urls")),
    path("", include("dashboards.urls")),
    path("", include("meetings.urls")),
    path("", include("residents.urls")),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

if (
    os.environ.get("YISHI_BENCH_ENDPOINTS") == "1"
):  # the bare endpoint bench/bench_votes_http.py compares with
    from deliberation import bench_views

    urlpatterns += [path("bench/ok/", bench_views.ok, name="bench-ok")]

# Under /api/ the error answers are JSON too (projects/error_views.py).
handler400 = "projects.error_views.bad_request"
handler403 = "projects.error_views.forbidden"
handler404 = "projects.error_views.not_found"
handler500 = "projects.error_views.server_error"
