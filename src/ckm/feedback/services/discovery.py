"""Topic discovery over the cases: a full refit now and then, and in between every new case is
assigned to its nearest known topic. Embeddings are kept per case (with a hash of the text), so
a refresh only reads the cases that are new or changed.

A full discovery runs when asked, when there are no topics yet, when the cases have grown by a
quarter since the last discovery, or when it is older than CKM_FEEDBACK_REDISCOVER_DAYS (30).
Topics keep their identity across discoveries: a new topic whose centre is close to an active
topic's (cosine ≥ 0.8) updates that topic, so insights and gaps stay linked to it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ckm.core.audit import audit_record
from ckm.core.jobs import (
    Progress,
    job_create,
    job_enqueue,
    job_fail,
    job_finish,
    job_progress,
    job_start,
    job_waiting,
)
from ckm.core.models import Job
from ckm.core.permissions import require_perm
from ckm.feedback.models import CaseTopic, Topic, TopicRun
from ckm.feedback.topics import (
    OTHER,
    TopicResult,
    discover_topics,
    embed_texts,
    topic_assign,
    topic_labels,
)
from ckm.knowledge.embeddings import from_bytes, stack, to_bytes
from ckm.service.models import Case

SAME_TOPIC = 0.8
"""Cosine similarity of centres above which a rediscovered topic is the same topic."""
GROWTH_FOR_REDISCOVERY = 0.25


@dataclass
class RefreshResult:
    run: TopicRun
    embedded: int
    assigned: int
    discovered: bool


def case_text(subject: str, body: str) -> str:
    """The text of a case as topics read it."""
    return f"{subject.strip()}\n{body.strip()}".strip()


def _hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def _no_progress(done: int, total: int, message: str) -> None:
    pass


def _min_size(n: int) -> int:
    return max(5, min(40, n // 150))


def _needs_discovery(n_cases: int, *, now: dt.datetime) -> bool:
    last = (
        TopicRun.objects.filter(kind=TopicRun.Kind.DISCOVER, status=TopicRun.Status.SUCCEEDED)
        .order_by("-started_at")
        .first()
    )
    if last is None or not Topic.objects.filter(status=Topic.Status.ACTIVE).exists():
        return True
    days = int(getattr(settings, "CKM_FEEDBACK_REDISCOVER_DAYS", 30))
    if now - last.started_at > dt.timedelta(days=days):
        return True
    return n_cases >= (1 + GROWTH_FOR_REDISCOVERY) * max(last.n_cases, 1)


def topics_refresh(
    *,
    actor: Any = None,
    full: bool = False,
    progress: Progress | None = None,
    job: Job | None = None,
) -> RefreshResult:
    """Embed new and changed cases, then rediscover topics (when due or asked) or assign the new
    cases to their nearest topic; afterwards check for emerging topics and knowledge gaps."""
    if actor is not None:
        require_perm(actor, "feedback.refresh_topics")
    report = progress or _no_progress
    now = timezone.now()
    cases = list(Case.objects.order_by("id").values_list("id", "subject", "body"))
    texts = {pk: case_text(subject, body) for pk, subject, body in cases}
    hashes = {pk: _hash(text) for pk, text in texts.items()}
    known = {
        row["case_id"]: row for row in CaseTopic.objects.values("case_id", "text_hash", "topic_id")
    }
    stale = [pk for pk in texts if pk not in known or known[pk]["text_hash"] != hashes[pk]]
    discover = full or _needs_discovery(len(cases), now=now)
    run = TopicRun.objects.create(
        kind=TopicRun.Kind.DISCOVER if discover else TopicRun.Kind.ASSIGN,
        created_by=actor if actor is not None and actor.is_authenticated else None,
        job=job,
        n_cases=len(cases),
    )
    report(0, max(len(stale), 1), f"Reading {len(stale):,} new or changed cases")
    try:
        vectors = embed_texts([texts[pk] for pk in stale], progress=report) if stale else None
        fresh = {pk: vectors[i] for i, pk in enumerate(stale)} if vectors is not None else {}
        if discover:
            assigned = _discover(run, texts, hashes, fresh, report)
        else:
            assigned = _assign(run, stale, hashes, fresh)
    except Exception as exc:
        TopicRun.objects.filter(pk=run.pk).update(
            status=TopicRun.Status.FAILED,
            finished_at=timezone.now(),
            message=f"{type(exc).__name__}: {exc}"[:300],
        )
        raise
    _sizes_update()
    run.status = TopicRun.Status.SUCCEEDED
    run.finished_at = timezone.now()
    run.n_topics = Topic.objects.filter(status=Topic.Status.ACTIVE).count()
    run.n_other = CaseTopic.objects.filter(topic__isnull=True).count()
    run.message = (
        f"{run.n_topics} topics, {len(cases) - run.n_other:,} of {len(cases):,} cases in a topic"
    )
    run.save()
    audit_record(
        actor=actor,
        action="feedback.topics_refreshed",
        obj=run,
        summary=run.message,
        after={"kind": run.kind, "embedded": len(stale), "assigned": assigned},
    )
    report(1, 1, "Checking for emerging topics and knowledge gaps")
    from ckm.feedback.services.alerts import alerts_detect
    from ckm.feedback.services.gaps import gaps_detect
    from ckm.feedback.services.insights import insight_volumes_refresh

    alerts_detect()
    gaps_detect()
    insight_volumes_refresh()
    return RefreshResult(run=run, embedded=len(stale), assigned=assigned, discovered=discover)


@transaction.atomic
def _discover(
    run: TopicRun,
    texts: dict[int, str],
    hashes: dict[int, str],
    fresh: dict[int, np.ndarray],
    report: Progress,
) -> int:
    ids = list(texts)
    if not ids:
        return 0
    stored = dict(CaseTopic.objects.filter(case_id__in=ids).values_list("case_id", "vector"))
    matrix = np.vstack(
        [fresh[pk] if pk in fresh else from_bytes(bytes(stored[pk])) for pk in ids]
    ).astype(np.float32)
    result = discover_topics(
        [texts[pk] for pk in ids],
        embeddings=matrix,
        min_size=_min_size(len(ids)),
        progress=report,
    )
    run.silhouette = result.silhouette
    run.params = {**result.params, "k": result.k, "seconds": result.seconds}
    topic_ids = _topics_write(run, result, ids)
    rows = [
        CaseTopic(
            case_id=pk,
            topic_id=topic_ids[int(result.labels[i])] if result.labels[i] != OTHER else None,
            similarity=float(result.similarity[i]),
            vector=to_bytes(matrix[i]),
            text_hash=hashes[pk],
            run=run,
            assigned_at=run.started_at,
        )
        for i, pk in enumerate(ids)
    ]
    _assignments_save(rows)
    return len(rows)


def _topics_write(run: TopicRun, result: TopicResult, ids: list[int]) -> dict[int, int]:
    """Create or update Topic rows for the discovered topics; the old ones not found again are
    retired. Returns discovered index -> Topic id."""
    old = list(Topic.objects.filter(status=Topic.Status.ACTIVE))
    matches: dict[int, Topic] = {}
    if old and result.topics:
        from scipy.optimize import linear_sum_assignment

        similarity = result.centroids @ stack([bytes(t.centroid) for t in old]).T
        rows, cols = linear_sum_assignment(-similarity)
        for r, c in zip(rows, cols, strict=True):
            if similarity[r, c] >= SAME_TOPIC:
                matches[int(r)] = old[int(c)]
    # names people gave stay as they are; the discovered labels are told apart from them and
    # from each other
    named = [t.label for t in matches.values() if t.label_locked]
    unnamed = [f for f in result.topics if not getattr(matches.get(f.index), "label_locked", False)]
    labels = dict(
        zip(
            [f.index for f in unnamed],
            topic_labels([f.keywords for f in unnamed], taken=named),
            strict=True,
        )
    )
    mapping: dict[int, int] = {}
    for found in result.topics:
        topic = matches.get(found.index) or Topic()
        if not topic.label_locked:
            topic.label = labels[found.index][:200]
        topic.keywords = found.keywords
        topic.size = found.size
        topic.centroid = to_bytes(found.centroid)
        topic.cohesion = round(found.cohesion, 4)
        topic.examples = [ids[i] for i in found.examples]
        topic.status = Topic.Status.ACTIVE
        if topic.pk is None:
            topic.discovered_run = run
        topic.save()
        mapping[found.index] = topic.pk
    kept = {t.pk for t in matches.values()}
    Topic.objects.filter(status=Topic.Status.ACTIVE).exclude(pk__in=mapping.values()).exclude(
        pk__in=kept
    ).update(status=Topic.Status.RETIRED, size=0)
    return mapping


def _assign(
    run: TopicRun, stale: list[int], hashes: dict[int, str], fresh: dict[int, np.ndarray]
) -> int:
    if not stale:
        return 0
    topics = list(Topic.objects.filter(status=Topic.Status.ACTIVE).values_list("id", "centroid"))
    last = (
        TopicRun.objects.filter(kind=TopicRun.Kind.DISCOVER, status=TopicRun.Status.SUCCEEDED)
        .order_by("-started_at")
        .first()
    )
    bar = float((last.params if last else {}).get("min_similarity", 0.0))
    vectors = np.vstack([fresh[pk] for pk in stale]).astype(np.float32)
    centroids = stack([bytes(c) for _, c in topics])
    labels, sims = topic_assign(vectors, centroids, min_similarity=bar)
    rows = [
        CaseTopic(
            case_id=pk,
            topic_id=topics[int(labels[i])][0] if labels[i] != OTHER else None,
            similarity=float(sims[i]),
            vector=to_bytes(vectors[i]),
            text_hash=hashes[pk],
            run=run,
            assigned_at=run.started_at,
        )
        for i, pk in enumerate(stale)
    ]
    with transaction.atomic():
        _assignments_save(rows)
    return len(rows)


def _assignments_save(rows: list[CaseTopic]) -> None:
    CaseTopic.objects.bulk_create(
        rows,
        batch_size=1000,
        update_conflicts=True,
        unique_fields=["case"],
        update_fields=["topic", "similarity", "vector", "text_hash", "run", "assigned_at"],
    )


def _sizes_update() -> None:
    from django.db.models import Count

    counts = dict(
        CaseTopic.objects.filter(topic__isnull=False)
        .values_list("topic_id")
        .annotate(n=Count("id"))
        .values_list("topic_id", "n")
    )
    topics = list(Topic.objects.filter(status=Topic.Status.ACTIVE))
    for topic in topics:
        topic.size = counts.get(topic.pk, 0)
    Topic.objects.bulk_update(topics, ["size"])


@transaction.atomic
def topic_rename(*, actor: Any, topic_id: int, label: str) -> Topic:
    """Give a topic a name people use; later discoveries keep it."""
    require_perm(actor, "feedback.change_topic")
    from ckm.core.errors import NotFound, ValidationError

    label = label.strip()
    if not label:
        raise ValidationError({"label": ["Give the topic a name."]})
    longest = Topic._meta.get_field("label").max_length or 200
    if len(label) > longest:
        # cut silently, the name kept would not be the name given (nor the audited one)
        raise ValidationError({"label": [f"Keep the name to {longest} characters."]})
    topic = Topic.objects.select_for_update().filter(pk=topic_id).first()
    if topic is None:
        raise NotFound("No such topic.")
    same = Topic.objects.filter(status=Topic.Status.ACTIVE, label__iexact=label).exclude(
        pk=topic.pk
    )
    if same.exists():
        # two topics of one name cannot be told apart in the list, the charts or the pickers
        raise ValidationError({"label": ["Another topic has this name: choose one that differs."]})
    before = {"label": topic.label}
    topic.label = label
    topic.label_locked = True
    topic.save(update_fields=["label", "label_locked", "updated_at"])
    audit_record(
        actor=actor,
        action="feedback.topic_renamed",
        obj=topic,
        before=before,
        after={"label": label},
    )
    return topic


def topics_refresh_start(*, actor: Any, full: bool = False) -> Job:
    """Queue a topic refresh as a background task with progress."""
    from ckm.feedback.tasks import feedback_topics_refresh

    require_perm(actor, "feedback.refresh_topics")
    label = "Discover topics in the cases" if full else "Refresh topics"
    waiting = job_waiting(kind="feedback.topics_refresh", label=label)
    if waiting is not None:
        return waiting
    with transaction.atomic():
        job = job_create(
            kind="feedback.topics_refresh",
            label=label,
            user=actor,
            total=100,
        )

        job_enqueue(
            job,
            feedback_topics_refresh,
            job_id=job.pk,
            full=full,
            actor_id=actor.pk if actor else None,
        )
    return job


def topics_refresh_job(*, job_id: int, full: bool = False, actor_id: int | None = None) -> str:
    """What the refresh task runs: the refresh with progress written to the job."""
    from ckm.core.models import User

    job_start(job_id=job_id)
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    job = Job.objects.filter(pk=job_id).first()
    try:
        result = topics_refresh(actor=actor, full=full, progress=job_progress(job_id), job=job)
    except Exception as exc:
        job_fail(job_id=job_id, message=f"{type(exc).__name__}: {exc}")
        raise
    job_finish(
        job_id=job_id,
        result={"run": result.run.pk, "topics": result.run.n_topics},
        message=result.run.message,
    )
    return result.run.message
