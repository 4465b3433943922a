"""Turn the brain's `Reply` (and its reasoning summary) into Responses API objects: one `response`, or its events.

A response's `output` is a list of items: a `reasoning` item first when the request
asked for reasoning (its summary streamed word by word), then either one assistant
`message` (its `output_text`) or one `function_call` item per call. Streamed, each
item is announced (`response.output_item.added`), filled (`...delta` events) and
closed (`...done`), between `response.created`/`response.in_progress` and
`response.completed` (or `response.incomplete`, when `max_output_tokens` cut it),
every event numbered by `sequence_number` and sent as `event: <type>` + `data: {json}`.
The shapes are the `openai` SDK's (`openai/types/responses/`), as `ChatOpenAI` reads them.

`max_output_tokens` counts reasoning tokens too, as OpenAI's does: the summary spends
the budget first and the answer gets what is left. Deterministic like Chat Completions:
ids derive from the request, `created_at` is a fixed moment.
Used by `app.py`; the course model is taught in chapter 01.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from ..brain.reply import Reply
from ..brain.tokens import tokenize
from .completion import CREATED, Completion, build_completion
from .completion import _count_prompt_tokens as count_prompt_tokens
from .request import MODEL_NAME
from .faults import FAILURE_MESSAGE
from .responses_request import ResponsesRequest

_EMPTY_LOGPROBS: list[Any] = []


@dataclass(frozen=True)
class PlannedResponse:
    """Everything needed to send one response, streamed or not."""

    id: str
    request: ResponsesRequest
    reasoning: tuple[str, ...] | None  # the summary's tokens; None: no reasoning item
    reasoning_cut: bool  # max_output_tokens ended the reasoning itself
    completion: Completion | None  # the answer (text or calls) within what is left; None: nothing left for it

    @property
    def status(self) -> str:
        cut = self.reasoning_cut or (self.completion is not None and self.completion.finish_reason == "length")
        return "incomplete" if cut else "completed"

    @property
    def shows_summary(self) -> bool:
        reasoning = self.request.reasoning
        return self.reasoning is not None and reasoning is not None and reasoning.summary is not None

    def item_id(self, prefix: str, index: int) -> str:
        return f"{prefix}_" + _digest(self.id, str(index))[:48]

    def usage(self) -> dict[str, Any]:
        reasoning = len(self.reasoning or ())
        answer = self.completion.usage["completion_tokens"] if self.completion is not None else 0
        prompt = count_prompt_tokens(self.request.chat)
        return {
            "input_tokens": prompt,
            "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
            "output_tokens": reasoning + answer,
            "output_tokens_details": {"reasoning_tokens": reasoning},
            "total_tokens": prompt + reasoning + answer,
        }


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()


def plan_response(request: ResponsesRequest, reply: Reply, summary: str | None,
                  rewrite: Callable[[Completion], Completion] = lambda completion: completion) -> PlannedResponse:
    """Cut the reasoning and the answer to `max_output_tokens` (reasoning first), as OpenAI counts them.

    `summary` is the reasoning summary (None: the request asked for no reasoning); `rewrite` is a
    test-only fault applied to the planned answer (`faults.rewrite_calls`).
    """
    cap = request.max_output_tokens
    reasoning: tuple[str, ...] | None = None
    cut = False
    if summary is not None:
        tokens = tokenize(summary)
        cut = len(tokens) > cap
        reasoning = tuple(tokens[:cap])
    left = cap - len(reasoning or ())
    completion = None
    if left > 0:
        completion = rewrite(build_completion(dataclasses.replace(request.chat, max_tokens=left), reply))
    response_id = "resp_" + _digest("responses", request.chat.fingerprint)[:48]
    return PlannedResponse(response_id, request, reasoning, cut, completion)


# --- the objects -----------------------------------------------------------------------------------


def _reasoning_item(planned: PlannedResponse, *, done: bool) -> dict[str, Any]:
    text = "".join(planned.reasoning or ())
    item: dict[str, Any] = {"id": planned.item_id("rs", 0), "type": "reasoning", "summary": []}
    if done and planned.shows_summary:
        item["summary"] = [{"type": "summary_text", "text": text}]
    if planned.request.include_encrypted_reasoning:
        # Not encrypted: the course model needs nothing back (it replans from the conversation), so this is
        # an opaque token a client may send back with the item, as it would OpenAI's.
        item["encrypted_content"] = base64.b64encode(json.dumps({"summary": text}).encode()).decode() if done else None
    return item


def _message_item(planned: PlannedResponse, index: int, *, done: bool) -> dict[str, Any]:
    assert planned.completion is not None
    content = []
    if done:
        content = [{"type": "output_text", "text": "".join(planned.completion.tokens), "annotations": [],
                    "logprobs": []}]
    status = "in_progress" if not done else "incomplete" if planned.completion.finish_reason == "length" else "completed"
    return {"id": planned.item_id("msg", index), "type": "message", "status": status, "role": "assistant",
            "content": content}


def _call_item(planned: PlannedResponse, index: int, call_number: int, *, done: bool) -> dict[str, Any]:
    assert planned.completion is not None
    call = planned.completion.calls[call_number]
    last = call_number == len(planned.completion.calls) - 1
    status = "in_progress" if not done else \
        "incomplete" if last and planned.completion.finish_reason == "length" else "completed"
    return {"id": planned.item_id("fc", index), "type": "function_call", "status": status,
            "arguments": "".join(call.fragments) if done else "", "call_id": call.id, "name": call.name}


def _output(planned: PlannedResponse) -> list[dict[str, Any]]:
    """The finished output items, in order."""
    items: list[dict[str, Any]] = []
    if planned.reasoning is not None:
        items.append(_reasoning_item(planned, done=True))
    completion = planned.completion
    if completion is not None and completion.calls:
        items += [_call_item(planned, len(items) + n, n, done=True) for n in range(len(completion.calls))]
    elif completion is not None:
        items.append(_message_item(planned, len(items), done=True))
    return items


def response_object(planned: PlannedResponse, *, final: bool = True) -> dict[str, Any]:
    """The `response` object: as it is first announced (`final=False`), or finished."""
    request = planned.request
    status = planned.status if final else "in_progress"
    return {
        "id": planned.id,
        "object": "response",
        "created_at": CREATED,
        "status": status,
        "background": False,
        "completed_at": CREATED if status == "completed" else None,
        "error": None,
        "incomplete_details": {"reason": "max_output_tokens"} if status == "incomplete" else None,
        "model": MODEL_NAME,
        "output": _output(planned) if final else [],
        "previous_response_id": None,
        "usage": planned.usage() if final else None,
        **request.echo,
    }


def response_body(planned: PlannedResponse) -> bytes:
    """The non-streaming answer: the finished `response` object as JSON."""
    return json.dumps(response_object(planned), separators=(",", ":")).encode("utf-8")


# --- the stream ------------------------------------------------------------------------------------


def stream_events(planned: PlannedResponse, fail_after: int | None = None) -> Iterator[tuple[dict[str, Any], bool]]:
    """Yield `(event, is_token)` in OpenAI's order, numbered; `is_token` marks the events that carry a token.

    With `fail_after` (a test-only fault), the stream fails after that many tokens as OpenAI's does when the
    server fails mid-answer: an `error` event, then `response.failed`, and nothing more.
    """
    sequence = 0

    def event(kind: str, **fields: Any) -> dict[str, Any]:
        return {"type": kind, "sequence_number": None, **fields}  # numbered as it is sent, below

    def numbered(body: dict[str, Any]) -> dict[str, Any]:
        nonlocal sequence
        body["sequence_number"] = sequence
        sequence += 1
        return body

    tokens_left = fail_after
    for body, is_token in _events(planned, event):
        if is_token and tokens_left is not None:
            if tokens_left == 0:
                for failure, flag in _failure(planned, event):
                    yield numbered(failure), flag
                return
            tokens_left -= 1
        yield numbered(body), is_token


def _failure(planned: PlannedResponse, event: Callable[..., dict[str, Any]]) -> Iterator[tuple[dict[str, Any], bool]]:
    error = {"code": "server_error", "message": FAILURE_MESSAGE}
    yield event("error", code="server_error", message=FAILURE_MESSAGE, param=None), False
    failed = {**response_object(planned, final=False), "status": "failed", "error": error}
    yield event("response.failed", response=failed), False


def _events(planned: PlannedResponse,
            event: Callable[..., dict[str, Any]]) -> Iterator[tuple[dict[str, Any], bool]]:
    """Every event of a response that runs to its end."""
    yield event("response.created", response=response_object(planned, final=False)), False
    yield event("response.in_progress", response=response_object(planned, final=False)), False
    index = 0
    if planned.reasoning is not None:
        yield from _reasoning_events(planned, index, event)
        index += 1
    completion = planned.completion
    if completion is not None and completion.calls:
        for number, call in enumerate(completion.calls):
            item_id = planned.item_id("fc", index)
            yield event("response.output_item.added", output_index=index,
                        item=_call_item(planned, index, number, done=False)), True  # the name: a token
            for fragment in call.fragments:
                yield event("response.function_call_arguments.delta", item_id=item_id, output_index=index,
                            delta=fragment), True
            yield event("response.function_call_arguments.done", item_id=item_id, output_index=index,
                        arguments="".join(call.fragments)), False
            yield event("response.output_item.done", output_index=index,
                        item=_call_item(planned, index, number, done=True)), False
            index += 1
    elif completion is not None:
        yield from _message_events(planned, index, event)
    final = "response.completed" if planned.status == "completed" else "response.incomplete"
    yield event(final, response=response_object(planned)), False


def _reasoning_events(planned: PlannedResponse, index: int,
                      event: Callable[..., dict[str, Any]]) -> Iterator[tuple[dict[str, Any], bool]]:
    item_id = planned.item_id("rs", 0)
    yield event("response.output_item.added", output_index=index, item=_reasoning_item(planned, done=False)), False
    if planned.shows_summary:
        text = "".join(planned.reasoning or ())
        where = {"item_id": item_id, "output_index": index, "summary_index": 0}
        yield event("response.reasoning_summary_part.added", **where, part={"type": "summary_text", "text": ""}), False
        for token in planned.reasoning or ():
            yield event("response.reasoning_summary_text.delta", **where, delta=token), True
        yield event("response.reasoning_summary_text.done", **where, text=text), False
        part_done = {"part": {"type": "summary_text", "text": text}}
        if planned.reasoning_cut:
            part_done["status"] = "incomplete"
        yield event("response.reasoning_summary_part.done", **where, **part_done), False
    yield event("response.output_item.done", output_index=index, item=_reasoning_item(planned, done=True)), False


def _message_events(planned: PlannedResponse, index: int,
                    event: Callable[..., dict[str, Any]]) -> Iterator[tuple[dict[str, Any], bool]]:
    assert planned.completion is not None
    item_id = planned.item_id("msg", index)
    where = {"item_id": item_id, "output_index": index, "content_index": 0}
    text = "".join(planned.completion.tokens)
    yield event("response.output_item.added", output_index=index, item=_message_item(planned, index, done=False)), \
        False
    yield event("response.content_part.added", **where,
                part={"type": "output_text", "text": "", "annotations": [], "logprobs": []}), False
    for token in planned.completion.tokens:
        yield event("response.output_text.delta", **where, delta=token, logprobs=_EMPTY_LOGPROBS), True
    yield event("response.output_text.done", **where, text=text, logprobs=_EMPTY_LOGPROBS), False
    yield event("response.content_part.done", **where,
                part={"type": "output_text", "text": text, "annotations": [], "logprobs": []}), False
    yield event("response.output_item.done", output_index=index, item=_message_item(planned, index, done=True)), False


def encoded_events(events: Iterator[tuple[dict[str, Any], bool]]) -> Iterator[tuple[bytes, bool]]:
    """Each event as OpenAI sends it, `event: <type>` then `data: {json}`; the stream ends with the last event."""
    for body, is_token in events:
        yield (b"event: " + body["type"].encode("ascii") + b"\ndata: "
               + json.dumps(body, separators=(",", ":")).encode("utf-8") + b"\n\n"), is_token
