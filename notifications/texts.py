"""Texts stored as what happened, shown in the reader's language.

A notification, a timeline note or a ledger memo is stored as a *code* and its *parameters*
(``Text("project.state", {"title": "…", "state": "screening"})``), never as a sentence in the
writer's language. When it is shown — a page, the inbox, a websocket push, an email — the code's
template is translated into the reader's language and filled in.

Parameter values are plain JSON. A parameter whose value needs translating too (a state, a
motion, a step) is shown through the formatter registered under its name; the apps that own those
names register them in their ``AppConfig.ready`` (notifications knows nothing of projects).
Timestamps are stored as ISO text under a name ending in ``_at`` (or ``when``) and shown in local
time.

Rows written before texts were stored this way keep their stored sentence: ``render`` falls back
to it when the row has no code or the code is unknown.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone, translation

# code -> the (lazy) gettext template with %(name)s placeholders, and the formatter of each
# parameter whose formatter is not named like the parameter itself
TEXTS: dict[str, tuple[Any, Mapping[str, str]]] = {}
# parameter name -> how its stored value is shown (in the active language)
FORMATTERS: dict[str, Callable[[Any], str]] = {}


@dataclass(frozen=True)
class Text:
    """What happened: a registered code and its JSON parameters."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)

    def render(self, language: str | None = None) -> str:
        return render(self.code, self.params, language=language)

    def __str__(self) -> str:
        return self.render()


def register_texts(texts: Mapping[str, Any]) -> None:
    """Register templates by code: a template, or ``(template, {param: formatter name})``.
    A code registered twice keeps the later template."""
    for code, entry in texts.items():
        TEXTS[code] = entry if isinstance(entry, tuple) else (entry, {})


def register_formatter(name: str, formatter: Callable[[Any], str]) -> None:
    FORMATTERS[name] = formatter


def _when(value: Any) -> str:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return moment.strftime("%Y-%m-%d %H:%M")


def _show(name: str, value: Any, formats: Mapping[str, str]) -> Any:
    formatter = FORMATTERS.get(formats.get(name, name))
    if formatter is not None:
        try:
            return formatter(value)
        except (KeyError, ValueError, TypeError):
            return value
    if (name.endswith("_at") or name == "when") and isinstance(value, str):
        return _when(value)
    return value


def supported(language: str | None) -> str:
    """A language the site offers (``settings.LANGUAGES``), else the site's default."""
    codes = {code for code, _name in settings.LANGUAGES}
    return language if language in codes else settings.LANGUAGE_CODE


def render(
    code: str,
    params: Mapping[str, Any] | None,
    *,
    fallback: str = "",
    language: str | None = None,
) -> str:
    """The text ``code`` with ``params`` in ``language`` (default: the active language).

    An unknown code, missing parameters (``None``) or a template that does not fit its parameters
    give ``fallback`` — the sentence stored with rows written before codes existed."""
    entry = TEXTS.get(code)
    if entry is None or params is None:
        return fallback
    template, formats = entry
    scope = translation.override(supported(language)) if language else nullcontext()
    with scope:
        values = {k: _show(k, v, formats) for k, v in params.items()}
        try:
            return str(template) % values
        except (KeyError, TypeError, ValueError):
            return fallback or str(template)


def iso(moment: datetime) -> str:
    """A timestamp as stored in parameters (``…_at``)."""
    return moment.isoformat()
