"""Uploaded files: what is accepted, how it is re-encoded, and the name it is stored under.

One helper for project photos and receipts. An image is decoded (within a pixel limit, so a
small file that inflates to gigabytes is a clear 400, not a 500 or a dead worker) and written
again by Pillow in its own format: whatever was appended to or hidden in the upload (a
``<script>`` after a GIF's trailer, EXIF with the phone's location) is not stored. The stored
name is chosen by the server from the DETECTED format (``.jpg`` / ``.png`` / ``.gif`` /
``.webp`` / ``.pdf``), never from the client's file name, and media is served with
``X-Content-Type-Options: nosniff`` (``SecurityMiddleware``), so nothing uploaded is ever served
as HTML or SVG.
"""

from __future__ import annotations

import io
import uuid
import warnings
from typing import IO, Any

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from projects.errors import Invalid

# Detected Pillow format → the extension it is stored under.
IMAGE_FORMATS = {"JPEG": "jpg", "PNG": "png", "GIF": "gif", "WEBP": "webp"}
# 40 million pixels: a 48-megapixel phone photo is refused, a 7000 × 5000 one is not. Decoding
# one costs width × height × 4 bytes at most (160 MB), whatever the file's size.
MAX_PIXELS = 40_000_000
MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_RECEIPT_BYTES = 10 * 1024 * 1024


def _reencode(
    upload: IO[bytes], *, field: str, formats_message: str, not_image: Invalid | None = None
) -> tuple[bytes, str]:
    """Decode ``upload`` (first frame) within :data:`MAX_PIXELS` and encode it again in its own
    format; ``(bytes, extension)``."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        upload.seek(0)
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload) as img:
                fmt = (img.format or "").upper()
                if fmt not in IMAGE_FORMATS:
                    raise Invalid(formats_message, errors={field: [_("格式不支持")]})
                width, height = img.size
                if width * height > MAX_PIXELS:
                    raise _too_many_pixels(field)
                img.seek(0)
                img.load()
                frame = ImageOps.exif_transpose(img) if fmt == "JPEG" else img.copy()
    except Invalid:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(field) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        if not_image is not None:
            raise not_image from None
        raise Invalid(_("上传的文件不是有效的图片"), errors={field: [_("不是图片")]}) from None
    finally:
        upload.seek(0)
    out = io.BytesIO()
    options: dict[str, Any] = {}
    if fmt == "JPEG":
        options = {"quality": 90}
        if frame.mode not in {"RGB", "L", "CMYK"}:
            frame = frame.convert("RGB")
    elif fmt == "WEBP" and frame.mode not in {"RGB", "RGBA"}:
        frame = frame.convert("RGBA")
    elif fmt == "GIF" and frame.mode not in {"P", "L"}:
        frame = frame.convert("P")
    try:
        frame.save(out, format=fmt, **options)  # no exif= / icc: metadata is not carried over
    except (OSError, ValueError):
        out = io.BytesIO()
        frame.convert("RGBA" if fmt in {"PNG", "WEBP"} else "RGB").save(out, format=fmt, **options)
    return out.getvalue(), IMAGE_FORMATS[fmt]


def _too_many_pixels(field: str) -> Invalid:
    return Invalid(
        _("图片像素过多（最多 %(mp)d 百万像素）") % {"mp": MAX_PIXELS // 1_000_000},
        errors={field: [_("像素过多")]},
    )


def clean_photo(upload: UploadedFile, *, field: str = "photos") -> ContentFile[bytes]:
    """A project photo: a JPEG, PNG, GIF or WebP image within 5 MB and :data:`MAX_PIXELS`,
    re-encoded; the returned file is named ``photo.<detected extension>``."""
    if upload.size is not None and upload.size > MAX_PHOTO_BYTES:
        raise Invalid(_("照片不能超过 5 MB"), errors={field: [_("文件过大")]})
    data, ext = _reencode(
        upload, field=field, formats_message=_("只能上传 JPEG、PNG、GIF 或 WebP 图片")
    )
    return ContentFile(data, name=f"photo.{ext}")


def clean_receipt(upload: UploadedFile, *, field: str = "receipt") -> ContentFile[bytes]:
    """A receipt: a PDF, or a JPEG/PNG/GIF/WebP image (re-encoded), within 10 MB; the returned
    file is named ``receipt.<detected extension>``."""
    size = upload.size or 0
    if size > MAX_RECEIPT_BYTES:
        raise Invalid(
            _("票据文件不能超过 %(mb)d MB") % {"mb": MAX_RECEIPT_BYTES // (1024 * 1024)},
            errors={field: [_("文件过大")]},
        )
    if size == 0:
        raise Invalid(_("票据文件是空的"), errors={field: [_("文件为空")]})
    formats = _("票据只能是 JPEG、PNG、GIF、WebP 图片或 PDF 文件")
    upload.seek(0)
    head = upload.read(1024)
    upload.seek(0)
    if head.lstrip()[:5] == b"%PDF-":
        return ContentFile(upload.read(), name="receipt.pdf")
    unsupported = Invalid(formats, errors={field: [_("格式不支持")]})
    data, ext = _reencode(upload, field=field, formats_message=formats, not_image=unsupported)
    return ContentFile(data, name=f"receipt.{ext}")


def detected_extension(file: Any, *, default: str) -> str:
    """The extension for ``file``'s content: ``pdf`` for a PDF, the image format's for an image
    Pillow recognises (:data:`IMAGE_FORMATS`), else ``default``. The file name is not read."""
    from PIL import Image

    try:
        file.seek(0)
        head = file.read(1024)
        file.seek(0)
        if isinstance(head, bytes) and head.lstrip()[:5] == b"%PDF-":
            return "pdf"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(file) as img:
                return IMAGE_FORMATS.get((img.format or "").upper(), default)
    except Exception:  # anything unreadable gets the neutral default
        return default
    finally:
        try:
            file.seek(0)
        except Exception:  # noqa: S110
            pass


def stored_name(prefix: str, file: Any, *, default: str) -> str:
    """``<prefix>/<random>.<detected extension>``: an unguessable name the server chose."""
    return f"{prefix}/{uuid.uuid4().hex}.{detected_extension(file, default=default)}"
