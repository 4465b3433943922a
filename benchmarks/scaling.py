"""Does any path cost more per token as an answer grows, or more per call as a conversation grows?

Three measurements, all on the in-process course model at zero delay:

- **per token, early vs late**: the event loop thread's CPU time is read at every token a
  path's consumer receives; the slope over tokens 1–250 is compared with the slope from token
  2,000 on, in the agent's long `final_answer` (~2,200 argument fragments in one tool call).
  Anything quadratic in the answer's length (re-parsing the partial JSON, merging chunks one by
  one) makes the late slope steeper.
- **per call, 1 vs 20 turns of history**: one executor question asked after 1 and after 20
  earlier turns (each a ~6,000-character answer), the client's CPU per model call; and the two
  pieces of request preparation that grow with history, langchain-openai's `_get_request_payload`
  and the openai SDK's `async_maybe_transform` of the request body.
- **`stream_chunk_timeout`**: the floor (raw `llm.astream`) with langchain-openai's default
  per-chunk timeout and with it switched off (`stream_chunk_timeout=None`), interleaved.
- **the merge at the end of a step**: the CPU time of merging the long `final_answer`'s chunks
  into one message, once as LangChain does after every `astream` (`merge_chat_generation_chunks`)
  and once as the executor does (`add_ai_message_chunks`). Both run before the reader gets the
  step's last chunks, so they land on the last tokens.
- **`FieldReader` per fragment**: the CPU per one-character fragment 25,000, 200,000 and
  1,000,000 characters into the field, and the whole million fed one character at a time.

    python -m benchmarks.scaling [--quick]
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from dataclasses import dataclass

from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage
from langchain_core.messages.ai import add_ai_message_chunks
from langchain_core.outputs import ChatGenerationChunk
from langchain_core.outputs.chat_generation import merge_chat_generation_chunks
from openai._utils import async_maybe_transform
from openai.types.chat import completion_create_params

from benchmarks import paths
from benchmarks.paths import LONG_AGENT_ANSWER, LONG_ANSWER, Workload, measure
from benchmarks.stats import tokens_per_s
from benchmarks.streaming import make_llm
from benchmarks.timed_server import TimedCourseModelServer
from helpers.agent import build_prompt
from helpers.answer_reader import FieldReader
from helpers.streaming_executor import StreamingAgentExecutor

SCALING_PATHS = ("floor", "handler", "executor", "events", "create_agent")
EARLY, LATE = (0, 250), (2000, None)  # token index windows for the per-token slopes


@dataclass(frozen=True)
class PerToken:
    path: str
    tokens: int
    early_us: float  # CPU µs per token over tokens 1-250 (median over runs)
    late_us: float  # ... from token 2,000 to the end


@dataclass(frozen=True)
class PerCall:
    turns: int
    history_chars: int
    messages: int  # in the request
    payload_ms: float  # langchain-openai's _get_request_payload
    sdk_transform_ms: float  # openai SDK's async_maybe_transform of the body
    cpu_per_call_ms: float  # the client's CPU per model call in a whole executor run


@dataclass(frozen=True)
class ChunkTimeout:
    runs: int
    tokens: int
    ratio_median: float  # tokens/s with the default timeout ÷ without, per interleaved pair
    ratio_min: float
    cpu_us_on: float
    cpu_us_off: float


@dataclass(frozen=True)
class MergeCost:
    chunks: int
    langchain_ms: float  # merge_chat_generation_chunks, as BaseChatModel.astream ends (median CPU ms)
    executor_ms: float  # add_ai_message_chunks, as StreamingAgentExecutor ends a step


@dataclass(frozen=True)
class Scaling:
    per_token: list[PerToken]
    per_call: list[PerCall]
    chunk_timeout: ChunkTimeout
    merge: MergeCost
    field_reader: tuple[list[tuple[int, float]], float] = ([], 0.0)  # (chars in, µs per fragment), 1M one by one s


FIELD_READER_AT = (25_000, 200_000, 1_000_000)


def _field_reader(fragments: int = 20_000) -> tuple[list[tuple[int, float]], float]:
    """CPU µs per one-character fragment at each depth of FIELD_READER_AT; seconds to feed a million one by one."""
    per_fragment = []
    for chars in FIELD_READER_AT:
        reader = FieldReader("answer")
        reader.feed('{"answer": "' + "a" * chars)  # one fragment: read once
        started = time.thread_time()
        for _ in range(fragments):
            reader.feed("a")
        per_fragment.append((chars, (time.thread_time() - started) / fragments * 1e6))
    reader = FieldReader("answer")
    started = time.thread_time()
    reader.feed('{"answer": "')
    for _ in range(FIELD_READER_AT[-1]):
        reader.feed("a")
    return per_fragment, time.thread_time() - started


def _slope(cpu: list[float], window: tuple[int, int | None]) -> float:
    start, end = window
    end = len(cpu) - 1 if end is None else min(end, len(cpu) - 1)
    return (cpu[end] - cpu[start]) / (end - start) * 1e6


async def _per_token(llm, server, repeats: int) -> list[PerToken]:
    found: dict[str, list[tuple[float, float]]] = {path: [] for path in SCALING_PATHS}
    tokens = 0
    for repeat in range(repeats):
        order = SCALING_PATHS[repeat % len(SCALING_PATHS):] + SCALING_PATHS[:repeat % len(SCALING_PATHS)]
        for path in order:
            paths.cpu_marks = []
            try:
                await measure(path, llm, LONG_AGENT_ANSWER, server.write_log)
                cpu = paths.cpu_marks
            finally:
                paths.cpu_marks = None
            tokens = len(cpu)
            found[path].append((_slope(cpu, EARLY), _slope(cpu, LATE)))
    return [PerToken(path, tokens, statistics.median(e for e, _ in runs), statistics.median(late for _, late in runs))
            for path, runs in found.items()]


def _history(answer: str, turns: int) -> list[BaseMessage]:
    return [message for _ in range(turns) for message in (HumanMessage("Tell me a long story"), AIMessage(answer))]


async def _per_call(llm, turns_list: tuple[int, ...], repeats: int) -> list[PerCall]:
    answer = (await llm.ainvoke(LONG_ANSWER.question)).text
    prompt = build_prompt()
    found = []
    for turns in turns_list:
        history = _history(answer, turns)
        messages = prompt.format_messages(input="What is 10 + 10?", chat_history=history, agent_scratchpad=[])
        started = time.thread_time()
        for _ in range(repeats):
            payload = llm._get_request_payload(messages, stream=True)
        payload_ms = (time.thread_time() - started) / repeats * 1000
        started = time.thread_time()
        for _ in range(repeats):
            await async_maybe_transform(payload, completion_create_params.CompletionCreateParamsStreaming)
        sdk_ms = (time.thread_time() - started) / repeats * 1000
        executor = StreamingAgentExecutor(llm)
        calls = 0
        started = time.thread_time()
        for _ in range(repeats):
            executor.chat_history = list(history)
            result = await executor.ainvoke("What is 10 + 10?")
            calls += result.steps
        cpu_ms = (time.thread_time() - started) / calls * 1000
        found.append(PerCall(turns, sum(len(m.text) for m in history), len(messages), payload_ms, sdk_ms, cpu_ms))
    return found


async def _chunk_timeout(llm, server, repeats: int, max_tokens: int) -> ChunkTimeout:
    workload = Workload("long answer", LONG_ANSWER.question, with_tools=False, max_tokens=max_tokens)
    untimed = llm.model_copy(update={"stream_chunk_timeout": None})
    on, off = [], []
    for repeat in range(repeats):
        pair = [(llm, on), (untimed, off)]
        for model, traces in pair if repeat % 2 == 0 else pair[::-1]:
            traces.append(await measure("floor", model, workload, server.write_log))
    ratios = [tokens_per_s(a) / tokens_per_s(b) for a, b in zip(on, off)]
    return ChunkTimeout(repeats, len(on[0].received), statistics.median(ratios), min(ratios),
                        statistics.median(t.cpu_seconds / len(t.received) for t in on) * 1e6,
                        statistics.median(t.cpu_seconds / len(t.received) for t in off) * 1e6)


async def _merge_cost(llm, repeats: int) -> MergeCost:
    """CPU ms to merge the long `final_answer`'s chunks, LangChain's way and the executor's (medians)."""
    messages = build_prompt().format_messages(input=LONG_AGENT_ANSWER.question, chat_history=[], agent_scratchpad=[])
    chunks = [chunk async for chunk in paths._model_for(llm, LONG_AGENT_ANSWER).astream(messages)]
    if not all(isinstance(chunk, AIMessageChunk) for chunk in chunks) or len(chunks) < 2:
        raise RuntimeError("the long final answer streamed no chunks to merge")

    def cpu_ms(merge) -> float:
        times = []
        for _ in range(repeats):
            started = time.thread_time()
            merge()
            times.append((time.thread_time() - started) * 1000)
        return statistics.median(times)

    generations = [ChatGenerationChunk(message=chunk) for chunk in chunks]
    return MergeCost(len(chunks), cpu_ms(lambda: merge_chat_generation_chunks(generations)),
                     cpu_ms(lambda: add_ai_message_chunks(chunks[0], *chunks[1:])))


async def _measure(quick: bool) -> Scaling:
    with TimedCourseModelServer(delay=0.0) as server:
        llm = make_llm(server.base_url)
        await measure("floor", llm, paths.FULL_AGENT, server.write_log)  # warm up
        if quick:
            return Scaling(await _per_token(llm, server, 1), await _per_call(llm, (1, 3), 1),
                           await _chunk_timeout(llm, server, 2, 200), await _merge_cost(llm, 3),
                           _field_reader(2_000))
        return Scaling(await _per_token(llm, server, 5), await _per_call(llm, (1, 5, 20), 5),
                       await _chunk_timeout(llm, server, 10, 1000), await _merge_cost(llm, 10), _field_reader())


def measure_scaling(quick: bool = False) -> Scaling:
    return asyncio.run(_measure(quick))


def render(result: Scaling) -> str:
    lines = [
        "## Nothing grows with the answer or the history",
        "",
        f"CPU per token of the event loop thread, early and late in the agent's long `final_answer` "
        f"({result.per_token[0].tokens} fragments in one tool call; median of interleaved runs). A late "
        "slope well above the early one would mean work that grows with the answer.",
        "",
        "| Path | µs/token, tokens 1–250 | µs/token, tokens 2,000+ | late ÷ early |",
        "| --- | ---: | ---: | ---: |",
    ]
    lines += [f"| {paths.PATH_LABELS[r.path]} | {r.early_us:,.0f} | {r.late_us:,.0f} | {r.late_us / r.early_us:.2f} |"
              for r in result.per_token]
    lines += [
        "",
        "Per model call as the conversation grows (each earlier turn: a question and a ~6,000-character "
        "answer). Request preparation is langchain-openai's `_get_request_payload` and the openai SDK's "
        "`async_maybe_transform` of the body; the last column is the client's CPU per model call of a "
        "whole executor run.",
        "",
        "| Turns of history | Characters | Messages sent | payload ms | SDK transform ms | client CPU per call ms |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    lines += [f"| {r.turns} | {r.history_chars:,} | {r.messages} | {r.payload_ms:.2f} | {r.sdk_transform_ms:.2f} "
              f"| {r.cpu_per_call_ms:.1f} |" for r in result.per_call]
    c = result.chunk_timeout
    lines += [
        "",
        f"langchain-openai's `stream_chunk_timeout` (default 120 s; on Python 3.11 `asyncio.wait_for` runs "
        f"each chunk in a Task): the floor's tokens/s with it ÷ without, {c.runs} interleaved runs of "
        f"{c.tokens} tokens: median {c.ratio_median:.2f}, min {c.ratio_min:.2f}; CPU per token "
        f"{c.cpu_us_on:,.0f} µs with it, {c.cpu_us_off:,.0f} µs without ({c.cpu_us_on - c.cpu_us_off:+,.0f} µs).",
        "",
        f"Merging the long `final_answer`'s {result.merge.chunks:,} chunks into one message at the end of the step "
        f"(CPU, median): LangChain's `merge_chat_generation_chunks` {result.merge.langchain_ms:.1f} ms, the "
        f"executor's `add_ai_message_chunks` {result.merge.executor_ms:.1f} ms. Both run before the reader takes "
        "the step's last chunks, so their cost lands on the last tokens.",
    ]
    per_fragment, million_s = result.field_reader
    if per_fragment:
        lines += ["", "`FieldReader` (chapter 03), CPU per one-character fragment this far into the field: "
                  + ", ".join(f"{chars:,} characters {us:.2f} µs" for chars, us in per_fragment)
                  + f"; a million characters fed one at a time: {million_s:.1f} s."]
    return "\n".join(lines)


if __name__ == "__main__":
    print(render(measure_scaling(quick="--quick" in sys.argv)))
