"""Solutions to the exercises of chapter 08 (`chapters/08-streams-that-survive.ipynb`).

Each section replaces the starter cell of the exercise it names; the chapter's
check cell then prints "Solved". `tests/test_exercises.py` runs the chapter with
these sections substituted, so they are kept working.
"""

# %% exercise: resume-events
import asyncio

import httpx


async def answer_events(client, run_id):
    """Yield (id, type, data) for every event of a run, once each and as it arrives, reconnecting after a drop."""
    last_id = 0
    while True:
        headers = {"Last-Event-ID": str(last_id)} if last_id else {}
        try:
            async with client.stream("GET", f"/api/runs/{run_id}/events", headers=headers) as response:
                response.raise_for_status()  # a 404 (the run is forgotten) is an answer, not a drop
                async for event_id, kind, data in read_events(response.aiter_lines()):
                    last_id = event_id
                    yield event_id, kind, data
                    if kind == "done":
                        return
        except httpx.TransportError:
            pass  # the connection dropped
        await asyncio.sleep(0.05)  # dropped, or ended before `done`: pause (as SSE's `retry:` asks), then reconnect


# %% exercise: coalesce
import asyncio


async def produce(tokens, queue):
    """Put the text of `tokens` on the bounded `queue`, then None, never waiting for the reader while tokens arrive."""
    kept = ""
    async for token in tokens:
        kept += token
        try:
            queue.put_nowait(kept)
            kept = ""
        except asyncio.QueueFull:
            pass  # the reader is behind: keep the text, send it with the next piece that fits
    if kept:
        await queue.put(kept)  # the run is over: now waiting for the reader is fine
    await queue.put(None)
