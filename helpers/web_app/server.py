"""Run the web app with uvicorn in a background thread, from a notebook or a test. Used in chapter 05.

In a terminal you run the app in the foreground (`python -m helpers.web_app`).
A notebook must keep running cells while the app serves, so `BackgroundServer`
runs uvicorn in a daemon thread, with its own event loop, on a free port. That loop
is uvloop and the HTTP parser httptools (uvicorn's choice when they are installed,
as the course installs them): compiled, so cheaper per agent question than asyncio's
own loop and h11 (figures from earlier runs: benchmarks/README.md).

    with BackgroundServer(create_app()) as server:
        httpx.get(server.url)
"""

from __future__ import annotations

import threading
import time

import uvicorn

from .http_protocol import DEFAULT_HEADER_TIMEOUT, DEFAULT_MAX_HEADER_BYTES, http_protocol

STARTUP_TIMEOUT = 10.0  # seconds for the app to start listening
SHUTDOWN_TIMEOUT = 10.0  # seconds for it to stop


class BackgroundServer:
    """uvicorn serving `app` on 127.0.0.1 in a background thread; `url` is where it listens.

    A request's head may be at most `max_header_bytes` long (431) and must arrive
    within `header_timeout` seconds (408): see `http_protocol.py`.
    """

    def __init__(self, app, host: str = "127.0.0.1", port: int = 0, *,
                 max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES,
                 header_timeout: float = DEFAULT_HEADER_TIMEOUT) -> None:
        config = uvicorn.Config(
            app, host=host, port=port,  # port 0: the operating system picks a free one
            log_config=None, log_level="warning", access_log=False,  # quiet in a notebook
            timeout_graceful_shutdown=5,  # open streams get 5 s to finish when the server stops
            proxy_headers=False,  # believe no X-Forwarded-For: the app does, from the proxies it names
            http=http_protocol(max_header_bytes, header_timeout),  # uvicorn's httptools protocol, heads bounded
        )
        self.server = uvicorn.Server(config)
        self.url: str | None = None
        self._thread: threading.Thread | None = None

    def start(self, timeout: float = STARTUP_TIMEOUT) -> "BackgroundServer":
        """Start serving; return once the server listens (its start-up has run), or raise."""
        self._thread = threading.Thread(target=self.server.run, name="web-app", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the web app stopped while starting; see its log above")
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"the web app did not start within {timeout} s")
            time.sleep(0.01)
        host, port = self.server.servers[0].sockets[0].getsockname()[:2]
        self.url = f"http://{host}:{port}"
        return self

    def stop(self, timeout: float = SHUTDOWN_TIMEOUT) -> None:
        """Ask the server to shut down, and wait (bounded) until its thread has ended."""
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)

    def __enter__(self) -> "BackgroundServer":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
