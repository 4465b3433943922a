"""Limits one client cannot get around: request bodies, and requests per second. Taught in chapter 05.

`BodySizeLimit` refuses request bodies that are too large *while* they arrive.
FastAPI reads a request's whole body before it looks at it: a 200 MB POST costs
hundreds of MB of memory before any check can say "too long". `BodySizeLimit`
sits in front of the app (ASGI middleware) and counts the bytes as the server
hands them over:

- a `Content-Length` above the limit is refused at once, before reading anything;
- a body sent without a length (chunked) is counted piece by piece and refused
  as soon as it passes the limit.

Either way the answer is a 413 with the usual `{"detail": ...}`. uvicorn then
throws away the rest of the body as it arrives, holding none of it: closing the
connection instead would make the operating system reset it, and a client still
sending (as most do, before they read) would never see the 413.
"""

from __future__ import annotations

import asyncio
import math
import time
from typing import Callable

from fastapi import HTTPException
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_MAX_BODY_BYTES = 64 * 1024  # a 2,000-character question is at most ~24 KB of JSON, even all escaped


class BodySizeLimit:
    """ASGI middleware: a request body may be at most `max_bytes` long."""

    def __init__(self, app: ASGIApp, max_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        if max_bytes < 1:
            raise ValueError("max_bytes must be at least 1")
        self.app = app
        self.max_bytes = max_bytes

    def _detail(self) -> str:
        return f"The request body is too large: at most {self.max_bytes:,} bytes."

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            response = JSONResponse({"detail": self._detail()}, status_code=413)
            await response(scope, receive, send)
            return

        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # Raised inside the endpoint's body reading: FastAPI passes an HTTPException
                    # on, and its exception handler answers it like any other 4xx.
                    raise HTTPException(413, self._detail())
            return message

        await self.app(scope, counting_receive, send)


DEFAULT_RATE = 10.0  # requests per second per client, sustained
DEFAULT_BURST = 30  # requests a client may make at once; a person's browser never comes close
DEFAULT_PENALTY = 1.0  # seconds a request over the limit waits for its 429


class RateLimit:
    """ASGI middleware: each client (an IP address) may make `rate` requests a second, `burst` at once.

    A token bucket per address: it holds up to `burst` tokens, refills at `rate`
    a second, and every request takes one. A client with an empty bucket gets a
    429 with `Retry-After`, answered here, before any routing or parsing, and
    only after `penalty_seconds`: a client that ignores `Retry-After` and keeps
    knocking is slowed to one request per connection per penalty, so its flood
    costs the server almost nothing and the other clients' streams go on.
    (Behind a reverse proxy every client has the proxy's address: name the proxy
    with `create_app(forwarded_allow_ips=[...])`, or `--forwarded-allow-ips`, so the
    address is the real client's. Nobody else's `X-Forwarded-For` is believed.)
    """

    MAX_CLIENTS = 10_000  # buckets kept; full, idle ones are dropped first

    def __init__(self, app: ASGIApp, rate: float = DEFAULT_RATE, burst: int = DEFAULT_BURST,
                 penalty_seconds: float = DEFAULT_PENALTY, clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0 or burst < 1 or penalty_seconds < 0:
            raise ValueError("rate must be positive, burst at least 1, penalty_seconds not negative")
        self.app, self.rate, self.burst, self.clock = app, rate, burst, clock
        self.penalty_seconds = penalty_seconds
        self._buckets: dict[str, tuple[float, float]] = {}  # address -> (tokens, when last counted)

    def _take(self, client: str) -> float:
        """Take a token for `client`; return 0 if it got one, else the seconds until it will."""
        now = self.clock()
        tokens, then = self._buckets.get(client, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - then) * self.rate)
        if tokens < 1:
            self._buckets[client] = (tokens, now)
            return (1 - tokens) / self.rate
        self._buckets[client] = (tokens - 1, now)
        if len(self._buckets) > self.MAX_CLIENTS:
            self._forget_idle(now)
        return 0.0

    def _forget_idle(self, now: float) -> None:
        """Drop the buckets that have refilled (their clients have been quiet): they hold nothing."""
        for client, (tokens, then) in list(self._buckets.items()):
            if tokens + (now - then) * self.rate >= self.burst:
                del self._buckets[client]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = scope["client"][0] if scope.get("client") else "unknown"
        wait = self._take(client)
        if wait:
            await asyncio.sleep(self.penalty_seconds)  # a flood waits for its refusals: it cannot go faster
            retry = str(max(1, math.ceil(wait - self.penalty_seconds)))
            response = JSONResponse({"detail": "Too many requests from your address: slow down."},
                                    status_code=429, headers={"Retry-After": retry})
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
