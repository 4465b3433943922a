"""How much one client may ask of the course model's HTTP server, and for how long it may dawdle.

Every wait has an end and every buffer a size, so no client can hang the server,
exhaust its memory or starve another client: these are the numbers. Tests build
servers with smaller ones (`CourseModelServer(limits=Limits(...))`) to run fast.
Used by `server.py`, `protocol.py` and `app.py`; the course model is taught in chapter 01.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    max_body_bytes: int = 2 * 1024 * 1024  # a long conversation is tens of KB; refused while reading (413)
    max_url_bytes: int = 8 * 1024  # 414 beyond this
    max_header_bytes: int = 16 * 1024  # all header lines together; 431 beyond this
    max_connections: int = 256  # open connections; one more is answered 429 and closed
    idle_timeout: float = 30.0  # seconds a connection may sit silent (longer than httpx's 5 s pool expiry)
    header_timeout: float = 10.0  # seconds from a request's first byte to its last header (408)
    body_timeout: float = 10.0  # seconds to receive a whole body (408)
    body_idle_timeout: float = 2.0  # seconds without a byte while a body is incomplete (408): a short body
    write_timeout: float = 30.0  # seconds a client may leave a response unread before it is cut off
    workers: int = 16  # threads that run the brain, so heavy requests never block the event loop or each other


# The protocol's own buffer for an unfinished request line and headers: beyond the app's limits,
# so that the app can answer 414/431 itself; a request past this gets 431 from the protocol.
MAX_INCOMPLETE_EVENT_BYTES = 64 * 1024
