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


REQUIRE_REDIS = "COURSE_REQUIRE_REDIS"  # set (make test-environments does): no redis-server is a failure, not a skip


@pytest.fixture(scope="session")
def redis_url():
    """A redis-server of our own on loopback (Debian's `redis-server`), for the shared event log's tests.

    Without the binary these tests are skipped here; environments/test_shared_store.py runs them
    again with `COURSE_REQUIRE_REDIS=1`, where a missing server fails instead.
    """
    import shutil
    import socket
    import subprocess
    import time

    binary = shutil.which("redis-server")
    if binary is None:
        message = "redis-server is not on PATH (apt-get install redis-server)"
        pytest.fail(message) if os.environ.get(REQUIRE_REDIS) else pytest.skip(message)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
                    connection.sendall(b"PING\r\n")
                    if connection.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                pytest.fail("redis-server did not start")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=15)
