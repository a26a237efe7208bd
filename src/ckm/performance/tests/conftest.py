from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _no_embeddings(settings: Any, tmp_path: Any) -> None:
    # case intake classifies when a model exists; none is trained here
    settings.CKM_SERVICE_EMBEDDINGS = False
    settings.VAR_DIR = tmp_path
