"""Residency API, mounted by config.urls under ``api/v1/``."""

from django.urls import path

from residents import api

urlpatterns = [
    path("declarations/", api.DeclarationList.as_view(), name="api-declarations"),
    path("declarations/queue/", api.DeclarationQueue.as_view(), name="api-declaration-queue"),
    path("declarations/<int:pk>/", api.DeclarationDetail.as_view(), name="api-declaration"),
    path(
        "declarations/<int:pk>/approve/",
        api.DeclarationApprove.as_view(),
        name="api-declaration-approve",
    ),
    path(
        "declarations/<int:pk>/refuse/",
        api.DeclarationRefuse.as_view(),
        name="api-declaration-refuse",
    ),
    path("memberships/", api.MembershipList.as_view(), name="api-memberships"),
    path("memberships/<int:pk>/end/", api.MembershipEnd.as_view(), name="api-membership-end"),
    path(
        "memberships/<int:pk>/household/",
        api.MembershipHousehold.as_view(),
        name="api-membership-household",
    ),
]
