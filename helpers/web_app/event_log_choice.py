"""Which event log the web app's runs write to: `--events memory` (the default) or a `redis://` URL. Chapter 08.

One app process keeps its runs' events in memory (`MemoryEventLog`): only it can
serve a client that reconnects. Several processes behind one address share them in
Redis (`RedisEventLog`), and then one run per session holds across all of them. As
with `--store` (store.py), a value that is neither is refused at start-up with what is
accepted (`parse_events`), and a Redis that does not answer fails the start-up within
10 seconds rather than the first question. The `redis` package is imported only when
a `redis://` URL is given.
"""

from __future__ import annotations

from typing import Callable
from urllib.parse import urlsplit

from .event_log import EventLog

EVENTS_HELP = "`memory` (this process only) or a redis://[user:password@]host[:port][/db] URL (rediss:// for TLS)"


def parse_events(spec: str | None) -> str:
    """Read `--events`: "memory", or the Redis URL; raise `ValueError` saying what is accepted."""
    if spec is None:
        return "memory"
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError(f"events must be {EVENTS_HELP}; got {spec!r}")
    spec = spec.strip()
    if spec == "memory":
        return spec
    if not spec.startswith(("redis://", "rediss://")):
        raise ValueError(f"events must be {EVENTS_HELP}; got {spec!r}")
    url = urlsplit(spec)
    try:
        url.port  # noqa: B018 (raises for a port that is not a number)
    except ValueError:
        raise ValueError(f"events URL {describe(spec)!r} has a port that is not a number") from None
    if not url.hostname:
        raise ValueError(f"events URL {describe(spec)!r} names no host: e.g. redis://127.0.0.1:6379/0")
    if url.path.strip("/") and not url.path.strip("/").isdigit():
        raise ValueError(f"events URL {describe(spec)!r}: the path is a database number, e.g. /0")
    return spec


def describe(spec: str) -> str:
    """For messages and the start-up line: the URL without its password."""
    if spec == "memory":
        return "in memory (this process only)"
    return spec.split("://", 1)[0] + "://" + spec.split("@")[-1].split("://")[-1]


async def open_event_log(spec: str, in_memory: Callable[[], EventLog], *, keep_seconds: float) -> EventLog:
    """The log `spec` names (see `parse_events`), connected; `in_memory()` makes the memory one.

    Raises `EventLogUnavailable` (redis_event_log.py) when Redis cannot be reached in time.
    """
    if spec == "memory":
        return in_memory()
    from .redis_event_log import RedisEventLog

    return await RedisEventLog.connect(spec, keep_seconds=keep_seconds)


__all__ = ["EVENTS_HELP", "describe", "open_event_log", "parse_events"]
