"""Writes of the service app, by subdomain: intake (every channel, threading, linking), the
workflow, replies, routing, SLA timers, the learned classifier, e-mail intake, set-up and demo."""

from ckm.service.services.classify import (
    classifier_activate,
    classifier_train,
    classifier_train_start,
)
from ckm.service.services.intake import (
    case_external_id,
    case_intake,
    case_link_customer,
    case_message_receive,
)
from ckm.service.services.timers import service_sla_check
from ckm.service.services.workflow import (
    case_assign,
    case_classify,
    case_correct,
    case_reopen,
    case_reply,
    case_satisfaction_record,
    case_transition,
)

__all__ = [
    "case_assign",
    "case_classify",
    "case_correct",
    "case_external_id",
    "case_intake",
    "case_link_customer",
    "case_message_receive",
    "case_reopen",
    "case_reply",
    "case_satisfaction_record",
    "case_transition",
    "classifier_activate",
    "classifier_train",
    "classifier_train_start",
    "service_sla_check",
]
