"""Runs that outlive their connection: each run is a task that writes its events to the log. Chapter 08.

Before, a run lived inside its HTTP response: when the client's connection
dropped, the run was cancelled and the answer lost. Now `RunRegistry.start` runs
it in a task of its own, which appends every event to the run's `EventLog`; the
responses only read the log (`event_log.follow`). So:

- a disconnect is not a stop: the run goes on, and the client resumes with
  `GET /api/runs/{run_id}/events` and `Last-Event-ID`;
- a stop is explicit (`POST /api/runs/{run_id}/stop`): it is asked for through the
  log, so any process sharing the log can ask; the process that runs the run
  waits for it (bounded waits, in a watcher task) and cancels the run;
- every run ends with `done`, and its log is then kept for a while (see `event_log.py`).

The first event of every run is `run`, with its id; a stopped run ends with
`stopped` then `done`; a run the server had to abandon (it shut down, or the run
went past `run_timeout`) with `error` then `done`.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
from contextlib import aclosing
from typing import AsyncIterator

from . import events
from .event_log import EventLog, LogFull, owner_digest
from .events import Event

logger = logging.getLogger(__name__)

RUN_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")  # what `new_run_id` makes, with room to spare
RUN_TIMEOUT = 10 * 60.0  # seconds a run may take in all; the agents stop theirs sooner (5 minutes)
STOP_POLL = 5.0  # seconds one wait for a stop request lasts, before the watcher waits again
WIND_DOWN = 5.0  # seconds a cancelled run, then its last events, may take


def new_run_id() -> str:
    return secrets.token_urlsafe(16)  # 128 random bits: nobody can guess another's run


class RunRegistry:
    """This process's runs: each a task writing to the shared `EventLog`, until it ends or is stopped."""

    def __init__(self, log: EventLog, *, run_timeout: float = RUN_TIMEOUT, stop_poll: float = STOP_POLL) -> None:
        self.log, self.run_timeout, self.stop_poll = log, run_timeout, stop_poll
        self._tasks: dict[str, asyncio.Task] = {}  # the runs this process runs, until they end

    async def start(self, session_id: str, run_events: AsyncIterator[Event]) -> str:
        """Open a log for a new run owned by `session_id`, log its `run` event (id 1), and run it; return its id.

        `run_events` is the run (`app.stream_run`): the agent's events, ending with `done`.
        """
        run_id = new_run_id()
        await self.log.open(run_id, owner_digest(session_id))
        await self.log.append(run_id, events.run(run_id))
        self._tasks[run_id] = asyncio.create_task(self._drive(run_id, run_events), name=f"run {run_id}")
        return run_id

    async def _drive(self, run_id: str, run_events: AsyncIterator[Event]) -> None:
        """Run the run (`_pump`) until it ends, is stopped, or passes `run_timeout`; then end its log.

        The pump is a task of its own, so a stop or the timeout cancels only the
        run, never this task while it writes the events that end the log.
        """
        pump = asyncio.create_task(self._pump(run_id, run_events), name=f"run {run_id}: events")
        watcher = asyncio.create_task(self._watch_for_stop(run_id), name=f"run {run_id}: stop watcher")
        try:
            finished, _ = await asyncio.wait({pump, watcher}, timeout=self.run_timeout,
                                             return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:  # the server is stopping: end the run, say so, and let the cancellation go on
            watcher.cancel()
            await self._cancel(pump)
            await self._end(run_id, [events.error("The server stopped before the answer was complete."),
                                     events.done()])
            raise
        finally:
            self._tasks.pop(run_id, None)
        watcher.cancel()
        if pump in finished:
            ending = [] if pump.exception() is None else [events.error("The agent failed."), events.done()]
            if pump.exception() is not None:
                logger.warning("run %s could not log its events: %r", run_id, pump.exception())
        else:
            await self._cancel(pump)
            if watcher in finished:
                ending = [events.stopped(), events.done()]
            else:
                logger.info("run %s went past %s s and was stopped", run_id, self.run_timeout)
                ending = [events.error("The agent took too long and was stopped."), events.done()]
        await self._end(run_id, ending)

    async def _pump(self, run_id: str, run_events: AsyncIterator[Event]) -> None:
        """Append each of the run's events to its log, as it comes; the run never waits for a reader."""
        try:
            async with aclosing(run_events):
                async for event in run_events:
                    await self.log.append(run_id, event)
        except LogFull:
            logger.info("run %s sent more events than its log keeps and was stopped", run_id)
            await self.log.append(run_id, events.error("The answer was too long and was stopped."))
            await self.log.append(run_id, events.done())

    async def _watch_for_stop(self, run_id: str) -> None:
        """Return once a stop is asked for the run (the run cancels this watcher when it ends first)."""
        while True:
            try:
                if await self.log.stop_requested(run_id, wait=self.stop_poll):
                    return
            except Exception as error:  # a shared log that fails now and then: wait, and ask again
                logger.warning("stop requests for run %s cannot be read: %r", run_id, error)
                await asyncio.sleep(self.stop_poll)

    @staticmethod
    async def _cancel(task: asyncio.Task) -> None:
        """Cancel the run's task and give it `WIND_DOWN` seconds to close the agent's stream."""
        task.cancel()
        await asyncio.wait({task}, timeout=WIND_DOWN)

    async def _end(self, run_id: str, ending: list[Event]) -> None:
        """Log the events that end a run (if any), then mark it over; bounded, for a log that may be remote."""
        try:
            async with asyncio.timeout(WIND_DOWN):
                for event in ending:
                    await self.log.append(run_id, event)
                await self.log.finish(run_id)
        except Exception as error:
            logger.warning("could not end run %s's log: %r", run_id, error)

    async def stop(self, run_id: str) -> None:
        """Ask the run to stop; the process running it (this one or another) cancels it."""
        await self.log.request_stop(run_id)

    def running(self) -> int:
        """How many runs this process is running now."""
        return len(self._tasks)

    async def aclose(self) -> None:
        """Cancel the runs still going (the server is stopping); each logs `error`, `done`. Bounded."""
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=2 * WIND_DOWN)


__all__ = ["RUN_ID", "RunRegistry", "new_run_id"]
