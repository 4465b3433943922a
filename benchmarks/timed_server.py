"""A course model that records the moment it writes each token, for measuring added latency.

"Latency a token gains between the course model writing it and the consumer
receiving it" needs the write time of every token. The server runs in this
process, in a thread, so `time.perf_counter()` on both sides reads the same
clock. `helpers` stays untouched: we subclass its request handler, override
`_write_event` (called once per Server-Sent Event) to note the time just before
the bytes go to the socket, and plug the subclass into a normal
`CourseModelServer`. This relies on two private names of `helpers.course_model.server`
(`_Handler`, `CourseModelServer._server`); it is benchmark-only code.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from helpers.course_model import CourseModelServer
from helpers.course_model.server import _Handler


class WriteLog:
    """Every event the server wrote, grouped per streamed response, in the order the streams began."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._streams: list[list[tuple[float, str]]] = []

    def new_stream(self) -> list[tuple[float, str]]:
        events: list[tuple[float, str]] = []
        with self._lock:
            self._streams.append(events)
        return events

    def clear(self) -> None:
        with self._lock:
            self._streams = []

    def stream_token_times(self) -> list[list[float]]:
        """Per stream, the write time of each token (text token or tool-call fragment)."""
        with self._lock:
            streams = list(self._streams)
        return [[moment for moment, data in events if is_token_event(data)] for events in streams]

    def token_times(self) -> list[float]:
        """All token write times, stream after stream: a sequential agent run's streams in call order."""
        return [moment for stream in self.stream_token_times() for moment in stream]


def is_token_event(data: str) -> bool:
    """True for the events the server paces as tokens: text, a tool call's name, or an arguments fragment.

    The role-only first event, the finish event, the usage event and `[DONE]`
    carry no token, exactly as `helpers.course_model.completion.stream_chunks` marks them.
    """
    if data == "[DONE]":
        return False
    choices = json.loads(data).get("choices") or []
    if not choices:
        return False
    delta = choices[0].get("delta") or {}
    return bool(delta.get("content")) or bool(delta.get("tool_calls"))


class TimedHandler(_Handler):
    """The course model's request handler, plus a timestamp after every event it writes."""

    _events: list[tuple[float, str]] | None = None

    def _stream(self, completion: Any, include_usage: bool, fault: Any) -> None:
        self._events = self.server.write_log.new_stream()  # type: ignore[attr-defined]
        super()._stream(completion, include_usage, fault)

    def _write_event(self, data: str) -> None:
        if self._events is not None:
            # The moment *before* the write: after it, this thread may wait for the GIL while the
            # client already reads the token, and a later timestamp could make latency negative.
            self._events.append((time.perf_counter(), data))  # classified later: keep the hot path cheap
        super()._write_event(data)


class TimedCourseModelServer(CourseModelServer):
    """A `CourseModelServer` whose `write_log` holds the write time of every streamed token."""

    def __init__(self, *, delay: float, handler_class: type[_Handler] | None = None) -> None:
        super().__init__(delay=delay)
        self.write_log = WriteLog()
        # The handler class used for each new connection (a subclass of `TimedHandler`, if given).
        self._server.RequestHandlerClass = handler_class or TimedHandler
        self._server.write_log = self.write_log  # type: ignore[attr-defined]
