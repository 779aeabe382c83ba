"""The public screen (大屏) and the supervisors' overdue list; included at "" by config/urls.py."""

from django.urls import path

from deliberation import screen

urlpatterns = [
    path("screen/<slug:slug>/", screen.screen, name="screen"),
    path("screen/<slug:slug>/snapshot/", screen.screen_snapshot, name="screen-snapshot"),
    path("supervision/overdue/", screen.overdue_list, name="supervision-overdue"),
]
