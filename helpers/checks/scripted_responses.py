"""A scripted reply as OpenAI's Responses API streams it (used by `scripted_openai`, for chapter 01's checks).

`ChatOpenAI(use_responses_api=True)` reads a reasoning model's reasoning only
through the Responses API, whose stream is not Chat Completions' chunks but typed
events, each with a `sequence_number`: the response is created, then each output
item (a reasoning summary, a message, a function call) is added, streams its
deltas and is done, and `response.completed` carries the usage. This module
writes those events for a `Reply` exactly as OpenAI orders them, so a check's
`ChatOpenAI` turns them into the same `AIMessageChunk`s (content blocks, tool-call
chunks, usage on the last chunk) as it would from OpenAI.

Each event is paired with the fragment it carries (a reasoning piece, a text piece,
an argument fragment, or ""), as `scripted_openai` records them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

MODEL = "scripted-model"
INPUT_TOKENS = 20


class ScriptedReply(Protocol):
    """What `scripted_openai.Reply` holds: reasoning summary pieces, text pieces, and tool calls."""

    reasoning: Sequence[str]
    text: Sequence[str]
    calls: Sequence[tuple[str, Sequence[str]]]


def response_events(reply: ScriptedReply, *, response_id: str = "resp_scripted") -> list[tuple[dict, str]]:
    """The server-sent events of `reply` on the Responses API, in OpenAI's order, each with its fragment."""
    events: list[tuple[dict, str]] = []

    def emit(kind: str, fragment: str = "", **fields: Any) -> None:
        events.append(({"type": kind, "sequence_number": len(events), **fields}, fragment))

    emit("response.created", response=_response(response_id, "in_progress", [], None))
    emit("response.in_progress", response=_response(response_id, "in_progress", [], None))
    output: list[dict] = []
    if reply.reasoning:
        index, item_id = len(output), "rs_scripted"
        text = "".join(reply.reasoning)
        part = {"type": "summary_text", "text": ""}
        emit("response.output_item.added", output_index=index, item={"id": item_id, "type": "reasoning", "summary": []})
        emit("response.reasoning_summary_part.added", item_id=item_id, output_index=index, summary_index=0, part=part)
        for piece in reply.reasoning:
            emit("response.reasoning_summary_text.delta", piece, item_id=item_id, output_index=index,
                 summary_index=0, delta=piece)
        emit("response.reasoning_summary_text.done", item_id=item_id, output_index=index, summary_index=0, text=text)
        emit("response.reasoning_summary_part.done", item_id=item_id, output_index=index, summary_index=0,
             part={**part, "text": text})
        item = {"id": item_id, "type": "reasoning", "summary": [{"type": "summary_text", "text": text}]}
        emit("response.output_item.done", output_index=index, item=item)
        output.append(item)
    if reply.text:
        index, item_id = len(output), "msg_scripted"
        text = "".join(reply.text)
        emit("response.output_item.added", output_index=index,
             item={"id": item_id, "type": "message", "status": "in_progress", "role": "assistant", "content": []})
        emit("response.content_part.added", item_id=item_id, output_index=index, content_index=0,
             part={"type": "output_text", "text": "", "annotations": []})
        for piece in reply.text:
            emit("response.output_text.delta", piece, item_id=item_id, output_index=index, content_index=0,
                 delta=piece, logprobs=[])
        emit("response.output_text.done", item_id=item_id, output_index=index, content_index=0, text=text,
             logprobs=[])
        done_part = {"type": "output_text", "text": text, "annotations": []}
        emit("response.content_part.done", item_id=item_id, output_index=index, content_index=0, part=done_part)
        item = {"id": item_id, "type": "message", "status": "completed", "role": "assistant", "content": [done_part]}
        emit("response.output_item.done", output_index=index, item=item)
        output.append(item)
    for number, (name, pieces) in enumerate(reply.calls):
        index, item_id, call_id = len(output), f"fc_{number}_{name}", f"call_{number}_{name}"
        call = {"id": item_id, "type": "function_call", "status": "in_progress", "call_id": call_id, "name": name,
                "arguments": ""}
        emit("response.output_item.added", output_index=index, item=call)
        for piece in pieces:
            emit("response.function_call_arguments.delta", piece, item_id=item_id, output_index=index, delta=piece)
        arguments = "".join(pieces)
        emit("response.function_call_arguments.done", item_id=item_id, output_index=index, arguments=arguments)
        item = {**call, "status": "completed", "arguments": arguments}
        emit("response.output_item.done", output_index=index, item=item)
        output.append(item)
    emit("response.completed", response=_response(response_id, "completed", output, usage_of(reply)))
    return events


def whole_response(reply: ScriptedReply, *, response_id: str = "resp_scripted") -> dict:
    """The response at once, as the Responses API returns it without streaming: the completed event's."""
    return response_events(reply, response_id=response_id)[-1][0]["response"]


def usage_of(reply: ScriptedReply) -> dict:
    """The usage OpenAI reports: one token per piece; the reasoning's counted within the output tokens."""
    reasoning = len(reply.reasoning)
    output = reasoning + len(reply.text) + sum(len(pieces) for _, pieces in reply.calls)
    return {"input_tokens": INPUT_TOKENS, "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": output, "output_tokens_details": {"reasoning_tokens": reasoning},
            "total_tokens": INPUT_TOKENS + output}


def _response(response_id: str, status: str, output: list[dict], usage: dict | None) -> dict:
    return {"id": response_id, "object": "response", "created_at": 0, "status": status, "model": MODEL,
            "output": output, "parallel_tool_calls": True, "tool_choice": "auto", "tools": [], "usage": usage,
            "error": None, "incomplete_details": None, "instructions": None, "metadata": {}, "temperature": None,
            "top_p": None, "reasoning": {"effort": "low", "summary": "auto"}, "text": {"format": {"type": "text"}}}
