from __future__ import annotations

from typing import Any

from django import template
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.simple_tag(takes_context=True)
def panel(context: Any, name: str) -> SafeString:
    """Render an app's panel template if that app provides it (money, roll-call, ballots)."""
    try:
        tpl = get_template(name)
    except TemplateDoesNotExist:
        return mark_safe("")
    return mark_safe(tpl.render(context.flatten(), context.get("request")))  # noqa: S308 - a rendered template


@register.filter
def pct(value: Any) -> str:
    try:
        return f"{float(value) * 100:.1f}%"
    except (TypeError, ValueError):
        return "—"
