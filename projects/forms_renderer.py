"""Form rendering: Django's own templates, except the error list (templates/django/forms/...)."""

from __future__ import annotations

from django.forms.renderers import TemplatesSetting


class YishiFormRenderer(TemplatesSetting):
    """Looks templates up through ``TEMPLATES`` (so templates/django/forms/ overrides win) and
    falls back to Django's built-in form templates."""
