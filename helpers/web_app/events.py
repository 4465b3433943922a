"""The web app's Server-Sent Events: what it sends, and how it reads them off an agent run. Taught in chapter 05.

An SSE stream is text in an ordinary HTTP response (`Content-Type: text/event-stream`).
Each event is an `event:` line naming its type, a `data:` line (here, one line of
JSON) and a blank line that ends it:

    event: tool_call
    data: {"id": "call_1", "name": "add", "args": "{\\"x\\":"}

For one question the app sends, in this order:

    tool_call    a tool call as it forms: first its name (args ""), then its arguments, piece by piece
    tool_result  a tool ran: its `output`, or its `error`
    token        a piece of the answer text, as the model writes it
    answer       the whole answer, once the run has finished, with the tools it used
    error        the run failed (instead of `answer`): a message fit to show a user
    done         the stream is over; always the last event

`EventTranslator` turns LangChain's `astream_events` of the agent (chapter 04) into these.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import openai
from langchain_core.messages import AIMessageChunk, ToolMessage

from ..queue_handler import FINAL_ANSWER_TOOL
from ..render import partial_answer
from ..streaming_executor import AgentTimeout
from ..tool_calls import describe_failure

EVENT_TYPES = ("tool_call", "tool_result", "token", "answer", "error", "done")


@dataclass(frozen=True)
class Event:
    """One Server-Sent Event: a type and a JSON object."""

    type: str
    data: dict[str, Any]

    def encode(self) -> bytes:
        """The event on the wire: `event:` and `data:` lines, then a blank line.

        `json.dumps` never writes a line break (it escapes them), so the data is
        always one line and cannot end the event early.
        """
        return f"event: {self.type}\ndata: {json.dumps(self.data, ensure_ascii=False)}\n\n".encode()


def tool_call(call_id: str | None, name: str | None, args: str) -> Event:
    return Event("tool_call", {"id": call_id, "name": name, "args": args})


def tool_result(call_id: str | None, name: str, *, output: Any = None, error: str | None = None) -> Event:
    return Event("tool_result", {"id": call_id, "name": name, "output": output} if error is None
                 else {"id": call_id, "name": name, "error": error})


def token(text: str) -> Event:
    return Event("token", {"text": text})


def answer(text: str, tools_used: list[str], finished: bool = True) -> Event:
    return Event("answer", {"answer": text, "tools_used": tools_used, "finished": finished})


def error(message: str) -> Event:
    return Event("error", {"message": message})


def done() -> Event:
    return Event("done", {})


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
    """

    def __init__(self) -> None:
        self._forming: dict[Any, dict[str, Any]] = {}  # this model call's tool calls, by index
        self._answer_shown = ""

    def feed(self, event: dict[str, Any]) -> list[Event]:
        kind, data = event["event"], event["data"]
        if kind == "on_chat_model_start":
            self._forming = {}
            self._answer_shown = ""  # a refused final answer is asked again: stream the new one from its start
        elif kind == "on_chat_model_stream":
            return self._chunk(data["chunk"])
        elif kind in ("on_tool_end", "on_tool_error") and event["name"] != FINAL_ANSWER_TOOL:
            call_id = event.get("metadata", {}).get("tool_call_id")
            if "error" in data:  # the sentence the model reads too, not pydantic's multi-line report
                return [tool_result(call_id, event["name"], error=describe_failure(event["name"], data["error"]))]
            return [tool_result(call_id, event["name"], output=_jsonable(data["output"]))]
        elif kind == "on_chain_end" and not event["parent_ids"]:  # the whole run is over
            output = data["output"]
            return [answer(output["answer"], output["tools_used"], output["finished"])]
        return []

    def _chunk(self, chunk: AIMessageChunk) -> list[Event]:
        events = [token(chunk.text)] if chunk.text else []  # a model that answers in plain text
        for piece in chunk.tool_call_chunks:
            call = self._forming.setdefault(piece.get("index"), {"id": None, "name": None, "args": ""})
            call["id"] = piece.get("id") or call["id"]
            call["name"] = piece.get("name") or call["name"]
            call["args"] += piece.get("args") or ""
            if call["name"] == FINAL_ANSWER_TOOL:
                events += self._answer_tokens(call["args"])
            elif piece.get("name") or piece.get("args"):
                events.append(tool_call(call["id"], call["name"], piece.get("args") or ""))
        return events

    def _answer_tokens(self, arguments: str) -> list[Event]:
        """The new part of `final_answer`'s `answer`, read out of its partial JSON arguments."""
        text = partial_answer(arguments)
        if not isinstance(text, str) or not text.startswith(self._answer_shown) or text == self._answer_shown:
            return []
        piece, self._answer_shown = text[len(self._answer_shown):], text
        return [token(piece)]


def _jsonable(output: Any) -> Any:
    """A tool's output as JSON can carry it: as it is when possible, else as text."""
    if isinstance(output, ToolMessage):
        output = output.content
    try:
        json.dumps(output)
    except (TypeError, ValueError):
        return str(output)
    return output
