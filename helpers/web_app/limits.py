"""Refuse request bodies that are too large *while* they arrive, never holding more than the limit. Chapter 05.

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
