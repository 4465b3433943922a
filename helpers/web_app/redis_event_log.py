"""Runs' event logs in Redis streams, shared by every app process: `--events redis://...`. Taught in chapter 08.

`MemoryEventLog` (event_log.py) keeps a run's events in the process that runs it,
so only that process can serve a client that reconnects. Behind a load balancer
the reconnect may reach another process; with the logs in Redis any process can
serve it. Each run has, under `run:{id}:`,

- `events`: a Redis stream, entry ids `0-1`, `0-2`, ... = the events' ids, so
  `XRANGE (0-N` is "the events after N" and `XREAD BLOCK` waits (bounded) for the next;
- `meta`: a hash with the owner digest, the last id and whether the run is over;
- `lease`: a key with a short time to live, renewed by the process that runs the
  run (every `lease_seconds / 3`). If that process dies (SIGKILL, a lost machine),
  the lease lapses; the first reader that finds an unfinished run without a lease
  appends an `error` event and `done` and marks the run over, in one Lua script, so
  every reader, on any process, gets the same clear ending with the next ids;
- `stop`: a list `request_stop` pushes to, which the running process waits on.

and each session with a run going has a claim, `{claims_prefix}{owner}` = the run's id:
set in the same script that opens the run (`SET NX`: of two processes asked at once, one
gets it, the other raises `SessionBusy`), renewed with the lease, released when the run
logs `done` or is finished (only if it still holds it). A killed process's claim lapses
with its lease, or sooner, when a reader ends its run.

Every key expires: `keep_seconds` after the run finished, and a run's keys are
renewed with its lease while it runs. Appending is one Lua script (next id, add,
renew), so ids stay consecutive whatever the number of writers. The `redis`
package is imported only when this log is used (`pip install '...[scale-out]'`).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from .event_log import (KEEP_SECONDS, MAX_EVENTS_PER_RUN, READ_LIMIT, Batch, LogFull, LoggedEvent, RunInfo, SessionBusy,
                        UnknownRun)
from .events import Event

CONNECT_TIMEOUT = 10.0  # seconds for Redis to answer at start-up
LEASE_SECONDS = 5.0  # a run whose process has not renewed its lease for this long is taken as dead
DIED_MESSAGE = ("The server answering this question stopped before the answer was complete. "
                "Ask again: the conversation keeps every turn that was answered in full.")

# KEYS: meta, lease, claim. ARGV: owner, run id, running ttl ms, lease ms. -> 1, or an error.
OPEN = """
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.error_reply('EXISTS') end
if redis.call('SET', KEYS[3], ARGV[2], 'NX', 'PX', ARGV[4]) == false then return redis.error_reply('BUSY') end
redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'last', 0, 'finished', 0)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('SET', KEYS[2], '1', 'PX', ARGV[4])
return 1
"""

# KEYS: claim. ARGV: run id. Deletes the session's claim only if this run holds it.
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
"""

# KEYS: meta, events, lease, claim. ARGV: payload, max events, ttl ms, ending?, done?, run id.
# -> the new id, or an error.
APPEND = """
if redis.call('EXISTS', KEYS[1]) == 0 then return redis.error_reply('UNKNOWN') end
if redis.call('HGET', KEYS[1], 'finished') == '1' then return redis.error_reply('FINISHED') end
local last = tonumber(redis.call('HGET', KEYS[1], 'last'))
local ending = ARGV[4] == '1'
if last >= tonumber(ARGV[2]) - (ending and 0 or 2) then return redis.error_reply('FULL') end
local n = redis.call('HINCRBY', KEYS[1], 'last', 1)
redis.call('XADD', KEYS[2], '0-' .. n, 'e', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
if ARGV[5] == '1' and redis.call('GET', KEYS[4]) == ARGV[6] then redis.call('DEL', KEYS[4]) end
return n
"""

# KEYS: meta, events, lease, claim. ARGV: error payload, done payload, keep ms, run id.
# -> 1 if this call ended the run.
END_IF_ABANDONED = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if redis.call('HGET', KEYS[1], 'finished') == '1' then return 0 end
if redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
local n = redis.call('HINCRBY', KEYS[1], 'last', 1)
redis.call('XADD', KEYS[2], '0-' .. n, 'e', ARGV[1])
n = redis.call('HINCRBY', KEYS[1], 'last', 1)
redis.call('XADD', KEYS[2], '0-' .. n, 'e', ARGV[2])
redis.call('HSET', KEYS[1], 'finished', '1')
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
if redis.call('GET', KEYS[4]) == ARGV[4] then redis.call('DEL', KEYS[4]) end
return 1
"""


def _payload(event: Event) -> str:
    return json.dumps({"type": event.type, "data": event.data}, ensure_ascii=False)


class EventLogUnavailable(RuntimeError):
    """The Redis event log cannot be used: the message says where and why."""


class RedisEventLog:
    """`EventLog` on a Redis server, for several app processes. Open with `await RedisEventLog.connect(url)`.

    `prefix` starts every run's keys, `claims_prefix` every session's claim (two apps, or two
    tests, on one server keep apart by choosing their own).
    """

    def __init__(self, client: Any, *, keep_seconds: float = KEEP_SECONDS, lease_seconds: float = LEASE_SECONDS,
                 max_events_per_run: int = MAX_EVENTS_PER_RUN, prefix: str = "course:run:",
                 claims_prefix: str | None = None) -> None:
        if keep_seconds <= 0 or lease_seconds <= 0 or max_events_per_run < 3:
            raise ValueError("keep_seconds and lease_seconds must be positive, max_events_per_run at least 3")
        self.redis, self.keep_seconds, self.lease_seconds = client, keep_seconds, lease_seconds
        self.max_events_per_run, self.prefix = max_events_per_run, prefix
        self.claims_prefix = claims_prefix if claims_prefix is not None else prefix + "session:"
        self._open = client.register_script(OPEN)
        self._release = client.register_script(RELEASE)
        self._append = client.register_script(APPEND)
        self._end_if_abandoned = client.register_script(END_IF_ABANDONED)
        self._mine: dict[str, str] = {}  # runs this process runs, and their owners: leases are renewed here
        self._claiming: set[str] = set()  # those of them whose session claim is renewed too (no `done` yet)
        self._renewer: asyncio.Task | None = None

    @classmethod
    async def connect(cls, url: str, *, timeout: float = CONNECT_TIMEOUT, **options: Any) -> "RedisEventLog":
        """Connect to `url` (redis://host:port/db) and check it answers, within `timeout` seconds."""
        where = url.split("@")[-1]  # never a password
        try:
            import redis.asyncio as redis
        except ImportError as error:
            raise EventLogUnavailable("--events redis://... needs the redis package: "
                                      "pip install 'hands-on-langchain-streaming[scale-out]'") from error
        lease = options.get("lease_seconds", LEASE_SECONDS)
        try:  # a command waits at most a lease (see `read`) plus a margin: a Redis that hangs is noticed
            client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=lease + timeout)
        except ValueError as error:
            raise EventLogUnavailable(f"the Redis event log's URL {where} is malformed: {error}") from error
        try:
            await asyncio.wait_for(client.ping(), timeout)
        except (OSError, TimeoutError, redis.RedisError) as error:
            await client.aclose()
            raise EventLogUnavailable(f"cannot reach the Redis event log at {where}: "
                                      f"{error or type(error).__name__}") from error
        return cls(client, **options)

    def _keys(self, run_id: str) -> list[str]:
        base = f"{self.prefix}{run_id}:"
        return [base + "meta", base + "events", base + "lease", base + "stop"]

    def _claim(self, owner: str) -> str:
        return f"{self.claims_prefix}{owner}"

    def _running_ttl_ms(self) -> int:
        # While running, keys live as long as the lease could be renewed, plus the time kept after the end.
        return int((self.lease_seconds + self.keep_seconds) * 1000)

    async def open(self, run_id: str, owner: str) -> None:
        import redis

        meta, events, lease, _ = self._keys(run_id)
        try:
            await self._open(keys=[meta, lease, self._claim(owner)],
                             args=[owner, run_id, self._running_ttl_ms(), int(self.lease_seconds * 1000)])
        except redis.ResponseError as error:
            if "BUSY" in str(error):
                raise SessionBusy("this session is still answering its last question") from None
            if "EXISTS" in str(error):
                raise ValueError(f"run {run_id!r} already has a log") from None
            raise
        self._mine[run_id] = owner
        self._claiming.add(run_id)
        if self._renewer is None or self._renewer.done():
            self._renewer = asyncio.create_task(self._renew_leases(), name="redis-event-log-leases")

    async def append(self, run_id: str, event: Event) -> int:
        import redis

        meta, events, lease, _ = self._keys(run_id)
        owner = self._mine.get(run_id) or (await self.info(run_id) or RunInfo("", 0, False)).owner
        try:
            new_id = int(await self._append(
                keys=[meta, events, lease, self._claim(owner)],
                args=[_payload(event), self.max_events_per_run, self._running_ttl_ms(),
                      "1" if event.type in ("error", "done") else "0", "1" if event.type == "done" else "0", run_id]))
        except redis.ResponseError as error:
            reason = str(error)
            if "UNKNOWN" in reason:
                raise UnknownRun(run_id) from None
            if "FULL" in reason:
                raise LogFull(f"run {run_id!r} has sent the most events one log keeps") from None
            if "FINISHED" in reason:
                raise ValueError(f"run {run_id!r} is over: its log takes no more events") from None
            raise
        if event.type == "done":
            self._claiming.discard(run_id)  # released with it: renewing it now could extend a later run's claim
        return new_id

    async def read(self, run_id: str, after: int, *, wait: float, limit: int = READ_LIMIT) -> Batch:
        meta, events, lease, _ = self._keys(run_id)
        start = max(after, 0)
        entries = await self.redis.xrange(events, min=f"(0-{start}", count=max(limit, 1)) if start else \
            await self.redis.xrange(events, count=max(limit, 1))
        info = await self.info(run_id)
        if info is None:
            raise UnknownRun(run_id)
        if not entries and not info.finished and wait > 0:
            # Wait for the next event in steps of at most a lease, checking the lease between them,
            # so a run whose process died is noticed (and ended) within a lease, however long `wait`.
            loop = asyncio.get_running_loop()
            deadline = loop.time() + wait
            while not entries and (remaining := deadline - loop.time()) > 0:
                if not await self.redis.exists(lease):
                    await self._end_abandoned(run_id, info.owner)  # its process died: the run ends here, with an error
                    break
                found = await self.redis.xread({events: f"0-{start}"}, count=max(limit, 1),
                                               block=max(int(min(remaining, self.lease_seconds) * 1000), 1))
                entries = found[0][1] if found else []
                if not entries and (now := await self.info(run_id)) is not None and now.finished:
                    break  # finished with nothing more (a `finish` without a last event)
            info = await self.info(run_id)
            if info is None:
                raise UnknownRun(run_id)
            if not entries:
                entries = await self.redis.xrange(events, min=f"(0-{start}", count=max(limit, 1))
        logged = [self._logged(entry_id, fields) for entry_id, fields in entries]
        last_read = logged[-1].id if logged else start
        return Batch(logged, info.finished and last_read >= info.last_id)

    async def _end_abandoned(self, run_id: str, owner: str) -> None:
        from .events import done

        meta, events, lease, _ = self._keys(run_id)
        error = Event("error", {"message": DIED_MESSAGE})
        await self._end_if_abandoned(keys=[meta, events, lease, self._claim(owner)],
                                     args=[_payload(error), _payload(done()), int(self.keep_seconds * 1000), run_id])

    @staticmethod
    def _logged(entry_id: bytes | str, fields: dict) -> LoggedEvent:
        entry_id = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
        payload = fields.get(b"e", fields.get("e"))
        data = json.loads(payload)
        return LoggedEvent(int(entry_id.split("-")[1]), data["type"], data["data"])

    async def finish(self, run_id: str) -> None:
        meta, events, lease, stop = self._keys(run_id)
        owner = self._mine.pop(run_id, None)
        self._claiming.discard(run_id)
        if owner is None:
            info = await self.info(run_id)
            if info is None:
                return
            owner = info.owner
        keep = int(self.keep_seconds * 1000)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(meta, "finished", 1)
            pipe.pexpire(meta, keep)
            pipe.pexpire(events, keep)
            pipe.delete(lease, stop)
            await pipe.execute()
        await self._release(keys=[self._claim(owner)], args=[run_id])

    async def info(self, run_id: str) -> RunInfo | None:
        meta = self._keys(run_id)[0]
        values = await self.redis.hgetall(meta)
        if not values or b"owner" not in values:
            return None
        return RunInfo(values[b"owner"].decode(), int(values.get(b"last", 0)), values.get(b"finished") == b"1")

    async def request_stop(self, run_id: str) -> None:
        info = await self.info(run_id)
        if info is not None and not info.finished:
            stop = self._keys(run_id)[3]
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.rpush(stop, "1")
                pipe.pexpire(stop, self._running_ttl_ms())
                await pipe.execute()

    async def stop_requested(self, run_id: str, *, wait: float) -> bool:
        stop = self._keys(run_id)[3]
        if await self.redis.llen(stop):
            return True
        if wait <= 0:
            return False
        # BLMOVE back onto the same list: waits (bounded, at most a lease a time) without consuming the request.
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while (remaining := deadline - loop.time()) > 0:
            if await self.redis.blmove(stop, stop, max(min(remaining, self.lease_seconds), 0.001)) is not None:
                return True
        return False

    async def _renew_leases(self) -> None:
        """Renew the lease (and keys) of every run this process runs, `lease_seconds / 3` apart."""
        while self._mine:
            await asyncio.sleep(self.lease_seconds / 3)
            runs = list(self._mine.items())
            try:
                async with self.redis.pipeline(transaction=False) as pipe:
                    for run_id, owner in runs:
                        meta, events, lease, _ = self._keys(run_id)
                        pipe.set(lease, "1", px=int(self.lease_seconds * 1000))
                        pipe.pexpire(meta, self._running_ttl_ms())
                        pipe.pexpire(events, self._running_ttl_ms())
                        if run_id in self._claiming:
                            pipe.pexpire(self._claim(owner), int(self.lease_seconds * 1000))
                    await pipe.execute()
            except Exception:  # Redis unreachable for a moment: try again at the next beat
                continue

    async def aclose(self) -> None:
        if self._renewer is not None:
            self._renewer.cancel()
            await asyncio.wait({self._renewer}, timeout=5)
        await self.redis.aclose()


__all__ = ["EventLogUnavailable", "RedisEventLog"]
