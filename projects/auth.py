"""Object permissions by community role, for viewflow task ownership.

``user.has_perm("projects.role_clerk", community)`` is true when the user holds the clerk role in
that community (a supervisor of a place holds ``role_supervisor`` in every community below it).
"""

from __future__ import annotations

from typing import Any

from projects.models import Community, Role

PREFIX = "projects.role_"


def role_perm(role: str) -> str:
    return f"{PREFIX}{role}"


class CommunityRoleBackend:
    def authenticate(self, request: Any, **credentials: Any) -> None:
        return None

    def has_perm(self, user: Any, perm: str, obj: Any = None) -> bool:
        if not getattr(user, "is_active", False) or not isinstance(obj, Community):
            return False
        if not perm.startswith(PREFIX):
            return False
        role = perm[len(PREFIX) :]
        if role not in Role.values:
            return False
        from projects.selectors import user_has_role

        return user_has_role(user, obj, role)
