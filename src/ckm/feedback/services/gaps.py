"""Knowledge gaps: topics with many cases that no article answers. Editors see them with their
example messages, draft an article in one click, and once it is published see the topic's weekly
cases before and after — the loop from complaints to fewer complaints.

"No article answers it" is asked of the knowledge app's suggestions: the topic's most central
cases are put to `article_suggest` as an agent would; when it abstains, or its best confidence is
below CKM_FEEDBACK_GAP_CONFIDENCE (0.4) for most of them, the topic is a gap. Topics made mostly
of ideas are left out: they wait for product development (the insight board), not for an answer.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from ckm.core.audit import audit_record
from ckm.core.errors import ConflictError, NotFound
from ckm.core.permissions import require_perm
from ckm.feedback.models import KnowledgeGap, Topic
from ckm.feedback.selectors import case_examples, topic_before_after
from ckm.feedback.services.discovery import case_text
from ckm.service.models import CaseKind

# the knowledge base is asked about this many of a topic's most central cases (all it keeps); the
# median decides, so one case that happens to look like an article does not hide a gap
EXAMPLES_ASKED = 5


class AgentReader:
    """Reads the knowledge base as an agent does (published internal and public articles): the
    reader for checks the system runs on its own, outside any user's request."""

    is_authenticated = True
    is_active = True
    is_superuser = False
    is_staff = False
    pk = None
    id = None
    role = "agent"
    username = "system"

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        return perm in {"knowledge.view_article", "knowledge.use_portal"}

    def get_username(self) -> str:
        return self.username


def _suggest() -> Any:
    try:
        from ckm.knowledge.selectors import article_suggest
    except ImportError:  # the knowledge app without suggestions: nothing counts as answered
        return None
    return article_suggest


def topic_answer_confidence(*, topic: Topic, user: Any = None) -> float | None:
    """How well the knowledge base answers the topic: the median, over its most central cases,
    of the best suggestion's confidence (0 when the suggester abstains). None: cannot tell."""
    suggest = _suggest()
    if suggest is None:
        return None
    reader = user if user is not None else AgentReader()
    scores: list[float] = []
    for case in case_examples(topic=topic, limit=EXAMPLES_ASKED):
        result = suggest(text=case_text(case.subject, case.body)[:1000], user=reader, limit=1)
        best = max((s.confidence for s in result.suggestions), default=0.0)
        scores.append(0.0 if result.abstained else float(best))
    if not scores:
        return None
    scores.sort()
    return scores[len(scores) // 2]


def gaps_detect(*, user: Any = None) -> int:
    """Open a gap for every big active topic the knowledge base does not answer, and close the
    drafted gaps whose article has been published. Returns the number of new gaps."""
    min_cases = int(getattr(settings, "CKM_FEEDBACK_GAP_MIN_CASES", 20))
    threshold = float(getattr(settings, "CKM_FEEDBACK_GAP_CONFIDENCE", 0.4))
    gaps_close_published()
    has_gap = set(
        KnowledgeGap.objects.exclude(state=KnowledgeGap.State.DISMISSED).values_list(
            "topic_id", flat=True
        )
    )
    dismissed = set(
        KnowledgeGap.objects.filter(state=KnowledgeGap.State.DISMISSED).values_list(
            "topic_id", flat=True
        )
    )
    created = 0
    topics = Topic.objects.filter(status=Topic.Status.ACTIVE, size__gte=min_cases).annotate(
        members=Count("assignments"),
        ideas=Count("assignments", filter=Q(assignments__case__kind=CaseKind.IDEA)),
    )
    for topic in topics:
        if topic.pk in has_gap or topic.pk in dismissed or 2 * topic.ideas > topic.members:
            continue
        confidence = topic_answer_confidence(topic=topic, user=user)
        if confidence is None or confidence >= threshold:
            continue
        with transaction.atomic():
            gap = KnowledgeGap.objects.create(
                topic=topic, cases=topic.size, best_confidence=round(confidence, 3)
            )
            audit_record(
                actor=None,
                action="feedback.gap_found",
                obj=gap,
                summary=f"{topic.size} cases, best answer confidence {confidence:.2f}",
            )
        created += 1
    return created


def _gap_for_update(gap_id: int) -> KnowledgeGap:
    gap = KnowledgeGap.objects.select_for_update().select_related("topic").filter(pk=gap_id).first()
    if gap is None:
        raise NotFound("No such knowledge gap.")
    return gap


def draft_markdown(topic: Topic, examples: list[Any]) -> str:
    """The first draft of an article for a topic: what customers ask, in their words."""
    lines = [
        "## What customers ask",
        "",
        f"About {topic.size} cases share this theme ({', '.join(topic.keywords[:6])}).",
        "Typical messages:",
        "",
    ]
    for case in examples:
        text = " ".join(case_text(case.subject, case.body).split())
        lines.append(f"> {text[:280]}{'…' if len(text) > 280 else ''}")
        lines.append("")
    lines += [
        "## The answer",
        "",
        "_Explain what the customer can do, step by step._",
        "",
        "## When to contact us",
        "",
        "_Say when the customer still needs an agent, and how to reach one._",
    ]
    return "\n".join(lines)


TITLE_MAX = 90  # a question longer than this reads as a message, not a title
SUBJECT_MAX = 60


GREETING = re.compile(
    r"^(hi|hello|hey|dear|good (morning|afternoon|evening)|to whom it may concern)\b[^,]*,\s*",
    re.IGNORECASE,
)


def _sentences(text: str) -> list[str]:
    parts = re.split(r"(?<=[.!?])\s+", " ".join(text.split()))
    return [GREETING.sub("", part).strip() for part in parts if part.strip()]


def draft_title(topic: Topic, examples: list[Any]) -> str:
    """A draft's title in a reader's words, not the topic's keyword list: the name a person gave
    the topic; else the customers' question or short subject line that names most of the
    topic's label words (the most central case first); else the label words as words."""
    if topic.label_locked and topic.label.strip():
        label = topic.label.strip()
        return label[:1].upper() + label[1:]
    named = [str(k) for k in topic.keywords[:3]]
    words = {w for k in named for w in k.lower().split()}

    def hits(text: str) -> int:
        return len(words & set(re.findall(r"\w+", text.lower())))

    questions = [s for c in examples for s in _sentences(c.body or "") if s.endswith("?")]
    # a subject line of its own, not an agent's note ("Refunded; explained …")
    subjects = [
        c.subject.strip()
        for c in examples
        if c.subject and len(c.subject.strip()) <= SUBJECT_MAX and not re.search(r"[.;]", c.subject)
    ]
    candidates = [c for c in questions if len(c) <= TITLE_MAX] + subjects
    candidates = [c for c in candidates if hits(c)]
    if candidates:
        best = max(candidates, key=hits)  # max keeps the first of equals
        return best[:1].upper() + best[1:]
    if not named:
        return f"Draft: {topic.label.replace(' · ', ', ')}"
    listed = named[0] if len(named) == 1 else f"{', '.join(named[:-1])} and {named[-1]}"
    return f"Draft: {listed}"


@transaction.atomic
def gap_draft_article(*, actor: Any, gap_id: int) -> KnowledgeGap:
    """Draft an article for the gap (in the knowledge app), with the topic's example messages."""
    require_perm(actor, "feedback.change_knowledgegap")
    gap = _gap_for_update(gap_id)
    if gap.state != KnowledgeGap.State.OPEN:
        raise ConflictError("An article has already been drafted for this gap.")
    try:
        from ckm.knowledge.services import article_draft_create
    except ImportError as exc:  # pragma: no cover - the knowledge app is part of the product
        raise ConflictError("The knowledge base is not installed.") from exc
    topic = gap.topic
    article = article_draft_create(
        actor=actor,
        title=draft_title(topic, case_examples(topic=topic, limit=EXAMPLES_ASKED)),
        summary=f"Answers the {topic.size} cases about {', '.join(topic.keywords[:4])}.",
        body_markdown=draft_markdown(topic, case_examples(topic=topic, limit=3)),
        tags=["knowledge-gap", *topic.keywords[:3]],
    )
    gap.article = article
    gap.state = KnowledgeGap.State.DRAFTED
    gap.drafted_by = actor
    gap.drafted_at = timezone.now()
    gap.save()
    audit_record(
        actor=actor,
        action="feedback.gap_drafted",
        obj=gap,
        after={"article": article.pk, "state": gap.state},
    )
    return gap


@transaction.atomic
def gap_link_article(*, actor: Any, gap_id: int, article_id: int) -> KnowledgeGap:
    """Say that an existing article answers the gap (instead of drafting a new one)."""
    from ckm.knowledge.models import Article

    require_perm(actor, "feedback.change_knowledgegap")
    gap = _gap_for_update(gap_id)
    article = Article.objects.filter(pk=article_id).first()
    if article is None:
        raise NotFound("No such article.")
    gap.article = article
    gap.state = KnowledgeGap.State.DRAFTED
    gap.drafted_by = actor
    gap.drafted_at = timezone.now()
    gap.save()
    _close_if_published(gap)
    audit_record(
        actor=actor,
        action="feedback.gap_linked",
        obj=gap,
        after={"article": article.pk, "state": gap.state},
    )
    return gap


@transaction.atomic
def gap_dismiss(*, actor: Any, gap_id: int) -> KnowledgeGap:
    """Not a gap (e.g. complaints no article can prevent): hide it and do not find it again."""
    require_perm(actor, "feedback.change_knowledgegap")
    gap = _gap_for_update(gap_id)
    before = {"state": gap.state}
    gap.state = KnowledgeGap.State.DISMISSED
    gap.save(update_fields=["state", "updated_at"])
    audit_record(
        actor=actor,
        action="feedback.gap_dismissed",
        obj=gap,
        before=before,
        after={"state": gap.state},
    )
    return gap


def _close_if_published(gap: KnowledgeGap) -> bool:
    article = gap.article
    if article is None or article.status != "published" or article.published_at is None:
        return False
    gap.state = KnowledgeGap.State.CLOSED
    gap.published_at = article.published_at
    gap.closed_at = gap.closed_at or timezone.now()
    volume = topic_before_after(topic=gap.topic, published_at=article.published_at)
    gap.weekly_before = volume.weekly_before
    gap.weekly_after = volume.weekly_after
    gap.save()
    return True


def gaps_close_published() -> int:
    """Close drafted gaps whose article is now published, and update the before/after volume of
    closed ones. Returns how many were closed now."""
    closed = 0
    for gap in KnowledgeGap.objects.filter(
        state__in=[KnowledgeGap.State.DRAFTED, KnowledgeGap.State.CLOSED]
    ).select_related("article", "topic"):
        was_open = gap.state == KnowledgeGap.State.DRAFTED
        with transaction.atomic():
            if _close_if_published(gap) and was_open:
                closed += 1
                audit_record(
                    actor=None,
                    action="feedback.gap_closed",
                    obj=gap,
                    summary=f"Closed by the published article {gap.article}",
                )
    return closed
