"""The course model's HTTP/1.1 connection: uvicorn's h11 protocol with the limits it lacks.

uvicorn and h11 do the HTTP: parsing, keep-alive, chunked encoding (and none for
HTTP/1.0 clients), `Expect: 100-continue`. What this subclass adds is what a server
facing clumsy or hostile clients needs and uvicorn leaves to its deployment:

- a cap on open connections: one more is answered 429 (JSON) and closed;
- a silent connection is closed after `idle_timeout`; a request whose headers trickle
  in is answered 408 after `header_timeout` (uvicorn has no header timeout);
- h11's own refusals (garbage, a non-numeric Content-Length, headers past its buffer)
  are OpenAI-style JSON (400, 414 or 431) rather than uvicorn's plain-text 400;
- nothing is logged: a notebook would show every log line as a stderr warning.

Used by `server.py`; the course model is taught in chapter 01.
"""

from __future__ import annotations

import asyncio
import logging
from http import HTTPStatus
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from .errors import ApiError, payload
from .limits import MAX_INCOMPLETE_EVENT_BYTES, Limits

_QUIET = logging.getLogger("helpers.course_model.http")
_QUIET.addHandler(logging.NullHandler())
_QUIET.propagate = False


def raw_error(error: ApiError) -> bytes:
    """A complete HTTP response carrying `error`, for moments when no request is being served."""
    body = payload(error)
    head = (f"HTTP/1.1 {error.status} {HTTPStatus(error.status).phrase}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n")
    return head.encode("ascii") + body


class CourseModelProtocol(H11Protocol):
    """One client connection (see the module docstring for what differs from uvicorn's)."""

    def __init__(self, config: Any, server_state: Any, app_state: dict[str, Any],
                 _loop: asyncio.AbstractEventLoop | None = None, *, limits: Limits) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.logger = self.access_logger = _QUIET
        self.access_log = False
        self.limits = limits
        self._timer: asyncio.TimerHandle | None = None
        self._timer_kind = ""

    # -- connection cap and the wait for a request ----------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.limits.max_connections:
            transport.write(raw_error(ApiError(
                429, f"The course model already has {self.limits.max_connections} open connections; "
                "close some (or reuse one) and try again.", type="rate_limit_exceeded", code="too_many_connections")))
            transport.close()
            return
        self._arm("idle", self.limits.idle_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if not self._serving() and self._timer_kind != "header":
            self._arm("header", self.limits.header_timeout)  # the first byte of a request: headers must follow
        super().data_received(data)

    def handle_events(self) -> None:
        super().handle_events()
        if self._serving():
            self._disarm()  # the app has the request; its own timeouts apply from here

    def on_response_complete(self) -> None:
        super().on_response_complete()  # arms uvicorn's keep-alive timer (idle_timeout) for the next request
        self._disarm()
        if not self._serving() and self.conn.trailing_data[0] and not self.transport.is_closing():
            self._arm("header", self.limits.header_timeout)  # part of a pipelined request is already here

    def _serving(self) -> bool:
        return self.cycle is not None and not self.cycle.response_complete

    def _arm(self, kind: str, seconds: float) -> None:
        self._disarm()
        self._timer_kind = kind
        self._timer = self.loop.call_later(seconds, self._expired)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer, self._timer_kind = None, ""

    def _expired(self) -> None:
        kind, self._timer, self._timer_kind = self._timer_kind, None, ""
        if self._serving() or self.transport.is_closing():
            return
        if kind == "header" and self.conn.their_state is not h11.SEND_BODY:  # not the rest of a refused body
            self.transport.write(raw_error(ApiError(
                408, f"The request's headers did not arrive within {self.limits.header_timeout:g} s.",
                code="request_timeout")))
        self.transport.close()

    # -- h11's own refusals, as JSON -------------------------------------------------------------

    def send_400_response(self, msg: str) -> None:
        buffered = self.conn.trailing_data[0]
        if len(buffered) > MAX_INCOMPLETE_EVENT_BYTES and b"\r\n" not in buffered[:MAX_INCOMPLETE_EVENT_BYTES]:
            error = ApiError(414, "The request line (the URL) is too long.", code="uri_too_long")
        elif len(buffered) > MAX_INCOMPLETE_EVENT_BYTES:
            error = ApiError(431, "The request's headers are too large.", code="headers_too_large")
        else:
            error = ApiError(400, "This is not a valid HTTP/1.1 request (check the request line, the headers "
                             "and Content-Length).", code="invalid_http_request")
        self._disarm()
        self.transport.write(raw_error(error))
        self.transport.close()
