"""Write a completion's Server-Sent Events: paced to a schedule, or in batches at zero delay.

Events are encoded as they are written, not all beforehand, so a long answer's first
token leaves as soon as the brain is done. With a delay, each token waits for its slot
on a schedule of one token per `delay` (not a full `delay` after its own work, so busy
streams keep their pace). At zero delay the first event goes alone (time to first token)
and the rest in batches: a write per event made the server, inside the learner's kernel,
fight its own client for the interpreter lock.
Used by `app.py`; the course model is taught in chapter 01.
"""

from __future__ import annotations

import asyncio
import json
from itertools import islice
from typing import Any, Awaitable, Callable, Iterable, Iterator, Sequence

BATCH_EVENTS = 64  # events per write at zero delay, after the first
DONE = b"data: [DONE]\n\n"

Send = Callable[[dict[str, Any]], Awaitable[None]]


class StreamCut(Exception):
    """The stream must end without finishing: a drop-after fault, or a client that stopped reading."""


def encoded(chunks: Iterable[tuple[dict[str, Any], bool]]) -> Iterator[tuple[bytes, bool]]:
    """Each chunk as an SSE event `data: {json}\\n\\n`, with its is-a-token flag, then `[DONE]`."""
    for chunk, is_token in chunks:
        yield b"data: " + json.dumps(chunk, separators=(",", ":")).encode("utf-8") + b"\n\n", is_token
    yield DONE, False


async def write_events(
    send: Send,
    events: Iterator[tuple[bytes, bool]],
    *,
    delay: float,
    write_timeout: float,
    stop: asyncio.Event,
    drop_after: int | None = None,
    observe: Callable[[Sequence[bool]], None] | None = None,
    batch: int | None = None,  # default: BATCH_EVENTS
) -> None:
    """Send every event as the body of a started response, then end it (unless `stop` is set)."""
    loop = asyncio.get_running_loop()
    next_at = loop.time()
    first = True
    tokens_left = drop_after
    while not stop.is_set():
        group = list(islice(events, 1 if delay or first else batch or BATCH_EVENTS))
        if not group:
            break
        first = False
        if delay and group[0][1]:
            next_at = max(next_at + delay, loop.time())
            await asyncio.sleep(next_at - loop.time())
        cut = False
        if tokens_left is not None:
            allowed, tokens_left = _within(group, tokens_left)
            cut, group = len(allowed) < len(group), allowed
        if group:
            if observe is not None:
                observe([is_token for _, is_token in group])
            await _send(send, b"".join(data for data, _ in group), True, write_timeout)
        if cut:
            raise StreamCut()  # hang up mid-stream, as a crashed server or a broken network would
    if not stop.is_set():
        await _send(send, b"", False, write_timeout)  # the end of the body


def _within(group: list[tuple[bytes, bool]], tokens_left: int) -> tuple[list[tuple[bytes, bool]], int]:
    """The events of `group` that fit in `tokens_left` more tokens, and how many tokens are left after."""
    for i, (_, is_token) in enumerate(group):
        if is_token:
            if tokens_left == 0:
                return group[:i], 0
            tokens_left -= 1
    return group, tokens_left


async def _send(send: Send, body: bytes, more: bool, write_timeout: float) -> None:
    try:
        async with asyncio.timeout(write_timeout):  # a client that stopped reading is cut off
            await send({"type": "http.response.body", "body": body, "more_body": more})
    except TimeoutError:
        raise StreamCut() from None
