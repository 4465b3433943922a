"""Turn the brain's `Reply` into OpenAI's wire objects: streamed chunks or one `chat.completion`.

The course model is deterministic down to the bytes: ids are derived from the
request itself and `created` is a fixed moment, so the same request always gets
the same response. That lets the course commit notebook outputs and compare them.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from itertools import islice
from typing import Any, Iterator

from ..brain.reply import Reply
from .request import MODEL_NAME, ChatRequest
from ..brain.tokens import count_tokens, iter_tokens
from ..workload import MAX_OUTPUT_TOKENS, MAX_TOKEN_CHARS

CREATED = 1767225600  # 2026-01-01T00:00:00Z: a fixed `created`, so responses never vary
SYSTEM_FINGERPRINT = "fp_course_model"
_PER_MESSAGE_OVERHEAD = 4  # tokens OpenAI charges for a message's framing


@dataclass(frozen=True)
class PlannedCall:
    """A tool call as it will go over the wire: its arguments already cut into fragments."""

    id: str
    name: str
    fragments: tuple[str, ...]


@dataclass(frozen=True)
class Completion:
    """Everything needed to send one answer, streamed or not."""

    id: str
    tokens: tuple[str, ...]  # text tokens (empty when the answer is tool calls)
    calls: tuple[PlannedCall, ...]
    finish_reason: str  # "stop", "tool_calls" or "length"
    usage: dict[str, Any]

    @property
    def text(self) -> str | None:
        return "".join(self.tokens) if not self.calls else None


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()


# Words, numbers and runs of punctuation, each at most MAX_TOKEN_CHARS long, as a real tokenizer's are.
_FRAGMENT = re.compile(rf"\w{{1,{MAX_TOKEN_CHARS}}}|[^\w]{{1,{MAX_TOKEN_CHARS}}}")


def argument_fragments(arguments: str, limit: int | None = None) -> list[str]:
    """Cut a JSON arguments string the way OpenAI streams it: words, numbers and runs of punctuation.

    With `limit`, at most that many fragments are cut (an answer cut at its cap needs no more).
    """
    return [match.group() for match in islice(_FRAGMENT.finditer(arguments), limit)]


def build_completion(request: ChatRequest, reply: Reply) -> Completion:
    """Apply `stop` and `max_tokens` to `reply`, and count usage, as OpenAI would.

    Without `max_tokens`, the answer is cut at the model's own cap (`MAX_OUTPUT_TOKENS`), as a real
    model's is: a schema that asks for 100 MB gets 16,384 tokens and `finish_reason` "length".
    """
    completion_id = "chatcmpl-" + _digest(request.fingerprint)[:29]
    if reply.tool_calls:
        calls, finish = _plan_calls(request, reply, completion_id)
        tokens: tuple[str, ...] = ()
        generated = sum(len(call.fragments) + 1 for call in calls)  # +1: the name
    else:
        tokens, finish = _plan_text(request, reply.text or "")
        calls = ()
        generated = len(tokens)
    prompt = _count_prompt_tokens(request)
    return Completion(
        id=completion_id,
        tokens=tokens,
        calls=calls,
        finish_reason=finish,
        usage=_usage(prompt, generated),
    )


def _plan_text(request: ChatRequest, text: str) -> tuple[tuple[str, ...], str]:
    for stop in request.stop:
        if stop in text:
            text = text[: text.index(stop)]
    cap = _cap(request)
    tokens = list(islice(iter_tokens(text), cap + 1))  # one past the cap says "length"; no more is tokenized
    if len(tokens) > cap:
        return tuple(tokens[:cap]), "length"
    return tuple(tokens), "stop"


def _cap(request: ChatRequest) -> int:
    return request.max_tokens if request.max_tokens is not None else MAX_OUTPUT_TOKENS


def _plan_calls(request: ChatRequest, reply: Reply, completion_id: str) -> tuple[tuple[PlannedCall, ...], str]:
    budget = _cap(request)
    calls: list[PlannedCall] = []
    for index, call in enumerate(reply.tool_calls):
        arguments = json.dumps(call.arguments, separators=(",", ":"), ensure_ascii=False)
        fragments = argument_fragments(arguments, max(budget, 0) + 1)
        budget -= 1  # the name costs a token
        if budget < len(fragments):
            fragments = fragments[: max(budget, 0)]
            calls.append(PlannedCall(_call_id(completion_id, index), call.name, tuple(fragments)))
            return tuple(calls), "length"
        budget -= len(fragments)
        calls.append(PlannedCall(_call_id(completion_id, index), call.name, tuple(fragments)))
    return tuple(calls), "tool_calls"


def _call_id(completion_id: str, index: int) -> str:
    return "call_" + _digest(completion_id, str(index))[:24]


def _count_prompt_tokens(request: ChatRequest) -> int:
    total = 0
    for message in request.messages:
        total += _PER_MESSAGE_OVERHEAD + count_tokens(_message_text(message))
        for call in message.get("tool_calls") or []:
            function = call.get("function", {})
            total += count_tokens(str(function.get("name", ""))) + count_tokens(str(function.get("arguments", "")))
    if request.tools:
        total += count_tokens(json.dumps(request.tools, sort_keys=True))
    return total


def _message_text(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, list):
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return content or ""


def _usage(prompt: int, completion: int) -> dict[str, Any]:
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


# --- streaming -------------------------------------------------------------------------------


def stream_chunks(completion: Completion, include_usage: bool) -> Iterator[tuple[dict[str, Any], bool]]:
    """Yield `(chunk, is_token)` pairs in OpenAI's streaming order.

    `is_token` marks the chunks that carry a generated token, so the server knows
    where to pace the stream. The order is: a first delta with the role, one delta
    per token (or tool-call fragment), a last delta with the finish reason, and a
    usage chunk with empty `choices` when the client asked for it.
    """

    def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": completion.id,
            "object": "chat.completion.chunk",
            "created": CREATED,
            "model": MODEL_NAME,
            "service_tier": "default",
            "system_fingerprint": SYSTEM_FINGERPRINT,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
        }
        if include_usage:
            body["usage"] = None
        return body

    if completion.calls:
        for index, call in enumerate(completion.calls):
            head = {
                "index": index,
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": ""},
            }
            first = {"tool_calls": [head]}
            if index == 0:
                first = {"role": "assistant", "content": None, "refusal": None, **first}
            yield chunk(first), True
            for fragment in call.fragments:
                yield chunk({"tool_calls": [{"index": index, "function": {"arguments": fragment}}]}), True
    else:
        yield chunk({"role": "assistant", "content": "", "refusal": None}), False
        for token in completion.tokens:
            yield chunk({"content": token}), True
    yield chunk({}, completion.finish_reason), False
    if include_usage:
        usage_chunk = chunk({})
        usage_chunk["choices"] = []
        usage_chunk["usage"] = completion.usage
        yield usage_chunk, False


def completion_object(completion: Completion) -> dict[str, Any]:
    """The non-streaming `chat.completion` object for `completion`."""
    message: dict[str, Any] = {
        "role": "assistant",
        "content": completion.text,
        "refusal": None,
        "annotations": [],
    }
    if completion.calls:
        message["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": "".join(call.fragments)},
            }
            for call in completion.calls
        ]
    return {
        "id": completion.id,
        "object": "chat.completion",
        "created": CREATED,
        "model": MODEL_NAME,
        "choices": [
            {"index": 0, "message": message, "logprobs": None, "finish_reason": completion.finish_reason}
        ],
        "usage": completion.usage,
        "service_tier": "default",
        "system_fingerprint": SYSTEM_FINGERPRINT,
    }
