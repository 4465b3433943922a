"""The course model's HTTP server: OpenAI's Chat Completions API on 127.0.0.1, offline.

It speaks the same wire format as OpenAI, Server-Sent Events included, so the
course uses the real `openai` SDK and the real `ChatOpenAI` class in every mode.
The standard library's threading HTTP server is enough: one thread per
connection serves many concurrent streams, and a client that hangs up mid-stream
only ends its own thread.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from . import brain
from .completion import CREATED, build_completion, completion_object, stream_chunks
from .errors import ApiError
from .faults import HEADER as FAULT_HEADER
from .faults import Fault, parse_fault, raise_status, rewrite_calls
from .request import MODEL_NAME, parse_chat_request

DEFAULT_DELAY = 0.02  # seconds per token: streaming a person can watch
MAX_BODY_BYTES = 2 * 1024 * 1024
MAX_DRAIN_BYTES = 32 * 1024 * 1024  # a refused body up to this size is read and dropped, not left unread
IDLE_TIMEOUT = 30.0  # seconds a kept-alive connection may sit idle

_ROUTES = {"/v1/chat/completions": "POST", "/v1/models": "GET", f"/v1/models/{MODEL_NAME}": "GET"}


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


def _model_object() -> dict[str, Any]:
    return {"id": MODEL_NAME, "object": "model", "created": CREATED, "owned_by": "hands-on-langchain-streaming"}


class _Handler(BaseHTTPRequestHandler):
    """One connection. Every response is JSON; every failure is an OpenAI-style error."""

    server: "_Server"
    protocol_version = "HTTP/1.1"  # keep-alive, and chunked encoding for streams
    disable_nagle_algorithm = True  # send each token the moment it is written
    timeout = IDLE_TIMEOUT
    server_version = "CourseModel/1.0"

    # -- routing ---------------------------------------------------------------------------

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def _dispatch(self, method: str) -> None:
        path = self.path.split("?", 1)[0].rstrip("/")
        try:
            allowed = _ROUTES.get(path)
            if allowed is None:
                self._discard_body()
                if path.startswith("/v1/models/"):
                    model = path.removeprefix("/v1/models/")
                    raise ApiError(404, f"The model `{model}` does not exist.", param="model", code="model_not_found")
                raise ApiError(404, f"Unknown request URL: {method} {path}. The course model serves "
                               "POST /v1/chat/completions and GET /v1/models.", code="unknown_url")
            if method != allowed:
                self._discard_body()
                raise ApiError(405, f"Method {method} is not allowed on {path}; use {allowed}.",
                               code="method_not_allowed")
            if method == "GET":
                body = {"object": "list", "data": [_model_object()]} if path == "/v1/models" else _model_object()
                self._send_json(200, body)
            else:
                self._chat_completions()
        except ApiError as error:
            self._send_json(error.status, error.body())
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client left; nothing to tell it
        except Exception as error:  # a bug in the brain must not take the server down
            self._send_json(500, ApiError(500, f"The course model failed: {error!r}", type="server_error").body())

    # -- chat completions ---------------------------------------------------------------------

    def _chat_completions(self) -> None:
        raw = self._read_body()
        fault = parse_fault(self.headers.get(FAULT_HEADER)) if self.server.allow_faults else None
        request = parse_chat_request(raw)
        if fault and not fault.applies_to(request.messages):
            fault = None
        if fault and fault.kind == "status":
            raise_status(fault)
        reply = brain.respond(request.messages, request.tools, request.tool_choice, request.parallel_tool_calls)
        completion = build_completion(request, reply)
        if fault:
            completion = rewrite_calls(fault, completion)
        if request.stream:
            self._stream(completion, request.include_usage, fault)
        else:
            self._send_json(200, completion_object(completion))

    def _stream(self, completion, include_usage: bool, fault: Fault | None) -> None:
        delay = float(fault.value) if fault and fault.kind == "delay" else self.server.delay
        drop_after = int(fault.value) if fault and fault.kind == "drop-after" else None
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        sent_tokens = 0
        next_at = time.monotonic()
        for chunk, is_token in stream_chunks(completion, include_usage):
            if is_token:
                if drop_after is not None and sent_tokens >= drop_after:
                    self._drop_connection()
                    return
                if delay:
                    # Keep to a schedule of one token per `delay`, rather than sleeping a full
                    # `delay` after each token's own work, so busy streams keep their pace.
                    next_at = max(next_at + delay, time.monotonic())
                    time.sleep(max(0.0, next_at - time.monotonic()))
                sent_tokens += 1
            self._write_event(json.dumps(chunk, separators=(",", ":")))
        self._write_event("[DONE]")
        self.wfile.write(b"0\r\n\r\n")  # the end of the chunked body

    def _write_event(self, data: str) -> None:
        payload = f"data: {data}\n\n".encode("utf-8")
        self.wfile.write(b"%x\r\n%s\r\n" % (len(payload), payload))

    def _drop_connection(self) -> None:
        """Hang up without finishing the body, as a crashed server or a broken network would."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # -- plumbing -------------------------------------------------------------------------------

    def _read_body(self) -> bytes:
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            self.close_connection = True
            raise ApiError(411, "A Content-Length header is required.", code="length_required")
        size = int(length)
        if size > MAX_BODY_BYTES:
            self._discard_body()  # so the client can finish sending and read our answer
            self.close_connection = True
            raise ApiError(413, f"The request body is {size} bytes; the course model accepts at most "
                           f"{MAX_BODY_BYTES}.", code="request_too_large")
        return self.rfile.read(size)

    def _discard_body(self) -> None:
        """Read and drop a body we will not use, in small pieces, up to `MAX_DRAIN_BYTES`.

        Reading it lets the client finish sending and read our answer; a body too
        large to drain leaves the connection unusable, so it is closed after the answer.
        """
        length = self.headers.get("Content-Length")
        if not length or not length.isdigit():
            return
        size = int(length)
        remaining = min(size, MAX_DRAIN_BYTES)
        while remaining > 0:
            piece = self.rfile.read(min(remaining, 64 * 1024))
            if not piece:
                break
            remaining -= len(piece)
        if size > MAX_DRAIN_BYTES:
            self.close_connection = True

    def _send_json(self, status: int, body: dict[str, Any]) -> None:
        payload = json.dumps(body, separators=(",", ":")).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: a notebook would show every request line as a stderr warning."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a stuck connection never keeps the Python process alive
    allow_reuse_address = True
    request_queue_size = 256  # many concurrent streams may connect at once

    def __init__(self, address: tuple[str, int], delay: float, allow_faults: bool) -> None:
        super().__init__(address, _Handler)
        self.delay = delay
        self.allow_faults = allow_faults

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that vanished mid-request is routine, not a traceback on stderr."""


class CourseModelServer:
    """The course model on 127.0.0.1, served from a daemon thread.

    >>> with CourseModelServer(delay=0) as server:
    ...     print(server.base_url)          # doctest: +ELLIPSIS
    http://127.0.0.1:.../v1
    """

    def __init__(self, port: int = 0, *, delay: float | None = None, allow_faults: bool = False) -> None:
        self.delay = delay_from_env() if delay is None else delay
        self._server = _Server(("127.0.0.1", port), self.delay, allow_faults)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> "CourseModelServer":
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever, kwargs={"poll_interval": 0.2},
                name=f"course-model:{self.port}", daemon=True,
            )
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted (the command-line entry point)."""
        self._server.serve_forever()

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> "CourseModelServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
