"""Each run's events, numbered and kept for a while, so a client that lost its stream can resume. Chapter 08.

A run's events go into its log as they happen; every response that streams a run
(`POST /api/chat`, then `GET /api/runs/{run_id}/events` after a drop) only *reads*
the log. So the run never waits for a reader, a slow reader only falls behind in
its own copy, and a client that reconnects with `Last-Event-ID: N` gets exactly the
events after N: nothing lost, nothing twice.

`EventLog` is the interface; `MemoryEventLog` keeps the logs in this process.
A log shared by several processes (Redis streams) implements the same interface,
and then any process can serve a reconnecting client: a reader needs nothing but
the log (who owns the run, its events, whether it is over, whether a stop was asked).

The contract every implementation keeps:

- `open(run_id, owner)` starts a run's log; `owner` is `owner_digest(session_id)` of
  the session that started it (the log never holds the session id itself). It raises
  `SessionBusy` while another run of that session has not logged `done` (nor been
  finished): one run at a time per conversation, across every process sharing the log;
- `append(run_id, event)` returns the event's id: 1, 2, 3, ... within the run; it
  never waits for readers;
- `read(run_id, after, wait=...)` returns the events with ids above `after` (at most
  `limit`); when there are none yet it waits for one, but at most `wait` seconds, and
  says whether the run is over (`Batch.finished`: no event will follow);
- `finish(run_id)` marks the run over; its events stay readable for at least
  `keep_seconds`, unless memory runs short: then the runs that finished first go first;
- `info(run_id)` is the run's owner, last id and whether it is over, or None once it
  is unknown or expired; `read` raises `UnknownRun` then;
- `request_stop(run_id)` asks for a run to stop, from any process; the process that
  runs it learns it from `stop_requested(run_id, wait=...)`, a bounded wait too.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import AsyncIterator, Callable, Protocol

from .events import Event

KEEP_SECONDS = 5 * 60  # a finished run's events stay readable this long, at least (memory permitting)
MAX_BYTES = 64 * 1024 * 1024  # all finished runs' events together (their JSON); the oldest go first beyond it
MAX_EVENTS_PER_RUN = 50_000  # one run's log; a run of 5 model calls sends a few thousand at most
READ_LIMIT = 500  # events one `read` returns at most


class UnknownRun(LookupError):
    """No log for this run: it never existed here, or it finished long enough ago to be forgotten."""


class SessionBusy(RuntimeError):
    """The session already has a run that has not logged `done`: one run at a time per conversation."""


class LogFull(RuntimeError):
    """The run has sent more events than one log keeps (`max_events_per_run`)."""


@dataclass(frozen=True)
class LoggedEvent:
    """An event as the log keeps it: its id within the run (1, 2, ...), its type and its data."""

    id: int
    type: str
    data: dict

    def event(self) -> Event:
        return Event(self.type, self.data)


@dataclass(frozen=True)
class Batch:
    """What one `read` found: the events after the given id, and whether the run is over with nothing to follow."""

    events: list[LoggedEvent]
    finished: bool


@dataclass(frozen=True)
class RunInfo:
    owner: str  # `owner_digest` of the session that started the run
    last_id: int  # the id of its latest event (0: none yet)
    finished: bool


def owner_digest(session_id: str) -> str:
    """What a log keeps to know a run's session: its SHA-256, so a leaked log leaks no session."""
    return hashlib.sha256(session_id.encode()).hexdigest()


class EventLog(Protocol):
    """Runs' event logs: appended by the process that runs each, read by whichever serves its client."""

    async def open(self, run_id: str, owner: str) -> None:
        """Start `run_id`'s log, owned by the session whose `owner_digest` is `owner`.

        Raises `SessionBusy` if a run of the same session has neither logged `done` nor been finished:
        the session is claimed from here until then (the claim and the log are one step).
        """

    async def append(self, run_id: str, event: Event) -> int:
        """Add `event` to the run's log and return its id (1 for the first). Never waits for readers.

        Raises `UnknownRun` for a run not opened (or forgotten), `LogFull` past the per-run bound.
        """

    async def read(self, run_id: str, after: int, *, wait: float, limit: int = READ_LIMIT) -> Batch:
        """The run's events with ids above `after`, oldest first, at most `limit`.

        If there are none yet and the run is not over, wait for one, at most `wait`
        seconds (an empty batch then: time for a heartbeat). Raises `UnknownRun`.
        """

    async def finish(self, run_id: str) -> None:
        """The run is over: nothing more will be appended; its expiry clock starts."""

    async def info(self, run_id: str) -> RunInfo | None:
        """The run's owner, last id and state; None if unknown or expired."""

    async def request_stop(self, run_id: str) -> None:
        """Ask the run to stop (any process may); a run that is over ignores it."""

    async def stop_requested(self, run_id: str, *, wait: float) -> bool:
        """Has a stop been asked for? Waits for one at most `wait` seconds."""

    async def aclose(self) -> None:
        """Release what the log holds open (connections); the memory log holds none."""


@dataclass
class _Run:
    owner: str
    events: list[LoggedEvent] = field(default_factory=list)
    bytes: int = 0
    finished_at: float | None = None
    arrived: asyncio.Event = field(default_factory=asyncio.Event)  # set (and replaced) on each append
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    def wake_readers(self) -> None:
        self.arrived.set()
        self.arrived = asyncio.Event()


class MemoryEventLog:
    """`EventLog` in this process's memory: for one app process (a restart forgets every run).

    Bounded: a run keeps at most `max_events_per_run` events; finished runs are kept
    `keep_seconds`, and together at most `max_bytes` of JSON (the runs that finished
    first are forgotten first). Running runs are never forgotten: there is at most one
    per session, and the session store bounds the sessions. All of it lives in one
    event loop (the app's); expiry happens as runs come and go, with no task of its own.
    """

    def __init__(self, *, keep_seconds: float = KEEP_SECONDS, max_bytes: int = MAX_BYTES,
                 max_events_per_run: int = MAX_EVENTS_PER_RUN, clock: Callable[[], float] = time.monotonic) -> None:
        if keep_seconds <= 0 or max_bytes < 1 or max_events_per_run < 3:
            raise ValueError("keep_seconds and max_bytes must be positive, max_events_per_run at least 3")
        self.keep_seconds, self.max_bytes, self.max_events_per_run = keep_seconds, max_bytes, max_events_per_run
        self._clock = clock
        self._runs: dict[str, _Run] = {}
        self._finished: OrderedDict[str, None] = OrderedDict()  # finished runs, the first to finish first
        self._finished_bytes = 0
        self._claims: dict[str, str] = {}  # owner -> its run that has not logged `done` yet

    async def open(self, run_id: str, owner: str) -> None:
        self._expire()
        if run_id in self._runs:
            raise ValueError(f"run {run_id!r} already has a log")
        if owner in self._claims:
            raise SessionBusy("this session is still answering its last question")
        self._runs[run_id] = _Run(owner)
        self._claims[owner] = run_id

    async def append(self, run_id: str, event: Event) -> int:
        run = self._live(run_id)
        # The last two places are kept for the events that end a run (`error`, then `done`).
        if len(run.events) >= self.max_events_per_run - (0 if event.type in ("error", "done") else 2):
            raise LogFull(f"run {run_id!r} has sent {len(run.events)} events, the most one log keeps")
        logged = LoggedEvent(len(run.events) + 1, event.type, event.data)
        run.events.append(logged)
        run.bytes += len(event.json()) + 64  # its JSON, and roughly what the record around it costs
        if event.type == "done":  # whoever reads `done` may ask again at once: the session is free
            self._release(run_id, run.owner)
        run.wake_readers()
        return logged.id

    async def read(self, run_id: str, after: int, *, wait: float, limit: int = READ_LIMIT) -> Batch:
        run = self._known(run_id)
        if len(run.events) <= after and run.finished_at is None and wait > 0:
            arrived = run.arrived
            try:
                await asyncio.wait_for(arrived.wait(), wait)
            except TimeoutError:
                pass
            run = self._known(run_id)  # it may have expired meanwhile (a very short keep_seconds)
        start = max(after, 0)
        events = run.events[start:start + max(limit, 1)]
        finished = run.finished_at is not None and start + len(events) >= len(run.events)
        return Batch(events, finished)

    async def finish(self, run_id: str) -> None:
        run = self._runs.get(run_id)
        if run is None or run.finished_at is not None:
            return
        run.finished_at = self._clock()
        self._release(run_id, run.owner)
        run.wake_readers()
        self._finished[run_id] = None
        self._finished_bytes += run.bytes
        self._expire()

    async def info(self, run_id: str) -> RunInfo | None:
        self._expire()
        run = self._runs.get(run_id)
        return None if run is None else RunInfo(run.owner, len(run.events), run.finished_at is not None)

    async def request_stop(self, run_id: str) -> None:
        run = self._runs.get(run_id)
        if run is not None and run.finished_at is None:
            run.stop.set()

    async def stop_requested(self, run_id: str, *, wait: float) -> bool:
        run = self._runs.get(run_id)
        if run is None:
            return False
        if not run.stop.is_set() and wait > 0:
            try:
                await asyncio.wait_for(run.stop.wait(), wait)
            except TimeoutError:
                pass
        return run.stop.is_set()

    async def aclose(self) -> None:
        return None

    def __len__(self) -> int:
        """How many runs' logs are kept (running and finished)."""
        return len(self._runs)

    def _release(self, run_id: str, owner: str) -> None:
        if self._claims.get(owner) == run_id:  # never a later run's claim
            del self._claims[owner]

    def _known(self, run_id: str) -> _Run:
        run = self._runs.get(run_id)
        if run is None:
            raise UnknownRun(run_id)
        return run

    def _live(self, run_id: str) -> _Run:
        run = self._known(run_id)
        if run.finished_at is not None:
            raise ValueError(f"run {run_id!r} is over: its log takes no more events")
        return run

    def _expire(self) -> None:
        """Forget finished runs past `keep_seconds`, then the first finished while over `max_bytes`."""
        now = self._clock()
        while self._finished:
            run_id = next(iter(self._finished))
            run = self._runs[run_id]
            if now - run.finished_at <= self.keep_seconds and self._finished_bytes <= self.max_bytes:
                break
            del self._finished[run_id], self._runs[run_id]
            self._finished_bytes -= run.bytes
            run.wake_readers()  # a reader waiting on it finds it gone


async def follow(log: EventLog, run_id: str, after: int = 0, *, heartbeat: float,
                 max_silence: float) -> AsyncIterator[LoggedEvent | None]:
    """The run's events after `after`, then the live ones, until the run is over.

    Yields None when nothing has come for `heartbeat` seconds (time to send a
    heartbeat). Every wait has an end: it stops once the run is over, once its
    log is forgotten (`UnknownRun`), or after `max_silence` seconds without an event
    (a run that stopped logging, say its process died: the caller says so).
    Raises `Silent` in that last case.
    """
    loop = asyncio.get_running_loop()
    last_event = loop.time()
    while True:
        waited = loop.time() - last_event
        if waited >= max_silence:
            raise Silent(f"run {run_id!r} sent nothing for {max_silence:g} s")
        batch = await log.read(run_id, after, wait=min(heartbeat, max_silence - waited))
        for logged in batch.events:
            yield logged
            after = logged.id
        if batch.finished:
            return
        if batch.events:
            last_event = loop.time()
        else:
            yield None


class Silent(TimeoutError):
    """A run's log got no event for longer than a reader waits."""


__all__ = ["Batch", "EventLog", "SessionBusy", "Silent", "follow", "LogFull", "LoggedEvent", "MemoryEventLog", "RunInfo", "UnknownRun", "owner_digest"]
