"""The course model: an offline, deterministic, OpenAI-compatible chat model for this course.

Every chapter runs against it when no API key is set, through the real `openai`
SDK and `ChatOpenAI`. It starts in-process on first use (`ensure_running()`),
or as a command for curl and other clients:

    python -m helpers.course_model --port 8765

Taught in chapter 01 (where the model comes from) and used by every chapter.
"""

from __future__ import annotations

import threading

from .wire.request import MODEL_NAME
from .wire.server import CourseModelServer

__all__ = ["MODEL_NAME", "CourseModelServer", "ensure_running"]

_lock = threading.Lock()
_server: CourseModelServer | None = None


def ensure_running() -> str:
    """Start the in-process course model once per process and return its base URL.

    The server runs in a daemon thread on a free loopback port, so it needs no
    set-up and ends with the kernel.
    """
    global _server
    with _lock:
        if _server is None:
            _server = CourseModelServer().start()
        return _server.base_url
