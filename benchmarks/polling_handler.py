"""The well-known *polling* queue handler, copied here for contrast only. Never use it.

This is the handler that circulates in LangChain streaming tutorials: its
consumer checks whether the queue is empty and, if so, sleeps 100 ms before
looking again. A token that arrives just after a check waits for the rest of
the nap, so tokens reach the reader up to 100 ms late and in bursts.

The body is a faithful copy (including its final-answer check on
`additional_kwargs`, which langchain-openai 1.x leaves empty, and putting the
`ChatGenerationChunk` itself on the queue). The only addition is `closed` and
`close()`, so the course's executor can end the stream the same way it ends
ours; without it this handler never sends `<<DONE>>` on langchain-openai 1.x.
"""

from __future__ import annotations

import asyncio
from typing import Any

from langchain_core.callbacks import AsyncCallbackHandler


class PollingQueueCallbackHandler(AsyncCallbackHandler):
    """Callback handler that puts tokens into a queue, and polls it every 100 ms."""

    def __init__(self, queue: asyncio.Queue | None = None) -> None:
        self.queue: asyncio.Queue = queue if queue is not None else asyncio.Queue()
        self.final_answer_seen = False
        self.closed = False  # added: see the module docstring

    async def __aiter__(self):
        while True:
            if self.queue.empty():
                await asyncio.sleep(0.1)
                continue
            token_or_done = await self.queue.get()

            if token_or_done == "<<DONE>>":
                # this means we're done
                return
            if token_or_done:
                yield token_or_done

    async def on_llm_new_token(self, *args: Any, **kwargs: Any) -> None:
        """Put new token in the queue."""
        chunk = kwargs.get("chunk")
        if chunk:
            # check for final_answer tool call
            if tool_calls := chunk.message.additional_kwargs.get("tool_calls"):
                if tool_calls[0]["function"]["name"] == "final_answer":
                    # this will allow the stream to end on the next `on_llm_end` call
                    self.final_answer_seen = True
        self.queue.put_nowait(kwargs.get("chunk"))

    async def on_llm_end(self, *args: Any, **kwargs: Any) -> None:
        """Signal the end of a step, or the end of the run once the final answer was seen."""
        if self.final_answer_seen:
            self.queue.put_nowait("<<DONE>>")
        else:
            self.queue.put_nowait("<<STEP_END>>")

    def close(self, error: BaseException | None = None) -> None:
        """Added for the course's executor, which closes its handler however the run ends."""
        if not self.closed:
            self.closed = True
            self.queue.put_nowait("<<DONE>>")
