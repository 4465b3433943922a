"""One agent run's events, told in AG-UI's words: the events an AG-UI frontend reads. Taught in chapter 05.

AG-UI is an open event protocol between an agent and its user interface
(`ag-ui-protocol` on PyPI, `@ag-ui/client` on npm; CopilotKit and other frontends
speak it). `AguiRun` reads the web app's own events for one run, asked with
`detail=True` (see `events.py`), and answers with `ag-ui-protocol`'s event models:

    RUN_STARTED
      STEP_STARTED "model call 1"                       one step per model call
        REASONING_START / REASONING_MESSAGE_*  / REASONING_END   what the model reasons, as it streams
        TOOL_CALL_START / TOOL_CALL_ARGS ... / TOOL_CALL_END      each call as it forms
      STEP_FINISHED "model call 1"
      TOOL_CALL_RESULT                                  each tool's result, once it ran
      STEP_STARTED "model call 2"
        TEXT_MESSAGE_START / TEXT_MESSAGE_CONTENT ... / TEXT_MESSAGE_END   the answer, as it streams
      STEP_FINISHED "model call 2"
    RUN_FINISHED                                        (or RUN_ERROR, when the run failed)

The protocol's rules are kept here, in one place: whatever starts also ends
(a message, a tool call, a reasoning span, a step) before RUN_FINISHED, and a
model call's text and tool calls belong to one assistant message (the tool calls'
`parentMessageId`), so a frontend rebuilds the conversation as the model made it.
`final_answer` is not shown as a tool call: its answer is the text message, as
on the app's own page.
"""

from __future__ import annotations

import json
import uuid
from typing import Any, Callable

from ag_ui.core import (
    BaseEvent,
    ReasoningEndEvent,
    ReasoningMessageContentEvent,
    ReasoningMessageEndEvent,
    ReasoningMessageStartEvent,
    ReasoningStartEvent,
    RunErrorEvent,
    RunFinishedEvent,
    RunStartedEvent,
    StepFinishedEvent,
    StepStartedEvent,
    TextMessageContentEvent,
    TextMessageEndEvent,
    TextMessageStartEvent,
    ToolCallArgsEvent,
    ToolCallEndEvent,
    ToolCallResultEvent,
    ToolCallStartEvent,
)

from .events import Event


def new_id() -> str:
    return str(uuid.uuid4())


class AguiRun:
    """One run's AG-UI events: `started()`, then `feed(event)` for each app event, then `finished()` or `failed()`."""

    def __init__(self, thread_id: str, run_id: str, make_id: Callable[[], str] = new_id) -> None:
        self.thread_id, self.run_id, self._make_id = thread_id, run_id, make_id
        self.result: dict[str, Any] | None = None  # the `answer` event's data, once the run has answered
        self._steps = 0
        self._step: str | None = None  # the open step's name
        self._message_id: str | None = None  # the assistant message of the current model call
        self._text: list[str] | None = None  # the open text message's pieces
        self._last_text: str | None = None  # the current model call's text, once its message ended
        self._reasoning: tuple[str, str] | None = None  # the open reasoning span's and message's ids
        self._open_calls: list[str] = []  # tool calls started and not yet ended
        self._seen_calls: set[str] = set()

    def started(self) -> list[BaseEvent]:
        return [RunStartedEvent(thread_id=self.thread_id, run_id=self.run_id)]

    def feed(self, event: Event) -> list[BaseEvent]:
        """The AG-UI events for one of the app's events (see `events.py`), often one, sometimes none."""
        kind, data = event.type, event.data
        if kind == "step_start":
            out = self._end_step()
            self._steps += 1
            self._step, self._message_id, self._last_text = f"model call {self._steps}", self._make_id(), None
            return out + [StepStartedEvent(step_name=self._step)]
        if kind == "step_end":
            return self._end_step()
        if kind == "reasoning":
            return self._reason(data["text"])
        if kind == "token":
            return self._say(data["text"])
        if kind == "tool_call":
            return self._call(data["id"], data["name"], data["args"])
        if kind == "tool_result":
            return self._tool_result(data)
        if kind == "answer":
            return self._answer(data)
        return []  # `error` and `done` are the endpoint's: see `failed` and `finished`

    def finished(self) -> list[BaseEvent]:
        """Close whatever is still open, then RUN_FINISHED with the answer as the run's result."""
        return self._end_step() + [RunFinishedEvent(thread_id=self.thread_id, run_id=self.run_id, result=self.result)]

    def failed(self, message: str) -> list[BaseEvent]:
        """RUN_ERROR ends the run as it stands (the protocol asks nothing to be closed first)."""
        return [RunErrorEvent(message=message, code="run_failed")]

    # -- one kind of content at a time -----------------------------------------------------------

    def _message(self) -> str:
        if self._message_id is None:  # a model that streams without a step around it
            self._message_id = self._make_id()
        return self._message_id

    def _reason(self, text: str) -> list[BaseEvent]:
        out = self._end_text()
        if self._reasoning is None:
            self._reasoning = span, message = self._make_id(), self._make_id()
            out += [ReasoningStartEvent(message_id=span), ReasoningMessageStartEvent(message_id=message)]
        return out + [ReasoningMessageContentEvent(message_id=self._reasoning[1], delta=text)]

    def _say(self, text: str) -> list[BaseEvent]:
        out = self._end_reasoning()
        if self._text is None:
            self._text = []
            out.append(TextMessageStartEvent(message_id=self._message(), role="assistant"))
        self._text.append(text)
        return out + [TextMessageContentEvent(message_id=self._message(), delta=text)]

    def _call(self, call_id: str | None, name: str | None, args: str) -> list[BaseEvent]:
        out = self._end_reasoning()
        call_id = call_id or f"call_{self._message()}"  # a provider that sends no id: one call per model call
        if call_id not in self._seen_calls:
            self._seen_calls.add(call_id)
            self._open_calls.append(call_id)
            out.append(ToolCallStartEvent(tool_call_id=call_id, tool_call_name=name or "unknown",
                                          parent_message_id=self._message()))
        if args:
            out.append(ToolCallArgsEvent(tool_call_id=call_id, delta=args))
        return out

    def _tool_result(self, data: dict[str, Any]) -> list[BaseEvent]:
        call_id = data["id"] or self._make_id()
        out = self._end_calls() if call_id in self._open_calls else []
        if "error" in data:
            content = data["error"]  # the sentence the model read
        else:
            output = data["output"]
            content = output if isinstance(output, str) else json.dumps(output, ensure_ascii=False)
        return out + [ToolCallResultEvent(message_id=self._make_id(), tool_call_id=call_id, content=content,
                                          role="tool")]

    def _answer(self, data: dict[str, Any]) -> list[BaseEvent]:
        """Close the last model call; if its text was not the answer (out of steps, say), send the answer too."""
        out = self._end_step()
        self.result = dict(data)
        if data["answer"] != self._last_text:
            message = self._make_id()
            out += [TextMessageStartEvent(message_id=message, role="assistant"),
                    TextMessageContentEvent(message_id=message, delta=data["answer"]),
                    TextMessageEndEvent(message_id=message)]
        return out

    # -- ending what is open ---------------------------------------------------------------------

    def _end_reasoning(self) -> list[BaseEvent]:
        if self._reasoning is None:
            return []
        (span, message), self._reasoning = self._reasoning, None
        return [ReasoningMessageEndEvent(message_id=message), ReasoningEndEvent(message_id=span)]

    def _end_text(self) -> list[BaseEvent]:
        if self._text is None:
            return []
        self._last_text, self._text = "".join(self._text), None
        return [TextMessageEndEvent(message_id=self._message())]

    def _end_calls(self) -> list[BaseEvent]:
        ended, self._open_calls = self._open_calls, []
        return [ToolCallEndEvent(tool_call_id=call_id) for call_id in ended]

    def _end_step(self) -> list[BaseEvent]:
        out = self._end_reasoning() + self._end_text() + self._end_calls()
        if self._step is not None:
            out.append(StepFinishedEvent(step_name=self._step))
            self._step, self._message_id = None, None
        return out


__all__ = ["AguiRun"]
