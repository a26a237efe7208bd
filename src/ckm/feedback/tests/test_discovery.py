from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from ckm.feedback.models import CaseTopic, Topic, TopicRun
from ckm.feedback.services import topics_refresh
from ckm.feedback.tests.factories import CaseFactory


def _homogeneity(themed: dict[str, list[Any]]) -> float:
    """Share of cases whose topic is mostly about their own theme (topics do not mix themes)."""
    theme_of = {c.pk: theme for theme, cases in themed.items() for c in cases}
    by_topic: dict[Any, Counter[str]] = {}
    for case_id, topic_id in CaseTopic.objects.values_list("case_id", "topic_id"):
        by_topic.setdefault(topic_id, Counter())[theme_of[case_id]] += 1
    major = sum(c.most_common(1)[0][1] for t, c in by_topic.items() if t is not None)
    return major / sum(len(c) for c in themed.values())


def test_discovery_separates_the_themes(themed_cases: dict[str, list[Any]]) -> None:
    result = topics_refresh()
    assert result.discovered
    assert result.run.status == TopicRun.Status.SUCCEEDED
    assert CaseTopic.objects.count() == 120
    assert _homogeneity(themed_cases) >= 0.9
    assert 4 <= result.run.n_topics <= 20
    words = " ".join(" ".join(t.keywords) for t in Topic.objects.all()).lower()
    assert "card" in words and "app" in words and "fee" in words and "mortgage" in words
    labels = [t.label for t in Topic.objects.all()]
    assert all(label.count(" · ") >= 2 for label in labels)
    # two topics of these texts share their three best words: a fourth tells them apart
    assert len(set(labels)) == len(labels)


def test_new_cases_join_their_nearest_topic_without_rediscovery(
    themed_cases: dict[str, list[Any]],
) -> None:
    topics_refresh()
    topic_ids = set(Topic.objects.values_list("id", flat=True))
    card_topics = set(
        CaseTopic.objects.filter(case__in=themed_cases["card"]).values_list("topic_id", flat=True)
    )
    new = CaseFactory(body="Please block my debit card, I lost it at the supermarket yesterday")
    result = topics_refresh()
    assert not result.discovered
    assert result.embedded == 1
    assert set(Topic.objects.values_list("id", flat=True)) == topic_ids
    assert CaseTopic.objects.get(case=new).topic_id in card_topics


def test_rediscovery_keeps_topic_identity(themed_cases: dict[str, list[Any]]) -> None:
    topics_refresh()
    card_topic = CaseTopic.objects.get(case=themed_cases["card"][0]).topic_id
    topics_refresh(full=True)
    assert CaseTopic.objects.get(case=themed_cases["card"][0]).topic_id == card_topic
    assert Topic.objects.get(pk=card_topic).status == Topic.Status.ACTIVE


def test_refresh_needs_the_permission(agent: Any) -> None:
    with pytest.raises(PermissionDenied):
        topics_refresh(actor=agent)


def test_a_name_given_by_a_person_survives_rediscovery(
    themed_cases: dict[str, list[Any]], product_manager: Any
) -> None:
    from ckm.feedback.services import topic_rename

    topics_refresh()
    topic_id = CaseTopic.objects.get(case=themed_cases["fees"][0]).topic_id
    topic_rename(actor=product_manager, topic_id=topic_id, label="Account fee surprises")
    topics_refresh(full=True)
    assert Topic.objects.get(pk=topic_id).label == "Account fee surprises"


def test_rediscovery_tells_a_label_apart_from_a_name_a_person_gave(
    themed_cases: dict[str, list[Any]],
) -> None:
    topics_refresh()
    fees = Topic.objects.get(pk=CaseTopic.objects.get(case=themed_cases["fees"][0]).topic_id)
    card = Topic.objects.get(pk=CaseTopic.objects.get(case=themed_cases["card"][0]).topic_id)
    # a person named the card topic as discovery (later) names the fees topic
    named = fees.label.upper()
    Topic.objects.filter(pk=card.pk).update(label=named, label_locked=True)
    topics_refresh(full=True)
    card.refresh_from_db()
    fees.refresh_from_db()
    assert card.label == named and card.label_locked  # the person's name stays
    # the discovered one takes a further keyword (or a number) to differ
    assert fees.label.startswith(named.lower()) and fees.label.casefold() != named.casefold()
    labels = [t.label.casefold() for t in Topic.objects.filter(status=Topic.Status.ACTIVE)]
    assert len(labels) == len(set(labels))


def test_a_topic_cannot_be_named_as_another_one(
    themed_cases: dict[str, list[Any]], product_manager: Any
) -> None:
    from ckm.core.errors import ValidationError
    from ckm.feedback.services import topic_rename

    topics_refresh()
    fees = Topic.objects.get(pk=CaseTopic.objects.get(case=themed_cases["fees"][0]).topic_id)
    card = Topic.objects.get(pk=CaseTopic.objects.get(case=themed_cases["card"][0]).topic_id)
    with pytest.raises(ValidationError):
        topic_rename(actor=product_manager, topic_id=card.pk, label=f" {fees.label.title()} ")
    card.refresh_from_db()
    assert not card.label_locked
    topic_rename(actor=product_manager, topic_id=card.pk, label=card.label)  # its own name: fine


def test_the_command_refreshes_topics(themed_cases: dict[str, list[Any]]) -> None:
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("topics-refresh", stdout=out)
    assert "Discovery" in out.getvalue() and "120 cases read" in out.getvalue()


def test_refresh_without_cases_does_nothing(db: Any) -> None:
    result = topics_refresh()
    assert result.run.status == TopicRun.Status.SUCCEEDED and result.run.n_topics == 0
