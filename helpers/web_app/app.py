"""The web app: a streaming agent behind a Server-Sent Events endpoint. Taught in chapter 05.

It serves chapter 03's executor (`agent="executor"`, the default) or chapter 06's
`create_agent` agent (`agent="langchain"`) with the same events (see `agents.py`).

    GET  /               the chat page (static/index.html)
    POST /api/sessions   start a conversation          -> 201 {"session_id": "..."}
    POST /api/chat       {"session_id", "message"}     -> text/event-stream (see events.py)

Errors before the stream starts are ordinary HTTP errors with a JSON body
`{"detail": "what went wrong"}`: 422 for a malformed request or an empty message,
413 for a message or a body that is too long, 404 for an unknown session, 409 for a
session that is still answering, 429 for a client making too many requests (or
with all its sessions busy), 503 when the store has no room for a new session.
A request for a host name the app is not served on gets a 400; a POST that a page
of another site sent (the browser's `Origin` / `Sec-Fetch-Site` say so), a 403.
Once the stream has started, a failure arrives as an `error` event, followed by `done`.
"""

from __future__ import annotations

import asyncio
import html
import logging
from collections import Counter
from contextlib import aclosing, asynccontextmanager
from importlib.resources import files
from typing import Any, AsyncIterator, Callable

from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse
from langchain_core.language_models import BaseChatModel
from langchain_openai import ChatOpenAI
from openai import DefaultAioHttpClient
from pydantic import BaseModel
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from ..backend import model_settings
from . import events, security
from .agents import AGENTS, conversation_factory
from .limits import DEFAULT_BURST, DEFAULT_MAX_BODY_BYTES, DEFAULT_PENALTY, DEFAULT_RATE, BodySizeLimit, RateLimit
from .sessions import SESSION_ID, Session, SessionLimit, SessionStore

logger = logging.getLogger(__name__)

ModelFactory = Callable[[Any], BaseChatModel]  # given the app's HTTP client (an httpx-style AsyncClient)
MAX_MESSAGE_CHARS = 2000


def default_model(http_client: Any) -> BaseChatModel:
    """The course's model (see `helpers.backend`), on the HTTP client the app gives it."""
    settings = model_settings()
    return ChatOpenAI(
        model=settings.model,
        base_url=settings.base_url,
        api_key=settings.api_key,
        temperature=0.0,
        stream_usage=True,
        http_async_client=http_client,
    )


def reasoning_model(http_client: Any) -> BaseChatModel:
    """A model that reasons, asked for a summary of its reasoning (`--reasoning`; chapters 01 and 06).

    OpenAI streams that summary only through the Responses API, the only door through
    which `ChatOpenAI` reads reasoning; `model_settings(reasoning=True)` names a model
    that accepts `reasoning=` on every backend. The app then sends `reasoning` events.
    """
    settings = model_settings(reasoning=True)
    return ChatOpenAI(
        model=settings.model,
        base_url=settings.base_url,
        api_key=settings.api_key,
        use_responses_api=True,
        reasoning={"effort": "low", "summary": "auto"},
        stream_usage=True,
        http_async_client=http_client,
    )


def model_http_client() -> Any:
    """The HTTP client the app opens for its model: the OpenAI SDK's `DefaultAioHttpClient` (see `create_app`)."""
    return DefaultAioHttpClient()


def model_name(llm: BaseChatModel) -> str:
    """The name of the model that answers, as the provider knows it (`gpt-4o-mini`, `course-model`, ...)."""
    return str(getattr(llm, "model_name", None) or getattr(llm, "model", None) or type(llm).__name__)


def create_app(
    make_model: ModelFactory = default_model,
    *,
    agent: str = "executor",
    max_sessions: int = 1000,
    max_sessions_per_client: int = 20,
    session_idle_seconds: float = 30 * 60,
    max_turns: int = 20,
    max_message_chars: int = MAX_MESSAGE_CHARS,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    allowed_hosts: list[str] | tuple[str, ...] = (),
    requests_per_second: float = DEFAULT_RATE,
    request_burst: int = DEFAULT_BURST,
    rate_penalty_seconds: float = DEFAULT_PENALTY,
    forwarded_allow_ips: list[str] | tuple[str, ...] = (),
) -> FastAPI:
    """The app. It calls `make_model(http_client)` once, when the server starts.

    Network connections belong to the event loop that opened them, and a server
    started from a notebook or a test runs its own loop in its own thread; so the
    app opens its own HTTP client in that loop, hands it to the model, and closes
    it when the server stops. That client is the OpenAI SDK's `DefaultAioHttpClient`
    (httpx's interface on aiohttp's connections), which the SDK recommends for many
    concurrent streams.

    `agent` picks who answers: "executor" (chapter 03) or
    "langchain" (chapter 06's `create_agent`); the events are the same. `allowed_hosts`
    adds host names to 127.0.0.1 and localhost, for an app served under another name.

    `forwarded_allow_ips` names the reverse proxies (addresses or networks) whose
    `X-Forwarded-For` and `X-Forwarded-Proto` are believed; by default nobody's.
    Every limit counts per client address, so a header any client can write must
    not choose that address: believed from anyone (uvicorn believes it from
    loopback unless told otherwise), a new forwarded address on each request is a
    new client each time, past every limit. The servers in this package turn
    uvicorn's own handling off (`proxy_headers=False`) and leave it to this option.
    """
    if agent not in AGENTS:
        raise ValueError(f"agent must be {' or '.join(map(repr, AGENTS))}, got {agent!r}")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with model_http_client() as http_client:
            app.state.llm = make_model(http_client)
            app.state.model_name = model_name(app.state.llm)
            app.state.new_conversation = conversation_factory(agent, app.state.llm)
            # Sessions live as long as the server: their conversations use this model and its client.
            app.state.sessions = SessionStore(max_sessions=max_sessions, max_turns=max_turns,
                                              max_per_client=max_sessions_per_client,
                                              idle_seconds=session_idle_seconds)
            yield

    app = FastAPI(title="Streaming agent (chapter 05)", lifespan=lifespan)
    app.state.agent = agent  # which agent answers: "executor" or "langchain"
    app.state.model_name = None  # which model: known once the server has started and built it
    app.state.max_message_chars = max_message_chars
    app.state.runs = Counter()  # how runs ended: "answered", "failed", "cancelled" (tests and chapter 05 read it)
    app.add_exception_handler(RequestValidationError, readable_validation_error)
    app.include_router(router)
    # The last added runs first: who the client is (behind a named proxy), the client's request rate,
    # then the host, then whether another site's page sent it, then the body's size, then routing.
    app.add_middleware(BodySizeLimit, max_bytes=max_body_bytes)
    app.add_middleware(security.SameOriginWrites)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=security.allowed_hosts(allowed_hosts))
    app.add_middleware(RateLimit, rate=requests_per_second, burst=request_burst, penalty_seconds=rate_penalty_seconds)
    if forwarded_allow_ips:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(forwarded_allow_ips))
    return app


router = APIRouter()
PAGE = files(__package__).joinpath("static", "index.html")


class ChatRequest(BaseModel):
    session_id: str
    message: str


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def page(request: Request) -> HTMLResponse:
    # Which agent and model answer, written into the page as text (outside its script and style,
    # so the Content-Security-Policy hashes do not change).
    state = request.app.state
    answering = f"{AGENTS[state.agent]} on {state.model_name}"
    text = PAGE.read_text(encoding="utf-8").replace("{{answering}}", html.escape(answering, quote=False))
    return HTMLResponse(text, headers=security.page_headers(text))


@router.post("/api/sessions", status_code=201)
async def new_session(request: Request) -> dict[str, str]:
    conversation = request.app.state.new_conversation()  # its own chat history
    client = request.client.host if request.client else "unknown"  # behind a proxy: see `forwarded_allow_ips`
    try:
        return {"session_id": request.app.state.sessions.create(conversation, client)}
    except SessionLimit as limit:
        raise HTTPException(limit.status, str(limit), headers={"Retry-After": str(limit.retry_after)}) from None


@router.post("/api/chat")
async def chat(body: ChatRequest, request: Request) -> StreamingResponse:
    state = request.app.state
    session = find_session(state.sessions, body.session_id)
    question = check_message(body.message, state.max_message_chars)
    release = session.claim()  # the session is this request's from here until its run ends
    if release is None:
        raise HTTPException(409, "This session is still answering its last question.")
    return EventStreamResponse(stream_run(session, question, state.runs, state.sessions.max_turns, release),
                               on_close=release)


async def stream_run(session: Session, question: str, runs: Counter, max_turns: int,
                     release: Callable[[], None]) -> AsyncIterator[bytes]:
    """The response body: the agent's run as events, as they happen, then `done`.

    The endpoint claimed the session for this run: `release` gives it back as soon
    as the run ends, before `done`, so the next question can follow at once; the
    response calls it too, in case the stream never began (see `EventStreamResponse`).

    When the browser goes away, Starlette stops reading this generator (see
    `EventStreamResponse`): the cancellation reaches the agent's stream, which
    cancels the run, and the conversation records no half-finished turn.
    """
    outcome = "failed"
    run_events = session.conversation.events(question)
    try:
        async with aclosing(run_events):
            async for item in run_events:
                yield item.encode()
        outcome = "answered"
    except (asyncio.CancelledError, GeneratorExit):  # the client disconnected
        outcome = "cancelled"
        logger.info("agent run cancelled: the client disconnected")
        raise
    except Exception as error:  # the run failed: tell the browser, keep the details here
        logger.info("agent run failed: %r", error)
        yield events.failure(error).encode()
    finally:
        runs[outcome] += 1
        session.trim_history(max_turns)
        release()
    yield events.done().encode()


class EventStreamResponse(StreamingResponse):
    """A `text/event-stream` response that closes its generator however the response ends.

    Starlette cancels the response when the client disconnects; if the generator
    was paused at a `yield` just then, nothing would resume or close it until the
    garbage collector did. Closing it here stops the agent's run at once. Then
    `on_close` runs (it gives the session back), even if the stream never began.
    """

    media_type = "text/event-stream"

    def __init__(self, content: AsyncIterator[bytes], on_close: Callable[[], None] = lambda: None) -> None:
        # no-cache: never store or replay a stream; X-Accel-Buffering: ask proxies (nginx) not to buffer it
        super().__init__(content, headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        self.on_close = on_close

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            try:
                await self.body_iterator.aclose()
            finally:
                self.on_close()


def find_session(sessions: SessionStore, session_id: str) -> Session:
    if not SESSION_ID.fullmatch(session_id):
        raise HTTPException(422, "session_id is malformed: use the id that POST /api/sessions returned.")
    session = sessions.get(session_id)
    if session is None:
        raise HTTPException(404, "Unknown or expired session: start a new one with POST /api/sessions.")
    return session


def check_message(message: str, max_chars: int) -> str:
    question = message.strip()
    if not question:
        raise HTTPException(422, "The message is empty: type a question.")
    if len(question) > max_chars:
        raise HTTPException(413, f"The message is too long: {len(question)} characters, at most {max_chars}.")
    return question


async def readable_validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
    """FastAPI's 422 for a body that does not fit `ChatRequest`, with one readable `detail` string."""
    problems = []
    for problem in error.errors():
        if problem["type"] == "json_invalid":
            problems.append("The body is not valid JSON.")
        else:
            where = ".".join(str(part) for part in problem["loc"][1:]) or "body"  # loc starts with "body"
            problems.append(f"{where}: {problem['msg']}.")
    return JSONResponse({"detail": " ".join(["Invalid request.", *problems])}, status_code=422)
