"""What a person hears and must do: the follow button's state and the votes waiting for them."""

from __future__ import annotations

from typing import Any

from django import template

from deliberation.my_votes import votes_waiting_for
from projects.models import ProjectFollower

register = template.Library()


@register.simple_tag(takes_context=True)
def follow_state(context: Any, project: Any) -> dict[str, bool]:
    """``following``: the user hears of this project's progress; ``is_proposer``: they always do."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"following": False, "is_proposer": False, "can_follow": False}
    return {
        "following": ProjectFollower.objects.filter(project=project, user_id=user.pk).exists(),
        "is_proposer": project.proposer_id == user.pk,
        "can_follow": True,
    }


@register.inclusion_tag("deliberation/_my_votes.html", takes_context=True)
def my_votes(context: Any) -> dict[str, Any]:
    request = context.get("request")
    return {"votes": votes_waiting_for(getattr(request, "user", None)), "request": request}
