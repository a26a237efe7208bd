"""Fixtures of the feedback tests: themed cases over twenty weeks, and a memo of embeddings so
the sentence model reads each distinct text once per test session."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest
from django.utils import timezone

from ckm.feedback.tests.factories import THEMES, CaseFactory, theme_text
from ckm.service.models import Case

_MEMO: dict[str, np.ndarray] = {}


@pytest.fixture(autouse=True)
def memo_embeddings(monkeypatch: pytest.MonkeyPatch) -> None:
    """The real model, each distinct text embedded once per session (tests stay fast)."""
    from ckm.feedback import topics
    from ckm.knowledge.embeddings import embed

    real = topics.embed_texts

    def memo(texts: Sequence[str], **kwargs: Any) -> np.ndarray:
        missing = sorted({t for t in texts if t not in _MEMO})
        if missing:
            for text, vector in zip(missing, embed(missing), strict=True):
                _MEMO[text] = vector
        if not texts:
            return real(texts, **kwargs)
        return np.vstack([_MEMO[t] for t in texts])

    monkeypatch.setattr("ckm.feedback.services.discovery.embed_texts", memo)


@pytest.fixture
def make_cases(db: Any) -> Callable[..., list[Case]]:
    """make_cases(theme, n, weeks_ago=(from, to), **fields): n cases on a theme."""
    rng = random.Random(7)

    def make(theme: str, n: int, weeks_ago: tuple[int, int] = (1, 20), **fields: Any) -> list[Case]:
        now = timezone.now()
        cases = []
        for _ in range(n):
            days = rng.randint(weeks_ago[0] * 7, weeks_ago[1] * 7 + 6)
            cases.append(
                CaseFactory(
                    body=theme_text(theme, rng),
                    opened_at=now - dt.timedelta(days=days, hours=rng.randint(0, 5)),
                    **fields,
                )
            )
        return cases

    return make


@pytest.fixture
def themed_cases(make_cases: Callable[..., list[Case]]) -> dict[str, list[Case]]:
    """30 cases on each of four themes over twenty weeks."""
    return {theme: make_cases(theme, 30) for theme in THEMES}
