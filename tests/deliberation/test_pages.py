"""The pages as people use them: a resident proposes with a photo, co-signs, evaluates; staff act
from their inbox; the public reads without logging in."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from deliberation import services, workflow
from projects.models import Project, ProjectPhoto, State
from tests.conftest import new_project

pytestmark = pytest.mark.django_db


def jpeg() -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), "blue").save(buf, "JPEG")
    return SimpleUploadedFile("lamp.jpg", buf.getvalue(), content_type="image/jpeg")


def test_resident_proposes_with_photo_from_the_form(cast: dict[str, Any], client_for: Any) -> None:
    c = client_for(cast["resident"])
    assert c.get("/projects/new/").status_code == 200
    r = c.post(
        "/projects/new/",
        {
            "title": "单元门禁维修",
            "summary": "2单元门禁坏了一个月，陌生人随意进出。",
            "category": "safety",
            "location": "2单元",
            "photos": [jpeg()],
            "submit_now": "on",
        },
    )
    assert r.status_code == 302
    p = Project.objects.get()
    assert p.state == State.COLLECTING and ProjectPhoto.objects.filter(project=p).count() == 1
    page = c.get(r["Location"]).content.decode()
    assert "单元门禁维修" in page and "<img" in page and "提交征集附议" in page


def test_form_errors_are_shown_and_nothing_saved(cast: dict[str, Any], client_for: Any) -> None:
    r = client_for(cast["resident"]).post(
        "/projects/new/", {"title": "", "summary": "短", "category": "other"}
    )
    assert r.status_code == 400
    assert "errorlist" in r.content.decode()
    assert not Project.objects.exists()


def test_non_image_upload_on_the_form_is_refused(cast: dict[str, Any], client_for: Any) -> None:
    bad = SimpleUploadedFile("x.jpg", b"MZ\x90\x00 executable", content_type="image/jpeg")
    r = client_for(cast["resident"]).post(
        "/projects/new/",
        {
            "title": "单元门禁维修",
            "summary": "2单元门禁坏了一个月。",
            "category": "safety",
            "photos": [bad],
        },
    )
    assert r.status_code == 400 and not Project.objects.exists()


def test_public_reads_without_login(cast: dict[str, Any], community: Any) -> None:
    public = new_project(community, cast["resident"], submit=True, title="公开的提议")
    draft = new_project(community, cast["resident"], title="还没提交的草稿")
    anon = Client()
    listing = anon.get("/projects/").content.decode()
    assert "公开的提议" in listing and "还没提交的草稿" not in listing
    assert anon.get(f"/projects/{public.pk}/").status_code == 200
    assert anon.get(f"/projects/{draft.pk}/").status_code == 404
    assert anon.get("/").status_code == 200


def test_search_finds_by_title_and_location(cast: dict[str, Any], community: Any) -> None:
    new_project(community, cast["resident"], submit=True, title="东门路灯", location="东门")
    new_project(community, cast["resident"], submit=True, title="花园长椅", location="中心花园")
    page = Client().get("/projects/", {"q": "花园"}).content.decode()
    assert "花园长椅" in page and "东门路灯" not in page
    page = (
        Client().get("/projects/", {"state": "collecting", "community": "xingfu"}).content.decode()
    )
    assert "花园长椅" in page and "东门路灯" in page


def test_cosign_button_moves_proposal_to_screening_and_into_clerk_inbox(
    cast: dict[str, Any], community: Any, make_resident: Any, client_for: Any
) -> None:
    p = new_project(community, cast["resident"], submit=True)
    for _ in range(community.cosign_threshold):
        r = client_for(make_resident()).post(f"/projects/{p.pk}/cosign/")
        assert r.status_code == 302
    p.refresh_from_db()
    assert p.state == State.SCREENING
    inbox = client_for(cast["clerk"]).get("/inbox/").content.decode()
    assert p.title in inbox and "初审提议" in inbox


def test_clerk_acts_from_the_project_page(
    cast: dict[str, Any], community: Any, client_for: Any
) -> None:
    p = new_project(community, cast["resident"], submit=True)
    Project.objects.filter(pk=p.pk).update(state=State.SCREENING)
    c = client_for(cast["clerk"])
    page = c.get(f"/projects/{p.pk}/").content.decode()
    assert f"/projects/{p.pk}/act/accept/" in page and f"/projects/{p.pk}/act/reject/" in page
    # Rejecting needs a reason: refused with the message, nothing changed.
    r = c.post(f"/projects/{p.pk}/act/reject/", {"reason": ""})
    assert r.status_code == 400 and "请填写理由" in r.content.decode()
    r = c.post(f"/projects/{p.pk}/act/reject/", {"reason": "不属于公益事业"})
    assert r.status_code == 302
    p.refresh_from_db()
    assert p.state == State.REJECTED
    timeline = Client().get(f"/projects/{p.pk}/").content.decode()
    assert "不属于公益事业" in timeline and "clerk" in timeline


def test_resident_sees_no_staff_actions_and_cannot_post_them(
    cast: dict[str, Any], community: Any, client_for: Any
) -> None:
    p = new_project(community, cast["resident"], submit=True)
    Project.objects.filter(pk=p.pk).update(state=State.SCREENING)
    c = client_for(cast["resident"])
    assert "/act/accept/" not in c.get(f"/projects/{p.pk}/").content.decode()
    assert c.post(f"/projects/{p.pk}/act/accept/").status_code == 403
    p.refresh_from_db()
    assert p.state == State.SCREENING


def test_evaluation_buttons_and_secret_choice(
    cast: dict[str, Any], community: Any, client_for: Any
) -> None:
    p = new_project(community, cast["resident"])
    Project.objects.filter(pk=p.pk).update(state=State.EVALUATING)
    p.refresh_from_db()
    workflow.sync(p, cast["clerk"])  # opens the round
    c = client_for(cast["resident"])
    assert "basically_satisfied" in c.get(f"/projects/{p.pk}/").content.decode()
    assert (
        c.post(f"/projects/{p.pk}/evaluate/", {"choice": "basically_satisfied"}).status_code == 302
    )
    page = c.get(f"/projects/{p.pk}/").content.decode()
    assert "您已参加本轮评议" in page
    rnd = p.evaluation_rounds.get()
    # one ballot waits in the sealing pool: the public tally moves only in batches of k
    assert services.evaluation_tally(rnd).votes == 0
    assert c.post(f"/projects/{p.pk}/evaluate/", {"choice": "satisfied"}).status_code == 400
    services.evaluation_seal(rnd, everything=True)
    assert services.evaluation_tally(rnd).basically_satisfied == 1


def test_language_switch_to_english(cast: dict[str, Any]) -> None:
    c = Client()
    c.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = c.get("/projects/").content.decode()
    assert 'lang="en"' in page
