from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from ckm.core.errors import ConflictError
from ckm.core.models import AuditEntry
from ckm.customers.models import Consent, CustomerEvent
from ckm.customers.tests.factories import CustomerFactory, ProductFactory
from ckm.feedback.models import CaseTopic, Insight, InsightContact, KnowledgeGap, TopicAlert
from ckm.feedback.selectors import monday, topic_before_after
from ckm.feedback.services import (
    alerts_detect,
    gap_draft_article,
    gaps_detect,
    insight_contact_record,
    insight_from_case,
    insight_from_topic,
    insight_status_set,
    topics_refresh,
)
from ckm.feedback.services.alerts import week_is_emerging
from ckm.feedback.tests.factories import CaseFactory


def _consent(customer: Any, channel: str = "email", granted: bool = True) -> None:
    Consent.objects.create(
        customer=customer,
        purpose=Consent.Purpose.PRODUCT_FEEDBACK,
        channel=channel,
        granted=granted,
        recorded_at=timezone.now(),
    )


def test_poisson_rule_flags_a_jump_not_noise() -> None:
    assert week_is_emerging(20, [3, 4, 2, 5, 3, 4, 3, 2])[0]
    assert not week_is_emerging(6, [3, 4, 2, 5, 3, 4, 3, 2])[0]
    # a big topic's ordinary week is not emerging
    assert not week_is_emerging(110, [100, 95, 104, 99, 101, 97, 103, 100])[0]


def test_a_burst_in_one_topic_raises_one_alert(make_cases: Any) -> None:
    for theme in ("card", "fees", "mortgage"):
        make_cases(theme, 24, weeks_ago=(1, 12))
    burst = make_cases("app", 25, weeks_ago=(2, 2))
    make_cases("app", 6, weeks_ago=(3, 12))
    topics_refresh()
    app_topics = set(CaseTopic.objects.filter(case__in=burst).values_list("topic_id", flat=True))
    alerts = list(TopicAlert.objects.all())
    assert alerts, "the burst should raise an alert"
    assert {a.topic_id for a in alerts} <= app_topics
    burst_weeks = {monday(timezone.localtime(c.opened_at).date()) for c in burst}
    assert any(a.week in burst_weeks for a in alerts)
    assert alerts_detect() == 0  # idempotent


def test_insight_from_topic_lists_only_consented_customers(
    themed_cases: dict[str, list[Any]], product_manager: Any
) -> None:
    topics_refresh()
    card = themed_cases["card"]
    agreed, refused, silent = CustomerFactory(), CustomerFactory(), CustomerFactory()
    _consent(agreed)
    _consent(refused, granted=False)
    product = ProductFactory(name="Debit card")
    for case, customer in zip(card[:3], (agreed, refused, silent), strict=True):
        case.customer = customer
        case.product = product
        case.save()
    topic_id = CaseTopic.objects.get(case=card[0]).topic_id
    insight = insight_from_topic(actor=product_manager, topic_id=topic_id)
    assert insight.status == Insight.Status.NEW
    assert insight.volume >= 1
    contacts = {c.customer_id: c for c in InsightContact.objects.filter(insight=insight)}
    assert contacts[agreed.pk].consented
    assert not contacts.get(refused.pk, InsightContact(consented=False)).consented
    assert AuditEntry.objects.filter(
        action="create", summary__startswith="feedback.insight_created"
    ).exists()
    with pytest.raises(ConflictError):  # a second click makes no second insight
        insight_from_topic(actor=product_manager, topic_id=topic_id)
    assert Insight.objects.filter(topics=topic_id).count() == 1


def test_contact_needs_standing_consent_and_lands_on_the_timeline(product_manager: Any) -> None:
    customer = CustomerFactory()
    _consent(customer, channel="phone")
    case = CaseFactory(customer=customer, kind="idea", body="Please add Apple Pay for my card")
    insight = insight_from_case(actor=product_manager, case_id=case.pk)
    contact = InsightContact.objects.get(insight=insight, customer=customer)
    with pytest.raises(ConflictError):
        insight_contact_record(
            actor=product_manager, contact_id=contact.pk, channel="email", outcome="interested"
        )
    insight_contact_record(
        actor=product_manager,
        contact_id=contact.pk,
        channel="phone",
        outcome="interested",
        note="Will test the beta",
    )
    contact.refresh_from_db()
    assert contact.contacted_at is not None and contact.outcome == "interested"
    assert CustomerEvent.objects.filter(customer=customer, kind="product_feedback_contact").exists()
    # a withdrawal takes the customer off the list at once
    from ckm.feedback.selectors import insight_contacts

    assert [
        c.customer for c in insight_contacts(user=product_manager, insight=insight).contactable
    ] == [customer]
    Consent.objects.filter(customer=customer).update(granted=False)
    listed = insight_contacts(user=product_manager, insight=insight)
    assert listed.contactable == [] and listed.not_consented == 1


def test_status_workflow_refuses_jumps(product_manager: Any) -> None:
    case = CaseFactory(kind="idea", body="An idea")
    insight = insight_from_case(actor=product_manager, case_id=case.pk)
    with pytest.raises(ConflictError):
        insight_status_set(actor=product_manager, insight_id=insight.pk, status="shipped")
    for status in ("under_review", "planned", "shipped"):
        insight = insight_status_set(actor=product_manager, insight_id=insight.pk, status=status)
    assert insight.status == "shipped"


def test_gap_found_drafted_and_closed_with_volume_drop(
    make_cases: Any, editor: Any, settings: Any
) -> None:
    from ckm.knowledge.models import Article

    settings.CKM_FEEDBACK_GAP_MIN_CASES = 5
    make_cases("app", 40, weeks_ago=(7, 12))  # many before the article ...
    make_cases("app", 4, weeks_ago=(1, 5))  # ... few after
    make_cases("mortgage", 30, weeks_ago=(1, 12))
    topics_refresh()
    gaps = KnowledgeGap.objects.filter(state="open")
    assert gaps.exists()
    gap = next(g for g in gaps if "app" in " ".join(g.topic.keywords))
    gap = gap_draft_article(actor=editor, gap_id=gap.pk)
    assert gap.state == KnowledgeGap.State.DRAFTED
    article = Article.objects.get(pk=gap.article_id)
    assert article.status == "draft" and "What customers ask" in article.body_source
    published = timezone.now() - dt.timedelta(weeks=6)
    Article.objects.filter(pk=article.pk).update(status="published", published_at=published)
    gaps_detect()
    gap.refresh_from_db()
    assert gap.state == KnowledgeGap.State.CLOSED
    assert gap.weekly_before is not None and gap.weekly_after is not None
    assert gap.weekly_after < gap.weekly_before / 2
    volume = topic_before_after(topic=gap.topic, published_at=published)
    assert volume.change is not None and volume.change < -0.5


def test_a_topic_of_ideas_is_not_a_knowledge_gap(make_cases: Any, settings: Any) -> None:
    settings.CKM_FEEDBACK_GAP_MIN_CASES = 5
    ideas = make_cases("app", 30, weeks_ago=(1, 12), kind="idea")
    make_cases("mortgage", 30, weeks_ago=(1, 12))
    topics_refresh()
    idea_topic = CaseTopic.objects.get(case=ideas[0]).topic_id
    gap_topics = set(KnowledgeGap.objects.values_list("topic_id", flat=True))
    assert gap_topics, "the unanswered mortgage questions are a gap"
    assert idea_topic not in gap_topics


def test_the_demo_bursts_make_closed_cases_in_their_window_with_every_slot_filled(
    agent: Any,
) -> None:
    import random

    from ckm.feedback.services.demo import APP_UPDATE, PAYEE_CHECK, _burst_cases
    from ckm.service.models import Case

    today = timezone.localdate()
    for burst in (PAYEE_CHECK, APP_UPDATE):
        made = _burst_cases(random.Random(1), today, burst)
        cases = list(Case.objects.filter(external_id__startswith=burst.prefix))
        assert made == len(cases) > 10
        first, last = burst.days(today)
        for case in cases:
            assert first <= timezone.localtime(case.opened_at).date() <= last
            assert case.status == "closed" and case.category == burst.category
            assert case.opened_at < case.first_response_at < case.resolved_at == case.closed_at
            assert "{" not in case.body and case.kind in burst.kinds
        assert _burst_cases(random.Random(1), today, burst) == 0  # once
    assert last < today  # the payee check cases run up to yesterday


def test_only_recent_unhandled_alerts_count_as_emerging_now(product_manager: Any) -> None:
    from ckm.feedback.models import Topic
    from ckm.feedback.selectors import alert_count_new, alerts_current

    this_week = monday(timezone.localdate())
    old, fresh = Topic.objects.create(label="old burst"), Topic.objects.create(label="new burst")

    def alert(topic: Any, weeks_ago: int) -> TopicAlert:
        return TopicAlert.objects.create(
            topic=topic,
            week=this_week - dt.timedelta(weeks=weeks_ago),
            count=30,
            baseline=3.0,
            z_score=9.0,
            p_value=0.0001,
        )

    for weeks_ago in (9, 8, 7):  # a burst two months ago, never handled
        alert(old, weeks_ago)
    alert(fresh, 2)
    latest = alert(fresh, 1)
    assert alerts_current(user=product_manager) == [latest]  # one row per topic, its newest
    assert alert_count_new(product_manager) == 1  # topics, not alert-weeks
    from ckm.feedback.selectors import TopicFilters, topic_list

    badges = {
        r.topic.pk: r.new_alerts for r in topic_list(user=product_manager, filters=TopicFilters())
    }
    assert badges[fresh.pk] == 2 and badges[old.pk] == 0  # the topics page agrees


def _gap_of(label: str, keywords: list[str], cases: list[Any], locked: bool = False) -> Any:
    from ckm.feedback.models import Topic

    topic = Topic.objects.create(
        label=label,
        label_locked=locked,
        keywords=keywords,
        size=len(cases),
        centroid=b"",
        examples=[c.pk for c in cases],
    )
    return KnowledgeGap.objects.create(topic=topic, cases=topic.size, best_confidence=0.1)


def test_a_gap_draft_is_titled_in_words_and_tagged_with_the_keywords(editor: Any) -> None:
    from ckm.knowledge.models import Article

    cases = [
        CaseFactory(subject="Verification", body="Hello, is my money safe if I continue?"),
        CaseFactory(subject="Payee name check", body="Every transfer shows 'no match'."),
        CaseFactory(subject="", body="Hi there, why does the payee check say no match? Help."),
    ]
    gap = _gap_of("match · check · payee", ["match", "check", "payee", "payee name"], cases)
    article = Article.objects.get(pk=gap_draft_article(actor=editor, gap_id=gap.pk).article_id)
    assert article.title == "Why does the payee check say no match?"
    assert "·" not in article.title
    assert article.tags == ["knowledge-gap", "match", "check", "payee"]
    # nothing a reader would take for a title: the keywords in words
    notes = [CaseFactory(subject="", body="Refunded once; explained the fee.")]
    gap = _gap_of("foreign · goodwill · withdrawal", ["foreign", "goodwill", "withdrawal"], notes)
    article = Article.objects.get(pk=gap_draft_article(actor=editor, gap_id=gap.pk).article_id)
    assert article.title == "Draft: foreign, goodwill and withdrawal"
    # a topic a person named keeps its name
    gap = _gap_of("payee name check", ["match", "check", "payee"], cases, locked=True)
    article = Article.objects.get(pk=gap_draft_article(actor=editor, gap_id=gap.pk).article_id)
    assert article.title == "Payee name check"
