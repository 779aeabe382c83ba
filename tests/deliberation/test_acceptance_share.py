"""The acceptance rule is a community setting: accepted when MORE THAN the community's share of
the inspectors sign pass (default one half, the rule before it was a setting)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from deliberation import actions
from deliberation import execution as ex
from projects.models import Community, Project, State
from tests.conftest import new_project
from tests.projects.money_helpers import walk_to


def _three_inspectors_two_pass(
    community: Community, cast: dict[str, Any], make_resident: Any
) -> Project:
    project = walk_to(new_project(community, cast["resident"]), State.EXECUTING, cast)
    project = actions.act(
        project=project, name="deliver", by=cast["clerk"], params={"report": "24 盏灯已安装"}
    )
    reps = [make_resident("rep1"), make_resident("rep2")]
    ex.acceptance_name_representatives(project=project, by=cast["council"], users=reps)
    ex.acceptance_sign(project=project, by=cast["council"], passed=True)
    ex.acceptance_sign(project=project, by=reps[0], passed=True)
    ex.acceptance_sign(project=project, by=reps[1], passed=False, reasons="路灯偏暗")
    project.refresh_from_db()
    return project


@pytest.mark.django_db
def test_default_share_is_more_than_half_so_two_of_three_pass(
    community: Community, cast: dict[str, Any], make_resident: Any, fund: Any
) -> None:
    assert (community.acceptance_pass_numerator, community.acceptance_pass_denominator) == (1, 2)
    project = _three_inspectors_two_pass(community, cast, make_resident)
    assert project.state == State.EVALUATING


@pytest.mark.django_db
def test_a_two_thirds_community_fails_what_a_majority_community_passes(
    community: Community, cast: dict[str, Any], make_resident: Any, fund: Any
) -> None:
    community.acceptance_pass_numerator, community.acceptance_pass_denominator = 2, 3
    community.full_clean()
    community.save()
    project = _three_inspectors_two_pass(community, cast, make_resident)
    assert project.state == State.EXECUTING  # 2 of 3 is not MORE than two thirds
    last = project.events.filter(action="not_accepted").get()
    assert "路灯偏暗" in last.reason


@pytest.mark.django_db
def test_the_share_is_between_one_half_and_less_than_all(community: Community) -> None:
    community.acceptance_pass_numerator, community.acceptance_pass_denominator = 3, 3
    with pytest.raises(ValidationError) as err:
        community.full_clean()
    assert "acceptance_pass_numerator" in err.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        Community.objects.filter(pk=community.pk).update(
            acceptance_pass_numerator=1, acceptance_pass_denominator=3
        )


@pytest.mark.django_db
def test_the_acceptance_card_says_the_share_in_each_language(
    community: Community, cast: dict[str, Any], fund: Any, client_for: Any
) -> None:
    community.acceptance_pass_numerator, community.acceptance_pass_denominator = 2, 3
    community.save()
    project = walk_to(new_project(community, cast["resident"]), State.EXECUTING, cast)
    actions.act(project=project, name="deliver", by=cast["clerk"], params={"report": "已完工"})
    client = client_for(cast["council"])
    for lang, words in (("zh-hans", "三分之二"), ("zh-hant", "三分之二"), ("en", "two thirds")):
        page = client.get(f"/projects/{project.pk}/", HTTP_ACCEPT_LANGUAGE=lang).content.decode()
        assert words in page, lang
