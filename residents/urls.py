from django.urls import path

from residents import views

app_name = "residents"

urlpatterns = [
    path("residents/", views.home, name="home"),
    path("residents/declare/", views.declare, name="declare"),
    path("residents/staff/", views.staff, name="staff"),
    path("residents/memberships/<int:pk>/end/", views.membership_end, name="end"),
    path("residents/declarations/<int:pk>/approve/", views.approve, name="approve"),
    path("residents/declarations/<int:pk>/refuse/", views.refuse, name="refuse"),
    path("residents/declarations/<int:pk>/photo/", views.declaration_photo, name="photo"),
    path("residents/<slug:slug>/queue/", views.queue, name="queue"),
    path("residents/<slug:slug>/register/", views.register_upload, name="register"),
    path(
        "residents/<slug:slug>/register/<int:pk>/",
        views.register_preview,
        name="register-preview",
    ),
    path("residents/<slug:slug>/units/", views.units, name="units"),
]
