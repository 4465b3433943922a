"""The course model's HTTP server: OpenAI's Chat Completions API on 127.0.0.1, offline.

It speaks the same wire format as OpenAI, Server-Sent Events included, so the
course uses the real `openai` SDK and the real `ChatOpenAI` class in every mode.
The HTTP itself is uvicorn's (with h11), a maintained server, rather than a
hand-written one: `protocol.py` adds the limits a server facing hostile input
needs, `app.py` answers the API, `limits.py` holds the numbers.

Inside a notebook the server runs on its own event loop in a daemon thread, so it
starts in a few milliseconds on first use and ends with the kernel. Taught in chapter 01.
"""

from __future__ import annotations

import asyncio
import functools
import os
import socket
import threading
from concurrent.futures import ThreadPoolExecutor

import uvicorn

from .app import CourseModelApp
from .limits import MAX_INCOMPLETE_EVENT_BYTES, Limits
from .protocol import CourseModelProtocol

__all__ = ["CourseModelServer", "Limits", "delay_from_env", "DEFAULT_DELAY"]

DEFAULT_DELAY = 0.02  # seconds per token: streaming a person can watch
START_TIMEOUT = 10.0  # seconds to wait for the server thread to listen
STOP_TIMEOUT = 5.0  # seconds to wait for it to finish


def delay_from_env() -> float:
    """The per-token delay: `COURSE_MODEL_DELAY` in seconds (0 for tests), else about 20 ms."""
    raw = os.environ.get("COURSE_MODEL_DELAY")
    if raw is None or raw.strip() == "":
        return DEFAULT_DELAY
    try:
        delay = float(raw)
    except ValueError:
        raise ValueError(f"COURSE_MODEL_DELAY must be a number of seconds, like 0.02 or 0; got {raw!r}") from None
    if not 0 <= delay <= 10:
        raise ValueError(f"COURSE_MODEL_DELAY must be between 0 and 10 seconds; got {raw!r}")
    return delay


class _Uvicorn(uvicorn.Server):
    """uvicorn's server, telling another thread the moment it listens."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.listening = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        self.listening.set()


class CourseModelServer:
    """The course model on 127.0.0.1, served from a daemon thread (or the calling one).

    >>> with CourseModelServer(delay=0) as server:
    ...     print(server.base_url)          # doctest: +ELLIPSIS
    http://127.0.0.1:.../v1
    """

    def __init__(self, port: int = 0, *, delay: float | None = None, allow_faults: bool = False,
                 limits: Limits | None = None) -> None:
        self.delay = delay_from_env() if delay is None else delay
        self.limits = limits or Limits()
        # Bind now, so the port is known (and a busy port is an OSError) before the server starts.
        # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets that say they are TCP, and without
        # it every small write (a response's headers, then its body; one token) waits ~40 ms for an ACK.
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        try:
            self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self._socket.bind(("127.0.0.1", port))
            self._socket.listen(1024)
        except OSError:
            self._socket.close()
            raise
        self._executor = ThreadPoolExecutor(self.limits.workers, thread_name_prefix="course-model-brain")
        self.app = CourseModelApp(delay=self.delay, allow_faults=allow_faults, limits=self.limits,
                                  executor=self._executor)
        config = uvicorn.Config(
            self.app,
            http=functools.partial(CourseModelProtocol, limits=self.limits),  # type: ignore[arg-type]
            interface="asgi3", lifespan="off", ws="none", loop="asyncio",
            log_config=None, proxy_headers=False, server_header=False, date_header=False,
            timeout_keep_alive=self.limits.idle_timeout,  # type: ignore[arg-type] timeout_graceful_shutdown=1,
            h11_max_incomplete_event_size=MAX_INCOMPLETE_EVENT_BYTES,
        )
        self._uvicorn = _Uvicorn(config)
        self._thread: threading.Thread | None = None
        self._failure: BaseException | None = None

    @property
    def port(self) -> int:
        return self._socket.getsockname()[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> "CourseModelServer":
        """Serve from a daemon thread; return once the server is listening."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=f"course-model:{self.port}", daemon=True)
            self._thread.start()
            if not self._uvicorn.listening.wait(START_TIMEOUT) or self._failure is not None:
                raise RuntimeError(f"The course model server did not start: {self._failure!r}")
        return self

    def _run(self) -> None:
        try:
            asyncio.run(self._uvicorn.serve(sockets=[self._socket]))
        except BaseException as error:  # reported by start(); a thread must not print a traceback
            self._failure = error
            self._uvicorn.listening.set()

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted (the command-line entry point)."""
        asyncio.run(self._uvicorn.serve(sockets=[self._socket]))

    def stop(self) -> None:
        self._uvicorn.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=STOP_TIMEOUT)
            self._thread = None
        self._executor.shutdown(wait=False, cancel_futures=True)
        self._socket.close()

    def __enter__(self) -> "CourseModelServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
