"""The WSGI entry point: the application, and the warm-up that loads the models before the first
user needs them."""

import threading

import pytest

from ckm.knowledge import embeddings
from ckm.knowledge.suggestions import engine


def test_the_application_builds_without_the_warm_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CKM_WARM_UP", "0")
    import ckm.wsgi

    assert callable(ckm.wsgi.application)
    assert not any(t.name == "ckm-warm-up" for t in threading.enumerate())


@pytest.mark.django_db(transaction=True)
def test_the_warm_up_loads_the_sentence_model_in_its_own_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CKM_WARM_UP", "0")
    import ckm.wsgi

    embeddings._model.cache_clear()
    engine.model_cache_clear()
    thread = threading.Thread(target=ckm.wsgi.warm_up)
    thread.start()
    thread.join(timeout=120)
    assert not thread.is_alive()
    assert embeddings._model.cache_info().currsize == 1
    assert engine._cache["key"] is None  # no suggestion model trained yet: nothing to load


@pytest.mark.django_db(transaction=True)
def test_the_warm_up_logs_when_the_models_are_ready(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("CKM_WARM_UP", "0")
    import ckm.wsgi

    monkeypatch.setattr(engine, "embed_message", lambda text: None)
    with caplog.at_level("INFO", logger="ckm.wsgi"):
        ckm.wsgi.warm_up()
    assert "warm-up: models ready in" in caplog.text
    assert "suggestions: none trained yet" in caplog.text  # harmless before the first training


def test_a_failing_warm_up_is_logged_not_raised(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("CKM_WARM_UP", "0")
    import ckm.wsgi

    def broken(text: str) -> None:
        raise RuntimeError("no model")

    monkeypatch.setattr(engine, "embed_message", broken)
    ckm.wsgi.warm_up()
    assert "warm-up failed" in caplog.text
