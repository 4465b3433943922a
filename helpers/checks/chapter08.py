"""The checks of chapter 08's exercises (`chapters/08-streams-that-survive.ipynb`).

- `check_answer_events(answer_events)`: the learner's async generator reads a run's
  events from `GET /api/runs/{run_id}/events` and, when the connection drops or
  ends early, reconnects with `Last-Event-ID`, yielding every event once, live.
- `check_coalesce(produce)`: the learner's producer puts a stream of tokens on a
  bounded queue without ever waiting for a slow reader, coalescing what does not
  fit, and loses nothing.

Both run on input drawn at random: another run (its number of events, its texts,
where and how its connections are cut), another answer split into other tokens,
another queue size. Each tells waiting from streaming without a clock: the server
of exercise 1 records, as it hands out each piece of its body, how many events the
learner had yielded; the token source of exercise 2 waits for the reader to see
its first tokens, then stops the reader and sees whether the producer still takes
tokens.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import random
import secrets
import time
from collections.abc import AsyncIterator, Callable
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any

import httpx

from ..exercises import NotYet, check
from .streams import Handout, Handouts, split_at_random

CHECK_TIMEOUT = 10.0  # seconds for a whole check; a right answer takes milliseconds
PHASE_TIMEOUT = 1.0  # seconds for one step of exercise 2 (a token to reach the reader, the source to run out)
STALLED = 0.5  # seconds without taking a token (while the source is ready) after which the producer is waiting
MAX_CONNECTIONS = 12  # more than any right answer needs: drops + 1


# -- exercise 1 · resume after a drop ----------------------------------------------------------------------

WORDS = ("streams", "resume", "after", "a", "drop", "with", "nothing", "lost", "or", "repeated", "ids", "count")


def _run_events(rng: random.Random) -> list[tuple[str, dict[str, Any]]]:
    """A run's events, as the app sends them: `run`, tool calls and results, tokens, `answer`, `done`."""
    run_id = secrets.token_urlsafe(8)
    found: list[tuple[str, dict[str, Any]]] = [("run", {"run_id": run_id})]
    x, y = rng.randint(2, 99), rng.randint(2, 99)
    found += [("tool_call", {"id": "call_1", "name": "add", "args": piece})
              for piece in ["", *split_at_random(json.dumps({"x": x, "y": y}), rng, 4)]]
    found.append(("tool_result", {"id": "call_1", "name": "add", "output": float(x + y)}))
    text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 20))).capitalize() + "."
    found += [("token", {"text": piece}) for piece in split_at_random(text, rng, 5)]
    found += [("answer", {"answer": text, "tools_used": ["add"], "finished": True}), ("done", {})]
    return found


def _wire(event_id: int, kind: str, data: dict[str, Any]) -> bytes:
    return f"id: {event_id}\nevent: {kind}\ndata: {json.dumps(data)}\n\n".encode()


@dataclass
class _Cut:
    """How one connection ends early: after `events` whole events, mid-way through the next, or cleanly."""

    events: int
    how: str  # "error": the connection breaks (httpx.ReadError); "end": the body just ends, as a proxy may close it
    partial: bool  # a piece of the next event is sent before the cut


@dataclass
class _Connection:
    last_event_id: str | None  # the header as sent (None: no header)
    first: int  # the id of the first event sent on it
    yielded_before: int  # how many events the learner had yielded when it connected
    handouts: Handouts = field(default_factory=Handouts)
    completes: dict[int, int] = field(default_factory=dict)  # event id -> index of the chunk that completes it


class _RunServer:
    """Serves one run's events after `Last-Event-ID`, cutting the first connections as its plan says."""

    def __init__(self, run_id: str, wire_events: list[bytes], cuts: list[_Cut], rng: random.Random,
                 yielded: list[Any]) -> None:
        self.run_id, self.wire, self.cuts, self.rng, self.yielded = run_id, wire_events, cuts, rng, yielded
        self.connections: list[_Connection] = []
        self.refused: list[str] = []  # what the learner's requests did wrong

    async def handle(self, request: httpx.Request) -> httpx.Response:
        if request.method != "GET" or request.url.path != f"/api/runs/{self.run_id}/events":
            self.refused.append(f"{request.method} {request.url.path}")
            return httpx.Response(404, json={"detail": "Not found."})
        if len(self.connections) >= MAX_CONNECTIONS:  # raised through the learner's code, which is still looping
            raise NotYet(f"answer_events connected {MAX_CONNECTIONS} times for a run cut {len(self.cuts)} times: "
                         "reconnect only when a connection drops or ends before `done`, and return after `done`.")
        header = request.headers.get("last-event-id")
        try:
            after = 0 if header is None else int(header)
        except ValueError:
            self.refused.append(f"Last-Event-ID: {header!r}")
            return httpx.Response(400, json={"detail": "Last-Event-ID must be a number."})
        after = max(0, min(after, len(self.wire)))
        connection = _Connection(header, after + 1, len(self.yielded))
        self.connections.append(connection)
        cut = self.cuts[len(self.connections) - 1] if len(self.connections) <= len(self.cuts) else None
        return httpx.Response(200, headers={"content-type": "text/event-stream"},
                              stream=_Body(self._chunks(connection, after, cut), connection, self.yielded))

    def _chunks(self, connection: _Connection, after: int, cut: _Cut | None) -> list[bytes | Exception]:
        """The body's pieces (each event in one or two pieces), ending with the cut if there is one."""
        chunks: list[bytes | Exception] = []
        upto = len(self.wire) if cut is None else min(len(self.wire) - 1, after + cut.events)
        for event_id in range(after + 1, upto + 1):
            piece = self.wire[event_id - 1]
            if self.rng.random() < 0.3:
                middle = self.rng.randint(1, len(piece) - 1)
                chunks += [piece[:middle], piece[middle:]]
            else:
                chunks.append(piece)
            connection.completes[event_id] = len(chunks) - 1
        if cut is not None:
            if cut.partial and upto < len(self.wire):
                nxt = self.wire[upto]
                chunks.append(nxt[: self.rng.randint(1, len(nxt) - 2)])
            if cut.how == "error":
                chunks.append(httpx.ReadError("the connection dropped (the check cut it)"))
        return chunks


class _Body(httpx.AsyncByteStream):
    """A response body that records, for each piece, how many events the learner had yielded when it asked."""

    def __init__(self, chunks: list[bytes | Exception], connection: _Connection, yielded: list[Any]) -> None:
        self.chunks, self.connection, self.yielded = chunks, connection, yielded

    async def __aiter__(self) -> AsyncIterator[bytes]:
        handouts = self.connection.handouts
        for index, chunk in enumerate(self.chunks):
            seen = len(self.yielded)
            handouts.started = handouts.started or time.perf_counter()
            if isinstance(chunk, Exception):
                raise chunk
            handouts.append(Handout(index, time.perf_counter(), seen))
            yield chunk
            await asyncio.sleep(0)
        handouts.ended, handouts.seen_at_end = time.perf_counter(), len(self.yielded)


def _plan(rng: random.Random, total: int) -> list[_Cut]:
    """Two or three cuts, one of them a clean end, spread over the run, none after `done`."""
    count = rng.choice((2, 3))
    kinds = ["end"] + ["error"] * (count - 1)
    rng.shuffle(kinds)
    sizes = [rng.randint(2, max(2, total // (count + 2))) for _ in range(count)]
    return [_Cut(size, how, rng.random() < 0.6) for size, how in zip(sizes, kinds)]


def _ids(items: list[Any]) -> list[Any]:
    return [item[0] if isinstance(item, tuple) and item else item for item in items]


async def check_answer_events(answer_events: Callable[..., AsyncIterator[Any]]) -> None:
    """Exercise 1: every event once, in order, live, across drops, reconnecting with the right Last-Event-ID."""
    with check("Exercise 1 · read a run to the end, whatever drops") as exercise:
        rng = random.Random()
        run = _run_events(rng)
        run_id = run[0][1]["run_id"]
        wire = [_wire(number, kind, data) for number, (kind, data) in enumerate(run, start=1)]
        yielded: list[Any] = []
        server = _RunServer(run_id, wire, _plan(rng, len(run)), rng, yielded)
        async with httpx.AsyncClient(transport=httpx.MockTransport(server.handle), base_url="http://course.app") as client:
            generator = answer_events(client, run_id)
            if not hasattr(generator, "__anext__"):
                getattr(generator, "close", lambda: None)()  # a coroutine: no "never awaited" warning
                exercise.expect(False, "answer_events yields nothing: make it an async generator that does "
                                "`yield event` inside its loop, for each event as it arrives.")

            escaped: list[BaseException] = []

            async def read_all() -> None:
                async with aclosing(generator):
                    try:
                        async for item in generator:
                            yielded.append(item)
                            exercise.expect(len(yielded) <= 3 * len(run), "answer_events went on yielding long "
                                            "after the run's `done` event: stop after `done`.")
                    except httpx.TransportError as error:  # a drop the learner's code did not catch
                        escaped.append(error)

            try:
                await asyncio.wait_for(read_all(), timeout=CHECK_TIMEOUT)
            except TimeoutError:
                raise NotYet(f"answer_events did not finish within {CHECK_TIMEOUT:.0f} s: stop after the `done` "
                             "event, and wait only for events.") from None
        _judge_events(exercise, server, run, yielded, escaped[0] if escaped else None)


def _judge_events(exercise: check, server: _RunServer, run: list[tuple[str, dict]], yielded: list[Any],
                  escaped: BaseException | None) -> None:
    connections, total = server.connections, len(run)
    wrong_path = [what for what in server.refused if what.startswith(("GET", "POST", "PUT", "DELETE"))]
    exercise.expect(not wrong_path, f"answer_events asked for {wrong_path[0] if wrong_path else ''}: read the run "
                    "with client.stream('GET', f'/api/runs/{run_id}/events').")
    exercise.expect(connections, "answer_events sent no request: read the run with "
                    "client.stream('GET', f'/api/runs/{run_id}/events').")
    bad_header = [what for what in server.refused if what.startswith("Last-Event-ID")]
    exercise.expect(not bad_header, f"answer_events sent {bad_header[0] if bad_header else ''}: send the id of the "
                    "last event received, as a string of its number.")
    exercise.expect(connections[0].last_event_id is None, "the first request already sent a Last-Event-ID: send it "
                    "only when reconnecting, with the id of the last event you received.")
    exercise.expect(all(isinstance(item, tuple) and len(item) == 3 for item in yielded),
                    f"yield (id, type, data) for each event, as read_events gives them, not {yielded[:1]!r}.")
    ids = _ids(yielded)
    if len(connections) == 1 and (not ids or ids[-1] != total):
        raise NotYet("the connection dropped before the `done` event and answer_events did not reconnect: when "
                     "the connection drops (httpx.TransportError, catch it) or the body ends before `done`, reconnect "
                     "with headers={'Last-Event-ID': str(the last id received)}, until `done`.")
    for number, connection in enumerate(connections[1:], start=1):
        received = _delivered(connections[number - 1])
        sent = connection.last_event_id
        if sent is None:
            raise NotYet(f"reconnection {number} sent no Last-Event-ID, so the run came again from event 1 and events "
                         "were repeated: send headers={'Last-Event-ID': str(last id)}, the id of the last event you "
                         "received.")
        sent_id = int(sent)
        if isinstance(received, int) and sent_id > received:
            raise NotYet(f"after event {received} you reconnected with Last-Event-ID: {sent_id}, so event "
                         f"{received + 1} was lost: Last-Event-ID is the id of the last event you received, not the "
                         "next one.")
        if isinstance(received, int) and sent_id < received:
            raise NotYet(f"after event {received} you reconnected with Last-Event-ID: {sent_id}, so events were "
                         "repeated: Last-Event-ID is the id of the last event you received.")
    exercise.expect(len(connections) <= len(server.cuts) + 1,
                    f"answer_events connected {len(connections)} times for {len(server.cuts)} drops: after the "
                    "`done` event the run is over; return instead of reconnecting.")
    if escaped is not None:
        raise NotYet(f"{type(escaped).__name__} escaped from answer_events after a reconnection: catch "
                     "httpx.TransportError around each connection, every time.")
    if ids != list(range(1, total + 1)):
        repeated = sorted({event_id for event_id in ids if ids.count(event_id) > 1}, key=str)
        exercise.expect(not repeated, f"events {repeated[:5]} were yielded more than once: yield each event once.")
        exercise.expect(not (ids and ids == list(range(1, len(ids) + 1))),
                        f"answer_events stopped after event {ids[-1] if ids else 0} of {total}, before `done`: a body "
                        "that ends without a `done` event was cut too (a proxy may close it cleanly); reconnect "
                        "until `done`.")
        raise NotYet(f"answer_events yielded the ids {ids[:8]}..., the run's are 1 to {total} in order: yield every "
                     "event once, in the order it arrives.")
    exercise.expect(all(item[1:] == (kind, data) for item, (kind, data) in zip(yielded, run)),
                    "the events' types and data changed on the way: yield (id, type, data) as read_events gives them.")
    _judge_live(exercise, connections)


def _delivered(connection: _Connection) -> int:
    """The id of the last whole event this connection handed to the learner's code (before it was cut)."""
    handed = [event_id for event_id, chunk in connection.completes.items() if chunk < len(connection.handouts)]
    return max(handed, default=connection.first - 1)


def _judge_live(exercise: check, connections: list[_Connection]) -> None:
    """Each event must be yielded before the learner asked for the body's piece after the one that completed it."""
    for connection in connections:
        handouts = connection.handouts
        for event_id, chunk in connection.completes.items():
            if chunk + 1 < len(handouts):
                seen = handouts[chunk + 1].seen
            elif handouts.finished():
                seen = handouts.seen_at_end
            else:
                continue  # the connection was cut before the learner asked for more
            exercise.expect(seen >= connection.yielded_before + event_id - connection.first + 1,
                            "an event had arrived, but answer_events read on before yielding it: yield each event "
                            "as it arrives, inside the loop over the stream, not after collecting them.")


# -- exercise 2 · coalesce when the queue is full ----------------------------------------------------------


@dataclass
class _Phase:
    live: bool  # live: the reader reads, and each token waits until the one before reached it; else the reader stops
    end: int  # the index of the phase's first token after it


class _Source:
    """The tokens, handed to the learner's producer phase by phase; it also starts and stops the check's reader.

    Live phases hand a token over only once the text before it has reached the
    reader (a live phase after a stopped one first lets the reader empty the
    queue). In a stopped phase the reader reads nothing and the tokens come as fast
    as the producer takes them: a producer that waits for the reader stops there.
    """

    def __init__(self, tokens: list[str], phases: list[_Phase], received: list[Any], queue: asyncio.Queue,
                 reading: asyncio.Event, changed: asyncio.Condition) -> None:
        self.tokens, self.phases, self.received, self.queue, self.reading = tokens, phases, received, queue, reading
        self.changed = changed  # notified each time the reader takes an item: the only thing `_until` waits on
        self.handed = 0  # tokens handed to the producer so far
        self.mark = 0  # how many items the reader had when the last token was handed over
        self.waiting = False  # waiting for the reader (a live phase), not for the producer
        self.exhausted = asyncio.Event()
        self.failure: str | None = None  # why a live phase could not go on

    def _phase(self, index: int) -> tuple[int, _Phase]:
        return next((number, phase) for number, phase in enumerate(self.phases) if index < phase.end)

    async def _until(self, condition: Callable[[], bool]) -> bool:
        self.waiting = True
        try:
            async with self.changed, asyncio.timeout(PHASE_TIMEOUT):
                await self.changed.wait_for(condition)  # the queue and `received` change only when the reader reads
        except TimeoutError:
            return False
        finally:
            self.waiting = False
        return True

    async def __aiter__(self) -> AsyncIterator[str]:
        for index, token in enumerate(self.tokens):
            number, phase = self._phase(index)
            starts = index == (self.phases[number - 1].end if number else 0)
            if not phase.live:
                self.reading.clear()
            elif starts and number:  # after a stop: the reader reads again and empties the queue
                self.reading.set()
                if not await self._until(self.queue.empty):
                    self.failure = "stuck"
                    return
            elif index:  # the token before must have reached the reader, alone or joined to what was kept back
                previous, mark = self.tokens[index - 1], self.mark
                if not await self._until(lambda: len(self.received) > mark and isinstance(self.received[-1], str)
                                         and self.received[-1].endswith(previous)):
                    self.failure = "kept back" if number else "not live"
                    return
            self.mark = len(self.received)
            self.handed = index + 1
            yield token
            await asyncio.sleep(0)
        self.reading.set()  # the reader reads the rest
        self.exhausted.set()


def _phases(rng: random.Random, count: int, maxsize: int) -> list[_Phase]:
    """Live, stopped, live, stopped: each stopped phase has more tokens than the queue holds."""
    first = rng.randint(2, 4)
    second = first + maxsize + rng.randint(3, 8)
    third = second + rng.randint(2, 4)
    return [_Phase(True, first), _Phase(False, second), _Phase(True, third), _Phase(False, count)]


async def check_coalesce(produce: Callable[..., Any]) -> None:
    """Exercise 2: a producer that never waits for a stopped reader, keeps the queue's bound and loses nothing."""
    with check("Exercise 2 · coalesce when the queue is full") as exercise:
        rng = random.Random()
        maxsize = rng.randint(2, 5)
        tokens: list[str] = []
        while len(tokens) < 3 * maxsize + 30:
            text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(25, 45))).capitalize() + "."
            tokens = split_at_random(text, rng, 5)
        queue: asyncio.Queue = asyncio.Queue(maxsize)
        received: list[Any] = []
        reading = asyncio.Event()
        reading.set()
        changed = asyncio.Condition()
        source = _Source(tokens, _phases(rng, len(tokens), maxsize), received, queue, reading, changed)

        async def reader() -> None:
            while True:
                await reading.wait()
                item = await queue.get()
                async with changed:
                    received.append(item)
                    changed.notify_all()
                if item is None:
                    return

        exercise.expect(inspect.iscoroutinefunction(produce), "produce should be an `async def` function that puts "
                        "the tokens on the queue.")
        reader_task = asyncio.create_task(reader())
        producer = asyncio.ensure_future(produce(source.__aiter__(), queue))
        try:
            await _watch(exercise, source, producer, reader_task, len(tokens), maxsize)
            _judge_text(exercise, received, text, tokens)
        finally:
            for task in (producer, reader_task):
                if not task.done():
                    task.cancel()
            await asyncio.wait({producer, reader_task}, timeout=2)


async def _watch(exercise: check, source: _Source, producer: asyncio.Future, reader_task: asyncio.Task,
                 count: int, maxsize: int) -> None:
    """Run until the source is used up, the producer returns, or either is stuck; say which."""
    exhausted = asyncio.ensure_future(source.exhausted.wait())
    loop = asyncio.get_running_loop()
    handed, progressed = source.handed, loop.time()
    try:
        while not exhausted.done() and not producer.done() and source.failure is None:
            await asyncio.wait({exhausted, producer}, timeout=0.02)
            if source.handed != handed or source.waiting:
                handed, progressed = source.handed, loop.time()
            elif loop.time() - progressed > STALLED:
                break  # the producer has taken no token for a while: it waits
    finally:
        exhausted.cancel()
    if producer.done() and not producer.cancelled() and producer.exception() is not None:
        _raised(producer.exception())
    exercise.expect(source.failure != "not live", "the reader received nothing while the first tokens were "
                    "arriving: put each token on the queue as it arrives, not after the last one.")
    exercise.expect(source.failure != "kept back", "the reader had emptied the queue and another token came, but "
                    "the text kept back did not come with it: as soon as a piece fits, put the kept-back text "
                    "joined to it, then start keeping anew.")
    exercise.expect(source.failure is None and (source.exhausted.is_set() or producer.done()),
                    "the reader stopped reading, the queue filled up, and your producer waited for the reader. `await queue.put(...)` waits when the queue is full: use queue.put_nowait(...), "
                    "and on asyncio.QueueFull keep the text back.")
    exercise.expect(source.exhausted.is_set(), f"produce returned after {source.handed} of {count} tokens: read "
                    "`tokens` to the end.")
    try:  # the reader reads again: the producer sends what it kept back, then None
        await asyncio.wait_for(asyncio.shield(producer), timeout=PHASE_TIMEOUT)
    except TimeoutError:
        raise NotYet("produce did not return once the reader read again: after the last token, await queue.put "
                     "what you kept back, then None.") from None
    except Exception as error:
        _raised(error)
    try:
        await asyncio.wait_for(asyncio.shield(reader_task), timeout=PHASE_TIMEOUT)
    except TimeoutError:
        raise NotYet("the reader never received None: put None on the queue after the text, so the reader knows "
                     "the stream has ended.") from None


def _raised(error: BaseException) -> None:
    if isinstance(error, asyncio.QueueFull):
        raise NotYet("queue.put_nowait raised asyncio.QueueFull when the queue was full: catch it, keep the token's "
                     "text back, and send it joined to the next piece that fits.")
    raise NotYet(f"your code raised {type(error).__name__}: {error}")


def _judge_text(exercise: check, received: list[Any], text: str, tokens: list[str]) -> None:
    exercise.expect(received and received[-1] is None and received.count(None) == 1,
                    "None should come once, last, after all the text.")
    pieces = received[:-1]
    exercise.expect(all(isinstance(piece, str) for piece in pieces), "put text (strings) on the queue, not "
                    f"{next((piece for piece in pieces if not isinstance(piece, str)), None)!r}.")
    got = "".join(pieces)
    if got == text:
        exercise.expect(len(pieces) < len(tokens), "every token went on the queue on its own, though the reader had "
                        "stopped: coalesce what does not fit.")
        return
    if len(got) < len(text):
        if text.startswith(got):
            raise NotYet(f"the reader received {len(got)} of {len(text)} characters: the text kept back when the "
                         "last token came was lost. After the loop, await queue.put(what is kept back), then None.")
        raise NotYet(f"the reader received {len(got)} of {len(text)} characters: tokens were lost when the queue was "
                     "full. Keep that text back and send it joined to the next piece that fits; lose nothing.")
    if len(got) > len(text):
        raise NotYet(f"the reader received {len(got)} characters for a text of {len(text)}: some text was sent twice. "
                     "Once the kept-back text is on the queue, start keeping anew from ''.")
    raise NotYet("the reader received every character, but out of order: the text kept back goes first, joined "
                 "in front of the new token.")
