"""SLA timers: which policy applies, when first response and resolution are due (business hours
and holidays of the policy's calendar), and the periodic check that warns before a breach and
escalates at it."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ckm.core.audit import snapshot
from ckm.service import sla
from ckm.service.models import OPEN_STATUSES, BusinessCalendar, Case, SlaPolicy
from ckm.service.services.common import LOGGED_FIELDS, case_audit, case_history

logger = logging.getLogger(__name__)


def calendar_of(calendar: BusinessCalendar | None) -> sla.Calendar:
    """The pure calendar of a stored one (the default calendar, else Mon-Fri 9-17 local time)."""
    from django.conf import settings

    stored = calendar or BusinessCalendar.objects.filter(is_default=True).first()
    if stored is None:
        return sla.calendar_from(None, (), settings.TIME_ZONE)
    return sla.calendar_from(
        stored.hours,
        stored.holidays.values_list("date", flat=True),
        stored.time_zone or settings.TIME_ZONE,
    )


def policy_for(case: Case, policies: Sequence[SlaPolicy] | None = None) -> SlaPolicy | None:
    """The most specific active policy for the case's kind and priority (blank matches any);
    `policies` may pass the active policies already loaded."""
    best: tuple[int, SlaPolicy] | None = None
    if policies is None:
        policies = list(SlaPolicy.objects.filter(active=True).order_by("pk"))
    for policy in policies:
        if policy.kind and policy.kind != case.kind:
            continue
        if policy.priority and policy.priority != case.priority:
            continue
        score = (2 if policy.kind else 0) + (1 if policy.priority else 0)
        if best is None or score > best[0]:
            best = (score, policy)
    return best[1] if best else None


def sla_start(case: Case, *, memo: dict[Any, Any] | None = None) -> None:
    """Set the policy and both due times from the moment the case was opened (not saved here).
    Work on many cases passes one `memo` dict: the policies and calendars are then loaded once."""
    memo = {} if memo is None else memo
    if "policies" not in memo:
        memo["policies"] = list(
            SlaPolicy.objects.filter(active=True).select_related("calendar").order_by("pk")
        )
    policy = policy_for(case, memo["policies"])
    case.sla_policy = policy
    if policy is None:
        case.first_response_due = case.resolution_due = None
        return
    key = ("calendar", policy.calendar_id)
    if key not in memo:
        memo[key] = calendar_of(policy.calendar)
    calendar = memo[key]
    try:
        case.first_response_due = sla.add_business_hours(
            case.opened_at, policy.first_response_hours, calendar
        )
        case.resolution_due = sla.add_business_hours(
            case.opened_at, policy.resolution_hours, calendar
        )
    except ValueError as exc:
        # a calendar closed (nearly) all the time, by its hours or its holidays: the case is
        # taken without deadlines rather than refused
        logger.warning("no SLA deadlines for a case under %s: %s", policy, exc)
        case.first_response_due = case.resolution_due = None


def resolution_restart(case: Case, *, now: dt.datetime) -> None:
    """A reopened case's resolution target, counted afresh from `now` under its policy (its first
    response stays as it was); not saved here."""
    policy = case.sla_policy if case.sla_policy_id else None
    if policy is None:
        return
    try:
        case.resolution_due = sla.add_business_hours(
            now, policy.resolution_hours, calendar_of(policy.calendar)
        )
    except ValueError as exc:
        logger.warning("no new resolution target for a reopened case under %s: %s", policy, exc)


def timers(case: Case, *, now: dt.datetime | None = None) -> dict[str, sla.TimerState]:
    """First-response and resolution timers of a case as agents see them."""
    moment = now or timezone.now()
    warn = case.sla_policy.warn_at_percent if case.sla_policy_id and case.sla_policy else 80
    return {
        "first_response": sla.timer_state(
            due=case.first_response_due,
            done_at=case.first_response_at,
            started=case.opened_at,
            now=moment,
            warn_at_percent=warn,
        ),
        "resolution": sla.timer_state(
            due=case.resolution_due,
            done_at=case.resolved_at,
            started=case.reopened_at or case.opened_at,
            now=moment,
            warn_at_percent=warn,
        ),
    }


def _escalation_target(case: Case) -> Any:
    if case.sla_policy_id and case.sla_policy and case.sla_policy.escalate_to_id:
        return case.sla_policy.escalate_to
    if case.queue_id and case.queue and case.queue.team_id and case.queue.team:
        return case.queue.team.manager
    if case.team_id and case.team:
        return case.team.manager
    return None


def service_sla_check(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Warn on open cases that used their warning share of a target and escalate those past it.
    Idempotent: each warning and the escalation happen once per case."""
    moment = now or timezone.now()
    counts = {"warned": 0, "escalated": 0}
    candidates = (
        Case.objects.filter(status__in=OPEN_STATUSES)
        .filter(
            Q(first_response_at__isnull=True, first_response_due__isnull=False)
            | Q(resolved_at__isnull=True, resolution_due__isnull=False)
        )
        .filter(escalated=False)
        .select_related("sla_policy", "queue__team__manager", "team__manager")
    )
    for case in candidates.iterator(chunk_size=500):
        state = timers(case, now=moment)
        with transaction.atomic():
            fields: list[str] = []
            for name, flag in (
                ("first_response", "first_response_warned"),
                ("resolution", "resolution_warned"),
            ):
                timer = state[name]
                if timer.level in ("warn", "breach") and not getattr(case, flag):
                    setattr(case, flag, True)
                    fields.append(flag)
                    counts["warned"] += 1
                    label = "first response" if name == "first_response" else "resolution"
                    case_history(
                        case=case,
                        kind="sla_warning",
                        summary=f"SLA warning: {label} due {timer.due:%Y-%m-%d %H:%M}",
                        payload={"timer": name},
                        timeline=False,
                    )
            escalate_at = case.sla_policy.escalate_at_percent if case.sla_policy else 100
            if any(
                state[n].level == "breach"
                or (state[n].level == "warn" and state[n].used_percent >= escalate_at)
                for n in state
            ):
                target = _escalation_target(case)
                before = snapshot(case, LOGGED_FIELDS)
                case.escalated = True
                case.escalated_at = moment
                if case.priority in ("low", "normal"):
                    case.priority = "high"
                    fields.append("priority")
                fields += ["escalated", "escalated_at"]
                counts["escalated"] += 1
                breached = any(state[n].level == "breach" for n in state)
                reason = "SLA target missed" if breached else "SLA target about to be missed"
                case_history(
                    case=case,
                    kind="escalated",
                    summary=f"Escalated: {reason}" + (f", {target} informed" if target else ""),
                    payload={"to_user": target.pk if target else None},
                )
                case_audit(actor=None, case=case, before=before, summary=f"escalated: {reason}")
            if fields:
                case.save(update_fields=[*fields, "updated_at"])
    return counts
