"""A community's rules: anyone reads them, the street's supervisors change them on a page, every
change is on the record with who, when and why, and a bad value changes nothing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from projects import community_rules as rules
from projects.errors import Forbidden, Invalid
from projects.models import Community, Street
from tests.conftest import add_role, make_user

pytestmark = pytest.mark.django_db


def _posted(community: Community, **over: Any) -> dict[str, Any]:
    """The form as the page shows it (shares in %), with ``over`` changed."""
    data: dict[str, Any] = {}
    for name in rules.RULE_FIELDS:
        value = getattr(community, name)
        if name in rules.PERCENT_FIELDS:
            value = value * 100
        if isinstance(value, bool):
            if value:
                data[name] = "on"
            continue
        data[name] = "" if value is None else str(value)
    data.update(over)
    return data


def test_anyone_reads_the_rules_in_words_and_percentages(community: Community) -> None:
    html = Client().get(f"/communities/{community.slug}/rules/").content.decode()
    assert "幸福社区议事规则" in html
    assert "附议人数门槛" in html and '<td class="num">3</td>' in html
    assert "80 %" in html and "20 %" in html  # pass rate and turnout, not 0.800
    assert "三分之二" in html and "二分之一" in html  # quorum and acceptance share in words
    assert 'id="rules-form"' not in html  # read only
    assert "规则自设立以来未修改过" in html


def test_the_supervisor_changes_rules_on_the_page_and_the_record_says_who_and_why(
    community: Community, cast: dict[str, Any], client_for: Any
) -> None:
    client = client_for(cast["supervisor"])
    page = client.get(f"/communities/{community.slug}/rules/").content.decode()
    assert 'id="rules-form"' in page and 'value="80"' in page
    answer = client.post(
        f"/communities/{community.slug}/rules/",
        _posted(community, hearing_amount="50000", pass_rate="75", reason="居民议事会讨论通过"),
    )
    assert answer.status_code == 302
    community.refresh_from_db()
    assert community.hearing_amount == Decimal("50000.00")
    assert community.pass_rate == Decimal("0.750")
    page = Client().get(f"/communities/{community.slug}/rules/").content.decode()
    assert "居民议事会讨论通过" in page and "supervisor" in page
    assert "评议通过率：80 % → 75 %" in page
    assert "须听证的金额（元）：— → 50,000.00" in page
    record = community.history.first()
    assert record is not None and record.history_user == cast["supervisor"]


@pytest.mark.parametrize("who", ["committee", "clerk", "resident", "outsider"])
def test_only_the_supervisor_may_change_them(
    who: str, community: Community, cast: dict[str, Any], client_for: Any
) -> None:
    client = client_for(cast[who])
    assert (
        'id="rules-form"'
        not in client.get(f"/communities/{community.slug}/rules/").content.decode()
    )
    answer = client.post(
        f"/communities/{community.slug}/rules/", _posted(community, cosign_threshold="1")
    )
    assert answer.status_code == 403
    assert "监督人员" in answer.content.decode()
    community.refresh_from_db()
    assert community.cosign_threshold == 3
    with pytest.raises(Forbidden):
        rules.change_rules(community=community, by=cast[who], values={"cosign_threshold": 1})


def test_a_supervisor_of_another_street_may_not(community: Community) -> None:
    other = make_user("other_supervisor")
    elsewhere = Street.objects.create(name="别的街道")
    other_place = Community.objects.create(parent=elsewhere, name="远方社区", slug="yuanfang")
    add_role(other, other_place, "supervisor")
    with pytest.raises(Forbidden):
        rules.change_rules(community=community, by=other, values={"publicity_days": 3})


@pytest.mark.parametrize(
    ("over", "field"),
    [
        (
            {"committee_quorum_numerator": "1", "committee_quorum_denominator": "3"},
            "committee_quorum_numerator",
        ),
        (
            {"acceptance_pass_numerator": "2", "acceptance_pass_denominator": "2"},
            "acceptance_pass_numerator",
        ),
        ({"pass_rate": "120"}, "pass_rate"),
        ({"publicity_days": "0"}, "publicity_days"),
        ({"tally_step": "1"}, "tally_step"),
        ({"hearing_amount": "-5"}, "hearing_amount"),
        ({"cosign_threshold": "many"}, "cosign_threshold"),
    ],
)
def test_a_bad_value_is_refused_in_words_and_changes_nothing(
    over: dict[str, str], field: str, community: Community, cast: dict[str, Any], client_for: Any
) -> None:
    before = {name: getattr(community, name) for name in rules.RULE_FIELDS}
    answer = client_for(cast["supervisor"]).post(
        f"/communities/{community.slug}/rules/", _posted(community, **over)
    )
    assert answer.status_code == 400
    assert answer.context["form"].errors.get(field), answer.context["form"].errors
    community.refresh_from_db()
    assert {name: getattr(community, name) for name in rules.RULE_FIELDS} == before
    assert community.history.count() == 1  # the creation only


def test_the_service_refuses_what_is_not_a_rule_and_a_quorum_under_half(
    community: Community, cast: dict[str, Any]
) -> None:
    with pytest.raises(Invalid):
        rules.change_rules(community=community, by=cast["supervisor"], values={"slug": "x"})
    with pytest.raises(Invalid) as refused:
        rules.change_rules(
            community=community,
            by=cast["supervisor"],
            values={"committee_quorum_numerator": 1, "committee_quorum_denominator": 4},
        )
    assert "committee_quorum_numerator" in refused.value.errors
    assert rules.change_rules(community=community, by=cast["supervisor"], values={}) == []


@pytest.mark.parametrize(
    ("language", "words"), [("en", "Community rules"), ("zh-hant", "社區規則")]
)
def test_the_supervisor_finds_the_rules_in_every_language(
    language: str, words: str, community: Community, cast: dict[str, Any], client_for: Any
) -> None:
    client = client_for(cast["supervisor"])
    html = client.get("/rules/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert words in html
    assert f"/communities/{community.slug}/rules/" in html
    assert client_for(cast["resident"]).get("/rules/").status_code == 403
