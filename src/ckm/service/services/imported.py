"""Open cases that arrive in bulk (the import): classified in one batch, SLA timers started and
routed, like a case from any channel, but without acknowledging history again."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ckm.service.models import Case, CaseEvent
from ckm.service.services.classify import apply_prediction, predict_cases
from ckm.service.services.common import case_history
from ckm.service.services.intake import _route
from ckm.service.services.timers import sla_start

BATCH = 500


def cases_triage(*, case_ids: Sequence[int]) -> int:
    """Classify, time and route open cases that have no queue yet; returns how many."""
    done = 0
    memo: dict[Any, Any] = {}
    for start in range(0, len(case_ids), BATCH):
        cases = list(
            Case.objects.filter(pk__in=case_ids[start : start + BATCH], queue__isnull=True)
        )
        result = predict_cases(cases) if cases else None
        # triaged again (the demo routes once its queues exist): the import is one step
        logged = set(
            CaseEvent.objects.filter(
                case_id__in=[c.pk for c in cases], kind="imported"
            ).values_list("case_id", flat=True)
        )
        for index, case in enumerate(cases):
            fields = ["sla_policy", "first_response_due", "resolution_due"]
            if result is not None:
                fields += apply_prediction(case, result[0], result[1][index])
            sla_start(case, memo=memo)
            case.save(update_fields=fields)
            if case.pk not in logged:
                case_history(
                    case=case,
                    kind="imported",
                    summary=f"Imported ({case.external_id})",
                    timeline=False,
                    at=case.opened_at,
                )
            _route(case, actor=None)
            done += 1
    return done
