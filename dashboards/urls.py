from django.urls import path

from dashboards import views

urlpatterns = [
    path("places/", views.place_top, name="place-top"),
    path("places/<int:pk>/", views.place_dashboard, name="place-dashboard"),
    path("places/<int:pk>/<slug:table>.csv", views.place_csv, name="place-csv"),
]
