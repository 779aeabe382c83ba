"""Issue 15, finding 2: uploads stored re-encoded under a name the server chose from the detected
format; nosniff on every response (media included) and a Content-Security-Policy on every page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image
from rest_framework.test import APIClient

from projects import uploads
from projects.errors import Invalid
from projects.models import ProjectPhoto
from tests.security.helpers import image_bytes

pytestmark = pytest.mark.django_db

GOOD = {
    "community": "xingfu",
    "title": "楼道照明改造",
    "summary": "3号楼楼道灯坏了半年，晚上很危险。",
}
SCRIPT = b"<script>alert(document.cookie)</script>"


def propose_with(cast: dict[str, Any], upload: SimpleUploadedFile) -> Any:
    c = APIClient()
    c.force_authenticate(cast["resident"])
    return c.post("/api/v1/projects/", {**GOOD, "photos": [upload]}, format="multipart")


@pytest.mark.parametrize(
    ("name", "data", "ext"),
    [
        ("x.html", image_bytes("GIF") + SCRIPT, "gif"),  # a GIF with a script after its trailer
        ("x.svg", image_bytes("PNG"), "png"),
        ("x.php.jpg", image_bytes("WEBP"), "webp"),
        ("noextension", image_bytes("JPEG"), "jpg"),
        ("x.gif", image_bytes("JPEG") + SCRIPT, "jpg"),
    ],
    ids=["gif-as-html", "png-as-svg", "webp-as-php-jpg", "jpeg-no-extension", "jpeg-as-gif"],
)
def test_photo_is_stored_reencoded_under_the_detected_format(
    cast: dict[str, Any], name: str, data: bytes, ext: str
) -> None:
    r = propose_with(cast, SimpleUploadedFile(name, data, content_type="image/gif"))
    assert r.status_code == 201, r.content
    photo = ProjectPhoto.objects.get()
    assert photo.image.name.endswith(f".{ext}"), photo.image.name
    assert Path(name).stem not in Path(photo.image.name).name
    stored = Path(settings.MEDIA_ROOT, photo.image.name).read_bytes()
    assert b"<script" not in stored
    with Image.open(Path(settings.MEDIA_ROOT, photo.image.name)) as img:
        assert img.size == (8, 8)


def test_photo_location_metadata_is_not_kept(cast: dict[str, Any]) -> None:
    exif = Image.Exif()
    exif[0x010F] = "SecretPhoneMaker"  # Make
    data = image_bytes("JPEG", exif=exif.tobytes())
    assert b"SecretPhoneMaker" in data
    r = propose_with(cast, SimpleUploadedFile("p.jpg", data, content_type="image/jpeg"))
    assert r.status_code == 201
    stored = Path(settings.MEDIA_ROOT, ProjectPhoto.objects.get().image.name).read_bytes()
    assert b"SecretPhoneMaker" not in stored


def test_html_is_not_a_photo(cast: dict[str, Any]) -> None:
    r = propose_with(
        cast, SimpleUploadedFile("x.gif", b"<html>" + SCRIPT, content_type="image/gif")
    )
    assert r.status_code == 400
    assert not ProjectPhoto.objects.exists()


def test_receipt_is_reencoded_and_named_from_its_content() -> None:
    upload = SimpleUploadedFile("r.html", image_bytes("PNG") + SCRIPT, content_type="text/html")
    cleaned = uploads.clean_receipt(upload)
    assert cleaned.name == "receipt.png"
    assert SCRIPT not in cleaned.read()
    pdf = uploads.clean_receipt(SimpleUploadedFile("r.svg", b"%PDF-1.4\n%%EOF\n"))
    assert pdf.name == "receipt.pdf"
    with pytest.raises(Invalid):
        uploads.clean_receipt(SimpleUploadedFile("r.png", b"<svg onload=alert(1)>"))


def test_stored_name_ignores_the_client_name() -> None:
    f = SimpleUploadedFile("evil.html", image_bytes("PNG"))
    name = uploads.stored_name("projects/1", f, default="bin")
    assert name.startswith("projects/1/") and name.endswith(".png") and "evil" not in name
    junk = SimpleUploadedFile("evil.html", b"<html></html>")
    assert uploads.stored_name("projects/1", junk, default="bin").endswith(".bin")


# --- headers -----------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/", "/projects/", "/accounts/login/", "/api/v1/projects/"])
def test_every_page_has_nosniff_and_a_restrictive_csp(path: str) -> None:
    r = Client().get(path)
    assert r.status_code == 200
    assert r["X-Content-Type-Options"] == "nosniff"
    policy = r["Content-Security-Policy"]
    directives = {d.split()[0]: d.split()[1:] for d in policy.split(";") if d.strip()}
    assert directives["default-src"] == ["'self'"]
    assert "'unsafe-inline'" not in directives["script-src"]
    assert "'unsafe-eval'" not in directives["script-src"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]


def test_page_has_no_inline_handler_and_inline_scripts_carry_the_nonce(
    cast: dict[str, Any],
) -> None:
    r = Client().get("/")
    html = r.content.decode()
    assert "onchange=" not in html and "onclick=" not in html
    import re

    nonce = re.search(r"'nonce-([^']+)'", r["Content-Security-Policy"])
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag or (nonce and f'nonce="{nonce.group(1)}"' in tag), tag


def test_uploaded_media_is_served_with_nosniff(cast: dict[str, Any], settings: Any) -> None:
    r = propose_with(cast, SimpleUploadedFile("p.png", image_bytes("PNG")))
    assert r.status_code == 201
    name = ProjectPhoto.objects.get().image.name
    settings.ROOT_URLCONF = "tests.security.media_urlconf"
    media = Client().get(f"/media/{name}")
    assert media.status_code == 200
    assert media["X-Content-Type-Options"] == "nosniff"
    assert media["Content-Type"] == "image/png"
