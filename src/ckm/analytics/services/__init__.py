"""Writes of analytics, split by subdomain: training, scoring and the registry; value and CLV;
segments; alert rules and the retention list; the schedule; the demo seed."""

from ckm.analytics.services.alerts import (
    alert_rule_save,
    alert_rules_default,
    alert_update,
    alerts_evaluate,
)
from ckm.analytics.services.demo import analytics_seed_demo
from ckm.analytics.services.schedule import (
    analytics_refresh,
    analytics_refresh_start,
    analytics_schedule_run,
)
from ckm.analytics.services.scoring import (
    model_promote,
    model_rollback,
    model_score,
    model_score_start,
    model_version_retire,
)
from ckm.analytics.services.segments import (
    segment_delete,
    segment_save,
    segment_snapshots_take,
    segments_learn,
    segments_learn_start,
)
from ckm.analytics.services.training import model_train, model_train_start
from ckm.analytics.services.value import value_compute, value_settings_get, value_settings_update

__all__ = [
    "alert_rule_save",
    "alert_rules_default",
    "alert_update",
    "alerts_evaluate",
    "analytics_refresh",
    "analytics_refresh_start",
    "analytics_schedule_run",
    "analytics_seed_demo",
    "model_promote",
    "model_rollback",
    "model_score",
    "model_score_start",
    "model_train",
    "model_train_start",
    "model_version_retire",
    "segment_delete",
    "segment_save",
    "segment_snapshots_take",
    "segments_learn",
    "segments_learn_start",
    "value_compute",
    "value_settings_get",
    "value_settings_update",
]
