"""Emerging topics: a week whose case count is well beyond the topic's own trailing baseline.

For each of the last `weeks` complete ISO weeks, the baseline is the mean of the 8 weeks before
it. A week raises an alert when it has at least `min_count` cases, at least twice the baseline,
and the Poisson probability of seeing that many or more at the baseline rate is below `p_max`.
The test is per topic, so a big topic's normal week never alerts and a small topic's jump does.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ckm.core.audit import audit_record
from ckm.core.errors import NotFound, ValidationError
from ckm.core.permissions import require_perm
from ckm.feedback.models import Topic, TopicAlert
from ckm.feedback.selectors import monday, weekly_counts

BASELINE_WEEKS = 8


def poisson_tail(count: int, rate: float) -> float:
    """P(X ≥ count) for X ~ Poisson(rate)."""
    from scipy.stats import poisson

    return float(poisson.sf(count - 1, max(rate, 1e-9)))


def week_is_emerging(
    count: int, history: list[int], *, min_count: int = 8, p_max: float = 0.001
) -> tuple[bool, float, float, float]:
    """Whether `count` is emerging against the trailing `history`: (yes, baseline, z, p)."""
    baseline = sum(history) / len(history) if history else 0.0
    rate = max(baseline, 0.5)  # a topic that was silent still has some chance of a case
    z = (count - rate) / rate**0.5
    p = poisson_tail(count, rate)
    emerging = count >= min_count and count >= 2 * rate and p < p_max
    return emerging, baseline, z, p


@transaction.atomic
def alerts_detect(*, weeks: int | None = None, today: dt.date | None = None) -> int:
    """Raise alerts for emerging topics in the last `weeks` complete weeks; returns new alerts.
    Existing alerts are kept as they are (their status is the people's)."""
    weeks = weeks or int(getattr(settings, "CKM_FEEDBACK_ALERT_WEEKS", 12))
    min_count = int(getattr(settings, "CKM_FEEDBACK_ALERT_MIN_CASES", 8))
    today = today or timezone.localdate()
    this_week = monday(today)
    first = this_week - dt.timedelta(weeks=weeks + BASELINE_WEEKS)
    topics = list(Topic.objects.filter(status=Topic.Status.ACTIVE).values_list("id", flat=True))
    counts = weekly_counts(topic_ids=topics, since=first, until=this_week)
    existing = set(
        TopicAlert.objects.filter(week__gte=first).values_list("topic_id", "week").distinct()
    )
    new: list[TopicAlert] = []
    for topic_id in topics:
        series = counts.get(topic_id, {})
        for back in range(weeks, 0, -1):
            week = this_week - dt.timedelta(weeks=back)
            if (topic_id, week) in existing:
                continue
            history = [
                series.get(week - dt.timedelta(weeks=i), 0) for i in range(1, BASELINE_WEEKS + 1)
            ]
            count = series.get(week, 0)
            emerging, baseline, z, p = week_is_emerging(count, history, min_count=min_count)
            if emerging:
                new.append(
                    TopicAlert(
                        topic_id=topic_id,
                        week=week,
                        count=count,
                        baseline=round(baseline, 2),
                        z_score=round(z, 2),
                        p_value=p,
                    )
                )
    TopicAlert.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


@transaction.atomic
def alert_update(*, actor: Any, alert_id: int, status: str) -> TopicAlert:
    """Acknowledge or dismiss an emerging-topic alert."""
    require_perm(actor, "feedback.change_topicalert")
    if status not in TopicAlert.Status.values:
        raise ValidationError({"status": [f"Unknown status {status!r}."]})
    alert = TopicAlert.objects.select_for_update().filter(pk=alert_id).first()
    if alert is None:
        raise NotFound("No such alert.")
    before = {"status": alert.status}
    alert.status = status
    alert.handled_by = actor
    alert.handled_at = timezone.now()
    alert.save(update_fields=["status", "handled_by", "handled_at"])
    audit_record(
        actor=actor,
        action="feedback.alert_updated",
        obj=alert,
        before=before,
        after={"status": status},
    )
    return alert
