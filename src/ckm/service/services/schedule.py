"""One pass of the service schedule: SLA check, mailbox, classifier retraining when due."""

from __future__ import annotations

from ckm.core.errors import DomainError
from ckm.service.services.classify import classifier_retrain_due, classifier_train
from ckm.service.services.mail import mail_poll, mailbox_settings
from ckm.service.services.timers import service_sla_check


def service_schedule_run(*, force_train: bool = False) -> list[str]:
    """Run every due step; returns a line per step for the log."""
    lines = []
    sla = service_sla_check()
    lines.append(f"SLA: {sla['warned']} warnings, {sla['escalated']} escalations")
    if mailbox_settings().get("host"):
        try:
            mail = mail_poll()
            lines.append(f"mail: {mail.opened} new cases, {mail.joined} replies joined")
        except (DomainError, OSError) as exc:
            lines.append(f"mail: failed ({exc})")
    if force_train or classifier_retrain_due():
        try:
            row = classifier_train(actor=None)
            lines.append(f"classifier: trained {row.version} (active: {row.active})")
        except DomainError as exc:
            lines.append(f"classifier: not trained ({exc.message})")
    return lines
