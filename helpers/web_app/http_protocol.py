"""Request heads bounded in size and in time, below the app, where uvicorn reads HTTP. Used in chapter 05.

An ASGI app only sees a request once its whole head (request line and headers)
has arrived, so no middleware can refuse a head that is too big or too slow:

- **size**: uvicorn's httptools parser keeps a header however long it is (a 42 MB
  header was served with 200, after the server held all 42 MB). A head longer
  than `max_header_bytes` now gets a `431 Request Header Fields Too Large`, once
  that many bytes have arrived; the rest of what the client sends is read and
  thrown away for a moment, so that the client, still sending, sees the 431
  (closing at once would make the system reset the connection), then the
  connection is closed.
- **time**: uvicorn limits the idle time *between* requests (keep-alive, 5 s),
  but a client that sends one header byte every few seconds kept its connection
  (and its share of the server) for as long as it liked. A head must now arrive
  within `header_timeout` seconds of the connection opening, or of the previous
  response ending: else a `408 Request Timeout`, and the connection is closed.
  A response that streams for minutes is not a head: the clock is stopped then.

`http_protocol()` gives the class to hand to uvicorn (`http=`), as
`BackgroundServer` and `python -m helpers.web_app` do.
"""

from __future__ import annotations

import asyncio
import json

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

DEFAULT_MAX_HEADER_BYTES = 32 * 1024  # a browser's head, cookies of other local apps included, is a few KB
DEFAULT_HEADER_TIMEOUT = 10.0  # seconds to send a request's head; a person's browser needs milliseconds
LINGER_SECONDS = 2.0  # how long a refused client may go on sending (thrown away) before the connection closes


class BoundedHeadProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, with the request head bounded in bytes and in seconds."""

    max_header_bytes = DEFAULT_MAX_HEADER_BYTES
    header_timeout = DEFAULT_HEADER_TIMEOUT

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._in_head = True  # the bytes arriving now belong to a request's head
        self._head_bytes = 0
        self._head_timer: asyncio.TimerHandle | None = None
        self._refused = False  # a 431 or 408 was sent: what arrives now is thrown away
        self._start_head_clock()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_clock()
        super().connection_lost(exc)

    # -- size --------------------------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        if not self._in_head:
            super().data_received(data)
            return
        if self._head_timer is None and (self.cycle is None or self.cycle.response_complete):
            self._start_head_clock()  # the first byte of the next request on a kept-alive connection
        room = self.max_header_bytes - self._head_bytes
        self._head_bytes += min(len(data), room)
        super().data_received(data[:room])  # the parser never holds more head than the limit
        if len(data) <= room or self.transport.is_closing():
            return
        if self._in_head:  # the limit is reached and the head goes on
            self._refuse(431, "The request's headers are too large: at most "
                              f"{self.max_header_bytes:,} bytes.", linger=True)
        else:  # the head ended within the limit: the rest is its body (or the next request)
            self.data_received(data[room:])

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._stop_head_clock()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_head, self._head_bytes = True, 0  # what comes next is the next request's head
        if self.cycle is not None and self.cycle.response_complete:
            self._start_head_clock()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self._in_head and not self.transport.is_closing():
            self._start_head_clock()  # the client may send its next request: it has the usual time

    # -- time --------------------------------------------------------------------------------------

    def _start_head_clock(self) -> None:
        self._stop_head_clock()
        self._head_timer = self.loop.call_later(self.header_timeout, self._head_too_slow)

    def _stop_head_clock(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_too_slow(self) -> None:
        self._head_timer = None
        if self.transport.is_closing():
            return
        if self._head_bytes == 0:  # an idle connection, no request begun: just close it
            self.transport.close()
            return
        self._refuse(408, f"The request's headers took too long: at most {self.header_timeout:g} s.", linger=False)

    # -- refusing ----------------------------------------------------------------------------------

    def _refuse(self, status: int, detail: str, *, linger: bool) -> None:
        """Answer `status` with `{"detail": ...}` and close; with `linger`, throw away what still arrives first."""
        self._refused = True
        self._stop_head_clock()
        self._unset_keepalive_if_required()
        if self.cycle is not None and not self.cycle.response_complete:
            self.transport.close()  # a huge head pipelined behind a response still streaming: no room for an answer
            return
        body = json.dumps({"detail": detail}).encode()
        reason = {408: b"Request Timeout", 431: b"Request Header Fields Too Large"}[status]
        self.transport.write(b"".join([
            b"HTTP/1.1 %d %s\r\n" % (status, reason),
            b"content-type: application/json\r\n",
            b"content-length: %d\r\n" % len(body),
            b"connection: close\r\n\r\n",
            body,
        ]))
        if linger:
            self.loop.call_later(LINGER_SECONDS, self.transport.close)
        else:
            self.transport.close()


def http_protocol(max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES,
                  header_timeout: float = DEFAULT_HEADER_TIMEOUT) -> type[BoundedHeadProtocol]:
    """The protocol class for uvicorn's `http=`, with these bounds on every request's head."""
    if max_header_bytes < 1 or header_timeout <= 0:
        raise ValueError("max_header_bytes and header_timeout must be positive")
    return type("BoundedHeadProtocol", (BoundedHeadProtocol,),
                {"max_header_bytes": max_header_bytes, "header_timeout": header_timeout})
