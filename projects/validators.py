"""Text that must be readable as it is shown: no invisible-only titles, no bidi overrides.

A title of zero-width characters looks empty in every list; a right-to-left override
(U+202E) makes a title read differently from what it holds ("‮evitcA" shows as "Active").
"""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

# Embeddings, overrides and isolates (the marks LRM/RLM/ALM stay allowed: they only nudge).
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def visible_length(text: str) -> int:
    """Characters that show: neither format characters (zero-width, bidi, BOM), controls, nor
    whitespace."""
    return sum(
        1 for ch in text if not ch.isspace() and unicodedata.category(ch) not in {"Cf", "Cc"}
    )


@deconstructible
class VisibleText:
    """At least ``min_visible`` visible characters and no bidi embedding/override/isolate."""

    def __init__(self, min_visible: int = 1) -> None:
        self.min_visible = min_visible

    def __call__(self, value: str) -> None:
        if any(ch in BIDI_CONTROLS for ch in value):
            raise ValidationError(_("不能含有改变文字方向的控制字符"), code="bidi")
        if visible_length(value) < self.min_visible:
            raise ValidationError(
                _("至少要有 %(n)d 个可见字符"), code="invisible", params={"n": self.min_visible}
            )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, VisibleText) and other.min_visible == self.min_visible

    def __hash__(self) -> int:
        return hash(self.min_visible)
