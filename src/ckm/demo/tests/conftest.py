"""A small demo bank, generated once per test module (no database needed to generate)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from ckm.demo.generator import DemoConfig, PackageResult, package_generate

AS_OF = dt.date(2026, 3, 31)
SMALL = 60


def small_config(
    out: Path, *, seed: int = 7, customers: int = SMALL, texts: Path | None = None
) -> DemoConfig:
    return DemoConfig(out=out, as_of=AS_OF, customers=customers, seed=seed, texts=texts)


@pytest.fixture(scope="module")
def small_bank(tmp_path_factory: pytest.TempPathFactory) -> PackageResult:
    return package_generate(small_config(tmp_path_factory.mktemp("bank")))
