"""The runs' event logs (helpers/web_app/event_log.py, redis_event_log.py): numbered, replayed then followed,
bounded, expiring, one running run per session.

These tests hold for every `EventLog` in `LOGS`: the memory one, and the Redis one on a
redis-server of the test's own (tests/conftest.py `redis_url`: skipped here when the binary is
missing, required by environments/test_shared_store.py). Every wait is bounded.

Time: the memory log takes a clock, so its expiry is tested on a fake one; Redis expires keys on
the server's own clock, so for it the same test lets real seconds pass (`time_passes`), with
a keep time of a few seconds rather than minutes.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest

from helpers.web_app import events
from helpers.web_app.event_log import (LogFull, MemoryEventLog, SessionBusy, Silent, UnknownRun, follow,
                                       owner_digest)

WAIT = 5  # seconds any one step may take, at most


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


LOGS = ["memory", "redis"]


@pytest.fixture(params=LOGS)
def log_kind(request) -> str:
    return request.param


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def make_log(log_kind, clock, request):
    """Build a log of this kind (options as `MemoryEventLog` takes them); closes the Redis ones afterwards."""
    made = []

    def make(**options):
        if log_kind == "memory":
            return MemoryEventLog(clock=clock, **options)
        import redis.asyncio as redis

        from helpers.web_app.redis_event_log import RedisEventLog

        url = request.getfixturevalue("redis_url")
        prefix = f"test:{uuid.uuid4().hex}:"  # each log its own keys: run ids repeat between tests
        log = RedisEventLog(redis.Redis.from_url(url), prefix=prefix, **options)
        made.append(log)
        return log

    yield make
    for log in made:
        await log.aclose()


@pytest.fixture
def time_passes(log_kind, clock):
    """Let `seconds` pass for the log: the memory log's fake clock moves; Redis's clock is real, so we wait."""

    async def passes(seconds: float) -> None:
        if log_kind == "memory":
            clock.now += seconds
        else:
            await asyncio.sleep(seconds)

    return passes


async def filled(log, run_id: str = "run-1", n: int = 3, finish: bool = True, session: str = "session-1"):
    await log.open(run_id, owner_digest(session))
    for i in range(n):
        await log.append(run_id, events.token(f"t{i} "))
    if finish:
        await log.append(run_id, events.done())
        await log.finish(run_id)
    return log


async def test_events_are_numbered_from_one_and_read_after_any_id(make_log):
    log = make_log()
    await log.open("run-1", owner_digest("s"))
    ids = [await log.append("run-1", events.token(text)) for text in ["a", "b", "c"]]
    assert ids == [1, 2, 3]
    batch = await log.read("run-1", 1, wait=0)
    assert [(e.id, e.data["text"]) for e in batch.events] == [(2, "b"), (3, "c")]
    assert not batch.finished
    assert (await log.read("run-1", 0, wait=0, limit=2)).events[-1].id == 2, "at most `limit` events"


async def test_a_reader_waits_for_the_next_event_but_never_longer_than_it_said(make_log):
    log = make_log()
    await log.open("run-1", owner_digest("s"))
    nothing = await asyncio.wait_for(log.read("run-1", 0, wait=0.05), WAIT)
    assert nothing.events == [] and not nothing.finished

    reader = asyncio.create_task(log.read("run-1", 0, wait=3600))  # an hour: only the append can end it in time
    await asyncio.sleep(0.01)
    assert not reader.done(), "it waits for an event"
    await log.append("run-1", events.token("x"))
    batch = await asyncio.wait_for(reader, WAIT)
    assert [e.data for e in batch.events] == [{"text": "x"}]


async def test_follow_replays_then_follows_live_to_done_and_ends(make_log):
    log = await filled(make_log(), n=2, finish=False)
    seen = []

    async def reader():
        async for logged in follow(log, "run-1", after=1, heartbeat=WAIT, max_silence=WAIT):
            seen.append(logged)

    task = asyncio.create_task(reader())
    await asyncio.sleep(0.01)
    await log.append("run-1", events.token("live"))
    await log.append("run-1", events.done())
    await log.finish("run-1")
    await asyncio.wait_for(task, WAIT)
    assert [(e.id, e.type) for e in seen] == [(2, "token"), (3, "token"), (4, "done")]


async def test_follow_sends_heartbeats_while_nothing_happens_then_gives_up(make_log):
    log = await filled(make_log(), n=1, finish=False)
    seen = []
    with pytest.raises(Silent):
        async for logged in follow(log, "run-1", after=1, heartbeat=0.05, max_silence=0.3):
            seen.append(logged)
    assert seen and all(item is None for item in seen), seen
    assert 3 <= len(seen) <= 7, f"a heartbeat per 50 ms of silence, for 300 ms: {len(seen)}"


async def test_a_reader_that_stops_reading_never_stalls_the_run_or_another_reader(make_log):
    log = await filled(make_log(), n=1, finish=False)
    stalled = follow(log, "run-1", heartbeat=WAIT, max_silence=WAIT)
    assert (await anext(stalled)).id == 1  # then never read again

    async def produce():
        for i in range(2000):
            await log.append("run-1", events.token(str(i)))
        await log.append("run-1", events.done())
        await log.finish("run-1")

    await asyncio.wait_for(produce(), WAIT)
    other = [e.id async for e in follow(log, "run-1", heartbeat=WAIT, max_silence=WAIT)]
    assert other == list(range(1, 2003))
    await stalled.aclose()


async def test_a_finished_run_is_kept_for_keep_seconds_then_forgotten(make_log, time_passes):
    log = await filled(make_log(keep_seconds=3))
    await time_passes(1)
    assert (await log.info("run-1")).finished
    assert len((await log.read("run-1", 0, wait=0)).events) == 4
    await time_passes(2.5)
    assert await log.info("run-1") is None
    with pytest.raises(UnknownRun):
        await log.read("run-1", 0, wait=0)


async def test_over_the_memory_bound_the_runs_that_finished_first_go_first_and_running_runs_stay():
    """The memory log only: a Redis server's memory is bounded by its own `maxmemory` (CONTRIBUTING.md)."""
    clock = Clock()
    log = MemoryEventLog(max_bytes=700, clock=clock)
    await filled(log, "running", n=20, finish=False, session="s0")  # ~ 20 x 80 bytes, but running: never forgotten
    for n in range(1, 6):
        await filled(log, f"finished-{n}", n=2, session=f"s{n}")  # ~ 220 bytes each: three fit
        clock.now += 1
    kept = [run for run in ["running", *(f"finished-{n}" for n in range(1, 6))] if await log.info(run)]
    assert kept == ["running", "finished-3", "finished-4", "finished-5"], kept


async def test_a_run_past_its_event_bound_gets_log_full_but_can_still_end(make_log):
    log = make_log(max_events_per_run=10)
    await log.open("run-1", owner_digest("s"))
    for _ in range(8):
        await log.append("run-1", events.token("x"))
    with pytest.raises(LogFull):
        await log.append("run-1", events.token("one too many"))
    assert await log.append("run-1", events.error("too long")) == 9
    assert await log.append("run-1", events.done()) == 10


async def test_a_stop_reaches_whoever_waits_for_it_and_every_wait_ends(make_log):
    log = await filled(make_log(), n=1, finish=False)
    assert await asyncio.wait_for(log.stop_requested("run-1", wait=0.05), WAIT) is False
    waiter = asyncio.create_task(log.stop_requested("run-1", wait=WAIT))
    await asyncio.sleep(0.01)
    await log.request_stop("run-1")
    assert await asyncio.wait_for(waiter, WAIT) is True


async def test_the_log_keeps_a_digest_of_the_owner_never_the_session_id(make_log):
    log = await filled(make_log(), n=1)
    info = await log.info("run-1")
    assert info.owner == owner_digest("session-1") != "session-1"
    assert (info.last_id, info.finished) == (2, True)
    assert await log.info("no-such-run") is None


async def test_a_session_has_one_running_run_until_its_done_is_logged(make_log):
    log = make_log()
    await log.open("run-1", owner_digest("s"))
    with pytest.raises(SessionBusy):
        await log.open("run-2", owner_digest("s"))
    await log.open("run-3", owner_digest("another session"))  # nobody else is held up
    await log.append("run-1", events.token("x"))
    with pytest.raises(SessionBusy):
        await log.open("run-2", owner_digest("s"))
    await log.append("run-1", events.done())  # a client that has read `done` may ask again at once
    await log.open("run-2", owner_digest("s"))
    await log.finish("run-1")  # the end of an older run never frees the newer one's claim
    with pytest.raises(SessionBusy):
        await log.open("run-4", owner_digest("s"))
    await log.finish("run-2")  # a run's end frees its session too, `done` or not
    await log.open("run-4", owner_digest("s"))
