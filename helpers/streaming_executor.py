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
"""

from __future__ import annotations

import asyncio
from contextlib import aclosing
from typing import AsyncIterator

from langchain_core.messages import AIMessageChunk, BaseMessage
from langchain_core.messages.ai import add_ai_message_chunks
from langchain_core.runnables import Runnable, RunnableConfig, RunnableLambda
from langchain_core.runnables.config import merge_configs

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
        self, inputs: dict, handler: QueueCallbackHandler | None, config: RunnableConfig | None = None
    ) -> AIMessageChunk:
        """Stream one agent step and merge its chunks, in order, into one message.

        The chunks are merged once, at the end: `merged + chunk` for every chunk
        would re-parse the partial tool-call JSON each time, which grows with the
        square of a long `final_answer` (see the README's Performance section).
        """
        step_config = merge_configs(config, {"callbacks": [handler]}) if handler is not None else config
        chunks: list[AIMessageChunk] = []
        # `aclosing` ends the stream at once if this step is cancelled, instead of leaving
        # the generator for the garbage collector to close later in a task of its own.
        async with aclosing(self.agent.astream(inputs, config=step_config)) as stream:
            async for chunk in stream:
                chunks.append(chunk)
        if not chunks:
            raise RuntimeError("the model streamed nothing for this step")
        return add_ai_message_chunks(chunks[0], *chunks[1:])

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
    no task is left pending. The stream has one reader at a time (a second
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
