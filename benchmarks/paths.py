"""The six ways of consuming a stream that the benchmark compares (see benchmarks/README.md), on three workloads.

Every path runs the same model calls, so receives the same tokens, and returns a `Trace`: when the run
started and when each token reached the consumer. The floor, the handler and the polling handler drive
the model with `_RawStepExecutor`: the executor's own loop (tools, scratchpad, stopping rule) with each
step reduced to the bare model's `astream` (tools bound for the agent), so the loop around the model
is the same for everyone and the floor is LangChain's own per-chunk work and nothing else.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from langchain.agents import create_agent
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessageChunk
from langchain_core.messages.ai import add_ai_message_chunks
from langchain_core.runnables import Runnable, RunnableConfig
from langchain_core.runnables.config import merge_configs

from helpers.agent import SYSTEM_PROMPT, build_prompt
from helpers.langchain_agent import build_langchain_agent, user_input
from helpers.queue_handler import QueueCallbackHandler
from helpers.streaming_executor import StreamingAgentExecutor
from helpers.tools import TOOLS

from .polling_handler import PollingQueueCallbackHandler

PATHS = ("floor", "handler", "executor", "events", "polling", "create_agent")
PATH_LABELS = {
    "floor": "floor: raw `llm.astream`",
    "handler": "ours: `QueueCallbackHandler`",
    "executor": "ours: `StreamingAgentExecutor`",
    "events": "ours: executor via `astream_events`",
    "polling": "polling handler (contrast)",
    "create_agent": "`create_agent`, stream_mode=\"messages\"",
}
RUN_TIMEOUT = 120.0  # seconds; every run is bounded
cpu_marks: list[float] | None = None  # `scaling` sets a list here to get the thread's CPU time at every token


def _now() -> float:
    """When a token reached the consumer (and, if `cpu_marks` is a list, the CPU time spent so far)."""
    if cpu_marks is not None:
        cpu_marks.append(time.thread_time())
    return time.perf_counter()


@dataclass(frozen=True)
class Workload:
    """What the model is asked, and whether it answers in one text reply or through the tools."""

    name: str
    question: str
    with_tools: bool  # True: the full agent (several tool steps); False: one long text answer
    max_tokens: int | None = None  # caps a text answer (keeps paced runs short)


LONG_ANSWER = Workload("long answer", "Tell me a long story", with_tools=False, max_tokens=1000)
FULL_AGENT = Workload("full agent", "What is ((1 + 2) * 3 - 4) ** 2?", with_tools=True)
# The long answer as the agent gives it: one `final_answer` call whose arguments stream as ~2,200
# fragments. Run at delay 0 only (paced, it would take 45 s per path).
LONG_AGENT_ANSWER = Workload("long final answer (agent)", "Tell me a long story", with_tools=True)


@dataclass
class Trace:
    """One run of one path: its start, and when each token reached the consumer (perf_counter seconds)."""

    path: str
    started: float
    received: list[float] = field(default_factory=list)
    written: list[float] = field(default_factory=list)  # filled from the server's write log
    cpu_seconds: float = 0.0  # CPU time of the event loop's thread during the run (the server's threads excluded)


def is_token(item: Any) -> bool:
    """True for a chunk that carries a token: text, or a tool call's name or arguments fragment (the polling
    handler queues `ChatGenerationChunk`s, ours `AIMessageChunk`s; markers and empty chunks carry none)."""
    message = getattr(item, "message", item)
    return isinstance(message, AIMessageChunk) and bool(message.content or message.tool_call_chunks)


def _model_for(llm: BaseChatModel, workload: Workload) -> Runnable:
    """The bare model for one step: with the agent's tools bound, or plain for a text answer."""
    if workload.with_tools:
        return llm.bind_tools(list(TOOLS), tool_choice="any")  # as helpers.agent.build_agent binds them
    return llm


class _RawStepExecutor(StreamingAgentExecutor):
    """The executor's loop with each step reduced to the raw model `astream` (overrides the private
    `_stream_step`: benchmark-only, so the paths share everything but how a step streams)."""

    def __init__(self, llm: BaseChatModel, workload: Workload, on_chunk: Callable[[Any], None] | None = None):
        super().__init__(llm)
        self.prompt = build_prompt()
        self.model = _model_for(llm, workload)
        self.on_chunk = on_chunk

    async def _stream_step(self, inputs: dict, handler: Any, config: RunnableConfig | None = None) -> AIMessageChunk:
        step_config = merge_configs(config, {"callbacks": [handler]}) if handler is not None else config
        messages = self.prompt.format_messages(**inputs)
        chunks: list[AIMessageChunk] = []
        async for chunk in self.model.astream(messages, config=step_config):
            if self.on_chunk is not None:
                self.on_chunk(chunk)
            chunks.append(chunk)
        if not chunks:
            raise RuntimeError("the model streamed nothing for this step")
        return add_ai_message_chunks(chunks[0], *chunks[1:])


def llm_for(llm: BaseChatModel, workload: Workload) -> BaseChatModel:
    """`llm` with the workload's token cap (a copy sharing the same HTTP client), or `llm` itself."""
    return llm.model_copy(update={"max_tokens": workload.max_tokens}) if workload.max_tokens else llm


async def run_floor(llm: BaseChatModel, workload: Workload) -> Trace:
    received: list[float] = []

    def on_chunk(chunk: Any) -> None:
        if is_token(chunk):
            received.append(_now())

    executor = _RawStepExecutor(llm_for(llm, workload), workload, on_chunk)
    trace = Trace("floor", time.perf_counter(), received)
    await executor.ainvoke(workload.question, timeout=RUN_TIMEOUT)
    return trace


async def run_with_handler(path: str, llm: BaseChatModel, workload: Workload, handler: Any) -> Trace:
    """Run the raw-step loop feeding `handler`, and consume the handler as a reader would."""
    executor = _RawStepExecutor(llm_for(llm, workload), workload)
    trace = Trace(path, time.perf_counter())
    run = asyncio.create_task(executor.ainvoke(workload.question, handler, timeout=RUN_TIMEOUT))
    try:
        async for item in handler:
            if is_token(item):
                trace.received.append(_now())
    finally:
        await asyncio.wait({run}, timeout=RUN_TIMEOUT)
    run.result()  # the run's error, if it failed
    return trace


async def run_handler(llm: BaseChatModel, workload: Workload) -> Trace:
    return await run_with_handler("handler", llm, workload, QueueCallbackHandler())


async def run_polling(llm: BaseChatModel, workload: Workload) -> Trace:
    return await run_with_handler("polling", llm, workload, PollingQueueCallbackHandler())


async def run_executor(llm: BaseChatModel, workload: Workload) -> Trace:
    """Chapter 03's executor, untouched, consumed through `AgentRun`."""
    executor = _executor_for(llm_for(llm, workload), workload)
    trace = Trace("executor", time.perf_counter())
    async with executor.stream(workload.question, timeout=RUN_TIMEOUT) as run:
        async for item in run:
            if is_token(item):
                trace.received.append(_now())
    return trace


def _executor_for(llm: BaseChatModel, workload: Workload) -> StreamingAgentExecutor:
    executor = StreamingAgentExecutor(llm)
    if not workload.with_tools:
        # One text answer: the same prompt with no tools bound. The executor takes a plain-text
        # reply as the final answer (as from servers that ignore tool_choice) in one step.
        executor.agent = build_prompt() | llm
    return executor


async def run_events(llm: BaseChatModel, workload: Workload) -> Trace:
    """The executor as the web app streams it: `as_runnable().astream_events(...)`, every event read."""
    runnable = _executor_for(llm_for(llm, workload), workload).as_runnable(timeout=RUN_TIMEOUT)
    trace = Trace("events", time.perf_counter())
    async for event in runnable.astream_events({"input": workload.question}, version="v2"):
        if event["event"] == "on_chat_model_stream" and is_token(event["data"]["chunk"]):
            trace.received.append(_now())
    return trace


# (id of the llm, workload name) -> (that llm, kept so its id is not reused while cached; its compiled graph)
_graphs: dict[tuple[int, str], tuple[BaseChatModel, Any]] = {}


def _graph_for(llm: BaseChatModel, workload: Workload) -> Any:
    """The workload's `create_agent` graph, built once per model and reused, as the web app does: building
    it is a cost of set-up, not of streaming."""
    key = (id(llm), workload.name)
    if key not in _graphs:
        model = llm_for(llm, workload)
        graph = (build_langchain_agent(model) if workload.with_tools  # tool_choice="any", as the other paths
                 else create_agent(model, [], system_prompt=SYSTEM_PROMPT))
        _graphs[key] = (llm, graph)
    return _graphs[key][1]


async def run_create_agent(llm: BaseChatModel, workload: Workload) -> Trace:
    """Chapter 06's `create_agent` graph, its model's chunks read from `stream_mode="messages"`."""
    agent = _graph_for(llm, workload)
    trace = Trace("create_agent", time.perf_counter())
    async for message, _ in agent.astream(user_input(workload.question), stream_mode="messages"):
        if is_token(message):
            trace.received.append(_now())
    return trace


RUNNERS = {"floor": run_floor, "handler": run_handler, "executor": run_executor, "events": run_events,
           "polling": run_polling, "create_agent": run_create_agent}


async def measure(path: str, llm: BaseChatModel, workload: Workload, write_log: Any) -> Trace:
    """Run `path` once and pair each received token with the time the server wrote it."""
    write_log.clear()
    cpu_started = time.thread_time()
    trace = await asyncio.wait_for(RUNNERS[path](llm, workload), timeout=RUN_TIMEOUT)
    trace.cpu_seconds = time.thread_time() - cpu_started
    trace.written = write_log.token_times()
    if len(trace.written) != len(trace.received):
        raise RuntimeError(f"{path} on {workload.name}: the server wrote {len(trace.written)} tokens "
                           f"but the consumer received {len(trace.received)}")
    return trace
