"""The resolved history: a customer message an article answered becomes evidence for that article,
and the suggestion engine retrains on it in the background."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction

from ckm.core.audit import audit_record
from ckm.core.errors import DomainError, NotFound
from ckm.core.permissions import require_perm
from ckm.customers.selectors import customer_get
from ckm.knowledge.models import Article, ArticleEvidence

logger = logging.getLogger(__name__)

# how to check that a person may see the record a message came from: {source: check(user, id)}
# returning the record's customer (or None) and raising NotFound otherwise. Interactions are
# checked here; apps that own other sources (cases) register theirs.
SourceCheck = Callable[[Any, str], Any]
_source_checks: dict[str, SourceCheck] = {}


def register_evidence_source(source: str, check: SourceCheck) -> None:
    _source_checks[source] = check


def _interaction_check(user: Any, source_id: str) -> Any:
    from ckm.interactions.selectors import InteractionFilters, interaction_list

    found = (
        interaction_list(user=user, filters=InteractionFilters()).filter(pk=int(source_id)).first()
        if source_id.isascii() and source_id.isdigit()
        else None
    )
    if found is None:
        raise NotFound("No such interaction.")
    return found.customer


register_evidence_source("interaction", _interaction_check)


def retrain_after_commit() -> None:
    """Queue the suggestion engine's retraining once the new evidence is committed (if the engine
    is installed; it decides itself whether enough has changed to train)."""
    try:
        from ckm.knowledge.suggestions.tasks import (  # type: ignore[import-not-found,unused-ignore]
            suggestion_retrain,
        )
    except ImportError:
        return

    def enqueue() -> None:
        try:
            suggestion_retrain.enqueue()
        except Exception:  # a full queue must not undo the agent's link
            logger.exception("could not queue the suggestion retraining")

    transaction.on_commit(enqueue)


@transaction.atomic
def article_link_resolution(
    *,
    actor: Any,
    article: Article,
    text: str,
    source: str,
    source_id: str,
    customer: Any = None,
    retrain: bool = True,
) -> ArticleEvidence:
    """Record that `article` answered the customer message `text` (idempotent per source record).
    `retrain=False` leaves the retraining to the caller (a bulk load that trains once at the end)."""
    require_perm(actor, "knowledge.view_article")
    if source not in ArticleEvidence.Source.values:
        raise DomainError(f"Unknown source {source!r}.", field="source")
    text = (text or "").strip()
    if not text:
        raise DomainError("The customer's message is empty.", field="text")
    if not str(source_id).strip():
        raise DomainError("Which record answered? source_id is empty.", field="source_id")
    if getattr(actor, "is_authenticated", False):
        check = _source_checks.get(source)
        if check is not None:
            # a record the actor may not see is not theirs to cite (raises NotFound)
            customer = check(actor, str(source_id).strip()) or customer
        if customer is not None:
            # only customers the actor may see (raises NotFound otherwise)
            customer = customer_get(user=actor, customer_id=customer.pk)
    evidence, created = ArticleEvidence.objects.get_or_create(
        article=article,
        source=source,
        source_id=str(source_id)[:64],
        defaults={
            "text": text[:5000],
            "customer": customer,
            "created_by": actor if getattr(actor, "is_authenticated", False) else None,
        },
    )
    if not created:
        return evidence
    audit_record(
        actor=actor,
        action="create",
        obj=evidence,
        customer_id=customer.pk if customer is not None else None,
        summary=f"{article.title[:120]} answered {source} {source_id}",
        after={"article": article.pk, "source": source, "source_id": str(source_id)},
    )
    if retrain:
        retrain_after_commit()
    return evidence
