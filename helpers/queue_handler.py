"""`QueueCallbackHandler`: stream an agent's tokens through an `asyncio.Queue`. Taught in chapter 03.

LangChain calls the handler for every token the model streams; the handler puts
each `AIMessageChunk` on a queue, and the consumer reads them with `async for`.
Two markers structure the stream: `STEP_END` after every model call that did not
give the final answer, and `DONE` when the whole run is over.

What makes this version safe to ship, compared with the well-known one:

- the consumer *awaits* the queue: a token is handed over the moment it exists,
  with no polling delay;
- the final answer is recognised from the standard `tool_call_chunks`, which
  every provider fills (langchain-openai 1.x leaves `additional_kwargs` empty);
- a failure ends the stream: `async for` raises the model's or the run's error
  instead of waiting forever for a `DONE` that will never come;
- `close()` is idempotent, and `reset()` makes a handler ready for a new run.
"""

from __future__ import annotations

import asyncio
from typing import Any, AsyncIterator

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
        self.final_answer_seen = False
        self.closed = False
        self.error: BaseException | None = None

    # -- producer side: LangChain calls these ---------------------------------------------------

    async def on_llm_new_token(self, token: str, *, chunk: Any = None, **kwargs: Any) -> None:
        message = getattr(chunk, "message", None)
        if not isinstance(message, AIMessageChunk) or self.closed:
            return
        if any(call.get("name") == FINAL_ANSWER_TOOL for call in message.tool_call_chunks):
            self.final_answer_seen = True
        self.queue.put_nowait(message)

    async def on_llm_end(self, response: LLMResult, **kwargs: Any) -> None:
        if self.final_answer_seen:
            self.close()
        elif not self.closed:
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
        self.final_answer_seen = False
        self.closed = False
        self.error = None

    # -- consumer side ----------------------------------------------------------------------------

    async def __aiter__(self) -> AsyncIterator[AIMessageChunk | str]:
        """Yield chunks and `STEP_END` markers until `DONE`; raise if the run failed."""
        while True:
            item = await self.queue.get()
            if isinstance(item, str) and item == DONE:
                return
            if item is _FAILED:
                raise self.error
            yield item
