"""Which model the course talks to, and with which key: decided in this one place.

- `OPENAI_API_KEY` set (in the environment or in Colab's secrets) → OpenAI,
  with `gpt-4o-mini` unless `COURSE_MODEL` names another model;
- `OPENAI_BASE_URL` set → that OpenAI-compatible server (Ollama, vLLM, LM Studio, ...);
- neither → the offline course model, started inside this Python process.

`model_settings(reasoning=True)` names a model that *reasons* (chapter 01): on OpenAI
`gpt-5-mini` unless `OPENAI_REASONING_MODEL` names another; on your own server the
model `OPENAI_REASONING_MODEL` names; the course model when there is neither a key
nor such a name. A chapter sends `reasoning=` only with these settings, so it is
never sent to a model that does not reason (OpenAI refuses it with a 400, and
`COURSE_MODEL` is often such a model).

Every chapter builds its own `ChatOpenAI(...)` from these settings in plain sight
and prints `settings` to say which backend is in use. Keys are never printed.
LangSmith tracing is switched on only when a LangSmith key is present, so with
no key nothing tries to reach the network. Taught in chapter 01.

The course keeps langchain-openai's stall detection, `stream_chunk_timeout`, at its
default (120 s; `LANGCHAIN_OPENAI_STREAM_CHUNK_TIMEOUT_S` overrides it): a stream that
stays open but sends no content fails with `StreamChunkTimeoutError` instead of hanging
until a whole-run timeout. Its price is CPU per token on Python 3.11 only, where
`asyncio.wait_for` runs each chunk in a Task (figures: benchmarks/README.md).
Nothing here sets it, so every chapter's `ChatOpenAI(...)` and the web app's get the default.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field, replace

from pydantic import SecretStr

from . import course_model

OPENAI_DEFAULT_MODEL = "gpt-4o-mini"
OPENAI_REASONING_MODEL = "gpt-5-mini"  # a current OpenAI reasoning model; OPENAI_REASONING_MODEL overrides it
_LANGSMITH_KEYS = ("LANGSMITH_API_KEY", "LANGCHAIN_API_KEY")


@dataclass(frozen=True)
class ModelSettings:
    """What `ChatOpenAI` needs to reach the chosen backend."""

    backend: str  # "course model", "OpenAI" or "OpenAI-compatible server"
    model: str
    base_url: str | None
    api_key: SecretStr = field(repr=False)
    reasoning: bool = False  # the model reasons: it may be sent `reasoning=` (see `model_settings`)
    note: str = ""  # why these settings, when the environment alone would not say

    def __str__(self) -> str:
        where = {
            "course model": "offline, served inside this kernel",
            "OpenAI": "api.openai.com",
        }.get(self.backend, self.base_url or "")
        kind = "reasoning model" if self.reasoning else "model"
        return f"Model backend: {self.backend} ({where}), {kind} {self.model!r}" + (
            f"\n{self.note}" if self.note else "")


def model_settings(*, reasoning: bool = False) -> ModelSettings:
    """Choose the backend from the environment (see the module docstring) and configure tracing.

    `reasoning=True`: settings for a model that reasons, to use with `reasoning=`.
    """
    if reasoning:
        return _reasoning_settings()
    configure_tracing()
    model_override = os.environ.get("COURSE_MODEL", "").strip()
    base_url = os.environ.get("OPENAI_BASE_URL", "").strip()
    key = openai_key()
    if base_url:
        return ModelSettings(
            backend="OpenAI-compatible server",
            model=model_override or OPENAI_DEFAULT_MODEL,
            base_url=base_url,
            api_key=SecretStr(key or "not-needed"),  # most local servers accept any key
        )
    if key:
        return ModelSettings("OpenAI", model_override or OPENAI_DEFAULT_MODEL, None, SecretStr(key))
    return ModelSettings(
        backend="course model",
        model=course_model.MODEL_NAME,
        base_url=course_model.ensure_running(),
        api_key=SecretStr("course-model-needs-no-key"),
    )


def _reasoning_settings() -> ModelSettings:
    """A reasoning model on the chosen backend; the course model when that backend names none.

    A server of your own (`OPENAI_BASE_URL`) may serve no reasoning model at all, and
    `COURSE_MODEL` there is a model of any kind: only `OPENAI_REASONING_MODEL` says
    which of its models reasons. Without it, the course model reasons instead, and
    the settings say so.
    """
    settings = model_settings()
    named = os.environ.get("OPENAI_REASONING_MODEL", "").strip()
    if settings.backend == "OpenAI":
        return replace(settings, model=named or OPENAI_REASONING_MODEL, reasoning=True)
    if settings.backend == "OpenAI-compatible server" and named:
        return replace(settings, model=named, reasoning=True)
    note = ("OPENAI_BASE_URL names a server but OPENAI_REASONING_MODEL names none of its models that reasons, "
            "so the course model reasons here." if settings.backend != "course model" else "")
    return ModelSettings("course model", course_model.MODEL_NAME, course_model.ensure_running(),
                         SecretStr("course-model-needs-no-key"), reasoning=True, note=note)


def openai_key() -> str | None:
    """The OpenAI key from the environment, else from Colab's secrets; never asks for one."""
    key = os.environ.get("OPENAI_API_KEY", "").strip()
    return key or _colab_secret("OPENAI_API_KEY")


def _colab_secret(name: str) -> str | None:
    if "google.colab" not in sys.modules:
        return None
    try:
        from google.colab import userdata  # type: ignore[import-not-found]

        return (userdata.get(name) or "").strip() or None
    except Exception:  # secret missing, or notebook access not granted
        return None


def person_is_present() -> bool:
    """True only in an interactive kernel with a person at it: never under CI, nbval or a script."""
    if os.environ.get("CI") or "pytest" in sys.modules or not sys.stdin:
        return False
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    kernel = getattr(shell, "kernel", None)
    return bool(kernel) and bool(getattr(kernel, "_allow_stdin", False))


def ask_for_openai_key() -> bool:
    """Ask for an OpenAI key with `getpass` when a person is present; True when one was given.

    The key goes into this process's environment only: it is never printed,
    stored in a notebook output or written to disk. Call `model_settings()` again
    afterwards to switch to OpenAI.
    """
    if not person_is_present():
        return False
    from getpass import getpass

    key = getpass("OpenAI API key (leave empty to keep the offline course model): ").strip()
    if key:
        os.environ["OPENAI_API_KEY"] = key
    return bool(key)


def configure_tracing() -> bool:
    """Trace to LangSmith only when a LangSmith key is present; otherwise make sure nothing tries."""
    has_key = any(os.environ.get(name, "").strip() for name in _LANGSMITH_KEYS)
    if has_key:
        os.environ.setdefault("LANGSMITH_TRACING", "true")
        os.environ.setdefault("LANGSMITH_PROJECT", "hands-on-langchain-streaming")
    else:
        for name in ("LANGSMITH_TRACING", "LANGCHAIN_TRACING_V2", "LANGCHAIN_TRACING"):
            os.environ[name] = "false"
    return has_key
