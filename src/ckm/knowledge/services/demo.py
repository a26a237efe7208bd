"""What knowledge sets up on the demo bank after its package is imported: the house templates,
the imported articles published (reviewed by the editor), their vectors computed."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from ckm.core.models import User
from ckm.knowledge.models import Article
from ckm.knowledge.services.articles import _set_status
from ckm.knowledge.services.embedding import articles_embed
from ckm.knowledge.services.taxonomy import HOUSE_TEMPLATES, template_save


def knowledge_seed_demo(*, actor: Any) -> dict[str, int]:
    """Templates, the imported demo articles published, vectors computed (idempotent)."""
    for spec in HOUSE_TEMPLATES:
        template_save(
            actor=actor,
            name=spec["name"],
            sections=spec["sections"],
            description=spec["description"],
        )
    editor = User.objects.filter(username="editor").first() or actor
    published = 0
    with transaction.atomic():
        now = timezone.now()
        drafts = Article.objects.filter(
            external_id__isnull=False, status__in=[Article.Status.DRAFT, Article.Status.IN_REVIEW]
        )
        for article in drafts:
            if article.owner_id is None:
                Article.objects.filter(pk=article.pk).update(owner=editor)
            _set_status(
                actor=editor,
                article=article,
                target=Article.Status.PUBLISHED,
                note="Published (demo)",
                published_at=now,
                reviewed_at=now,
            )
            published += 1
    embedded = articles_embed()
    return {"templates": len(HOUSE_TEMPLATES), "published": published, "embedded": embedded}
