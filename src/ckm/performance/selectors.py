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

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Aggregate, Count, F, FloatField, Func, Min, Q, Sum
from django.db.models.functions import TruncWeek
from django.utils import timezone

from ckm.core.errors import NotFound
from ckm.core.models import User
from ckm.core.permissions import require_perm
from ckm.feedback.selectors import local_date, monday, relative_change, week_range
from ckm.service.models import OPEN_STATUSES, Queue
from ckm.service.selectors import case_queryset, late_q

WEEKS_DEFAULT = 12
WEEKS_MAX = 52


def _median(values: list[float], computed: float | None) -> float | None:
    if values:
        return round(statistics.median(values), 1)
    return round(computed, 1) if computed is not None else None


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
    # the times behind the medians (SQLite), or the medians the database computed (PostgreSQL)
    first_response_hours: list[float] = field(default_factory=list)
    resolution_days: list[float] = field(default_factory=list)
    first_response_median: float | None = None
    resolution_median: float | None = None
    satisfaction_sum: int = 0
    satisfaction_answers: int = 0

    @property
    def first_response_pct(self) -> float | None:
        return _share(self.first_response_met, self.first_response_decided)

    @property
    def resolution_pct(self) -> float | None:
        return _share(self.resolution_met, self.resolution_decided)

    @property
    def median_first_response_hours(self) -> float | None:
        return _median(self.first_response_hours, self.first_response_median)

    @property
    def median_resolution_days(self) -> float | None:
        return _median(self.resolution_days, self.resolution_median)

    @property
    def satisfaction(self) -> float | None:
        if not self.satisfaction_answers:
            return None
        return round(self.satisfaction_sum / self.satisfaction_answers, 2)

    @property
    def reopened_pct(self) -> float | None:
        return _share(self.reopened, self.closed)

    def settle(self) -> None:
        """Take the medians of the times read and drop the times (before caching)."""
        self.first_response_median = self.median_first_response_hours
        self.resolution_median = self.median_resolution_days
        self.first_response_hours, self.resolution_days = [], []

    def as_dict(self) -> dict[str, Any]:
        out = {
            k: v
            for k, v in vars(self).items()
            if not isinstance(v, list)
            and k not in {"satisfaction_sum", "first_response_median", "resolution_median"}
        }
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

    def tallies(self) -> list[Tally]:
        return [self.desk, *(t for _, t in self.weekly), *self.by_queue, *self.by_agent]

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


def period_start(now: dt.datetime, weeks: int) -> dt.datetime:
    """Monday 00:00 (local time) of the first of the `weeks` whole weeks ending with this one."""
    first = monday(local_date(now)) - dt.timedelta(weeks=weeks - 1)
    return timezone.make_aware(dt.datetime.combine(first, dt.time.min))


def _target_counts(name: str, due: str, done: str, now: dt.datetime) -> dict[str, Count]:
    """(decided, met) of one SLA target as SQL counts: decided once met or past its deadline."""
    has_due = Q(**{f"{due}__isnull": False})
    decided = has_due & (Q(**{f"{done}__isnull": False}) | Q(**{f"{due}__lt": now}))
    met = has_due & Q(**{f"{done}__isnull": False, f"{done}__lte": F(due)})
    return {
        f"{name}_decided": Count("id", filter=decided),
        f"{name}_met": Count("id", filter=met),
    }


def _grouped(cases: Any, aggregates: dict[str, Any], key: str | None) -> dict[Any, dict[str, Any]]:
    """The aggregates for the whole set (key None) or per value of `key` (a field or the
    annotated "week")."""
    if key is None:
        return {None: cases.aggregate(**aggregates)}
    rows = cases.values(key).annotate(**aggregates).order_by()
    return {row.pop(key): row for row in rows}


def _add(tally: Tally, figures: dict[str, Any], now: dt.datetime) -> None:
    """Fold one row of aggregates into a tally."""
    for name, value in figures.items():
        if name == "oldest":
            if value is not None:
                age = (now - value).total_seconds() / 86400
                tally.oldest_open_days = max(tally.oldest_open_days, age)
        elif name == "warned":
            tally.at_risk += value - figures["warned_late"]
        elif name != "warned_late":
            setattr(tally, name, getattr(tally, name) + (value or 0))


class _Median(Aggregate):
    """PostgreSQL's median (an ordered-set aggregate; it interpolates like statistics.median)."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


def _seconds_between(start: str, end: str) -> Func:
    return Func(
        F(end) - F(start),
        template="EXTRACT(EPOCH FROM %(expressions)s)",
        output_field=FloatField(),
    )


def _medians(opened: Any, desk: Tally, queues: dict[Any, Tally], agents: dict[int, Tally]) -> None:
    """Times to the first answer and to the resolution of the period's cases: medians computed
    by PostgreSQL per group; elsewhere (SQLite) the times are read and the medians taken here."""
    rows = opened.filter(Q(first_response_at__isnull=False) | Q(resolved_at__isnull=False))
    if connection.vendor == "postgresql":
        aggregates = {
            "first": _Median(
                _seconds_between("opened_at", "first_response_at"),
                filter=Q(first_response_at__isnull=False),
            ),
            "resolved": _Median(
                _seconds_between("opened_at", "resolved_at"), filter=Q(resolved_at__isnull=False)
            ),
        }
        for key, tally_of in (
            (None, lambda _: desk),
            ("queue_id", lambda key: queues[key]),
            ("assignee_id", lambda key: agents[key]),
        ):
            subset = rows.filter(assignee__isnull=False) if key == "assignee_id" else rows
            for value, figures in _grouped(subset, aggregates, key).items():
                tally = tally_of(value)
                if figures["first"] is not None:
                    tally.first_response_median = figures["first"] / 3600
                if figures["resolved"] is not None:
                    tally.resolution_median = figures["resolved"] / 86400
        return
    fields = ("queue_id", "assignee_id", "opened_at", "first_response_at", "resolved_at")
    for queue_id, assignee_id, opened_at, answered, resolved in rows.values_list(*fields):
        tallies = [desk, queues[queue_id]] + ([agents[assignee_id]] if assignee_id else [])
        for tally in tallies:
            if answered is not None:
                tally.first_response_hours.append((answered - opened_at).total_seconds() / 3600)
            if resolved is not None:
                tally.resolution_days.append((resolved - opened_at).total_seconds() / 86400)


def desk_kpis(
    *,
    user: Any,
    weeks: int = WEEKS_DEFAULT,
    queue_id: int | None = None,
    now: dt.datetime | None = None,
) -> DeskKpis:
    """The service desk's figures over the last `weeks` whole weeks (this one included), for the
    cases the user may see, optionally of one queue. Counted by the database, grouped by queue,
    agent and week; only the medians read the times of the period's answered cases."""
    require_perm(user, "performance.view_dashboard")
    if not 1 <= weeks <= WEEKS_MAX:
        raise ValueError(f"weeks must be between 1 and {WEEKS_MAX}")
    now = now or timezone.now()
    start = period_start(now, weeks)
    cases = case_queryset(user=user)
    if queue_id is not None:
        if not Queue.objects.filter(pk=queue_id).exists():
            raise NotFound(f"No queue {queue_id}.")
        cases = cases.filter(queue_id=queue_id)
    tz = timezone.get_current_timezone()
    late = late_q(now)
    warned = Q(first_response_warned=True) | Q(resolution_warned=True)
    # (cases, aggregates, the field whose week counts) of each measure
    measures: list[tuple[Any, dict[str, Any], str | None]] = [
        (
            cases.filter(status__in=OPEN_STATUSES),
            {
                "open": Count("id"),
                "unassigned": Count("id", filter=Q(assignee__isnull=True)),
                "late": Count("id", filter=late),
                "warned": Count("id", filter=warned),
                "warned_late": Count("id", filter=warned & late),
                "oldest": Min("opened_at"),
            },
            None,
        ),
        (
            cases.filter(opened_at__gte=start, opened_at__lte=now),
            {
                "opened": Count("id"),
                "escalated": Count("id", filter=Q(escalated_at__isnull=False)),
                **_target_counts("first_response", "first_response_due", "first_response_at", now),
                **_target_counts("resolution", "resolution_due", "resolved_at", now),
            },
            "opened_at",
        ),
        (
            cases.filter(closed_at__gte=start, closed_at__lte=now),
            {"closed": Count("id"), "reopened": Count("id", filter=Q(reopened_count__gt=0))},
            "closed_at",
        ),
        (
            cases.filter(
                satisfaction_at__gte=start, satisfaction_at__lte=now, satisfaction_score__gt=0
            ),
            {"satisfaction_sum": Sum("satisfaction_score"), "satisfaction_answers": Count("id")},
            "satisfaction_at",
        ),
    ]
    desk = Tally(name="Desk")
    weekly: dict[dt.date, Tally] = defaultdict(Tally)
    queues: dict[int | None, Tally] = defaultdict(Tally)
    agents: dict[int, Tally] = defaultdict(Tally)
    # per measure one query grouped by queue and agent, folded into the desk, each queue and each
    # agent (every figure but the medians adds up), and one grouped by week
    for subset, aggregates, week_field in measures:
        for row in subset.values("queue_id", "assignee_id").annotate(**aggregates).order_by():
            queue, agent = row.pop("queue_id"), row.pop("assignee_id")
            for tally in (desk, queues[queue], *((agents[agent],) if agent is not None else ())):
                _add(tally, row, now)
        if week_field is not None:
            by_week = subset.annotate(week=TruncWeek(week_field, tzinfo=tz))
            for week, figures in _grouped(by_week, aggregates, "week").items():
                _add(weekly[local_date(week)], figures, now)
    _medians(cases.filter(opened_at__gte=start, opened_at__lte=now), desk, queues, agents)
    names = dict(Queue.objects.filter(pk__in=[k for k in queues if k]).values_list("pk", "name"))
    for pk, tally in queues.items():
        tally.name = names.get(pk, "No queue") if pk else "No queue"
    for user_row in User.objects.filter(pk__in=list(agents)).values(
        "pk", "first_name", "last_name", "username"
    ):
        full = f"{user_row['first_name']} {user_row['last_name']}".strip()
        agents[user_row["pk"]].name = full or user_row["username"]
    week_list = week_range(local_date(start), local_date(now))
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


def desk_kpis_cached(
    *, user: Any, weeks: int = WEEKS_DEFAULT, queue_id: int | None = None, refresh: bool = False
) -> DeskKpis:
    """desk_kpis as the dashboard shows them: kept per user and filter for
    CKM_DASHBOARD_CACHE_SECONDS (a big desk's year takes seconds to count), computed anew when
    asked to refresh or when older. The figures carry their time (`end`), which the page shows."""
    require_perm(user, "performance.view_dashboard")
    key = f"performance:desk:{user.pk}:{weeks}:{queue_id}"
    if not refresh:
        kept = cache.get(key)
        if isinstance(kept, DeskKpis):
            return kept
    kpis = desk_kpis(user=user, weeks=weeks, queue_id=queue_id)
    for tally in kpis.tallies():
        tally.settle()
    cache.set(key, kpis, settings.CKM_DASHBOARD_CACHE_SECONDS)
    return kpis


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


def knowledge_loops(*, user: Any, now: dt.datetime | None = None) -> KnowledgeLoops:
    """The four loops' figures (totals; the pages behind the links apply each app's access)."""
    from ckm.campaigns.selectors import campaign_products, model_generations
    from ckm.feedback.models import Insight, InsightContact, KnowledgeGap
    from ckm.feedback.selectors import alert_count_new
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
        alerts_new=alert_count_new(user),
        closed_gaps=[(g, relative_change(g.weekly_before, g.weekly_after)) for g in closed],
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
