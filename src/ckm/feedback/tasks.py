"""Background tasks of feedback: thin wrappers over services, enqueued after commit."""

from __future__ import annotations

from django_tasks import task


@task()
def feedback_topics_refresh(*, job_id: int, full: bool = False, actor_id: int | None = None) -> str:
    """Embed new cases, rediscover or assign topics, then check alerts and knowledge gaps."""
    from ckm.feedback.services.discovery import topics_refresh_job

    return topics_refresh_job(job_id=job_id, full=full, actor_id=actor_id)


def topics_after_import(run_id: int) -> None:
    """After-import hook (registered in FeedbackConfig.ready): queue a topic refresh when the
    import brought cases and topics exist (the first discovery is started by a person or the
    demo, since it reads every case)."""
    from ckm.core.jobs import job_create
    from ckm.core.models import ImportRun
    from ckm.feedback.models import Topic

    run = ImportRun.objects.filter(pk=run_id).first()
    files = {str(f.get("file", "")) for f in (run.files if run else [])}
    if "cases.csv" not in files or not Topic.objects.exists():
        return
    job = job_create(kind="feedback.topics_refresh", label="Assign the imported cases to topics")
    feedback_topics_refresh.enqueue(job_id=job.pk)
