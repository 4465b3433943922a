"""The course model's API as an ASGI application: routes, bounded body reading, errors, streaming.

uvicorn (see `protocol.py`) speaks HTTP; this app decides what to answer. It is a
plain ASGI callable rather than a Starlette app because each of its routes
needs what Starlette would have to be talked out of: a body read with a size cap
and timeouts, and every error (404, 405, 413, ...) as OpenAI's JSON, never text.

The brain and the building of a completion are CPU work: they run in a thread pool,
so a heavy request never stalls the event loop that writes other clients' streams.
`sse_writer` writes a stream: paced, or in batches at zero delay.
Used by `server.py`; the course model is taught in chapter 01.
"""

from __future__ import annotations

import asyncio
import json
import threading
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Iterator, Sequence

from .. import workload
from ..brain import brain
from ..brain.reply import Reply
from .completion import CREATED, Completion, build_completion, completion_object, stream_chunks
from .errors import ApiError, payload, server_error
from .faults import HEADER as FAULT_HEADER
from .faults import Fault, fail_chunks, parse_fault, raise_status, rewrite_calls
from .limits import Limits
from .request import MODEL_NAME, ChatRequest, parse_chat_request
from .responses import encoded_events, plan_response, response_body, stream_events
from .responses_request import parse_responses_request
from ..brain import reasoning
from .sse_writer import StreamCut, encoded, write_events

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
StreamObserver = Callable[[Sequence[bool]], None]  # told, before each write, which events are tokens
Planner = Callable[[bytes, "bytes | None"], "Prepared"]  # a request body (and fault header) to its prepared answer

CHAT = "/v1/chat/completions"
RESPONSES = "/v1/responses"
MODELS = "/v1/models"
_ROUTES = {CHAT: ("POST",), RESPONSES: ("POST",), MODELS: ("GET", "HEAD"), f"{MODELS}/{MODEL_NAME}": ("GET", "HEAD")}
_JSON = (b"Content-Type", b"application/json")
_CLOSE = (b"Connection", b"close")
_FAULT_HEADER = FAULT_HEADER.lower().encode("latin-1")
_BODY_SLICE = 64 * 1024  # bytes of a JSON answer per write: about asyncio's high-water mark


class _Drop(Exception):
    """End the connection without finishing the response (a fault, or a client that stopped reading)."""


@dataclass(frozen=True)
class Prepared:
    """A request's answer, ready to write: one JSON body, or a completion (or Responses events) to stream and how."""

    body: bytes | None = None
    completion: Completion | None = None
    events: Iterator[tuple[bytes, bool]] | None = None  # a Responses stream's encoded events, instead of a completion
    include_usage: bool = False
    delay: float = 0.0
    drop_after: int | None = None
    fail_after: int | None = None  # a test-only fault: report a server error in the stream after this many tokens


def _model_object() -> dict[str, Any]:
    return {"id": MODEL_NAME, "object": "model", "created": CREATED, "owned_by": "hands-on-langchain-streaming"}


class CourseModelApp:
    """The ASGI callable: `await app(scope, receive, send)` once per request."""

    def __init__(self, *, delay: float, allow_faults: bool, limits: Limits, executor: Executor) -> None:
        self.delay = delay
        self.allow_faults = allow_faults
        self.limits = limits
        self.executor = executor
        # Benchmarks set this to time every write. Called once per chat request, it returns an observer,
        # told `()` when the request arrives, then each write's token flags just before the write.
        self.on_stream: Callable[[], StreamObserver] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        started = False

        async def tracked_send(message: dict[str, Any]) -> None:
            nonlocal started
            started = True
            await send(message)

        try:
            await self._route(scope, receive, tracked_send)
        except _Drop:
            raise  # uvicorn closes the connection: the client sees a response cut short
        except ApiError as error:
            if not started:
                await self._send_error(scope, send, error)
        except Exception as error:  # a bug in the course model must still answer, in JSON
            if not started:
                await self._send_error(scope, send, server_error(error))

    # -- routing ---------------------------------------------------------------------------------

    async def _route(self, scope: Scope, receive: Receive, send: Send) -> None:
        self._check_size(scope)
        method = scope["method"]
        # The raw path, not the decoded one: "/v1/chat%2Fcompletions" is not the chat route.
        path = scope["raw_path"].decode("ascii", "replace").rstrip("/") or "/"
        allowed = _ROUTES.get(path)
        if allowed is None:
            if path.startswith(MODELS + "/"):
                model = path.removeprefix(MODELS + "/")
                raise ApiError(404, f"The model `{model}` does not exist.", param="model", code="model_not_found")
            raise ApiError(404, f"Unknown request URL: {method} {path}. The course model serves "
                           f"POST {CHAT}, POST {RESPONSES} and GET {MODELS}.", code="unknown_url")
        if method == "OPTIONS":
            headers = [(b"Allow", ", ".join((*allowed, "OPTIONS")).encode())]
            await send({"type": "http.response.start", "status": 204, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        if method not in allowed:
            raise ApiError(405, f"Method {method} is not allowed on {path}; use {allowed[0]}.",
                           code="method_not_allowed")
        if path == MODELS:
            await self._send_json(send, 200, {"object": "list", "data": [_model_object()]})
        elif path == CHAT:
            await self._answer(scope, receive, send, self._plan)
        elif path == RESPONSES:
            await self._answer(scope, receive, send, self._plan_response)
        else:
            await self._send_json(send, 200, _model_object())

    def _check_size(self, scope: Scope) -> None:
        if len(scope["raw_path"]) + len(scope["query_string"]) > self.limits.max_url_bytes:
            raise ApiError(414, f"The URL is longer than {self.limits.max_url_bytes} bytes.", code="uri_too_long")
        size = sum(len(name) + len(value) + 4 for name, value in scope["headers"])
        if size > self.limits.max_header_bytes:
            raise ApiError(431, f"The request's headers total {size} bytes; the course model accepts at most "
                           f"{self.limits.max_header_bytes}.", code="headers_too_large")

    # -- chat completions and responses -----------------------------------------------------------

    async def _answer(self, scope: Scope, receive: Receive, send: Send, plan: Planner) -> None:
        """Read the body, plan the answer in a worker thread (`plan`: Chat Completions or Responses), write it."""
        observe = self.on_stream() if self.on_stream is not None else None
        if observe is not None:
            observe(())  # the request is here: the moment its answer's time starts
        raw = await self._read_body(scope, receive)
        fault_header = dict(scope["headers"]).get(_FAULT_HEADER) if self.allow_faults else None
        loop = asyncio.get_running_loop()
        # From here on, a client that hangs up stops the work for it: the brain's budget checks
        # `cancelled` (a thread-safe flag, for the worker thread), the writers check `gone`.
        gone, cancelled = asyncio.Event(), threading.Event()
        listener = asyncio.ensure_future(_wait_for_disconnect(receive, gone, cancelled))
        try:
            try:
                prepared = await loop.run_in_executor(self.executor, self._prepare, plan, raw, fault_header, cancelled)
            except workload.ClientGone:
                return  # nobody is there to answer
            if prepared.body is not None:
                await self._send_body(send, prepared.body, gone)
            else:
                await self._stream(prepared, send, gone, observe)
        finally:
            listener.cancel()

    def _prepare(self, plan: Planner, raw: bytes, fault_header: bytes | None,
                 cancelled: threading.Event | None = None) -> Prepared:
        """The CPU work of one request, in a worker thread: parse, think, plan the answer (within a budget)."""
        with workload.bounded(cancelled=cancelled):
            try:
                return plan(raw, fault_header)
            except workload.TooMuchWork as stopped:
                raise ApiError(400, str(stopped), code="too_much_work") from None

    def _plan(self, raw: bytes, fault_header: bytes | None) -> Prepared:
        request = parse_chat_request(raw)
        fault, reply = _think(request, fault_header)
        completion = build_completion(request, reply)
        if fault:
            completion = rewrite_calls(fault, completion)
        if not request.stream:
            return Prepared(body=json.dumps(completion_object(completion), separators=(",", ":")).encode("utf-8"))
        return Prepared(
            completion=completion, include_usage=request.include_usage,
            delay=_fault_delay(fault, self.delay), fail_after=_fail_after(fault), drop_after=_drop_after(fault),
        )

    def _plan_response(self, raw: bytes, fault_header: bytes | None) -> Prepared:
        """A Responses API request (`responses_request`, `responses`): the same brain, faults and limits."""
        request = parse_responses_request(raw)
        chat = request.chat
        fault, reply = _think(chat, fault_header)
        summary = None
        if request.reasoning is not None and request.reasoning.thinks:
            summary = reasoning.plan_summary(chat.messages, chat.tools, chat.tool_choice, reply,
                                             response_format=chat.response_format,
                                             detail=request.reasoning.summary or "auto")
        planned = plan_response(request, reply, summary,
                                rewrite=(lambda completion: rewrite_calls(fault, completion)) if fault else
                                (lambda completion: completion))
        if not request.stream:
            return Prepared(body=response_body(planned))
        return Prepared(
            events=encoded_events(stream_events(planned, _fail_after(fault))), delay=_fault_delay(fault, self.delay),
            drop_after=_drop_after(fault),
        )

    async def _stream(self, prepared: Prepared, send: Send, gone: asyncio.Event,
                      observe: StreamObserver | None = None) -> None:
        """Write the events (see `sse_writer`), stopping early if the client hangs up (`gone`)."""
        if prepared.events is not None:
            events = prepared.events
        else:
            assert prepared.completion is not None
            chunks = stream_chunks(prepared.completion, prepared.include_usage)
            if prepared.fail_after is not None:
                chunks = fail_chunks(chunks, prepared.fail_after)
            events = encoded(chunks)
        try:
            await send({"type": "http.response.start", "status": 200, "headers": [
                (b"Content-Type", b"text/event-stream; charset=utf-8"), (b"Cache-Control", b"no-cache")]})
            await write_events(
                send, events,
                delay=prepared.delay, write_timeout=self.limits.write_timeout, stop=gone,
                drop_after=prepared.drop_after, observe=observe,
            )
        except StreamCut:
            raise _Drop() from None

    async def _send_body(self, send: Send, body: bytes, gone: asyncio.Event) -> None:
        """A whole JSON answer, in slices that each wait for the client to read (uvicorn's flow control),
        so a client that never reads holds at most a slice or two in memory until the write timeout cuts it off."""
        await send({"type": "http.response.start", "status": 200,
                    "headers": [_JSON, (b"Content-Length", str(len(body)).encode())]})
        view = memoryview(body)
        for start in range(0, len(body), _BODY_SLICE):
            if gone.is_set():
                return
            try:
                async with asyncio.timeout(self.limits.write_timeout):
                    await send({"type": "http.response.body", "body": bytes(view[start:start + _BODY_SLICE]),
                                "more_body": True})
            except TimeoutError:
                raise _Drop() from None
        await send({"type": "http.response.body", "body": b""})

    # -- plumbing ------------------------------------------------------------------------------

    async def _read_body(self, scope: Scope, receive: Receive) -> bytes:
        """The whole body, refused (413) as soon as it passes the cap, and never waited for forever."""
        headers = dict(scope["headers"])
        length = headers.get(b"content-length")
        if length is None and b"transfer-encoding" not in headers:
            raise ApiError(411, "A Content-Length header is required.", code="length_required")
        cap = self.limits.max_body_bytes
        if length is not None and int(length) > cap:  # h11 has checked it is a number
            raise ApiError(413, f"The request body is {int(length)} bytes; the course model accepts at most "
                           f"{cap}.", code="request_too_large")
        pieces: list[bytes] = []
        size = 0
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.limits.body_timeout
        while True:
            wait = min(self.limits.body_idle_timeout, deadline - loop.time())
            try:
                async with asyncio.timeout(max(wait, 0)):
                    message = await receive()
            except TimeoutError:
                raise ApiError(408, "The request body did not arrive in time: it is shorter than its "
                               "Content-Length, or it is being sent too slowly.", code="request_timeout") from None
            if message["type"] == "http.disconnect":
                raise _Drop()
            body = message.get("body", b"")
            size += len(body)
            if size > cap:
                raise ApiError(413, f"The request body is over the course model's limit of {cap} bytes.",
                               code="request_too_large")
            pieces.append(body)
            if not message.get("more_body", False):
                return b"".join(pieces)

    async def _send_json(self, send: Send, status: int, body: dict[str, Any], *, close: bool = False) -> None:
        await _send_bytes(send, status, json.dumps(body, separators=(",", ":")).encode("utf-8"), close=close)

    async def _send_error(self, scope: Scope, send: Send, error: ApiError) -> None:
        extra = []
        if error.status == 405:
            path = scope["raw_path"].decode("ascii", "replace").rstrip("/")
            extra.append((b"Allow", ", ".join((*_ROUTES.get(path, ()), "OPTIONS")).encode()))
        # A body we did not read (a 404, a 413 refused on its Content-Length) is read and dropped by h11
        # after the answer, so the client can finish sending and read it; only a body that stalled
        # (408) leaves the connection unusable.
        await _send_bytes(send, error.status, payload(error), close=error.status == 408, extra=extra)


async def _send_bytes(send: Send, status: int, data: bytes, *, close: bool = False,
                      extra: Sequence[tuple[bytes, bytes]] = ()) -> None:
    headers = [_JSON, (b"Content-Length", str(len(data)).encode()), *extra]
    if close:
        headers.append(_CLOSE)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})


def _think(request: ChatRequest, fault_header: bytes | None) -> tuple[Fault | None, Reply]:
    """The test-only fault that applies to this request (a status fault raises here), then the brain's reply.

    Both APIs come here with the Chat Completions shapes the brain reads (the Responses API's request
    is turned into them), so a fault and an answer mean the same on either.
    """
    fault = parse_fault(fault_header.decode("latin-1")) if fault_header is not None else None
    if fault and not fault.applies_to(request.messages):
        fault = None
    if fault and fault.kind == "status":
        raise_status(fault)
    reply = brain.respond(request.messages, request.tools, request.tool_choice, request.parallel_tool_calls,
                          response_format=request.response_format)
    return fault, reply


def _drop_after(fault: Fault | None) -> int | None:
    return int(fault.value) if fault and fault.kind == "drop-after" else None


def _fail_after(fault: Fault | None) -> int | None:
    return int(fault.value) if fault and fault.kind == "fail-after" else None


def _fault_delay(fault: Fault | None, default: float) -> float:
    return float(fault.value) if fault and fault.kind == "delay" else default  # parse_fault checked it


async def _wait_for_disconnect(receive: Receive, gone: asyncio.Event, cancelled: threading.Event) -> None:
    """Set `gone` and `cancelled` when the client hangs up, so neither the brain nor a writer works for nobody."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            gone.set()
            cancelled.set()
            return
