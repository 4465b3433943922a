"""`POST /api/agui`: the web app's agent over AG-UI, the protocol agent frontends speak. Taught in chapter 05.

    POST /api/agui   an AG-UI `RunAgentInput`   -> text/event-stream of AG-UI events (see `agui_events.py`)

The same agent, sessions and limits as `/api/chat`, for any AG-UI client
(`@ag-ui/client`'s `HttpAgent`, CopilotKit, ...). The request is the protocol's
`RunAgentInput`, validated by `ag-ui-protocol`'s own model:

- `threadId` is the conversation: the first run on a thread opens a session in the
  app's `SessionStore` (with its limits per client and in all), keyed by the client's
  address and the thread id, and each follow-up on the same thread from the same
  client continues it, after a restart too when the app keeps conversations in a
  store (chapter 08's `--store`). A thread the server does not know (the session
  expired, or the store keeps nothing) starts from the earlier turns the client sends
  in `messages`, as AG-UI clients always do, so nothing is lost.
- the last message is the question: it must be the user's, with text in it.
- `tools`, `context`, `state` and `forwardedProps` are accepted and not used: the
  agent's tools are the server's own, and it keeps no shared state.

Errors before the stream are HTTP's, as on `/api/chat`: 422 for a malformed
`RunAgentInput` (or no question at its end), 413 for a question too long, 409 while
the thread is still answering, 429 / 503 when the session store says so. A run
that fails once the stream has started ends with AG-UI's `RUN_ERROR`.

The stream is framed by FastAPI's own SSE (`fastapi.sse`): each event goes out as
`data: <the event's JSON>` exactly as `ag_ui.encoder.EventEncoder` writes it (the
JSON is the event model's own `model_dump_json(by_alias=True)`), and FastAPI adds
what the encoder does not: a keep-alive comment when the agent is silent for 15 s,
the `no-cache` headers, and cancelling the run when the client goes away.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
from collections import Counter
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Annotated, Any, AsyncIterator, Callable

from ag_ui.core import AssistantMessage, BaseEvent, RunAgentInput, UserMessage
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.sse import EventSourceResponse, ServerSentEvent
from langchain_core.messages import AIMessage, HumanMessage

from . import events
from .agents import Conversation
from .agui_events import AguiRun
from .sessions import Session, SessionLimit, SessionStore

logger = logging.getLogger(__name__)
MAX_ID_CHARS = 200  # a thread or run id: clients send UUIDs (36 characters)

router = APIRouter()


def text_of(message: Any) -> str:
    """A message's text: its content if a string, else its text parts joined (images and files are not read)."""
    content = message.content or ""
    if isinstance(content, str):
        return content
    return "".join(part.text for part in content if getattr(part, "type", None) == "text")


def question_of(run_input: RunAgentInput, max_chars: int) -> str:
    """The run's question, the last message's text; or the HTTP error that says what is wrong."""
    for name, value in (("threadId", run_input.thread_id), ("runId", run_input.run_id)):
        if not value.strip() or len(value) > MAX_ID_CHARS:
            raise HTTPException(422, f"Invalid request. {name} must be 1 to {MAX_ID_CHARS} characters.")
    last = run_input.messages[-1] if run_input.messages else None
    if not isinstance(last, UserMessage):
        raise HTTPException(422, "Invalid request. The last message must be the user's question (role \"user\").")
    question = text_of(last).strip()
    if not question:
        raise HTTPException(422, "The question is empty: the last message has no text.")
    if len(question) > max_chars:
        raise HTTPException(413, f"The message is too long: {len(question)} characters, at most {max_chars}.")
    return question


def earlier_turns(run_input: RunAgentInput) -> list[tuple[str, str]]:
    """The (question, answer) turns before the last message, as the client remembers them.

    A turn is a user message and the last assistant text that follows it; tool
    calls and their results are the agent's working, not the conversation.
    """
    turns: list[tuple[str, str]] = []
    question: str | None = None
    answer: str | None = None
    for message in run_input.messages[:-1]:
        if isinstance(message, UserMessage):
            if question and answer:
                turns.append((question, answer))
            question, answer = text_of(message).strip(), None
        elif isinstance(message, AssistantMessage) and (message.content or "").strip():
            answer = message.content
    if question and answer:
        turns.append((question, answer))
    return turns


THREAD_SESSION_PREFIX = "agui-"  # /api/chat refuses these ids: a thread's session is reached through its thread


def thread_session_id(client: str, thread_id: str) -> str:
    """The session id of a client's thread: the same after a restart, so a persistent store finds it again.

    A client picks its thread ids, so the id mixes in the client's address: another
    client naming the same thread id gets a conversation of its own. Derived, not
    random, so it is no secret: only this endpoint, which derives it from the
    request's own address, reaches it (`/api/chat` refuses the prefix).
    """
    digest = hashlib.sha256(f"{client}\0{thread_id}".encode("utf-8", "surrogatepass")).digest()
    return THREAD_SESSION_PREFIX + base64.urlsafe_b64encode(digest).decode().rstrip("=")


async def thread_session(store: SessionStore, client: str, thread_id: str,
                         make_conversation: Callable[[str], Conversation]) -> tuple[Session, bool]:
    """The thread's session in the app's store, and whether it is new; raises `SessionLimit` if there is no room.

    The thread keys the conversation in the store itself (chapter 08's `--store`), so a
    follow-up after a restart, or on another process sharing the store, continues it.
    """
    session_id = thread_session_id(client, thread_id)
    session = await store.open(session_id, make_conversation)
    if session is not None:
        return session, False
    await store.acreate(make_conversation, client, session_id)
    session = store.get(session_id)
    assert session is not None  # just created
    return session, True


@dataclass
class ClaimedRun:
    """A run the endpoint has admitted: its thread's session is claimed until `close()`."""

    run_input: RunAgentInput
    question: str
    session: Session
    release: Callable[[], None]
    runs: Counter
    max_turns: int
    _stream: Any = field(default=None, repr=False)
    _ended: bool = field(default=False, repr=False)

    async def events(self) -> AsyncIterator[BaseEvent]:
        """The run as AG-UI events: RUN_STARTED, the run's own, then RUN_FINISHED or RUN_ERROR."""
        agui = AguiRun(self.run_input.thread_id, self.run_input.run_id)
        for event in agui.started():
            yield event
        self._stream = self.session.conversation.events(self.question, detail=True)
        try:
            async with aclosing(self._stream):
                async for item in self._stream:
                    for event in agui.feed(item):
                        yield event
        except (asyncio.CancelledError, GeneratorExit):  # the client went away
            self._end("cancelled")
            raise
        except Exception as error:  # tell the client what kind of failure, keep the details here
            logger.info("AG-UI run failed: %r", error)
            self._end("failed")
            for event in agui.failed(events.failure(error).data["message"]):
                yield event
            return
        self._end("answered")  # the thread can take its next question at once
        for event in agui.finished():
            yield event

    def _end(self, outcome: str) -> None:
        """Count how the run ended, trim the history and give the session back; once."""
        if not self._ended:
            self._ended = True
            self.runs[outcome] += 1
            self.session.trim_history(self.max_turns)
        self.release()

    async def close(self) -> None:
        """Once the response is over: stop the agent's run if it is still going (the client left)."""
        if self._stream is None:  # the stream never began: no run to count
            self.release()
            return
        try:
            await self._stream.aclose()  # cancels the run if it is still going; it records no half turn
        finally:
            self._end("cancelled")  # a no-op after a run that ended


async def claimed_run(run_input: RunAgentInput, request: Request) -> AsyncIterator[ClaimedRun]:
    """Check the request and claim its thread's session, before any byte of the stream is sent.

    A dependency with `yield`: FastAPI runs the part before `yield` before the
    response starts (so its HTTP errors are real HTTP errors), and the part after
    once the response has ended, however it ended.
    """
    state = request.app.state
    question = question_of(run_input, state.max_message_chars)
    client = request.client.host if request.client else "unknown"
    try:
        session, is_new = await thread_session(state.sessions, client, run_input.thread_id, state.new_conversation)
    except SessionLimit as limit:
        raise HTTPException(limit.status, str(limit), headers={"Retry-After": str(limit.retry_after)}) from None
    if is_new:  # a thread the server does not know: start from the turns the client remembers
        for asked, answered in earlier_turns(run_input):
            session.chat_history.extend([HumanMessage(asked), AIMessage(answered)])
        session.trim_history(state.sessions.max_turns)
    release = session.claim()
    if release is None:
        raise HTTPException(409, "This thread is still answering its last question.")
    run = ClaimedRun(run_input, question, session, release, state.runs, state.sessions.max_turns)
    try:
        yield run
    finally:
        await run.close()


@router.post("/api/agui", response_class=EventSourceResponse)
async def agui(run: Annotated[ClaimedRun, Depends(claimed_run)]) -> AsyncIterator[ServerSentEvent]:
    async for event in run.events():
        # What `ag_ui.encoder.EventEncoder().encode(event)` puts after `data: `; FastAPI frames it.
        yield ServerSentEvent(raw_data=event.model_dump_json(by_alias=True))


__all__ = ["router", "thread_session", "thread_session_id"]
