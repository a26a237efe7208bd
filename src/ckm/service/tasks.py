"""Background tasks of the service app: thin wrappers over services, enqueued after commit."""

from __future__ import annotations

from django_tasks import task


@task()
def classifier_train_task(*, job_id: int) -> str:
    """Train the case classifier (queued by classifier_train_start or the schedule)."""
    from ckm.service.services.classify import classifier_train_job

    row = classifier_train_job(job_id=job_id)
    return row.version if row else "failed"


@task()
def service_sla_check_task() -> dict[str, int]:
    """Warn and escalate cases near or past their SLA targets (every few minutes)."""
    from ckm.service.services.timers import service_sla_check

    return service_sla_check()


@task()
def mail_poll_task() -> dict[str, int]:
    """Fetch new e-mail from the support mailbox into cases."""
    from ckm.service.services.mail import mail_poll

    return mail_poll().as_dict()
