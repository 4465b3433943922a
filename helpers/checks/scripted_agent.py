"""A tool-calling model whose every step the check writes (used by the checks of chapters 03 and 04).

The agent exercises ask about the *shape* of a run: how many model calls, which
tools each one asked for, how many chunks each streamed, which tool runs finished
and in which order. A check that asks the course model always gets the shapes
the chapter showed, so a hard-coded answer would pass. `ScriptedAgentModel`
plays a plan the check draws at random instead: step `i` of a run streams the
tool calls of `steps[i]`, chunk by chunk, exactly as `ChatOpenAI` streams tool
calls from OpenAI (a chunk that names the call, its JSON arguments in pieces
split where the check chose, then the finish reason, the usage and the closing
chunk). It is a real LangChain chat model, so `StreamingAgentExecutor`,
callback handlers and `astream_events` treat it like any other; and it needs no
server, so a check runs in milliseconds whatever model the chapter uses.
"""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.messages.ai import add_ai_message_chunks
from langchain_core.messages.tool import tool_call_chunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from pydantic import ConfigDict, PrivateAttr

from .streams import closing_chunks, split_at_random

Call = tuple[str, dict[str, Any]]  # (tool name, arguments)


def tool_call_script(calls: Sequence[Call], rng: random.Random) -> list[AIMessageChunk]:
    """The chunks of one model call that asks for `calls`, as `ChatOpenAI(stream_usage=True)` streams them.

    Per call: a chunk with its name, id and index and empty arguments, then the
    arguments' JSON in random pieces (no name, no id). Then, as from OpenAI, a
    chunk with the finish reason, one with the token usage and an empty closing one.
    """
    message_id = f"lc_run--{uuid.uuid4()}"
    meta = {"model_provider": "openai"}
    chunks = []
    for index, (name, arguments) in enumerate(calls):
        opening = tool_call_chunk(name=name, args="", id=f"call_{uuid.uuid4().hex[:24]}", index=index)
        chunks.append(AIMessageChunk(content="", id=message_id, tool_call_chunks=[opening], response_metadata=meta))
        for piece in split_at_random(json.dumps(arguments, separators=(",", ":"), ensure_ascii=False), rng, 4):
            piece_chunk = tool_call_chunk(name=None, args=piece, id=None, index=index)
            chunks.append(AIMessageChunk(content="", id=message_id, response_metadata=meta,
                                         tool_call_chunks=[piece_chunk]))
    return chunks + closing_chunks(message_id, "tool_calls", len(chunks))


class ScriptedAgentModel(BaseChatModel):
    """A chat model whose `i`-th call streams `steps[i]`; `bind_tools` is accepted and changes nothing.

    One model serves one agent run (it counts its calls). Before each chunk it
    lets the event loop run once, as a network stream would, so a reader of the
    run's stream sees each chunk before the next one is made.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    steps: list[list[AIMessageChunk]]
    _calls: int = PrivateAttr(default=0)

    @property
    def _llm_type(self) -> str:
        return "scripted-agent-for-a-check"

    @property
    def calls(self) -> int:
        return self._calls

    def bind_tools(self, tools: Sequence[Any], *, tool_choice: Any = None, **kwargs: Any) -> Runnable:
        return self.bind(tool_choice=tool_choice, **kwargs)  # the plan decides the calls

    def _next_step(self) -> list[AIMessageChunk]:
        if self._calls >= len(self.steps):
            raise RuntimeError(f"the check's script has {len(self.steps)} steps and the agent asked for another")
        self._calls += 1
        return self.steps[self._calls - 1]

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None,
                  **kwargs: Any) -> ChatResult:
        merged = add_ai_message_chunks(*self._next_step())
        message = AIMessage(content=merged.content, tool_calls=merged.tool_calls, id=merged.id,
                            response_metadata=merged.response_metadata, usage_metadata=merged.usage_metadata)
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None,
                **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        for chunk in self._next_step():
            yield ChatGenerationChunk(message=chunk.model_copy())

    async def _astream(self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None,
                       **kwargs: Any) -> AsyncIterator[ChatGenerationChunk]:
        for chunk in self._next_step():
            await asyncio.sleep(0)  # a network stream hands the loop to others between chunks
            yield ChatGenerationChunk(message=chunk.model_copy())


def scripted_model(plan: Sequence[Sequence[Call]], rng: random.Random) -> ScriptedAgentModel:
    """A model that plays `plan`, one list of calls per model call (the last usually `final_answer`)."""
    return ScriptedAgentModel(steps=[tool_call_script(calls, rng) for calls in plan])
