from django.urls import path, re_path

from opendata import views

urlpatterns = [
    path("open-data/", views.open_data, name="open-data"),
    path("open-data/live/", views.live_form, name="open-data-live-form"),
    path("open-data/live/<slug:slug>.<str:fmt>", views.live_export, name="open-data-live"),
    re_path(
        r"^open-data/(?P<day>\d{4}-\d{2}-\d{2})/(?P<name>(?:budget-ballots/)?[\w.-]+)$",
        views.snapshot_file,
        name="open-data-file",
    ),
]
