"""Writes of campaigns, split by subdomain: planning (the target list and its NPV), execution
(the gate, launch, outcomes, conversions, closing), the loop (labels and retraining), uplift."""

from ckm.campaigns.services.execution import (
    GateError,
    campaign_approve,
    campaign_close,
    campaign_launch,
    conversions_detect,
    conversions_detect_all,
    member_outcome_by_customer,
    member_outcome_record,
    responses_import,
)
from ckm.campaigns.services.loop import (
    loop_schedule_run,
    model_retrain_from_responses,
    retrain_start,
)
from ckm.campaigns.services.planning import campaign_plan, campaign_save, plan_compute
from ckm.campaigns.services.uplift import uplift_train

__all__ = [
    "GateError",
    "campaign_approve",
    "campaign_close",
    "campaign_launch",
    "campaign_plan",
    "campaign_save",
    "conversions_detect",
    "conversions_detect_all",
    "loop_schedule_run",
    "member_outcome_by_customer",
    "member_outcome_record",
    "model_retrain_from_responses",
    "plan_compute",
    "responses_import",
    "retrain_start",
    "uplift_train",
]
