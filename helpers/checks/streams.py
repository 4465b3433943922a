"""Streams an exercise check controls and watches (used by the checks of every chapter).

The question a streaming exercise asks is not "is the result right?" but "did the
code use each piece *while* the stream was running?". A check answers it with a
stream it writes itself:

- `ScriptedChatModel` is a real LangChain chat model (so `astream`, `bind`, `+` on
  its chunks and `response_metadata` behave as with `ChatOpenAI`) whose stream is a
  script: the texts, tool-call fragments, finish reason and usage, split where the
  check chooses, each chunk after a pause the check chooses.
- `Recording` wraps anything with an `astream` method (a model, an agent) and
  keeps what it yields.

Both keep a `Handout` for every item they hand out: when, and what the learner's
code had produced by then (a `probe` the check passes, for example "how many
characters has it printed?"). Output that only appears after the last handout was
produced after the stream ended: that is waiting, not streaming.

The probe is read when the learner's code *asks* for the next item, so the
handout of item `i + 1` records the learner's progress on items `0 .. i`; this
needs no clock and cannot be fooled by a slow machine.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict, Field, PrivateAttr

Probe = Callable[[], Any]
PROMPT_TOKENS = 12  # the usage a scripted reply reports for its prompt; any number would do


@dataclass(frozen=True)
class Handout:
    """One item handed to the learner's code: which, when, and what the code had produced before asking for it."""

    index: int
    at: float  # time.perf_counter() when the item was handed out
    seen: Any  # the probe's value when the code asked for this item (None without a probe)


class Handouts(list):
    """The handouts of one stream, in order, with the questions a check asks of them."""

    def __init__(self) -> None:
        super().__init__()
        self.started: float | None = None  # when the code first asked for an item
        self.ended: float | None = None  # when the code asked past the last item (the stream was finished)
        self.seen_at_end: Any = None  # the probe's value then

    def finished(self) -> bool:
        return self.ended is not None


def split_at_random(text: str, rng: random.Random, longest: int = 7) -> list[str]:
    """`text` cut into pieces of 1 to `longest` characters at random points, as a tokenizer would cut it."""
    pieces, start = [], 0
    while start < len(text):
        end = min(len(text), start + rng.randint(1, longest))
        pieces.append(text[start:end])
        start = end
    return pieces


def closing_chunks(message_id: str, finish_reason: str, output_tokens: int, *, usage: bool = True,
                   chunk_class: type[AIMessageChunk] = AIMessageChunk) -> list[AIMessageChunk]:
    """What `ChatOpenAI(stream_usage=True)` yields after a reply's last token or fragment, as from OpenAI.

    A chunk with no content that carries the finish reason, then (with `usage`) one
    that carries the token usage, then LangChain's empty closing chunk: the finish
    reason is never in the very last chunk.
    """
    chunks = [chunk_class(content="", id=message_id, response_metadata={
        "finish_reason": finish_reason, "model_name": "scripted-model", "model_provider": "openai"})]
    if usage:
        chunks.append(chunk_class(content="", id=message_id, usage_metadata={
            "input_tokens": PROMPT_TOKENS, "output_tokens": output_tokens,
            "total_tokens": PROMPT_TOKENS + output_tokens}))
    chunks.append(chunk_class(content="", id=message_id, chunk_position="last"))
    return chunks


def text_chunks(pieces: Sequence[str], *, finish_reason: str = "stop", usage: bool = True,
                message_id: str | None = None) -> list[AIMessageChunk]:
    """The chunks of an answer as `ChatOpenAI(stream_usage=True)` streams it from OpenAI.

    An empty opening chunk, one chunk per piece of text, then the `closing_chunks`:
    so a learner who reads the finish reason from the very last chunk, or who skips
    "empty" chunks, meets what they would meet on a real model.
    """
    message_id = message_id or f"lc_run--{uuid.uuid4()}"
    chunks = [AIMessageChunk(content="", id=message_id, response_metadata={"model_provider": "openai"})]
    chunks += [AIMessageChunk(content=piece, id=message_id, response_metadata={"model_provider": "openai"})
               for piece in pieces]
    return chunks + closing_chunks(message_id, finish_reason, len(pieces), usage=usage)


class ScriptedChatModel(BaseChatModel):
    """A chat model that streams exactly `script`, pausing `pauses[i]` seconds before chunk `i`.

    Every call to `astream` (or `stream`) plays the script again and appends a new
    `Handouts` to `streams`; `ainvoke`/`invoke` return the merged message at once
    and count in `waited`, so a check can say "you waited for the whole answer".
    Keyword arguments bound with `bind(...)` are recorded in `bound`.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    script: list[AIMessageChunk]
    pauses: list[float] = Field(default_factory=list)  # seconds before each chunk; missing ones are 0
    probe: Probe | None = None
    _streams: list[Handouts] = PrivateAttr(default_factory=list)
    _waited: int = PrivateAttr(default=0)
    _bound: list[dict] = PrivateAttr(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "scripted-for-a-check"

    @property
    def streams(self) -> list[Handouts]:
        return self._streams

    @property
    def waited(self) -> int:
        return self._waited

    @property
    def bound(self) -> list[dict]:
        return self._bound

    def _pause(self, index: int) -> float:
        return self.pauses[index] if index < len(self.pauses) else 0.0

    def _merged(self) -> AIMessage:
        merged = self.script[0]
        for chunk in self.script[1:]:
            merged = merged + chunk
        return AIMessage(**{key: value for key, value in merged.model_dump().items()
                            if key in ("content", "response_metadata", "usage_metadata", "id", "tool_calls")})

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None,
                  **kwargs: Any) -> ChatResult:
        self._waited += 1
        self._bound.append(kwargs)
        return ChatResult(generations=[ChatGeneration(message=self._merged())])

    async def _agenerate(self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None,
                         **kwargs: Any) -> ChatResult:
        return self._generate(messages, stop, **kwargs)

    def _handouts(self) -> Handouts:
        handouts = Handouts()
        self._streams.append(handouts)
        return handouts

    def _seen(self) -> Any:
        return self.probe() if self.probe is not None else None

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None,
                **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        self._bound.append(kwargs)
        handouts = self._handouts()
        for index, chunk in enumerate(self.script):
            seen = self._seen()
            handouts.started = handouts.started or time.perf_counter()
            time.sleep(self._pause(index))
            handouts.append(Handout(index, time.perf_counter(), seen))
            yield ChatGenerationChunk(message=chunk.model_copy())
        handouts.ended, handouts.seen_at_end = time.perf_counter(), self._seen()

    async def _astream(self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None,
                       **kwargs: Any) -> AsyncIterator[ChatGenerationChunk]:
        self._bound.append(kwargs)
        handouts = self._handouts()
        for index, chunk in enumerate(self.script):
            seen = self._seen()
            handouts.started = handouts.started or time.perf_counter()
            await asyncio.sleep(self._pause(index))
            handouts.append(Handout(index, time.perf_counter(), seen))
            yield ChatGenerationChunk(message=chunk.model_copy())
        handouts.ended, handouts.seen_at_end = time.perf_counter(), self._seen()


class Recording:
    """Stands in for `target` (a model, an agent, an executor) and records what its `astream` yields.

    `handouts` has one `Handouts` per `astream` call; `items` the items of the last
    one. Anything else (`ainvoke`, `bind_tools`, ...) goes to `target` unchanged,
    except the names in `refuse`, which raise `AttributeError` with `why`, so a
    check can offer only the streaming door.
    """

    def __init__(self, target: Any, *, probe: Probe | None = None, refuse: Sequence[str] = (),
                 why: str = "") -> None:
        self._target, self._probe, self._refuse, self._why = target, probe, set(refuse), why
        self.handouts: list[Handouts] = []
        self.items: list[Any] = []

    async def astream(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        handouts, self.items = Handouts(), []
        self.handouts.append(handouts)
        index = 0
        stream = self._target.astream(*args, **kwargs).__aiter__()
        while True:
            seen = self._probe() if self._probe else None
            handouts.started = handouts.started or time.perf_counter()
            try:
                item = await stream.__anext__()
            except StopAsyncIteration:
                handouts.ended = time.perf_counter()
                handouts.seen_at_end = self._probe() if self._probe else None
                return
            handouts.append(Handout(index, time.perf_counter(), seen))
            self.items.append(item)
            index += 1
            yield item

    def __getattr__(self, name: str) -> Any:
        if name in self._refuse:
            raise AttributeError(self._why or f"this check offers only astream, not {name}")
        return getattr(self._target, name)
