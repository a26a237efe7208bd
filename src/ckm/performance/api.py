"""API of the performance dashboards: the service desk's KPIs as JSON (the same figures as the
page). Thin: the schema checks the period, the selector computes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Query, Router, Schema

from ckm.core.http import AuthedRequest
from ckm.performance.selectors import WEEKS_DEFAULT, WEEKS_MAX, desk_kpis

router = Router(tags=["performance"])


class DeskFilterIn(Schema):
    weeks: int = Field(WEEKS_DEFAULT, ge=1, le=WEEKS_MAX)
    queue: int | None = Field(None, ge=1)


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


class WeekOut(TallyOut):
    week: dt.date


class DeskOut(Schema):
    start: dt.datetime
    end: dt.datetime
    weeks: int
    queue_id: int | None
    desk: TallyOut
    weekly: list[WeekOut]
    by_queue: list[TallyOut]
    by_agent: list[TallyOut]


@router.get(
    "/performance/desk",
    response=DeskOut,
    summary="Service desk KPIs: backlog, SLA attainment, times and satisfaction per week, "
    "queue and agent",
)
def desk(request: AuthedRequest, filters: Query[DeskFilterIn]) -> Any:
    return desk_kpis(user=request.user, weeks=filters.weeks, queue_id=filters.queue).as_dict()
