"""The async streaming agent executor and `AgentRun`. Taught in chapter 03.

`StreamingAgentExecutor` runs the same agent as chapter 02's executor, but
streams every step (so a `QueueCallbackHandler` sees each token as it is made)
and runs a step's tool calls concurrently through their async interface.

Running it while consuming its stream takes some care: start the run as a task,
iterate over the handler, await the task for its result or error, and cancel it
when the consumer stops early. `AgentRun` does all of that in one place:

    async with executor.stream("What is 10 + 10?") as run:
        async for item in run:          # AIMessageChunk, or STEP_END
            ...
    print(run.result.answer)

Two clocks bound a run. `timeout` (default 300 s) bounds the whole run, however
it is slow. A stream that stays connected but stops sending content fails sooner,
by langchain-openai's own `stream_chunk_timeout` (120 s by default), which the
course leaves on: the model's `StreamChunkTimeoutError` ends the step, and the
handler's reader gets it (tests/test_executor_step.py).

Each step streams `prompt | model` without LangChain's Task per chunk, inside the
same "agent" run `agent.astream` would make (see `_stream_prompt_then_model`).
"""

from __future__ import annotations

import asyncio
from contextlib import aclosing
from typing import Any, AsyncIterator

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessageChunk, BaseMessage
from langchain_core.messages.ai import add_ai_message_chunks
from langchain_core.prompts import BasePromptTemplate
from langchain_core.runnables import Runnable, RunnableBinding, RunnableConfig, RunnableLambda, RunnableSequence
from langchain_core.runnables.config import (
    ensure_config,
    get_async_callback_manager_for_config,
    merge_configs,
    patch_config,
    set_config_context,
)
from langchain_core.runnables.utils import coro_with_context
from langchain_core.tracers._streaming import _StreamingCallbackHandler

from .agent_executor import AgentExecutorBase, AgentResult, as_ai_message
from .queue_handler import QueueCallbackHandler, StreamCancelled
from .tool_calls import arun_tool_call


DEFAULT_TIMEOUT = 300.0  # seconds a whole run may take before it is stopped
_WIND_DOWN_SECONDS = 5.0  # how long a cancelled run may take to finish its clean-up


async def _wind_down(task: asyncio.Future) -> None:
    """Wait (bounded) for a run we stopped or that is ending, and mark its outcome as seen.

    `asyncio.wait` does not raise the task's error; if *we* are cancelled while
    waiting, we still give the task its moment, then let our cancellation go on.
    Either way no task is left pending and no "exception was never retrieved".
    """
    try:
        await asyncio.wait({task}, timeout=_WIND_DOWN_SECONDS)
    except asyncio.CancelledError:
        await asyncio.wait({task}, timeout=_WIND_DOWN_SECONDS)
        raise
    finally:
        if task.done() and not task.cancelled():
            task.exception()


class AgentTimeout(TimeoutError):
    """The run took longer than its `timeout`."""


class StreamingAgentExecutor(AgentExecutorBase):
    """Chapter 03's executor: streamed steps, concurrent tools, a handler that always gets closed."""

    async def ainvoke(
        self,
        question: str,
        handler: QueueCallbackHandler | None = None,
        *,
        timeout: float | None = DEFAULT_TIMEOUT,
        config: RunnableConfig | None = None,
    ) -> AgentResult:
        """Answer `question`, streaming every step into `handler`.

        However the run ends, the handler is closed: with `DONE` when it
        finishes (also when `max_iterations` runs out), or with the error, so a
        consumer reading the handler always stops. `timeout` bounds the whole run.
        `config` is a parent run's config (see `as_runnable`), passed on to every
        model call and tool so they report to the parent's callbacks too.
        """
        self._check_question(question)
        if handler is not None and handler.closed:
            raise ValueError("this handler already ended a run: call handler.reset() or make a new one")
        if handler is not None:
            # We close the handler ourselves, once the answer is accepted: a final answer the
            # tool refuses (a blank one) is retried, and the stream must go on with the retry.
            handler.closes_itself = False
        run = asyncio.ensure_future(self._run(question, handler, config))
        try:
            finished, _ = await asyncio.wait({run}, timeout=timeout)
        except asyncio.CancelledError:  # our caller cancelled us: stop the run, then pass it on
            await self._stop(run, handler, StreamCancelled("the agent run was cancelled before it finished"))
            raise
        if not finished:
            # Close the handler *before* cancelling, so the consumer learns why the run stopped.
            error = AgentTimeout(f"the agent run took longer than {timeout} s and was stopped")
            await self._stop(run, handler, error)
            raise error
        try:
            result = run.result()
        except BaseException as error:
            self._close(handler, error)
            raise
        self._close(handler)
        return result

    async def _stop(self, run: asyncio.Future, handler: QueueCallbackHandler | None, error: BaseException) -> None:
        """Close the handler with `error`, cancel the run and wait (bounded) until it has wound down."""
        self._close(handler, error)
        run.cancel()
        await _wind_down(run)

    async def _run(
        self, question: str, handler: QueueCallbackHandler | None, config: RunnableConfig | None = None
    ) -> AgentResult:
        scratchpad: list[BaseMessage] = []
        for step in range(1, self.max_iterations + 1):
            inputs = self._inputs(question, scratchpad)
            message = as_ai_message(await self._stream_step(inputs, handler, config))
            results = await asyncio.gather(
                *(arun_tool_call(call, self.tools, config) for call in message.tool_calls)
            )
            scratchpad += [message, *results, *self._invalid_call_messages(message)]
            if (result := self._answer_in(message, list(results), step, scratchpad)) is not None:
                return self._remember(question, result)
            if handler is not None and handler.final_answer_seen:
                handler.answer_rejected()  # the final answer was refused: the stream goes on with the next try
        return self._remember(question, self._out_of_steps(scratchpad))

    async def _stream_step(
        self, inputs: dict, handler: QueueCallbackHandler | None = None, config: RunnableConfig | None = None
    ) -> AIMessageChunk:
        """Stream one agent step and merge its chunks, in order, into one message.

        The chunks are merged once, at the end: `merged + chunk` for every chunk
        would re-parse the partial tool-call JSON each time, which grows with the
        square of a long `final_answer` (see the README's Performance section).
        """
        step_config = merge_configs(config, {"callbacks": [handler]}) if handler is not None else config
        if (parts := _prompt_and_model(self.agent)) is not None:
            message = await _stream_prompt_then_model(self.agent, *parts, inputs, step_config)
        else:
            message = _merged(await _collect(self.agent.astream(inputs, config=step_config)))
        if message is None:
            raise RuntimeError("the model streamed nothing for this step")
        return message

    @staticmethod
    def _close(handler: QueueCallbackHandler | None, error: BaseException | None = None) -> None:
        if handler is not None:
            handler.close(error)

    def as_runnable(self, *, timeout: float | None = DEFAULT_TIMEOUT) -> Runnable:
        """The executor as a LangChain runnable, for `astream_events` (chapter 04).

        Input: `{"input": question}`; output: `{"answer", "tools_used", "finished", "steps"}`.
        The model calls and tool runs inside appear as its child runs, so their
        events stream out of `runnable.astream_events(...)` with no handler of ours.
        """

        async def run_agent(inputs: dict, config: RunnableConfig) -> dict:
            result = await self.ainvoke(inputs["input"], timeout=timeout, config=config)
            return {
                "answer": result.answer,
                "tools_used": result.tools_used,
                "finished": result.finished,
                "steps": result.steps,
            }

        return RunnableLambda(run_agent, name="agent_executor")

    def stream(
        self, question: str, handler: QueueCallbackHandler | None = None, *, timeout: float | None = DEFAULT_TIMEOUT
    ) -> "AgentRun":
        """Run the agent and stream it: `async with executor.stream(q) as run: async for item in run: ...`."""
        return AgentRun(self, question, handler, timeout=timeout)


class AgentRun:
    """One streamed agent run: the task, the handler it feeds, and its result.

    Leaving the `async with` block early (a `break`, an exception, or the
    consumer being cancelled) cancels the run and waits for it to wind down, so
    no task is left pending; if the run had already finished, `result` still holds
    its answer, as the chat history does. The stream has one reader at a time (a second
    concurrent one gets a `RuntimeError`); reading it again after it ended ends at once.
    """

    def __init__(
        self,
        executor: StreamingAgentExecutor,
        question: str,
        handler: QueueCallbackHandler | None = None,
        *,
        timeout: float | None = DEFAULT_TIMEOUT,
    ) -> None:
        executor._check_question(question)
        self.executor = executor
        self.question = question
        self.handler = handler if handler is not None else QueueCallbackHandler()
        self.timeout = timeout
        self.result: AgentResult | None = None
        self._task: asyncio.Task[AgentResult] | None = None

    async def __aenter__(self) -> "AgentRun":
        if self._task is not None:
            raise RuntimeError("an AgentRun can only be entered once; call executor.stream() again")
        self.handler.reset()  # before the task starts, so nothing stale is read
        self._task = asyncio.create_task(
            self.executor.ainvoke(self.question, self.handler, timeout=self.timeout)
        )
        return self

    def __aiter__(self) -> "AgentRun._Reader":
        if self._task is None:
            raise RuntimeError("use `async with executor.stream(...) as run:` before iterating over the run")
        return AgentRun._Reader(self, aiter(self.handler))

    class _Reader:
        """Reads the handler; at the end of the stream, awaits the run for its result (or its error)."""

        def __init__(self, run: "AgentRun", items: AsyncIterator[AIMessageChunk | str]) -> None:
            self.run, self.items = run, items

        def __aiter__(self) -> "AgentRun._Reader":
            return self

        async def __anext__(self) -> AIMessageChunk | str:
            try:
                return await anext(self.items)
            except StopAsyncIteration:
                self.run.result = await self.run._task  # the answer, or the run's error
                raise

    async def __aexit__(self, *exc_info: object) -> None:
        task = self._task
        if task is None:
            return
        if not task.done() and not self.handler.closed:  # still running: stop it (closed means it is ending)
            task.cancel()
        await _wind_down(task)
        if self.result is None and task.done() and not task.cancelled() and task.exception() is None:
            self.result = task.result()  # it finished before the reader stopped: its answer (and history) stand


# -- one step, streamed without a task per chunk ------------------------------------------------------
#
# `agent.astream(...)` on a `RunnableSequence` awaits every chunk in a new asyncio Task (LangChain does
# that to carry its context into each step): about 40 µs per token, more than everything else we add.
# For the shape `build_agent` makes, prompt(s) then a chat model, we run the same child runs ourselves:
# an "agent" chain run, the prompt with tag `seq:step:1`, the model streamed with `seq:step:2`, and the
# agent's own `on_chain_stream` events. `astream_events`, tracers and handlers see the same tree as
# before (chapter 04 prints it); the tokens just reach the handler sooner. Any other agent runnable
# is streamed with its own `astream`.


def _prompt_and_model(agent: Runnable) -> tuple[list[Runnable], Runnable] | None:
    """`(prompts, model)` when `agent` is prompt(s) | chat model (tools bound or not); else None."""
    if not isinstance(agent, RunnableSequence):
        return None
    *prompts, model = agent.steps
    inner = model
    while isinstance(inner, RunnableBinding):
        inner = inner.bound
    if not isinstance(inner, BaseChatModel) or not all(isinstance(step, BasePromptTemplate) for step in prompts):
        return None
    return prompts, model


async def _stream_prompt_then_model(
    agent: Runnable, prompts: list[Runnable], model: Runnable, inputs: dict, config: RunnableConfig | None
) -> AIMessageChunk | None:
    """What `agent.astream(inputs, config)` streams, merged, with the same runs and events, minus a Task per chunk.

    Like LangChain, the step runs in a context that holds its child config (so the bound model
    sees the "agent" run as its parent), but in one Task for the whole step.
    """
    config = ensure_config(config)
    callbacks = get_async_callback_manager_for_config(config)
    run = await callbacks.on_chain_start(
        None, {"input": ""}, name=config.get("run_name") or agent.get_name(), run_id=config.pop("run_id", None)
    )
    child = patch_config(config, callbacks=run.get_child())

    async def stream() -> list[AIMessageChunk]:
        value: Any = inputs
        for index, prompt in enumerate(prompts, start=1):
            value = await prompt.ainvoke(value, patch_config(child, callbacks=run.get_child(f"seq:step:{index}")))
        chunks = model.astream(value, patch_config(child, callbacks=run.get_child(f"seq:step:{len(prompts) + 1}")))
        tap = next((h for h in run.handlers if isinstance(h, _StreamingCallbackHandler)), None)
        if tap is not None:  # astream_events / astream_log: the agent's own on_chain_stream events
            chunks = tap.tap_output_aiter(run.run_id, chunks)
        return await _collect(chunks)

    try:
        with set_config_context(child) as context:
            message = _merged(await coro_with_context(stream(), context))
    except BaseException as error:
        await run.on_chain_error(error, inputs=inputs)
        raise
    await run.on_chain_end(message, inputs=inputs)
    return message


async def _collect(stream: AsyncIterator[AIMessageChunk]) -> list[AIMessageChunk]:
    """Every chunk of `stream`; `aclosing` ends it at once if we are cancelled (not later, by the GC)."""
    async with aclosing(stream):
        return [chunk async for chunk in stream]


def _merged(chunks: list[AIMessageChunk]) -> AIMessageChunk | None:
    """The chunks merged in one addition (adding them one by one re-parses tool-call JSON each time)."""
    return add_ai_message_chunks(chunks[0], *chunks[1:]) if chunks else None
