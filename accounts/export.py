"""Everything Yishi holds about a person (个人信息保护法: the right to a copy), as plain data.

Secret ballots are never in it: only that the person took part in a round (the participation
row), never what they chose — Yishi could not say anyway, the choices are stored apart.
Roll-call votes of the committee are public record and are listed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.apps import apps
from django.utils import timezone


def _t(value: datetime | None) -> str | None:
    return timezone.localtime(value).isoformat() if value else None


def _model(label: str) -> Any | None:
    try:
        return apps.get_model(label)
    except LookupError:
        return None


def _profile(user: Any) -> dict[str, Any]:
    """The account itself: username, name, email and when it joined and last signed in."""
    return {
        "username": user.username,
        "name": user.get_full_name(),
        "email": user.email,
        "date_joined": _t(user.date_joined),
        "last_login": _t(user.last_login),
        "has_password": user.has_usable_password(),
    }


def _phone(user: Any) -> dict[str, Any] | None:
    """The verified mobile number, if the account has one."""
    phone = getattr(user, "phone", None) if hasattr(user, "phone") else None
    return {"number": phone.number, "verified_at": _t(phone.verified_at)} if phone else None


def _memberships(user: Any) -> list[dict[str, Any]]:
    """Every role held, current or ended, with its community, place, grid and household."""
    from projects.models import Membership

    return [
        {
            "role": m.role,
            "role_label": str(m.get_role_display()),
            "community": m.community.name if m.community else None,
            "place": m.place.name if m.place else None,
            "grid": m.grid.name if m.grid else None,
            "household": m.household,
            "since": _t(m.created_at),
        }
        for m in Membership.objects.filter(user_id=user.pk).select_related(
            "community", "place", "grid"
        )
    ]


def _proposals(user: Any) -> list[dict[str, Any]]:
    """The projects the person proposed."""
    from projects.models import Project

    return [
        {
            "id": p.pk,
            "title": p.title,
            "summary": p.summary,
            "state": p.state,
            "community": p.community.name,
            "created_at": _t(p.created_at),
        }
        for p in Project.objects.filter(proposer_id=user.pk)
        .select_related("community")
        .order_by("pk")
    ]


def _comments(user: Any) -> list[dict[str, Any]]:
    """The comments the person wrote."""
    from projects.models import Comment

    return [
        {"project_id": c.project_id, "body": c.body, "created_at": _t(c.created_at)}
        for c in Comment.objects.filter(author_id=user.pk).order_by("pk")
    ]


def _notifications(user: Any) -> list[dict[str, Any]]:
    """The notifications the person was sent."""
    from notifications.models import Notification

    return [
        {
            "kind": n.kind,
            "text": n.text,
            "project_id": n.project_id,
            "created_at": _t(n.created_at),
            "read_at": _t(n.read_at),
        }
        for n in Notification.objects.filter(recipient_id=user.pk).order_by("pk")
    ]


def _preferences(user: Any) -> dict[str, Any]:
    """The person's language, large type and notification settings."""
    from notifications.models import LanguagePreference, NotificationPreference
    from projects.models import UserPreference

    return {
        "language": LanguagePreference.objects.filter(user_id=user.pk)
        .values_list("language", flat=True)
        .first(),
        "large_type": bool(
            UserPreference.objects.filter(user_id=user.pk, large_type=True).exists()
        ),
        "notifications": [
            {"kind": p.kind, "in_app": p.in_app, "email": p.email}
            for p in NotificationPreference.objects.filter(user_id=user.pk).order_by("kind")
        ],
    }


def _audit_events(user: Any) -> list[dict[str, Any]]:
    """The project audit events the person caused."""
    from projects.models import ProjectEvent

    return [
        {
            "project_id": e.project_id,
            "action": e.action,
            "from": e.source,
            "to": e.target,
            "reason": e.words,
            "amount": str(e.amount) if e.amount is not None else None,
            "at": _t(e.created_at),
        }
        for e in ProjectEvent.objects.filter(actor_id=user.pk).order_by("pk")
    ]


def personal_data(user: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "generated_at": _t(timezone.now()),
        "profile": _profile(user),
        "phone": _phone(user),
        "memberships": _memberships(user),
        "proposals": _proposals(user),
        "comments": _comments(user),
        "notifications": _notifications(user),
        "preferences": _preferences(user),
        "audit_events": _audit_events(user),
    }
    data.update(_deliberation(user))
    return data


def _deliberation(user: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    cosign = _model("deliberation.CoSign")
    if cosign is not None:
        out["cosigns"] = [
            {"project_id": c.project_id, "at": _t(c.created_at)}
            for c in cosign.objects.filter(user_id=user.pk).order_by("pk")
        ]
    objection = _model("deliberation.Objection")
    if objection is not None:
        out["objections"] = [
            {
                "project_id": o.project_id,
                "body": o.body,
                "status": o.status,
                "resolution": o.resolution,
                "at": _t(o.created_at),
            }
            for o in objection.objects.filter(author_id=user.pk).order_by("pk")
        ]
    vote = _model("deliberation.DecisionVote")
    if vote is not None:
        out["committee_votes"] = [
            {
                "project_id": v.decision.project_id,
                "motion": v.decision.motion,
                "choice": v.choice,
                "at": _t(v.created_at),
            }
            for v in vote.objects.filter(member_id=user.pk).select_related("decision")
        ]
    took_part: list[dict[str, Any]] = []
    evaluation = _model("deliberation.EvaluationParticipation")
    if evaluation is not None:
        took_part += [
            {"kind": "evaluation", "project_id": p.round.project_id, "round": p.round.number}
            for p in evaluation.objects.filter(voter_id=user.pk).select_related("round")
        ]
    ballot = _model("deliberation.BallotParticipation")
    if ballot is not None:
        took_part += [
            {"kind": "budget_ballot", "round_id": p.round_id, "round": p.round.title}
            for p in ballot.objects.filter(voter_id=user.pk).select_related("round")
        ]
    # that they voted, never how: secret ballots keep no link from a person to a choice
    out["secret_ballots_taken_part_in"] = took_part
    return out
