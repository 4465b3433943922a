"""The web app's Server-Sent Events: what it sends, and how it reads them off an agent run. Taught in chapter 05.

An SSE stream is text in an ordinary HTTP response (`Content-Type: text/event-stream`).
Each event is an `event:` line naming its type, a `data:` line (here, one line of
JSON), an `id:` line (its number within the run, chapter 08) and a blank line that ends it:

    event: tool_call
    data: {"id": "call_1", "name": "add", "args": "{\\"x\\":"}
    id: 2

FastAPI writes them (`fastapi.sse`): the endpoints yield `Event.sse(id)`.
For one question the app sends, in this order:

    run          the run has started: its `run_id`, to resume or stop it (chapter 08); always the first
    reasoning    a piece of a reasoning model's reasoning, as it streams (before the step it plans; see below)
    tool_call    a tool call as it forms: first its name (args ""), then its arguments, piece by piece
    tool_result  a tool ran: its `output`, or its `error`
    token        a piece of the answer text, as the model writes it
    answer       the whole answer, once the run has finished, with the tools it used
    error        the run failed (instead of `answer`): a message fit to show a user
    stopped      the run was stopped on request, `POST /api/runs/{run_id}/stop` (instead of `answer`)
    done         the stream is over; always the last event

Two translators read them off the two agents the app can serve:

- `EventTranslator`: LangChain's `astream_events` of chapter 03's executor (chapter 04);
- `GraphTranslator`: the `create_agent` graph of chapter 06, streamed with
  `stream_mode=["messages", "updates"]` and `version="v2"`: the `messages` parts give
  the tokens and tool-call fragments as they form, the `updates` parts the tools'
  results (with their call ids) and the accepted final answer.

Asked for `detail=True` (the AG-UI endpoint, `agui.py`, asks), both also send
`step_start` and `step_end` around each model call, which `/api/chat` does not.

`reasoning` comes only from a model that reasons aloud (OpenAI's reasoning models
through the Responses API, `python -m helpers.web_app --reasoning`): each model call's
summary of its plan streams before that call's tool calls or text. It is read from
the chunks' standard content blocks (`helpers.reasoning`), so any provider whose
reasoning LangChain translates shows it; the page shows it dimmed, apart from the answer.

Both read `final_answer`'s `answer` out of its streaming JSON arguments with one
`FieldReader` per call, so each character is read once (re-parsing the whole
accumulated JSON on every fragment is quadratic in the answer's length).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import openai
from fastapi.sse import ServerSentEvent, format_sse_event
from langchain_core.messages import AIMessage, AIMessageChunk, ToolMessage

from ..answer_reader import FieldReader
from ..queue_handler import FINAL_ANSWER_TOOL
from ..reasoning import reasoning_text
from ..streaming_executor import AgentTimeout
from ..tool_calls import describe_failure

EVENT_TYPES = ("run", "tool_call", "tool_result", "token", "answer", "error", "stopped", "done", "reasoning")
DETAIL_EVENT_TYPES = ("step_start", "step_end")  # only with `detail=True`


@dataclass(frozen=True)
class Event:
    """One Server-Sent Event: a type and a JSON object."""

    type: str
    data: dict[str, Any]

    def json(self) -> str:
        """The data as one line of JSON: `json.dumps` escapes line breaks, so it cannot end the event early."""
        return json.dumps(self.data, ensure_ascii=False)

    def sse(self, id: int | None = None, retry: int | None = None) -> ServerSentEvent:
        """The event as FastAPI's `ServerSentEvent`, which the app's endpoints yield (FastAPI frames it).

        `id` is its number within the run, which a browser sends back as `Last-Event-ID`
        when it reconnects; `retry` tells it how many milliseconds to wait before it does.
        """
        return ServerSentEvent(event=self.type, raw_data=self.json(), id=None if id is None else str(id), retry=retry)

    def encode(self) -> bytes:
        """The event on the wire, `event:` and `data:` lines, then a blank line, as FastAPI frames it.

        The app itself never calls this (FastAPI encodes what the endpoints yield);
        it is the same bytes, for code that writes a stream by hand (chapter 05's first endpoint, the checks).
        """
        return format_sse_event(event=self.type, data_str=self.json())


def run(run_id: str) -> Event:
    return Event("run", {"run_id": run_id})


def tool_call(call_id: str | None, name: str | None, args: str) -> Event:
    return Event("tool_call", {"id": call_id, "name": name, "args": args})


def tool_result(call_id: str | None, name: str, *, output: Any = None, error: str | None = None) -> Event:
    return Event("tool_result", {"id": call_id, "name": name, "output": output} if error is None
                 else {"id": call_id, "name": name, "error": error})


def token(text: str) -> Event:
    return Event("token", {"text": text})


def reasoning(text: str) -> Event:
    return Event("reasoning", {"text": text})


def reasoning_events(chunk: AIMessageChunk) -> list[Event]:
    """The `reasoning` event for a chunk that carries reasoning (none for the rest, and for its empty pieces)."""
    text = reasoning_text(chunk)
    return [reasoning(text)] if text else []


def answer(text: str, tools_used: list[str], finished: bool = True) -> Event:
    return Event("answer", {"answer": text, "tools_used": tools_used, "finished": finished})


def error(message: str) -> Event:
    return Event("error", {"message": message})


def stopped() -> Event:
    return Event("stopped", {})


def done() -> Event:
    return Event("done", {})


def step_start() -> Event:
    return Event("step_start", {})


def step_end() -> Event:
    return Event("step_end", {})


REQUEST_REFUSED = (400, 413, 422)  # the model server refused *this request*: its reason is about the question
MAX_REASON_CHARS = 300


def failure(exception: BaseException) -> Event:
    """The `error` event for a failed run: what went wrong, in words fit for a user.

    The exception itself stays on the server (it can name hosts, accounts or
    parts of keys); the browser learns only the kind of failure. One exception:
    when the model server refuses the request itself (400, 413, 422), its own
    one-line reason is about the question (too long, too large), so it is passed on.
    """
    status = getattr(exception, "status_code", None)
    body = getattr(exception, "body", None)
    reason = body.get("message") if isinstance(body, dict) else None
    if status in REQUEST_REFUSED and isinstance(reason, str) and reason.strip():
        reason = " ".join(reason.split())[:MAX_REASON_CHARS]
        message = f"The model server refused the request (HTTP {status}): {reason}"
    elif isinstance(status, int):
        message = f"The model server answered with HTTP {status}."
    elif isinstance(exception, AgentTimeout):
        message = "The agent took too long and was stopped."
    elif isinstance(exception, openai.APIConnectionError):
        message = "Could not reach the model server."
    else:
        message = "The agent failed."
    return error(message)


class EventTranslator:
    """Turns one run's `astream_events(..., version="v2")` into the app's events.

    `feed(event)` returns the app's events for one LangChain event (often none).
    Tool calls stream as `tool_call` events, except `final_answer`, whose
    `answer` argument streams as `token`s. A tool's run carries the id of the
    call it answers in its metadata, so `tool_result` has the same `id`.
    With `detail=True`, each model call is framed by `step_start` and `step_end`.
    """

    def __init__(self, detail: bool = False) -> None:
        self._detail = detail
        self._calls = ToolCallStream()

    def feed(self, event: dict[str, Any]) -> list[Event]:
        kind, data = event["event"], event["data"]
        if kind == "on_chat_model_start":
            self._calls.new_model_call()  # a refused final answer is asked again: stream the new one from its start
            return [step_start()] if self._detail else []
        elif kind == "on_chat_model_end":
            return [step_end()] if self._detail else []
        elif kind == "on_chat_model_stream":
            return self._calls.feed(data["chunk"])
        elif kind in ("on_tool_end", "on_tool_error") and event["name"] != FINAL_ANSWER_TOOL:
            call_id = event.get("metadata", {}).get("tool_call_id")
            if "error" in data:  # the sentence the model reads too, not pydantic's multi-line report
                return [tool_result(call_id, event["name"], error=describe_failure(event["name"], data["error"]))]
            return [tool_result(call_id, event["name"], output=_jsonable(data["output"]))]
        elif kind == "on_chain_end" and not event["parent_ids"]:  # the whole run is over
            output = data["output"]
            return [answer(output["answer"], output["tools_used"], output["finished"])]
        return []



class ToolCallStream:
    """One model call's streamed chunks as events: tool calls as they form, and the answer's tokens.

    The first fragment of a call carries its `id` and `name`, the later ones only its
    `index` and a piece of the arguments, so calls are remembered by index until the
    next model call starts. `final_answer`'s arguments are not shown as a call: its
    `answer` field is read out of the partial JSON, one `FieldReader` per call, and
    sent as `token`s. A chunk's reasoning, if any, comes first, as `reasoning`.
    """

    def __init__(self) -> None:
        self._forming: dict[Any, dict[str, Any]] = {}  # this model call's tool calls, by index

    def new_model_call(self) -> None:
        self._forming = {}

    def feed(self, chunk: AIMessageChunk) -> list[Event]:
        events = reasoning_events(chunk)  # a reasoning model's plan comes first
        events += [token(chunk.text)] if chunk.text else []  # a model that answers in plain text
        for piece in chunk.tool_call_chunks:
            call = self._forming.get(piece.get("index"))
            if call is None:
                call = self._forming[piece.get("index")] = {"id": None, "name": None, "reader": None}
            call["id"] = piece.get("id") or call["id"]
            call["name"] = piece.get("name") or call["name"]
            arguments = piece.get("args") or ""
            if call["name"] == FINAL_ANSWER_TOOL:
                reader = call["reader"] = call["reader"] or FieldReader("answer")
                if text := reader.feed(arguments):
                    events.append(token(text))
            elif piece.get("name") or arguments:
                events.append(tool_call(call["id"], call["name"], arguments))
        return events


class GraphTranslator:
    """Turns one run of a `create_agent` graph, streamed with `stream_mode=["messages", "updates"]`
    and `version="v2"`, into the app's events (all but `answer`, `error` and `done`).

    Each part is a dict with a `type` (the mode) and its `data`:

    - `messages`: `(chunk, metadata)`; the `model` node's chunks stream the tool calls and
      the answer as chapter 03's do, and a new message id means a new model call;
    - `updates`: `{node: update}` once a node has run. The `tools` node's update holds each
      tool's `ToolMessage`, with the `tool_call_id` of the call it answers (its `tool_result`),
      and, for an accepted `final_answer`, the answer itself, kept in `self.result`.

    With `detail=True`, each model call is framed by `step_start` (its first chunk) and
    `step_end` (the model node's update, or the next call's first chunk).
    """

    def __init__(self, model_node: str = "model", tools_node: str = "tools", *, detail: bool = False) -> None:
        self.model_node, self.tools_node, self._detail = model_node, tools_node, detail
        self._in_step = False
        self.result: dict[str, Any] | None = None  # {"answer", "tools_used"} once an answer is accepted
        self.tools_used: list[str] = []  # tools that ran without an error, in order, final_answer aside
        self._calls = ToolCallStream()
        self._message_id: str | None = None

    def feed(self, part: dict[str, Any]) -> list[Event]:
        if part["type"] == "messages":
            chunk, metadata = part["data"]
            if not isinstance(chunk, AIMessageChunk) or metadata.get("langgraph_node") != self.model_node:
                return []  # tool results come whole, and are read from `updates`
            events: list[Event] = []
            if chunk.id != self._message_id:
                self._message_id = chunk.id
                self._calls.new_model_call()
                events += self._start_step()
            return events + self._calls.feed(chunk)
        if part["type"] == "updates":
            events = []
            for node, update in part["data"].items():
                if node == self.model_node:  # the model call is over (one that streamed nothing still counts)
                    events += ([] if self._in_step else self._start_step()) + self._end_step()
                for message in _messages_in(update):
                    if node == self.tools_node and isinstance(message, ToolMessage):
                        events += self._tool_message(message)
                    elif node == self.model_node and isinstance(message, AIMessage):
                        self._model_reply(message)
            return events
        return []

    def _start_step(self) -> list[Event]:
        """`step_end` for a model call still open, then `step_start` (with `detail` only)."""
        events = self._end_step()
        self._in_step = True
        return (events + [step_start()]) if self._detail else []

    def _end_step(self) -> list[Event]:
        was_open, self._in_step = self._in_step, False
        return [step_end()] if self._detail and was_open else []

    def _tool_message(self, message: ToolMessage) -> list[Event]:
        name = message.name or ""
        if message.status == "error":
            return [] if name == FINAL_ANSWER_TOOL else [tool_result(message.tool_call_id, name, error=message.text)]
        if name == FINAL_ANSWER_TOOL:
            output = _json_or_text(message.text)
            if isinstance(output, dict) and isinstance(output.get("answer"), str):
                self.result = {"answer": output["answer"], "tools_used": list(output.get("tools_used") or [])}
            return []
        if name not in self.tools_used:
            self.tools_used.append(name)
        output = message.artifact if message.artifact is not None else _json_or_text(message.text)
        return [tool_result(message.tool_call_id, name, output=_jsonable(output))]

    def _model_reply(self, message: AIMessage) -> None:
        """A reply with no tool call is the answer (some servers ignore `tool_choice`), as in chapter 03."""
        if not message.tool_calls and not message.invalid_tool_calls and message.text.strip():
            self.result = {"answer": message.text, "tools_used": list(self.tools_used)}


def _messages_in(update: Any) -> list[Any]:
    """The messages in one node's update: a dict, or (for several `Command`s) a list of dicts."""
    updates = update if isinstance(update, list) else [update]
    return [message for item in updates if isinstance(item, dict) for message in item.get("messages") or []]


def _json_or_text(text: str) -> Any:
    """A tool's result as the model read it: JSON when it is JSON (20.0, {...}), else the text."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _jsonable(output: Any) -> Any:
    """A tool's output as JSON can carry it: as it is when possible, else as text."""
    if isinstance(output, ToolMessage):
        output = output.content
    try:
        json.dumps(output)
    except (TypeError, ValueError):
        return str(output)
    return output
