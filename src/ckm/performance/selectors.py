"""Reads for the performance dashboards. The service desk: the backlog now, and over a period of
whole weeks the volume, the share of first responses and resolutions within their SLA targets,
response and resolution times, reopened cases, escalations and customer satisfaction, per week,
per queue and per agent.

Definitions (also in docs/roles/manager.md):
- a case counts in the week it was opened for volume, targets and times; a close counts in the
  week of the close; a satisfaction answer in the week it was given;
- a target is decided once it was met or its deadline has passed; cases without an SLA and
  targets still running are left out of the shares;
- late: open with a passed deadline not met; at risk: open, not late, warned by the SLA clock."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from ckm.core.errors import NotFound
from ckm.core.permissions import require_perm
from ckm.service.models import OPEN_STATUSES, Queue
from ckm.service.selectors import case_queryset

WEEKS_DEFAULT = 12
WEEKS_MAX = 52

_FIELDS = (
    "opened_at",
    "closed_at",
    "status",
    "first_response_due",
    "first_response_at",
    "resolution_due",
    "resolved_at",
    "first_response_warned",
    "resolution_warned",
    "escalated_at",
    "reopened_count",
    "satisfaction_score",
    "satisfaction_at",
    "queue_id",
    "queue__name",
    "assignee_id",
    "assignee__first_name",
    "assignee__last_name",
    "assignee__username",
)


def _share(met: int, total: int) -> float | None:
    return round(100 * met / total, 1) if total else None


@dataclass
class Tally:
    """The measures of one group of cases (the whole desk, a week, a queue or an agent)."""

    name: str = ""
    open: int = 0
    unassigned: int = 0
    late: int = 0
    at_risk: int = 0
    oldest_open_days: float = 0.0
    opened: int = 0
    closed: int = 0
    reopened: int = 0
    escalated: int = 0
    first_response_met: int = 0
    first_response_decided: int = 0
    resolution_met: int = 0
    resolution_decided: int = 0
    first_response_hours: list[float] = field(default_factory=list)
    resolution_days: list[float] = field(default_factory=list)
    scores: list[int] = field(default_factory=list)

    @property
    def first_response_pct(self) -> float | None:
        return _share(self.first_response_met, self.first_response_decided)

    @property
    def resolution_pct(self) -> float | None:
        return _share(self.resolution_met, self.resolution_decided)

    @property
    def median_first_response_hours(self) -> float | None:
        hours = self.first_response_hours
        return round(statistics.median(hours), 1) if hours else None

    @property
    def median_resolution_days(self) -> float | None:
        days = self.resolution_days
        return round(statistics.median(days), 1) if days else None

    @property
    def satisfaction(self) -> float | None:
        return round(statistics.mean(self.scores), 2) if self.scores else None

    @property
    def reopened_pct(self) -> float | None:
        return _share(self.reopened, self.closed)

    def as_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in vars(self).items() if not isinstance(v, list)}
        out["oldest_open_days"] = round(self.oldest_open_days, 1)
        for name in (
            "first_response_pct",
            "resolution_pct",
            "median_first_response_hours",
            "median_resolution_days",
            "satisfaction",
            "reopened_pct",
        ):
            out[name] = getattr(self, name)
        out["satisfaction_answers"] = len(self.scores)
        return out


@dataclass
class DeskKpis:
    start: dt.datetime
    end: dt.datetime
    weeks: int
    queue_id: int | None
    desk: Tally
    weekly: list[tuple[dt.date, Tally]]
    by_queue: list[Tally]
    by_agent: list[Tally]

    def as_dict(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "end": self.end,
            "weeks": self.weeks,
            "queue_id": self.queue_id,
            "desk": self.desk.as_dict(),
            "weekly": [{**t.as_dict(), "week": week} for week, t in self.weekly],
            "by_queue": [t.as_dict() for t in self.by_queue],
            "by_agent": [t.as_dict() for t in self.by_agent],
        }


def _week_of(moment: dt.datetime) -> dt.date:
    day = timezone.localtime(moment).date()
    return day - dt.timedelta(days=day.weekday())


def _period_start(now: dt.datetime, weeks: int) -> dt.datetime:
    """Monday 00:00 (local time) of the first of the `weeks` whole weeks ending with this one."""
    monday = _week_of(now) - dt.timedelta(weeks=weeks - 1)
    return timezone.make_aware(dt.datetime.combine(monday, dt.time.min))


def _agent_name(row: dict[str, Any]) -> str:
    full = f"{row['assignee__first_name']} {row['assignee__last_name']}".strip()
    return full or str(row["assignee__username"])


def _count(groups: list[Tally], row: dict[str, Any], now: dt.datetime, start: dt.datetime) -> None:
    """Add one case to the groups it belongs to (the desk, its queue, its agent); the weekly
    groups are added by the caller per event."""
    if row["status"] in OPEN_STATUSES:
        fr_late = row["first_response_at"] is None and _before(row["first_response_due"], now)
        res_late = row["resolved_at"] is None and _before(row["resolution_due"], now)
        warned = row["first_response_warned"] or row["resolution_warned"]
        age = (now - row["opened_at"]).total_seconds() / 86400
        for tally in groups:
            tally.open += 1
            tally.unassigned += row["assignee_id"] is None
            tally.late += fr_late or res_late
            tally.at_risk += bool(warned) and not (fr_late or res_late)
            tally.oldest_open_days = max(tally.oldest_open_days, age)


def _before(moment: dt.datetime | None, now: dt.datetime) -> bool:
    return moment is not None and moment < now


def _target(due: dt.datetime | None, done: dt.datetime | None, now: dt.datetime) -> tuple[int, int]:
    """(decided, met) of one SLA target: decided once it was met or its deadline passed."""
    if due is None or (done is None and due >= now):
        return 0, 0
    return 1, int(done is not None and done <= due)


def _opened(tally: Tally, row: dict[str, Any], now: dt.datetime) -> None:
    tally.opened += 1
    if row["escalated_at"] is not None:
        tally.escalated += 1
    decided, met = _target(row["first_response_due"], row["first_response_at"], now)
    tally.first_response_decided += decided
    tally.first_response_met += met
    decided, met = _target(row["resolution_due"], row["resolved_at"], now)
    tally.resolution_decided += decided
    tally.resolution_met += met
    if row["first_response_at"] is not None:
        hours = (row["first_response_at"] - row["opened_at"]).total_seconds() / 3600
        tally.first_response_hours.append(hours)
    if row["resolved_at"] is not None:
        days = (row["resolved_at"] - row["opened_at"]).total_seconds() / 86400
        tally.resolution_days.append(days)


def _closed(tally: Tally, row: dict[str, Any]) -> None:
    tally.closed += 1
    tally.reopened += row["reopened_count"] > 0


def desk_kpis(
    *,
    user: Any,
    weeks: int = WEEKS_DEFAULT,
    queue_id: int | None = None,
    now: dt.datetime | None = None,
) -> DeskKpis:
    """The service desk's figures over the last `weeks` whole weeks (this one included), for the
    cases the user may see, optionally of one queue."""
    require_perm(user, "performance.view_dashboard")
    if not 1 <= weeks <= WEEKS_MAX:
        raise ValueError(f"weeks must be between 1 and {WEEKS_MAX}")
    now = now or timezone.now()
    start = _period_start(now, weeks)
    cases = case_queryset(user=user).filter(
        Q(status__in=OPEN_STATUSES)
        | Q(opened_at__gte=start)
        | Q(closed_at__gte=start)
        | Q(satisfaction_at__gte=start)
    )
    if queue_id is not None:
        if not Queue.objects.filter(pk=queue_id).exists():
            raise NotFound(f"No queue {queue_id}.")
        cases = cases.filter(queue_id=queue_id)
    desk = Tally(name="Desk")
    weekly: dict[dt.date, Tally] = defaultdict(Tally)
    queues: dict[int | None, Tally] = {}
    agents: dict[int, Tally] = {}
    for row in cases.values(*_FIELDS).order_by():
        groups = [desk]
        groups.append(
            queues.setdefault(row["queue_id"], Tally(name=row["queue__name"] or "No queue"))
        )
        if row["assignee_id"] is not None:
            groups.append(agents.setdefault(row["assignee_id"], Tally(name=_agent_name(row))))
        _count(groups, row, now, start)
        if start <= row["opened_at"] <= now:
            for tally in [*groups, weekly[_week_of(row["opened_at"])]]:
                _opened(tally, row, now)
        if row["closed_at"] is not None and start <= row["closed_at"] <= now:
            for tally in [*groups, weekly[_week_of(row["closed_at"])]]:
                _closed(tally, row)
        answered = row["satisfaction_at"]
        if answered is not None and row["satisfaction_score"] and start <= answered <= now:
            for tally in [*groups, weekly[_week_of(answered)]]:
                tally.scores.append(row["satisfaction_score"])
    first_week = _week_of(start)
    week_list = [first_week + dt.timedelta(weeks=i) for i in range(weeks)]
    return DeskKpis(
        start=start,
        end=now,
        weeks=weeks,
        queue_id=queue_id,
        desk=desk,
        weekly=[(week, weekly.get(week) or Tally()) for week in week_list],
        by_queue=sorted(queues.values(), key=lambda t: (-t.open, -t.opened, t.name)),
        by_agent=sorted(agents.values(), key=lambda t: (-t.open, -t.closed, t.name)),
    )


# --- the knowledge loops ------------------------------------------------------------------------
# Whether the loops between the three knowledge flows close: answers agents record teach the
# suggestions; complaint topics nobody could answer become articles and the cases drop; ideas
# reach product development and the customers who raised them; campaign responses retrain the
# model that picks the next campaign. Figures, each with where to act.


@dataclass
class SuggestionLoop:
    version: int | None
    trained_at: dt.datetime | None
    learned_from: int
    holdout_top1: float | None
    answers_since: int  # answers recorded after the version in use was trained
    answers_30d: int
    searches_30d: int
    weak_share: float | None  # searches with no good answer
    click_through: float | None
    deflection: float | None  # portal visits that did not end in a message


@dataclass
class GapLoop:
    open: int
    drafted: int
    closed: int
    alerts_new: int
    closed_gaps: list[tuple[Any, float | None]]  # (KnowledgeGap, change of its weekly cases)


@dataclass
class IdeaLoop:
    by_status: list[tuple[str, str, int]]  # (status, label, insights)
    contacts_consenting: int
    contacts_made: int


@dataclass
class ResponseLoop:
    product: Any
    version: Any  # the latest model generation (analytics ModelVersion)
    learned: int
    latency_days: float | None
    campaigns: list[tuple[Any, Any]]  # (campaign, Lift) of every generation, latest first


@dataclass
class KnowledgeLoops:
    suggestions: SuggestionLoop
    gaps: GapLoop
    ideas: IdeaLoop
    responses: list[ResponseLoop]


def _gap_change(gap: Any) -> float | None:
    if not gap.weekly_before or gap.weekly_after is None:
        return None
    return float((gap.weekly_after - gap.weekly_before) / gap.weekly_before)


def knowledge_loops(*, user: Any, now: dt.datetime | None = None) -> KnowledgeLoops:
    """The four loops' figures (totals; the pages behind the links apply each app's access)."""
    from ckm.campaigns.selectors import campaign_products, model_generations
    from ckm.feedback.models import Insight, InsightContact, KnowledgeGap, TopicAlert
    from ckm.knowledge.models import ArticleEvidence
    from ckm.knowledge.selectors import suggestion_model_active, usage_counts

    require_perm(user, "performance.view_dashboard")
    now = now or timezone.now()
    month_ago = now - dt.timedelta(days=30)
    model = suggestion_model_active()
    usage = usage_counts(days=30)
    evidence = ArticleEvidence.objects.all()
    suggestions = SuggestionLoop(
        version=model.version if model else None,
        trained_at=model.created_at if model else None,
        learned_from=model.n_evidence if model else 0,
        holdout_top1=(model.metrics or {}).get("holdout_top1") if model else None,
        answers_since=evidence.filter(created_at__gt=model.created_at).count()
        if model
        else evidence.count(),
        answers_30d=evidence.filter(created_at__gte=month_ago).count(),
        searches_30d=usage.searches,
        weak_share=usage.unanswered / usage.searches if usage.searches else None,
        click_through=usage.click_through,
        deflection=usage.deflection,
    )
    states = dict(
        KnowledgeGap.objects.values_list("state").annotate(n=Count("id")).values_list("state", "n")
    )
    closed = list(
        KnowledgeGap.objects.filter(state=KnowledgeGap.State.CLOSED)
        .select_related("topic", "article")
        .order_by("-closed_at")[:5]
    )
    gaps = GapLoop(
        open=states.get(KnowledgeGap.State.OPEN, 0),
        drafted=states.get(KnowledgeGap.State.DRAFTED, 0),
        closed=states.get(KnowledgeGap.State.CLOSED, 0),
        alerts_new=TopicAlert.objects.filter(status=TopicAlert.Status.NEW).count(),
        closed_gaps=[(gap, _gap_change(gap)) for gap in closed],
    )
    counts = dict(Insight.objects.values_list("status").annotate(n=Count("id")))
    ideas = IdeaLoop(
        by_status=[(v, str(label), counts.get(v, 0)) for v, label in Insight.Status.choices],
        contacts_consenting=InsightContact.objects.filter(consented=True).count(),
        contacts_made=InsightContact.objects.filter(contacted_at__isnull=False).count(),
    )
    responses = []
    if user.has_perm("campaigns.view_campaign"):
        for product in campaign_products(user=user):
            generations = model_generations(user=user, product_id=product.pk)
            if not generations:
                continue
            latest = generations[0]
            responses.append(
                ResponseLoop(
                    product=product,
                    version=latest.version,
                    learned=latest.learned,
                    latency_days=latest.latency_days,
                    campaigns=[pair for g in generations for pair in g.campaigns][:4],
                )
            )
    return KnowledgeLoops(suggestions=suggestions, gaps=gaps, ideas=ideas, responses=responses)
