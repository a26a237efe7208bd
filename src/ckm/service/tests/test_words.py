"""Figures and names on the desk's pages read as words, not codes."""

from __future__ import annotations


def test_numbers_and_versions_read_as_words() -> None:
    from ckm.core.templatetags.ckm import chance
    from ckm.service.templatetags.service_tags import model_words

    assert chance(0.97) == "97 %" and chance(0.001) == "< 1 %" and chance(None) == "–"
    assert model_words("cases-20261207-074151") == "the model of 2026-12-07 07:41"
    assert model_words("imported-v2") == "imported-v2"
