"""Background task of the suggestion engine: retrain when the resolved history has grown."""

from __future__ import annotations

from typing import Any

from django_tasks import task


@task()
def suggestion_retrain(*, force: bool = False) -> dict[str, Any]:
    """Retrain the suggestion model if enough changed (queued after an article is linked to a
    customer message; `force` from the retrain button)."""
    from ckm.knowledge.suggestions.training import auto_retrain, suggestion_model_train

    if not force and not auto_retrain():
        return {"trained": False, "why": "automatic retraining is off"}
    row = suggestion_model_train(force=force)
    if row is None:
        return {"trained": False, "why": "not enough new history"}
    return {"trained": True, "version": row.version, "status": row.status}
