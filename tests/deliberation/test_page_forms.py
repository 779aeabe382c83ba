"""The page forms of the project page (objection, its resolution, comment, evaluation) validate
with the model's own rules: bad input shows the form's translated error and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation

from deliberation import services
from deliberation.forms import CommentForm, EvaluationForm, ObjectionForm, ObjectionResolveForm
from deliberation.models import EvaluationParticipation, EvaluationPooledBallot, Objection
from projects.models import Comment, Project

pytestmark = pytest.mark.usefixtures("vote_urls")


def expected(form_class: Any, data: dict[str, str], field: str, language: str) -> str:
    """The message the form itself gives for ``field``, in ``language``."""
    with translation.override(language):
        return str(form_class(data).errors[field][0])


def post(client: Any, url: str, data: dict[str, str], language: str) -> Any:
    return client.post(url, data, HTTP_ACCEPT_LANGUAGE=language)


LANGUAGES = ["zh-hans", "en"]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("body", ["   ", "异" * 2001])
def test_a_bad_objection_shows_the_forms_error_and_files_nothing(
    project_in: Any, cast: dict[str, Any], client_for: Any, language: str, body: str
) -> None:
    p: Project = project_in("publicizing")
    r = post(
        client_for(cast["resident"]), f"/projects/{p.pk}/objections/", {"body": body}, language
    )
    assert r.status_code == 400
    assert expected(ObjectionForm, {"body": body}, "body", language) in r.content.decode()
    assert not Objection.objects.exists()
    p.refresh_from_db()
    assert not p.has_pending_objection


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"uphold": "1", "resolution": "  "}, "resolution"),
        ({"uphold": "0", "resolution": "理" * 2001}, "resolution"),
        ({"resolution": "经核实不成立"}, "uphold"),
        ({"uphold": "maybe", "resolution": "经核实不成立"}, "uphold"),
    ],
)
def test_a_bad_resolution_shows_the_forms_error_and_resolves_nothing(
    project_in: Any,
    cast: dict[str, Any],
    client_for: Any,
    language: str,
    data: dict[str, str],
    field: str,
) -> None:
    p = project_in("publicizing")
    objection = services.objection_file(project=p, by=cast["resident"], body="预算偏高")
    r = post(client_for(cast["committee"]), f"/objections/{objection.pk}/resolve/", data, language)
    assert r.status_code == 400
    assert expected(ObjectionResolveForm, data, field, language) in r.content.decode()
    objection.refresh_from_db()
    assert objection.status == Objection.Status.PENDING
    assert Project.objects.get(pk=p.pk).state == "publicizing"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("body", ["  ", "评" * 2001])
def test_a_bad_comment_shows_the_forms_error_and_posts_nothing(
    project_in: Any, cast: dict[str, Any], client_for: Any, language: str, body: str
) -> None:
    p = project_in("executing")
    r = post(client_for(cast["resident"]), f"/projects/{p.pk}/comments/", {"body": body}, language)
    assert r.status_code == 400
    assert expected(CommentForm, {"body": body}, "body", language) in r.content.decode()
    assert not Comment.objects.exists()


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"choice": "so-so"}, "choice"),
        ({}, "choice"),
        ({"choice": "satisfied", "comment": "意" * 501}, "comment"),
    ],
)
def test_a_bad_evaluation_shows_the_forms_error_and_counts_nothing(
    project_in: Any,
    make_resident: Any,
    client_for: Any,
    language: str,
    data: dict[str, str],
    field: str,
) -> None:
    voter = make_resident()
    p = project_in("evaluating")
    services.evaluation_open_round(project=p)
    r = post(client_for(voter), f"/projects/{p.pk}/evaluate/", data, language)
    assert r.status_code == 400
    assert expected(EvaluationForm, data, field, language) in r.content.decode()
    assert not EvaluationParticipation.objects.exists()
    assert not EvaluationPooledBallot.objects.exists()


def test_the_page_forms_take_their_limits_from_the_models() -> None:
    assert ObjectionForm().fields["body"].max_length == Objection._meta.get_field("body").max_length  # type: ignore[attr-defined]
    assert CommentForm().fields["body"].max_length == Comment._meta.get_field("body").max_length  # type: ignore[attr-defined]
    assert EvaluationForm().fields["comment"].max_length == 500  # type: ignore[attr-defined]
    assert ObjectionResolveForm().fields["resolution"].required
