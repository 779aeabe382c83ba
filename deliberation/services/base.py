"""What the deliberation services share: the locked project, the shuffle of sealed ballots."""

from __future__ import annotations

from random import SystemRandom

from projects.models import Project

shuffle = SystemRandom().shuffle


def _lock(project: Project) -> Project:
    return Project.objects.select_for_update().select_related("community").get(pk=project.pk)
