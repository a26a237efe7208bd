"""The demo desk: its answered cases teach the article suggestions (the loop from service to
knowledge), its open cases have had their first answers, its closed ones their history."""

from __future__ import annotations

from typing import Any

import pytest

from ckm.knowledge import services as knowledge
from ckm.knowledge.models import ArticleEvidence, SuggestionModel
from ckm.service.models import Case, CaseStatus
from ckm.service.services import case_intake
from ckm.service.services.demo import suggestions_teach_from_cases

pytestmark = pytest.mark.django_db


def published(editor: Any, title: str, summary: str) -> Any:
    article = knowledge.article_create(
        actor=editor,
        title=title,
        summary=summary,
        body_source=summary,
        category="Cards / Lost and stolen",
    )
    return knowledge.article_publish(actor=editor, article=article)


def test_closed_cases_become_evidence_for_the_best_article_of_their_category(
    desk: dict[str, Any], agent: Any, editor: Any
) -> None:
    stolen = published(editor, "Stolen card: block it", "Block a stolen card at once.")
    pin = published(editor, "Forgotten PIN", "Order a new PIN letter.")
    texts = {
        "My card was stolen on the train, please block it": stolen,
        "Stolen wallet with my card inside, block the card": stolen,
        "I forgot my PIN and need a new PIN letter": pin,
    }
    for n, text in enumerate(texts):
        case = case_intake(
            channel="phone",
            subject="Card",
            body=text,
            external_id=f"T{n}",
            actor=agent,
            category="Cards / Lost and stolen",
        )
        Case.objects.filter(pk=case.pk).update(status=CaseStatus.CLOSED)
    open_case = case_intake(
        channel="phone", subject="Card", body="stolen card again", actor=agent, external_id="open"
    )

    taught = suggestions_teach_from_cases()

    assert taught["linked"] == 3 and taught["model"] is not None
    evidence = {e.text.split("\n", 1)[1]: e.article for e in ArticleEvidence.objects.all()}
    assert evidence == texts
    assert not ArticleEvidence.objects.filter(source_id=str(open_case.pk)).exists()
    assert SuggestionModel.objects.filter(active=True, version=taught["model"]).exists()
    # idempotent: running the seed again links nothing twice
    suggestions_teach_from_cases()
    assert ArticleEvidence.objects.count() == 3


def test_the_demo_desk_has_answered_its_older_cases_within_the_target(
    desk: dict[str, Any], agent: Any
) -> None:
    import datetime as dt

    from django.utils import timezone

    from ckm.service.models import CaseEvent
    from ckm.service.services.demo import demo_first_responses
    from ckm.service.services.imported import cases_triage

    now = timezone.now()
    ids = []
    for n, hours in enumerate((0.5, 30, 24 * 9)):
        case = case_intake(
            channel="letter",
            subject="Card",
            body=f"card question {n}",
            actor=agent,
            external_id=f"D{n}",
        )
        Case.objects.filter(pk=case.pk).update(
            opened_at=now - dt.timedelta(hours=hours), queue=None, first_response_due=None
        )
        ids.append(case.pk)
    cases_triage(case_ids=ids)

    assert demo_first_responses(case_ids=ids) == 2
    fresh, day_old, old = (Case.objects.get(pk=pk) for pk in ids)
    assert fresh.first_response_at is None  # the newest still waits for its answer
    for case in (day_old, old):
        assert case.status == CaseStatus.IN_PROGRESS
        assert case.opened_at < case.first_response_at <= case.first_response_due
        step = CaseEvent.objects.get(case=case, to_status=CaseStatus.IN_PROGRESS)
        assert step.at == case.first_response_at
    assert demo_first_responses(case_ids=ids) == 0  # once


def test_the_demo_desk_history_gives_closed_cases_their_queue_timers_and_ratings(
    desk: dict[str, Any], agent: Any
) -> None:
    import datetime as dt

    from django.utils import timezone

    from ckm.service.services.demo import demo_desk_history

    now = timezone.now()
    ids = []
    for n in range(40):
        case = case_intake(
            channel="email",
            subject="Card",
            body=f"my card question {n}",
            actor=agent,
            external_id=f"H{n}",
        )
        opened = now - dt.timedelta(days=30 + n)
        Case.objects.filter(pk=case.pk).update(
            status=CaseStatus.CLOSED,
            product=desk["card"] if n % 2 else None,
            opened_at=opened,
            resolved_at=opened + dt.timedelta(days=1 + n % 12),
            closed_at=opened + dt.timedelta(days=1 + n % 12),
            queue=None,
            assignee=None,
            first_response_due=None,
            resolution_due=None,
        )
        ids.append(case.pk)
    old = case_intake(channel="email", subject="Old", body="old", actor=agent, external_id="H-old")
    Case.objects.filter(pk=old.pk).update(
        status=CaseStatus.CLOSED, opened_at=now - dt.timedelta(days=800), queue=None
    )

    assert demo_desk_history() == 40
    cases = list(Case.objects.filter(pk__in=ids).select_related("queue"))
    cards = [c for c in cases if c.product_id == desk["card"].pk]
    assert {c.queue.name for c in cards} == {"Cards"}  # routed by the queues' rules
    assert {c.assignee_id for c in cards} <= {agent.pk, desk["agent2"].pk}
    for case in cases:
        assert case.sla_policy_id is not None
        assert case.first_response_due and case.resolution_due
        assert case.opened_at <= case.first_response_at <= case.resolved_at
        late = case.resolved_at > case.resolution_due
        assert case.escalated == late
    in_time = sum(c.first_response_at <= c.first_response_due for c in cases)
    assert 0.6 * len(cases) <= in_time < len(cases)  # mostly within the target, not always
    rated = [c for c in cases if c.satisfaction_score is not None]
    assert 0 < len(rated) < len(cases)
    assert all(1 <= c.satisfaction_score <= 5 and c.satisfaction_at > c.closed_at for c in rated)
    assert Case.objects.get(pk=old.pk).queue_id is None  # older than a year: left alone
    assert demo_desk_history() == 0  # once


def test_a_case_triaged_twice_is_imported_once_in_its_history(desk: dict[str, Any]) -> None:
    from ckm.service.models import CaseEvent
    from ckm.service.services.imported import cases_triage

    case = case_intake(channel="letter", subject="Card", body="card question", external_id="T1")
    Case.objects.filter(pk=case.pk).update(queue=None)
    cases_triage(case_ids=[case.pk])  # at the import: routed if a queue takes it
    Case.objects.filter(pk=case.pk).update(queue=None)
    cases_triage(case_ids=[case.pk])  # again, once the queues exist
    assert CaseEvent.objects.filter(case=case, kind="imported").count() == 1
