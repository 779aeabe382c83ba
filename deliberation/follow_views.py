"""关注 / 取消关注: who hears of a project's progress besides its proposer and co-signers."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from projects import services as project_services
from projects.selectors import projects_visible_to


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@login_required
@require_POST
def project_follow(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_object_or_404(projects_visible_to(user=request.user), pk=pk)
    project_services.project_follow(project=project, user=_user(request))
    messages.success(request, _("已关注：项目有进展时会通知您"))
    return redirect("project-detail", pk=project.pk)


@login_required
@require_POST
def project_unfollow(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_object_or_404(projects_visible_to(user=request.user), pk=pk)
    project_services.project_unfollow(project=project, user=_user(request))
    messages.success(request, _("已取消关注：不再通知您这个项目的进展"))
    return redirect("project-detail", pk=project.pk)
