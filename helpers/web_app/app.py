"""The web app: a streaming agent behind a Server-Sent Events endpoint. Taught in chapter 05; resuming in chapter 08.

It serves chapter 03's executor (`agent="executor"`, the default) or chapter 06's
`create_agent` agent (`agent="langchain"`) with the same events (see `agents.py`).

    GET  /                           the chat page (static/index.html)
    POST /api/sessions               start a conversation          -> 201 {"session_id": "..."}
    POST /api/chat                   {"session_id", "message"}     -> text/event-stream (see events.py)
    GET  /api/runs/{run_id}/events   a run's events again, after `Last-Event-ID`  -> text/event-stream
    POST /api/runs/{run_id}/stop     stop a run                    -> 202 (200 if it had finished)
    POST /api/agui                   an AG-UI RunAgentInput        -> text/event-stream of AG-UI events (see agui.py)

The streams go through FastAPI's own SSE (`fastapi.sse`): the endpoints yield
`ServerSentEvent`s and FastAPI frames them. Every event of a run has an `id:`, 1, 2, 3, ...;
the first is `run`, with the `run_id`; the last is `done`. A run goes on when its client
disconnects (it runs in a task of its own, `runs.py`, and writes its events to an event log,
`event_log.py`); the client resumes with `GET /api/runs/{run_id}/events` and the last id it saw
as `Last-Event-ID` (the browser's `EventSource` sends it by itself), and gets the events after
it, then the live ones, to `done`. Only the session that started a run may read or stop it: it
says so with the `X-Session-Id` header, or `?session_id=` where headers cannot be set
(`EventSource`); any other run id, for that session, is a 404, the same for a run that does not
exist. A finished run's events stay readable for `keep_run_seconds` (5 minutes) within a
bound on memory. A stream with nothing to send for `heartbeat_seconds` (15) sends a comment.

Errors before the stream starts are ordinary HTTP errors with a JSON body
`{"detail": "what went wrong"}`: 422 for a malformed request or an empty message (or a
`Last-Event-ID` that is not one of the run's ids), 413 for a message or a body that is too
long, 404 for an unknown session or run, 409 for a session that is still answering, 429 for
a client making too many requests (or with all its sessions busy), 503 when the store has no
room for a new session. A request for a host name the app is not served on gets a 400; a POST
that a page of another site sent (the browser's `Origin` / `Sec-Fetch-Site` say so), a 403.
Once the stream has started, a failure arrives as an `error` event, followed by `done`; a
stopped run ends with `stopped`, then `done`.
"""

from __future__ import annotations

import asyncio
import hmac
import html
import logging
from collections import Counter
from contextlib import aclosing, asynccontextmanager
from importlib.resources import files
from typing import Annotated, Any, AsyncIterator, Callable

from fastapi import APIRouter, Depends, FastAPI, Header, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.sse import EventSourceResponse, ServerSentEvent
from langchain_core.language_models import BaseChatModel
from langchain_openai import ChatOpenAI
from openai import DefaultAioHttpClient
from pydantic import BaseModel
from starlette.middleware.trustedhost import TrustedHostMiddleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from ..backend import model_settings
from . import agui, events, security
from .agents import AGENTS, conversation_factory
from .event_log import (KEEP_SECONDS, MAX_BYTES, EventLog, MemoryEventLog, RunInfo, SessionBusy, Silent, UnknownRun,
                        follow, owner_digest)
from .event_log_choice import open_event_log, parse_events
from .events import Event
from .limits import DEFAULT_BURST, DEFAULT_MAX_BODY_BYTES, DEFAULT_PENALTY, DEFAULT_RATE, BodySizeLimit, RateLimit
from .runs import RUN_ID, RUN_TIMEOUT, RunRegistry
from .sessions import SESSION_ID, Session, SessionLimit, SessionStore
from .store import StoreSpec, open_store, parse_store

logger = logging.getLogger(__name__)

ModelFactory = Callable[[Any], BaseChatModel]  # given the app's HTTP client (an httpx-style AsyncClient)
MAX_MESSAGE_CHARS = 2000
HEARTBEAT_SECONDS = 15.0  # a comment after this long without an event: proxies cut streams idle for longer
RECONNECT_MS = 1000  # the `retry:` a stream's first event carries: how soon a browser reconnects


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
    heartbeat_seconds: float = HEARTBEAT_SECONDS,
    reconnect_ms: int = RECONNECT_MS,
    keep_run_seconds: float = KEEP_SECONDS,
    max_log_bytes: int = MAX_BYTES,
    run_timeout: float = RUN_TIMEOUT,
    event_log: Callable[[], EventLog] | None = None,
    store: str | StoreSpec | None = "memory",
    events: str | None = "memory",
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

    Runs outlive their connections (chapter 08): each run's events go to an event
    log, `event_log()` if given (a log shared by several processes), else one in
    memory that keeps a finished run's events `keep_run_seconds`, all of them within
    `max_log_bytes`. A stream that has sent nothing for `heartbeat_seconds` sends a
    comment (FastAPI's own keep-alive adds one after 15 s in any case); its first event
    tells the browser to wait `reconnect_ms` before it reconnects. A run may take
    `run_timeout` seconds in all.

    `store` is where conversations are kept (chapter 08, `store.py`): "memory" (the
    default here: an app started from a notebook or a test leaves no file behind),
    a SQLite file, or a `postgresql://` URL; None means the SQLite file in the
    user's data folder, as `python -m helpers.web_app` uses. A bad value is refused
    here, before anything starts.

    `events` is where runs' event logs live (`event_log_choice.py`): "memory" (this
    process), or a `redis://` URL shared by several app processes; with it, a client
    resumes on any of them, and a session answers one question at a time across all of
    them. A bad value is refused here; a Redis that does not answer fails the start-up.
    """
    if agent not in AGENTS:
        raise ValueError(f"agent must be {' or '.join(map(repr, AGENTS))}, got {agent!r}")
    if min(heartbeat_seconds, keep_run_seconds, max_log_bytes, run_timeout) <= 0 or reconnect_ms < 0:
        raise ValueError("heartbeat_seconds, keep_run_seconds, max_log_bytes and run_timeout must be positive, "
                         "reconnect_ms not negative")
    make_log = event_log or (lambda: MemoryEventLog(keep_seconds=keep_run_seconds, max_bytes=max_log_bytes))
    store_spec = store if isinstance(store, StoreSpec) else parse_store(store)
    events_spec = parse_events(events)
    if event_log is not None and events_spec != "memory":
        raise ValueError("give event_log (a factory) or events (a URL), not both")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with model_http_client() as http_client, open_store(store_spec) as conversations:
            app.state.llm = make_model(http_client)
            app.state.model_name = model_name(app.state.llm)
            app.state.new_conversation = conversation_factory(agent, app.state.llm, conversations, max_turns)
            # Sessions live as long as the server: their conversations use this model and its client.
            # With a persistent store they are also kept there, and taken back here on start-up.
            app.state.sessions = SessionStore(max_sessions=max_sessions, max_turns=max_turns,
                                              max_per_client=max_sessions_per_client,
                                              idle_seconds=session_idle_seconds, store=conversations)
            await app.state.sessions.restore(app.state.new_conversation)
            app.state.event_log = await open_event_log(events_spec, make_log, keep_seconds=keep_run_seconds)
            app.state.run_registry = RunRegistry(app.state.event_log, run_timeout=run_timeout)
            try:
                yield
            finally:  # runs still going end with an `error` event, before their model's client closes
                await app.state.run_registry.aclose()
                await app.state.event_log.aclose()

    app = FastAPI(title="Streaming agent (chapter 05)", lifespan=lifespan)
    app.state.agent = agent  # which agent answers: "executor" or "langchain"
    app.state.model_name = None  # which model: known once the server has started and built it
    app.state.max_message_chars = max_message_chars
    app.state.store = store_spec  # where conversations are kept
    app.state.events = events_spec  # where runs' events are kept: "memory" or a Redis URL
    app.state.runs = Counter()  # how runs ended: "answered", "failed", "cancelled" (tests and chapter 05 read it)
    app.state.heartbeat_seconds, app.state.reconnect_ms = heartbeat_seconds, reconnect_ms
    app.state.max_silence_seconds = run_timeout + 30  # a reader gives up on a run that logs nothing for longer
    app.add_exception_handler(RequestValidationError, readable_validation_error)
    app.include_router(router)
    app.include_router(agui.router)  # POST /api/agui: the same agent for AG-UI clients (agui.py)
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
    client = request.client.host if request.client else "unknown"  # behind a proxy: see `forwarded_allow_ips`
    try:  # a new conversation, its own chat history
        return {"session_id": await request.app.state.sessions.acreate(request.app.state.new_conversation, client)}
    except SessionLimit as limit:
        raise HTTPException(limit.status, str(limit), headers={"Retry-After": str(limit.retry_after)}) from None


def session_of_request(x_session_id: Annotated[str | None, Header()] = None,
                       session_id: Annotated[str | None, Query()] = None) -> str:
    """The session a run request speaks for: the `X-Session-Id` header, or (for `EventSource`) `?session_id=`."""
    given = x_session_id if x_session_id is not None else session_id
    if given is None:
        raise HTTPException(422, "Say which session asks: the X-Session-Id header or the session_id query "
                                 "parameter, with the id that POST /api/sessions returned.")
    if not SESSION_ID.fullmatch(given):
        raise HTTPException(422, "session_id is malformed: use the id that POST /api/sessions returned.")
    return owner_digest(given)


NO_SUCH_RUN = "No such run for this session: unknown, expired, or started by another session."


async def owned_run(request: Request, run_id: str, owner: str) -> RunInfo:
    """The run, if this session started it; else one 404 for all cases, so nobody learns which runs exist."""
    info = await request.app.state.event_log.info(run_id) if RUN_ID.fullmatch(run_id) else None
    if info is None or not hmac.compare_digest(info.owner, owner):
        raise HTTPException(404, NO_SUCH_RUN)
    return info


async def resume_after(run_id: str, request: Request, owner: Annotated[str, Depends(session_of_request)],
                       last_event_id: Annotated[str | None, Header()] = None) -> int:
    """The id to resume after: `Last-Event-ID` (0 without it), checked against the run's events."""
    info = await owned_run(request, run_id, owner)
    if last_event_id is None or not last_event_id.strip():
        return 0
    if not last_event_id.strip().isdigit():
        raise HTTPException(422, "Last-Event-ID must be the id of an event of this run: a whole number.")
    after = int(last_event_id)
    if after > info.last_id:
        raise HTTPException(422, f"Last-Event-ID {after} is past this run's latest event ({info.last_id}).")
    return after


BUSY = "This session is still answering its last question."


async def start_run(body: ChatRequest, request: Request) -> str:
    """Check the question, claim its session, and start its run (it goes on if the client leaves); its id."""
    state = request.app.state
    session = await find_session(state.sessions, body.session_id, state.new_conversation)
    question = check_message(body.message, state.max_message_chars)
    release = session.claim()  # the session is this run's until the run ends (in this process)
    if release is None:
        raise HTTPException(409, BUSY)
    try:  # and in every process sharing the event log: opening the run's log claims the session there
        return await state.run_registry.start(
            body.session_id, stream_run(session, question, state.runs, state.sessions.max_turns, release))
    except SessionBusy:
        release()
        raise HTTPException(409, BUSY) from None
    except BaseException:
        release()  # the run never started
        raise


@router.post("/api/chat", response_class=EventSourceResponse)
async def chat(request: Request, run_id: Annotated[str, Depends(start_run)]) -> AsyncIterator[ServerSentEvent]:
    """Stream the started run's events from its log: the first is `run`, with its id.

    FastAPI runs this generator only once the response streams; so the checks are
    in `start_run`, a dependency, where a failure is still an ordinary HTTP error.
    """
    async for sse in stream_from_log(request, run_id=run_id, after=0):
        yield sse


async def stream_run(session: Session, question: str, runs: Counter, max_turns: int,
                     release: Callable[[], None]) -> AsyncIterator[Event]:
    """The agent's run as events, as they happen, then `done`.

    The run registry (`runs.py`) reads this generator in a task of its own and
    logs each event; the responses read the log. So the run goes on when a client
    disconnects. `release` gives the session back as soon as the run ends, before `done`,
    so the next question can follow at once.

    A stop (`POST /api/runs/{run_id}/stop`) cancels the task that reads this
    generator: `aclosing` closes the agent's stream, which cancels the run, and
    the conversation records no half-finished turn.
    """
    outcome = "failed"
    run_events = session.conversation.events(question)
    try:
        async with aclosing(run_events):
            async for item in run_events:
                yield item
        outcome = "answered"
    except (asyncio.CancelledError, GeneratorExit):  # stopped, or the server is stopping
        outcome = "cancelled"
        logger.info("agent run cancelled")
        raise
    except Exception as error:  # the run failed: tell the browser, keep the details here
        logger.info("agent run failed: %r", error)
        yield events.failure(error)
    finally:
        runs[outcome] += 1
        session.trim_history(max_turns)
        release()
    yield events.done()


@router.get("/api/runs/{run_id}/events", response_class=EventSourceResponse)
async def run_events(run_id: str, request: Request,
                     after: Annotated[int, Depends(resume_after)]) -> AsyncIterator[ServerSentEvent]:
    """A run's events after `Last-Event-ID` (all of them without it), then the live ones, to `done`."""
    async for sse in stream_from_log(request, run_id=run_id, after=after):
        yield sse


@router.post("/api/runs/{run_id}/stop")
async def stop_run(run_id: str, request: Request, owner: Annotated[str, Depends(session_of_request)]) -> JSONResponse:
    """Stop a run: 202 while it stops (its stream ends with `stopped`, `done`), 200 if it had already finished."""
    info = await owned_run(request, run_id, owner)
    if info.finished:
        return JSONResponse({"detail": "The run had already finished."}, status_code=200)
    await request.app.state.run_registry.stop(run_id)
    return JSONResponse({"detail": "Stopping the run: its events end with `stopped`, then `done`."}, status_code=202)


async def stream_from_log(request: Request, run_id: str, after: int) -> AsyncIterator[ServerSentEvent]:
    """The run's logged events after `after` as Server-Sent Events, with their ids; a comment while idle.

    Only reads the log: a client that leaves stops this reader, never the run.
    The first event carries `retry:`, how long a browser waits before it reconnects.
    """
    state = request.app.state
    retry: int | None = state.reconnect_ms
    try:
        async for logged in follow(state.event_log, run_id, after, heartbeat=state.heartbeat_seconds,
                                   max_silence=state.max_silence_seconds):
            if logged is None:
                yield ServerSentEvent(comment="keep-alive")  # nothing for a while: proxies keep the stream open
                continue
            yield logged.event().sse(logged.id, retry)
            retry = None
    except UnknownRun:  # forgotten while read (a very short keep time): say so rather than just stop
        yield events.error("This run's events are no longer kept.").sse()
        yield events.done().sse()
    except Silent:
        yield events.error("The run stopped sending events: ask again.").sse()
        yield events.done().sse()


async def find_session(sessions: SessionStore, session_id: str,
                       new_conversation: Callable[[str], Any] | None = None) -> Session:
    if not SESSION_ID.fullmatch(session_id):
        raise HTTPException(422, "session_id is malformed: use the id that POST /api/sessions returned.")
    if session_id.startswith(agui.THREAD_SESSION_PREFIX):  # an AG-UI thread's: reached through its thread only
        raise HTTPException(404, "Unknown or expired session: start a new one with POST /api/sessions.")
    # With a store, a session made before a restart, or by another app process, is found there.
    session = await sessions.open(session_id, new_conversation) if new_conversation else sessions.get(session_id)
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
