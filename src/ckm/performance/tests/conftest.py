"""Fixtures of the performance tests."""

from __future__ import annotations

from typing import Any

import pytest

from ckm.performance.tests.desk_cases import desk_cases


@pytest.fixture(autouse=True)
def _no_embeddings(settings: Any, tmp_path: Any) -> None:
    # case intake classifies when a model exists; none is trained here
    settings.CKM_SERVICE_EMBEDDINGS = False
    settings.VAR_DIR = tmp_path


@pytest.fixture
def cases(db: Any, agent: Any, make_user: Any) -> dict[str, Any]:
    return desk_cases(agent, make_user)
