"""Notification texts of residency (stored as a kind + params, shown in the reader's language)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from notifications.texts import register_texts

TEXTS: dict[str, Any] = {
    "residency.declared": _("%(name)s 申请登记为%(community)s居民（%(address)s），请核验"),
    "residency.approved": _("您在%(community)s的居住登记已核验通过，现在可以附议、提议和投票"),
    "residency.refused": _("您在%(community)s的居住登记未通过：%(reason)s"),
    "residency.ended": _("您在%(community)s的居民身份已终止：%(reason)s"),
    "residency.verified": _("您的手机号在%(community)s户籍名册中，居民身份已核验"),
}


def register() -> None:
    register_texts(TEXTS)
