"""API of the performance dashboards: the service desk's KPIs as JSON (the same figures as the
page). Thin: the schema checks the period, the selector computes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Query, Router, Schema

from ckm.core.apikit import In
from ckm.core.http import AuthedRequest
from ckm.performance.selectors import (
    WEEKS_DEFAULT,
    WEEKS_MAX,
    desk_kpis_cached,
    knowledge_loops,
)

router = Router(tags=["performance"])


class DeskFilterIn(In):
    weeks: int = Field(WEEKS_DEFAULT, ge=1, le=WEEKS_MAX)
    queue: int | None = Field(None, ge=1)
    refresh: bool = Field(False, description="count now instead of returning kept figures")


class TallyOut(Schema):
    name: str
    open: int
    unassigned: int
    late: int
    at_risk: int
    oldest_open_days: float
    opened: int
    closed: int
    reopened: int
    reopened_pct: float | None
    escalated: int
    first_response_met: int
    first_response_decided: int
    first_response_pct: float | None
    resolution_met: int
    resolution_decided: int
    resolution_pct: float | None
    median_first_response_hours: float | None
    median_resolution_days: float | None
    satisfaction: float | None
    satisfaction_answers: int


class DeskWeekOut(TallyOut):
    week: dt.date


class DeskOut(Schema):
    start: dt.datetime
    end: dt.datetime
    weeks: int
    queue_id: int | None
    desk: TallyOut
    weekly: list[DeskWeekOut]
    by_queue: list[TallyOut]
    by_agent: list[TallyOut]


@router.get(
    "/performance/desk",
    response=DeskOut,
    summary="Service desk KPIs: backlog, SLA attainment, times and satisfaction per week, "
    "queue and agent",
)
def desk(request: AuthedRequest, filters: Query[DeskFilterIn]) -> Any:
    kpis = desk_kpis_cached(
        user=request.user, weeks=filters.weeks, queue_id=filters.queue, refresh=filters.refresh
    )
    return kpis.as_dict()


class SuggestionLoopOut(Schema):
    version: int | None
    trained_at: dt.datetime | None
    learned_from: int
    holdout_top1: float | None
    answers_since: int
    answers_30d: int
    searches_30d: int
    weak_share: float | None
    click_through: float | None
    deflection: float | None


class ClosedGapOut(Schema):
    id: int
    topic: str
    article: str | None
    weekly_before: float | None
    weekly_after: float | None
    change: float | None


class GapLoopOut(Schema):
    open: int
    drafted: int
    closed: int
    alerts_new: int
    closed_gaps: list[ClosedGapOut]


class IdeaLoopOut(Schema):
    by_status: dict[str, int]
    contacts_consenting: int
    contacts_made: int


class CampaignLiftOut(Schema):
    campaign_id: int
    name: str
    lift: float | None
    significant: bool


class ResponseLoopOut(Schema):
    product: str
    model_version: int
    trained_at: dt.datetime
    learned: int
    latency_days: float | None
    campaigns: list[CampaignLiftOut]


class LoopsOut(Schema):
    suggestions: SuggestionLoopOut
    gaps: GapLoopOut
    ideas: IdeaLoopOut
    responses: list[ResponseLoopOut]


@router.get(
    "/performance/loops",
    response=LoopsOut,
    summary="Whether the knowledge loops close: answers → suggestions, complaints → articles, "
    "ideas → products, responses → models",
)
def loops(request: AuthedRequest) -> Any:
    data = knowledge_loops(user=request.user)
    gaps = data.gaps
    return {
        "suggestions": vars(data.suggestions),
        "gaps": {
            **{k: getattr(gaps, k) for k in ("open", "drafted", "closed", "alerts_new")},
            "closed_gaps": [
                {
                    "id": gap.pk,
                    "topic": gap.topic.label,
                    "article": gap.article.title if gap.article else None,
                    "weekly_before": gap.weekly_before,
                    "weekly_after": gap.weekly_after,
                    "change": change,
                }
                for gap, change in gaps.closed_gaps
            ],
        },
        "ideas": {
            "by_status": {value: n for value, _, n in data.ideas.by_status},
            "contacts_consenting": data.ideas.contacts_consenting,
            "contacts_made": data.ideas.contacts_made,
        },
        "responses": [
            {
                "product": r.product.name,
                "model_version": r.version.version,
                "trained_at": r.version.created_at,
                "learned": r.learned,
                "latency_days": r.latency_days,
                "campaigns": [
                    {
                        "campaign_id": c.pk,
                        "name": c.name,
                        "lift": lift.lift,
                        "significant": lift.significant,
                    }
                    for c, lift in r.campaigns
                ],
            }
            for r in data.responses
        ],
    }
