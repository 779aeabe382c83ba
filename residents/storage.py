"""Private files: kept outside MEDIA_ROOT, never given a public URL, served only through a view
that checks who asks (``views.declaration_photo``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage


def private_root() -> Path:
    return Path(getattr(settings, "PRIVATE_MEDIA_ROOT", Path(settings.BASE_DIR) / "private"))


class PrivateStorage(FileSystemStorage):
    """A file system storage whose root is ``settings.PRIVATE_MEDIA_ROOT``, read on each use (a
    test's setting applies), and which has no URL."""

    @property
    def base_location(self) -> str:
        return str(private_root())

    @property
    def location(self) -> str:
        return os.path.abspath(self.base_location)

    def url(self, name: Any) -> str:
        raise ValueError("private files have no public URL")


_STORAGE = PrivateStorage()


def private_storage() -> PrivateStorage:
    return _STORAGE
