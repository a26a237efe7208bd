"""A small desk whose cases sit at known places around a fixed moment, NOW (see the comments on
each case); the tests' fixture `cases` builds it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from ckm.core.models import Role
from ckm.service.models import Case
from ckm.service.services import case_intake
from ckm.service.services.setup import queue_save


def _last_wednesday_noon() -> dt.datetime:
    today = timezone.localdate()
    back = (today.weekday() - 2) % 7 + 7  # last week's: the charts draw whole weeks
    return timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=back), dt.time(12)))


# Wednesday noon of last week: the period's weeks start on the Mondays before, and the
# pages (which use the real time) see every case but d within four weeks
NOW = _last_wednesday_noon()
H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)


def _case(actor: Any, **fields: Any) -> Case:
    case = case_intake(channel="letter", subject="", body="My card is blocked.", actor=actor)
    Case.objects.filter(pk=case.pk).update(
        **{"queue": None, "first_response_due": None, "resolution_due": None, **fields}
    )
    return case


def desk_cases(agent: Any, make_user: Any) -> dict[str, Any]:
    agent2 = make_user(Role.AGENT, username="agent2", first_name="Ada", last_name="Lind")
    cards = queue_save(actor=None, name="Cards", members=[agent, agent2], rank=10)
    return {
        "agent2": agent2,
        "cards": cards,
        # answered in time, resolution still running
        "a": _case(
            agent,
            status="in_progress",
            assignee=agent,
            opened_at=NOW - D,
            first_response_due=NOW - 20 * H,
            first_response_at=NOW - 22 * H,
            resolution_due=NOW + 3 * D,
        ),
        # never answered, the deadline passed: late
        "b": _case(
            agent,
            status="received",
            assignee=None,
            opened_at=NOW - 2 * D,
            first_response_due=NOW - D,
        ),
        # answered in time, resolved late, closed, reopened once, rated 4
        "c": _case(
            agent,
            status="closed",
            queue=cards,
            assignee=agent2,
            opened_at=NOW - 3 * D,
            first_response_due=NOW - 2 * D,
            first_response_at=NOW - 2.5 * D,
            resolution_due=NOW - 1.5 * D,
            resolved_at=NOW - D,
            closed_at=NOW - D,
            reopened_count=1,
            satisfaction_score=4,
            satisfaction_at=NOW - 12 * H,
        ),
        # long before the period and closed: not counted at all
        "d": _case(
            agent,
            status="closed",
            opened_at=NOW - 90 * D,
            first_response_due=NOW - 89 * D,
            closed_at=NOW - 80 * D,
        ),
        # just opened, the answer not yet due but warned: at risk, not decided
        "e": _case(
            agent,
            status="assigned",
            assignee=agent,
            opened_at=NOW - 5 * H,
            first_response_due=NOW + 3 * H,
            first_response_warned=True,
        ),
    }
