"""`QueueCallbackHandler`: stream an agent's tokens through an `asyncio.Queue`. Taught in chapter 03.

LangChain calls the handler for every token the model streams; the handler puts
each `AIMessageChunk` on a queue, and the consumer reads them with `async for`.
Two markers structure the stream: `STEP_END` after every model call that did not
give the final answer, and `DONE` when the whole run is over.

Who ends the stream? On its own, the handler ends it after the model call that
gave the final answer, so a caller's own agent loop that never calls `close()`
still sees its `async for` end. An executor that *checks* the answer first (a
blank answer is rejected and the model asked again) sets `closes_itself = False`
and closes the handler itself once the answer is accepted, so the stream never
ends before the answer the run returns.

What makes this version safe to ship, compared with the well-known one:

- the consumer *awaits* the queue: a token is handed over the moment it exists,
  with no polling delay;
- the final answer is recognised from the standard `tool_call_chunks`, which
  every provider fills (langchain-openai 1.x leaves `additional_kwargs` empty);
- a failure ends the stream: `async for` raises the model's or the run's error
  instead of waiting forever for a `DONE` that will never come;
- `close()` is idempotent, and `reset()` makes a handler ready for a new run;
- a stream has one reader at a time: a second concurrent reader gets a clear
  error, and reading a stream that has already ended ends at once (or raises
  its error again) instead of waiting forever.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

from langchain_core.callbacks import AsyncCallbackHandler
from langchain_core.messages import AIMessageChunk
from langchain_core.outputs import LLMResult

STEP_END = "<<STEP_END>>"  # a model call finished; more steps follow
DONE = "<<DONE>>"  # the run is over; the consumer's loop ends here
FINAL_ANSWER_TOOL = "final_answer"


_FAILED = object()  # put on the queue when the run fails; the consumer then raises `handler.error`


class StreamCancelled(RuntimeError):
    """The run feeding this stream was cancelled before it finished."""


class QueueCallbackHandler(AsyncCallbackHandler):
    """Puts streamed chunks and step markers on a queue that `async for` reads.

    >>> handler = QueueCallbackHandler()
    >>> # pass it as a callback: agent.astream(inputs, config={"callbacks": [handler]})
    >>> # async for item in handler: ...   # AIMessageChunk, or STEP_END
    """

    # LangChain awaits an inline handler directly instead of wrapping every token
    # in a new Task; ours only calls `put_nowait`, so that is safe and faster.
    run_inline = True

    def __init__(self, queue: asyncio.Queue | None = None) -> None:
        self.queue: asyncio.Queue = queue if queue is not None else asyncio.Queue()
        self.closes_itself = True  # end with DONE after the final answer's model call (an executor may take over)
        self.final_answer_seen = False
        self.closed = False
        self.error: BaseException | None = None
        self._ended = False  # the reader has received the end (DONE, or the error)
        self._reader: weakref.ref | None = None  # the one reader allowed at a time

    # -- producer side: LangChain calls these ---------------------------------------------------

    async def on_llm_new_token(self, token: str, *, chunk: Any = None, **kwargs: Any) -> None:
        message = getattr(chunk, "message", None)
        if not isinstance(message, AIMessageChunk) or self.closed:
            return
        if any(call.get("name") == FINAL_ANSWER_TOOL for call in message.tool_call_chunks):
            self.final_answer_seen = True
        self.queue.put_nowait(message)

    async def on_llm_end(self, response: LLMResult, **kwargs: Any) -> None:
        if self.closed:
            return
        if not self.final_answer_seen:
            self.queue.put_nowait(STEP_END)
        elif self.closes_itself:
            self.close()
        # else: the executor checks the answer, then calls `close()` or `answer_rejected()`

    def answer_rejected(self) -> None:
        """The executor refused this step's final answer and asks the model again: the step ends, the stream goes on."""
        if not self.closed:
            self.final_answer_seen = False
            self.queue.put_nowait(STEP_END)

    async def on_llm_error(self, error: BaseException, **kwargs: Any) -> None:
        self.close(error)

    def close(self, error: BaseException | None = None) -> None:
        """End the stream: with `DONE`, or by making the consumer raise `error`.

        Executors call this when their run ends, however it ends; only the first
        call counts, so the model's own `on_llm_error` and the executor can both
        call it safely. A cancellation is reported as `StreamCancelled` (a consumer
        must not see a `CancelledError` that is not its own), and a more specific
        error that arrives later, such as the executor's timeout, replaces it.
        """
        if isinstance(error, asyncio.CancelledError):
            error = StreamCancelled("the run feeding this stream was cancelled before it finished")
        if self.closed:
            if isinstance(self.error, StreamCancelled) and error is not None and not isinstance(error, StreamCancelled):
                self.error = error
            return
        self.closed = True
        self.error = error
        self.queue.put_nowait(DONE if error is None else _FAILED)

    def reset(self) -> None:
        """Get ready for a new run: forget the last run's state and anything it left unread."""
        while not self.queue.empty():
            self.queue.get_nowait()
        self.closes_itself = True
        self.final_answer_seen = False
        self.closed = False
        self.error = None
        self._ended = False
        self._reader = None

    # -- consumer side ----------------------------------------------------------------------------

    def __aiter__(self) -> "StreamReader":
        """A reader that yields chunks and `STEP_END` markers until `DONE`, and raises if the run failed.

        One reader at a time: a reader is released when it reaches the end, or
        when it is dropped (a loop that `break`s), so a later loop can go on reading.
        """
        current = self._reader() if self._reader is not None else None
        if current is not None and not self._ended:
            raise RuntimeError("this stream already has a reader: read it in one place, or give each run its own handler")
        reader = StreamReader(self)
        self._reader = weakref.ref(reader)
        return reader

    async def _next(self) -> AIMessageChunk | str:
        if self._ended:  # the stream is over: end again at once (or fail again), never wait
            if self.error is not None:
                raise self.error
            raise StopAsyncIteration
        item = await self.queue.get()
        if item is _FAILED or (isinstance(item, str) and item == DONE):
            self._ended = True
            return await self._next()
        return item


class StreamReader:
    """What `async for item in handler` iterates: one reader of the handler's stream."""

    def __init__(self, handler: QueueCallbackHandler) -> None:
        self.handler = handler

    def __aiter__(self) -> "StreamReader":
        return self

    async def __anext__(self) -> AIMessageChunk | str:
        return await self.handler._next()
