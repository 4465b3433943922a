"""Model selection, keys and tracing: one place decides, and it never leaks a key."""

from __future__ import annotations

import pytest

from helpers import backend
from helpers.course_model import MODEL_NAME


@pytest.fixture
def env(monkeypatch):
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "COURSE_MODEL", "OPENAI_REASONING_MODEL", "LANGSMITH_API_KEY", "LANGCHAIN_API_KEY",
                 "LANGSMITH_TRACING", "LANGCHAIN_TRACING_V2", "LANGSMITH_PROJECT"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_no_key_means_the_course_model(env):
    settings = backend.model_settings()
    assert settings.backend == "course model"
    assert settings.model == MODEL_NAME
    assert settings.base_url.startswith("http://127.0.0.1:")
    assert str(settings) == "Model backend: course model (offline, served inside this kernel), model 'course-model'"
    assert backend.model_settings().base_url == settings.base_url  # started once per process


def test_an_openai_key_means_openai(env):
    env.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key-123456")
    settings = backend.model_settings()
    assert (settings.backend, settings.model, settings.base_url) == ("OpenAI", "gpt-4o-mini", None)
    assert settings.api_key.get_secret_value() == "sk-test-not-a-real-key-123456"
    env.setenv("COURSE_MODEL", "gpt-4.1-mini")
    assert backend.model_settings().model == "gpt-4.1-mini"


def test_a_base_url_means_that_server(env):
    env.setenv("OPENAI_BASE_URL", "http://localhost:11434/v1")
    env.setenv("COURSE_MODEL", "qwen2.5")
    settings = backend.model_settings()
    assert (settings.backend, settings.model, settings.base_url) == (
        "OpenAI-compatible server", "qwen2.5", "http://localhost:11434/v1")
    assert "localhost:11434" in str(settings)


def test_a_reasoning_model_is_a_model_that_reasons_on_every_backend(env):
    course = backend.model_settings(reasoning=True)
    assert (course.backend, course.model, course.reasoning) == ("course model", MODEL_NAME, True)
    assert str(course) == ("Model backend: course model (offline, served inside this kernel), "
                           "reasoning model 'course-model'")
    assert backend.model_settings().reasoning is False  # the ordinary settings never ask for reasoning

    env.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key-123456")
    env.setenv("COURSE_MODEL", "gpt-4o-mini")  # a model that does not reason: never the reasoning model
    assert backend.model_settings(reasoning=True).model == backend.OPENAI_REASONING_MODEL == "gpt-5-mini"
    env.setenv("OPENAI_REASONING_MODEL", "o4-mini")
    assert backend.model_settings(reasoning=True).model == "o4-mini"


def test_a_server_that_names_no_reasoning_model_leaves_reasoning_to_the_course_model(env):
    env.setenv("OPENAI_BASE_URL", "http://localhost:11434/v1")
    env.setenv("COURSE_MODEL", "qwen2.5")
    settings = backend.model_settings(reasoning=True)
    assert (settings.backend, settings.model) == ("course model", MODEL_NAME)  # qwen2.5 is never sent `reasoning`
    assert "OPENAI_REASONING_MODEL" in str(settings)
    env.setenv("OPENAI_REASONING_MODEL", "qwen3")
    settings = backend.model_settings(reasoning=True)
    assert (settings.backend, settings.model, settings.base_url) == (
        "OpenAI-compatible server", "qwen3", "http://localhost:11434/v1")


def test_the_key_is_never_shown(env):
    env.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key-123456")
    settings = backend.model_settings()
    for text in (str(settings), repr(settings), f"{settings}"):
        assert "sk-test" not in text


def test_tracing_is_off_without_a_langsmith_key(env):
    assert backend.configure_tracing() is False
    import os

    assert os.environ["LANGSMITH_TRACING"] == "false"


def test_tracing_is_on_with_a_langsmith_key(env):
    env.setenv("LANGSMITH_API_KEY", "lsv2-test")
    assert backend.configure_tracing() is True
    import os

    assert os.environ["LANGSMITH_TRACING"] == "true"


def test_never_asks_for_a_key_under_tests_or_ci(env, monkeypatch):
    monkeypatch.setattr("builtins.input", lambda *a: pytest.fail("asked for input"))
    assert backend.person_is_present() is False
    assert backend.ask_for_openai_key() is False
