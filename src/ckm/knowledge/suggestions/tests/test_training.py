"""Retraining: a new registered version becomes the active one; debounced on the history's growth."""

from __future__ import annotations

from typing import Any

import pytest

from ckm.core.models import AuditEntry
from ckm.knowledge.models import SuggestionModel
from ckm.knowledge.suggestions.engine import article_suggest
from ckm.knowledge.suggestions.tasks import suggestion_retrain

pytestmark = pytest.mark.django_db


def test_retrain_task_creates_a_new_active_model(
    desk: dict[str, Any], agent: Any, settings: Any
) -> None:
    settings.CKM_SUGGESTIONS_AUTO_RETRAIN = True
    first = suggestion_retrain.enqueue()  # immediate backend in tests
    assert first.return_value["trained"] is True
    v1 = SuggestionModel.objects.get(active=True)
    assert v1.status == SuggestionModel.Status.READY
    assert v1.n_evidence == 24 and v1.n_articles == 4
    assert v1.artifact_path
    assert AuditEntry.objects.filter(action="train", object_id=str(v1.pk)).exists()
    assert article_suggest(text="password forgotten", user=agent).model_version == f"v{v1.version}"

    # not enough new history: no new version
    assert suggestion_retrain.enqueue().return_value["trained"] is False

    forced = suggestion_retrain.enqueue(force=True).return_value
    assert forced["trained"] is True
    v2 = SuggestionModel.objects.get(active=True)
    assert v2.version == v1.version + 1
    assert SuggestionModel.objects.filter(active=True).count() == 1
    # the engine picks the new version up without a restart
    assert article_suggest(text="password forgotten", user=agent).model_version == f"v{v2.version}"


def test_enough_new_history_triggers_a_retraining(
    trained: Any, desk: dict[str, Any], agent: Any, settings: Any
) -> None:
    from ckm.knowledge import services

    settings.CKM_SUGGESTIONS_AUTO_RETRAIN = True
    settings.CKM_SUGGESTIONS_RETRAIN_EVERY = 3
    for m in range(3):
        services.article_link_resolution(
            actor=agent,
            article=desk["Exchange rates"],
            text=f"what rate for yen number {m}",
            source="import",
            source_id=f"yen-{m}",
        )
    assert suggestion_retrain.enqueue().return_value["trained"] is True
    assert SuggestionModel.objects.get(active=True).n_evidence == 27


def test_automatic_retraining_can_be_switched_off(desk: dict[str, Any], settings: Any) -> None:
    settings.CKM_SUGGESTIONS_AUTO_RETRAIN = False
    assert suggestion_retrain.enqueue().return_value["trained"] is False
    assert not SuggestionModel.objects.exists()
