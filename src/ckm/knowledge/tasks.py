"""Background tasks of knowledge: thin wrappers over services, enqueued after commit."""

from __future__ import annotations

from django_tasks import task

from ckm.knowledge.services import articles_embed, articles_schedule_apply


@task()
def article_embed_task(*, article_ids: list[int] | None = None) -> int:
    """Compute the vectors of articles whose text changed."""
    return articles_embed(article_ids=article_ids)


@task()
def articles_schedule_task() -> dict[str, int]:
    """Publish approved articles whose time has come and archive expired ones; vectors of an
    older recipe are computed again."""
    result = articles_schedule_apply()
    result["embedded"] = articles_embed(outdated_only=True)
    return result
