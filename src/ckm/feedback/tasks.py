"""Background tasks of feedback: thin wrappers over services, enqueued after commit."""

from __future__ import annotations

from django_tasks import task


@task()
def feedback_topics_refresh(*, job_id: int, full: bool = False, actor_id: int | None = None) -> str:
    """Embed new cases, rediscover or assign topics, then check alerts and knowledge gaps."""
    from ckm.feedback.services.discovery import topics_refresh_job

    return topics_refresh_job(job_id=job_id, full=full, actor_id=actor_id)
