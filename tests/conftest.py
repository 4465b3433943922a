"""Shared fixtures: course model servers with no pacing, and clients pointed at them."""

from __future__ import annotations

import os

os.environ["COURSE_MODEL_DELAY"] = "0"  # tests never wait for pacing
os.environ.pop("OPENAI_API_KEY", None)  # and never reach a real provider
os.environ.pop("OPENAI_BASE_URL", None)

import openai
import pytest
from langchain_openai import ChatOpenAI

from helpers.course_model import MODEL_NAME, CourseModelServer


@pytest.fixture(scope="session")
def server():
    """A course model with test-only faults enabled, shared by the whole session."""
    with CourseModelServer(delay=0, allow_faults=True) as running:
        yield running


@pytest.fixture
def client(server):
    with openai.OpenAI(base_url=server.base_url, api_key="any-key", max_retries=0, timeout=10) as sync_client:
        yield sync_client


@pytest.fixture
def make_llm(server):
    """Build a `ChatOpenAI` on the course model; `fault=` injects a test-only fault header."""

    def make(fault: str | None = None, **kwargs) -> ChatOpenAI:
        headers = {"X-Course-Model-Fault": fault} if fault else None
        settings = dict(model=MODEL_NAME, base_url=server.base_url, api_key="any-key",
                        max_retries=0, timeout=10, stream_usage=True, default_headers=headers)
        settings.update(kwargs)
        return ChatOpenAI(**settings)

    return make
