"""Reasons in plain words: a score's top factors ('3 complaints in the last 60 days - raises the
risk'), read from the stored reasons or computed on demand for one customer."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any

from ckm.analytics.features import build_features, feature_phrase, make_keys
from ckm.analytics.learning import FittedModel, top_reasons
from ckm.analytics.models import ModelVersion
from ckm.core.artifacts import artifact_load


@lru_cache(maxsize=16)
def _model(artifact: str) -> FittedModel | None:
    model = artifact_load(artifact)
    return model if isinstance(model, FittedModel) else None


def verbs(kind: str) -> tuple[str, str]:
    """How a factor acts on a score of this kind, in words (up, down)."""
    if kind == ModelVersion.Kind.CHURN:
        return "raises the risk", "lowers the risk"
    return "makes it more likely", "makes it less likely"


def reason_words(version: ModelVersion, reasons: list[list[Any]]) -> list[dict[str, Any]]:
    """Stored reasons ([feature, value, effect]) as phrases with their direction."""
    info = {f["name"]: f for f in version.features or [] if isinstance(f, dict)}
    up, down = verbs(version.kind)
    words = []
    for item in reasons or []:
        if not isinstance(item, (list, tuple)) or len(item) != 3:
            continue
        name, value, effect = item
        feature = info.get(name) or {
            "name": name,
            "label": str(name).replace("_", " "),
            "kind": "number",
        }
        words.append(
            {
                "feature": name,
                "text": feature_phrase(feature, value),
                "effect": float(effect),
                "direction": "up" if effect > 0 else "down",
                "verb": up if effect > 0 else down,
            }
        )
    return words


def explain_customer(version: ModelVersion, customer_id: int, as_of: dt.date) -> list[list[Any]]:
    """Top factors of one customer's score, computed now (for scores stored without reasons)."""
    if not version.artifact:
        return []
    model = _model(version.artifact)
    if model is None:
        return []
    table = build_features(
        make_keys([customer_id], as_of), exclude=set(version.params.get("exclude", []))
    )
    contributions, names = model.contributions(table.frame)
    return top_reasons(contributions, names, table.frame)[0]
