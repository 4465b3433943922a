"""Wrong-but-plausible solutions to chapter 08's exercises; `tests/test_exercises.py` runs each with its check.

Each section replaces the exercise's starter cell; the words after `|` must appear in the check's "Not yet".
"""

# %% mistake: resume-events | repeated
# Reconnects after a drop, but without Last-Event-ID: the run comes again from the start.
import httpx


async def answer_events(client, run_id):
    while True:
        try:
            async with client.stream("GET", f"/api/runs/{run_id}/events") as response:
                async for event_id, kind, data in read_events(response.aiter_lines()):
                    yield event_id, kind, data
                    if kind == "done":
                        return
        except httpx.TransportError:
            pass

# %% mistake: resume-events | not the next one
# Off by one: Last-Event-ID set to the id of the next event wanted.
import httpx


async def answer_events(client, run_id):
    last_id = 0
    while True:
        headers = {"Last-Event-ID": str(last_id + 1)} if last_id else {}
        try:
            async with client.stream("GET", f"/api/runs/{run_id}/events", headers=headers) as response:
                async for event_id, kind, data in read_events(response.aiter_lines()):
                    last_id = event_id
                    yield event_id, kind, data
                    if kind == "done":
                        return
        except httpx.TransportError:
            pass

# %% mistake: resume-events | before `done`
# Reconnects only when the connection raises: a body that ends cleanly before `done` (a proxy) ends the reading.
import httpx


async def answer_events(client, run_id):
    last_id = 0
    while True:
        headers = {"Last-Event-ID": str(last_id)} if last_id else {}
        try:
            async with client.stream("GET", f"/api/runs/{run_id}/events", headers=headers) as response:
                async for event_id, kind, data in read_events(response.aiter_lines()):
                    last_id = event_id
                    yield event_id, kind, data
            return
        except httpx.TransportError:
            pass

# %% mistake: resume-events | as it arrives
# Resumes correctly, but collects the whole run before yielding anything.
import httpx


async def answer_events(client, run_id):
    collected, last_id = [], 0
    while not collected or collected[-1][1] != "done":
        headers = {"Last-Event-ID": str(last_id)} if last_id else {}
        try:
            async with client.stream("GET", f"/api/runs/{run_id}/events", headers=headers) as response:
                async for event_id, kind, data in read_events(response.aiter_lines()):
                    last_id = event_id
                    collected.append((event_id, kind, data))
        except httpx.TransportError:
            pass
    for event in collected:
        yield event

# %% mistake: resume-events | return after `done`
# Never notices `done`: after the run is over it keeps reconnecting.
import httpx


async def answer_events(client, run_id):
    last_id = 0
    while True:
        headers = {"Last-Event-ID": str(last_id)} if last_id else {}
        try:
            async with client.stream("GET", f"/api/runs/{run_id}/events", headers=headers) as response:
                async for event_id, kind, data in read_events(response.aiter_lines()):
                    last_id = event_id
                    yield event_id, kind, data
        except httpx.TransportError:
            pass

# %% mistake: resume-events | were repeated
# Hard-coded: reconnects with Last-Event-ID 0 each time ("from the start"), and yields what comes.
import httpx


async def answer_events(client, run_id):
    connections = 0
    while True:
        headers = {"Last-Event-ID": "0"} if connections else {}
        connections += 1
        try:
            async with client.stream("GET", f"/api/runs/{run_id}/events", headers=headers) as response:
                async for event_id, kind, data in read_events(response.aiter_lines()):
                    yield event_id, kind, data
                    if kind == "done":
                        return
        except httpx.TransportError:
            pass

# %% mistake: coalesce | tokens were lost
# Drops what does not fit.
import asyncio


async def produce(tokens, queue):
    async for token in tokens:
        try:
            queue.put_nowait(token)
        except asyncio.QueueFull:
            pass
    await queue.put(None)

# %% mistake: coalesce | kept back when the last token came was lost
# Coalesces, but forgets the text still kept back when the tokens end.
import asyncio


async def produce(tokens, queue):
    kept = ""
    async for token in tokens:
        kept += token
        try:
            queue.put_nowait(kept)
            kept = ""
        except asyncio.QueueFull:
            pass
    await queue.put(None)

# %% mistake: coalesce | as it arrives
# Never waits, never loses: the whole text in one piece, once the tokens have ended.
async def produce(tokens, queue):
    text = "".join([token async for token in tokens])
    await queue.put(text)
    await queue.put(None)

# %% mistake: coalesce | sent twice
# Keeps the text back, but never empties what it kept after sending it.
import asyncio


async def produce(tokens, queue):
    kept = ""
    async for token in tokens:
        kept += token
        try:
            queue.put_nowait(kept)
        except asyncio.QueueFull:
            pass
    if kept:
        await queue.put(kept)
    await queue.put(None)

# %% mistake: coalesce | did not come with it
# Once the queue was full, keeps everything back to the end: nothing lost, but no longer live.
import asyncio


async def produce(tokens, queue):
    kept, full = "", False
    async for token in tokens:
        if full:
            kept += token
            continue
        try:
            queue.put_nowait(token)
        except asyncio.QueueFull:
            full, kept = True, token
    if kept:
        await queue.put(kept)
    await queue.put(None)

# %% mistake: coalesce | QueueFull
# put_nowait, but QueueFull is not caught.
async def produce(tokens, queue):
    async for token in tokens:
        queue.put_nowait(token)
    await queue.put(None)

# %% mistake: coalesce | None
# Coalesces, but never tells the reader the stream has ended.
import asyncio


async def produce(tokens, queue):
    kept = ""
    async for token in tokens:
        kept += token
        try:
            queue.put_nowait(kept)
            kept = ""
        except asyncio.QueueFull:
            pass
    if kept:
        await queue.put(kept)
