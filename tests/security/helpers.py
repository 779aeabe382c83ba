"""Crafted files and requests shared by the security tests."""

from __future__ import annotations

import io
import struct
import zlib
from typing import Any

from django.test import Client
from PIL import Image
from rest_framework.authtoken.models import Token


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` × ``height`` (1-bit grey) with almost no data: Pillow reads
    its size from the header alone, as an attacker's 389 KB "bomb" would present itself."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(row * 4))
        + chunk(b"IEND", b"")
    )


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (8, 8), **save: Any) -> bytes:
    buf = io.BytesIO()
    mode = "P" if fmt == "GIF" else "RGB"
    Image.new(mode, size, 1 if mode == "P" else "red").save(buf, fmt, **save)
    return buf.getvalue()


def token_client(user: Any) -> tuple[Client, str]:
    """A plain client and the ``Authorization`` header value of a real API token of ``user``."""
    token, _ = Token.objects.get_or_create(user=user)
    return Client(), f"Token {token.key}"


def nested_json(depth: int) -> str:
    return "[" * depth + "]" * depth
