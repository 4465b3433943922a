"""A course model that records the moment it writes each token, for measuring added latency.

The server runs in this process, in a thread, so `time.perf_counter()` on both sides reads the
same clock. `CourseModelApp.on_stream`, called when a stream starts, returns a callback that the
server calls just before each write with the token flags of the events in it (at zero delay
several events share a write, and so its time).
"""

from __future__ import annotations

import threading
import time
from typing import Callable, Sequence

from helpers.course_model import CourseModelServer


class WriteLog:
    """Every event the server wrote, grouped per streamed response, in the order the streams began."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._streams: list[list[tuple[float, bool]]] = []
        self._arrivals: list[list[float]] = []

    def new_stream(self) -> Callable[[Sequence[bool]], None]:
        """Start a request's record; the returned callback notes its arrival (`()`), then each write."""
        events: list[tuple[float, bool]] = []
        arrival: list[float] = []
        with self._lock:
            self._streams.append(events)
            self._arrivals.append(arrival)

        def written(is_token: Sequence[bool]) -> None:
            # The moment *before* the write: after it, the server thread may wait for the GIL while the
            # client already reads the token, and a later timestamp could make latency negative.
            moment = time.perf_counter()
            if not is_token and not arrival:
                arrival.append(moment)
            events.extend((moment, token) for token in is_token)

        return written

    def clear(self) -> None:
        with self._lock:
            self._streams = []
            self._arrivals = []

    def stream_arrivals(self) -> list[float | None]:
        """Per stream, when its request arrived (so a rate can include the work before the first write)."""
        with self._lock:
            return [arrival[0] if arrival else None for arrival in self._arrivals]

    def stream_token_times(self) -> list[list[float]]:
        """Per stream, the write time of each token (text token or tool-call fragment)."""
        with self._lock:
            streams = list(self._streams)
        return [[moment for moment, token in events if token] for events in streams]

    def token_times(self) -> list[float]:
        """All token write times, stream after stream: a sequential agent run's streams in call order."""
        return [moment for stream in self.stream_token_times() for moment in stream]


class TimedCourseModelServer(CourseModelServer):
    """A `CourseModelServer` whose `write_log` holds the write time of every streamed token."""

    def __init__(self, *, delay: float) -> None:
        super().__init__(delay=delay)
        self.write_log = WriteLog()
        self.app.on_stream = self.write_log.new_stream
