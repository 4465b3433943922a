"""Where each path's extra CPU goes: the profile behind "LangChain sets this limit".

`make bench` shows that some paths stay under 95 % of the floor's tokens/s. This
runs each path and the floor under `cProfile` on the same in-process course model
(zero delay), charges every function's own time to the package that defines it,
and prints, per token, how much more each package spends on the path than on the
floor. A builtin or a standard-library helper (`typing`, `inspect`, `uuid`, ...) is
charged to the package that called it. Our own code is `helpers` (and `benchmarks`, the harness); everything else
belongs to LangChain, LangGraph, the openai SDK, the HTTP stack or Python's asyncio.

The profiles run on the thread's CPU clock (`cpu_profile`), so the time this thread waits
while the course model's thread runs is nobody's. cProfile slows every function call by a
similar factor, so the absolute figures are about four times the real ones; the split
between packages is what this is for.

    python -m benchmarks.attribution                  # agent and long answer, every path
    python -m benchmarks.attribution --runs 3 --workload agent
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import time
from collections import Counter
from typing import Callable

from .paths import FULL_AGENT, LONG_ANSWER, RUNNERS, Workload
from .streaming import WARM_UP, make_llm
from .timed_server import TimedCourseModelServer

PATHS = ("handler", "executor", "events", "create_agent")
WORKLOADS = {"agent": FULL_AGENT, "long": LONG_ANSWER}
OWNERS = {  # the first matching path fragment names the owner
    "/helpers/": "ours (helpers)", "/benchmarks/": "ours (benchmark harness)",
    "/langgraph/": "LangGraph", "/langchain/": "LangChain (langchain)",
    "/langchain_core/": "LangChain (langchain-core)", "/langchain_openai/": "LangChain (langchain-openai)",
    "/httpx_aiohttp/": "HTTP client",  # before "/openai/": openai 3 vendors it (openai/_vendor/httpx_aiohttp)
    "/openai/": "openai SDK", "/anyio/": "HTTP client", "/h11/": "HTTP client",
    # httpx and httpcore, and the httpx2 / httpcore2 that openai 3 uses; aiohttp and its own packages
    # (the web app's client): path fragments, so "/httpx" matches both httpx and httpx2
    **dict.fromkeys(("/httpx", "/httpcore", "/aiohttp/", "/aiohappyeyeballs/", "/yarl/", "/multidict/",
                     "/propcache/", "/frozenlist/", "/aiosignal/"), "HTTP client"),
    "/pydantic": "pydantic", "/asyncio/": "asyncio", "/json/": "json",
}


UNOWNED = ("builtins (C)", "other Python")  # charged to their nearest caller that has an owner


def cpu_profile() -> cProfile.Profile:
    """A cProfile profiler on this thread's CPU clock (`time.thread_time`), not cProfile's default wall clock.

    On the wall clock a function is also charged for the time its thread waited: for the
    interpreter lock while the in-process course model's thread ran, or inside a system
    call. The web app's loopback `socket.send` took 20 ms of wall clock per paced question
    but 2 ms of CPU. Every figure here is CPU, so every profile runs on the CPU clock. Reading
    it is a system call, so code runs about four times slower under it than unprofiled (two
    on the wall clock); the split between packages is what the profiles are for.
    """
    return cProfile.Profile(time.thread_time)


def owner(filename: str) -> str:
    if filename.startswith("~") or filename.startswith("<"):
        return "builtins (C)"
    return next((name for fragment, name in OWNERS.items() if fragment in filename), "other Python")


def _owner_of_function(function: tuple[str, int, str]) -> str:
    return owner(function[0])


def by_nearest_owner(profile: cProfile.Profile | pstats.Stats | str,
                     owner_of: Callable[[tuple[str, int, str]], str] = _owner_of_function) -> Counter:
    """Own time (seconds) per owner, a builtin's or standard-library helper's charged to its nearest owned caller.

    Looking one caller up is not enough: code like `typing`'s, which calls itself many levels
    deep for the openai SDK, would stay "other Python". Here each unowned function's time
    is shared among its callers in proportion to the time each spent in it, up the call
    graph until an owned function is reached (a cycle of unowned functions stays unowned).
    """
    stats = (profile if isinstance(profile, pstats.Stats) else pstats.Stats(profile)).stats  # type: ignore[attr-defined]
    shares: dict[tuple[str, int, str], Counter] = {}
    visiting: set[tuple[str, int, str]] = set()

    def share(function: tuple[str, int, str]) -> Counter:
        name = owner_of(function)
        if name not in UNOWNED:
            return Counter({name: 1.0})
        if function in shares:
            return shares[function]
        result: Counter = Counter()
        if function not in visiting:
            visiting.add(function)
            callers = stats.get(function, (0, 0, 0, 0, {}))[4]
            weight = sum(cumulative for (_, _, _, cumulative) in callers.values())
            for caller, (_, _, _, cumulative) in callers.items():
                for owner_name, fraction in share(caller).items():
                    result[owner_name] += fraction * cumulative / weight if weight else 0.0
            visiting.discard(function)
        if sum(result.values()) < 0.999:  # no caller, a cycle, or time from callers it could not place
            result[name] += 1.0 - sum(result.values())
        shares[function] = result
        return result

    by_owner: Counter = Counter()
    for function, (_, _, own_time, _, _) in stats.items():
        for owner_name, fraction in share(function).items():
            by_owner[owner_name] += own_time * fraction
    return by_owner


async def attribute(workload: Workload, runs: int, paths: tuple[str, ...] = PATHS) -> dict[str, dict[str, float]]:
    """µs per token per owner: the floor's, then each path's extra over the floor.

    The runs are interleaved (floor, then each path, `runs` times), each path with a
    profiler of its own, so that a slow moment of the machine lands on all of them.
    """
    every = ("floor", *paths)
    profiles = {path: cpu_profile() for path in every}
    tokens = dict.fromkeys(every, 0)
    with TimedCourseModelServer(delay=0) as server:
        llm = make_llm(server.base_url)
        for path in every:  # warm-up: imports, connections, caches
            await RUNNERS[path](llm, WARM_UP)
            await RUNNERS[path](llm, workload)
        for _ in range(runs):
            for path in every:
                profiles[path].enable()
                trace = await RUNNERS[path](llm, workload)
                profiles[path].disable()
                tokens[path] += len(trace.received)
    spent = {path: by_nearest_owner(profiles[path]) for path in every}
    floor = {name: seconds / tokens["floor"] * 1e6 for name, seconds in spent["floor"].items()}
    table = {"floor": floor}
    for path in paths:
        table[path] = {name: spent[path][name] / tokens[path] * 1e6 - floor.get(name, 0.0)
                       for name in set(spent[path]) | set(floor)}
    return table


def render(workload: Workload, table: dict[str, dict[str, float]]) -> str:
    paths = [path for path in table if path != "floor"]
    owners = sorted(table["floor"].keys() | {name for path in paths for name in table[path]},
                    key=lambda name: -max(abs(table[path].get(name, 0.0)) for path in paths))
    lines = [f"### {workload.name}: µs of CPU per token under cProfile (floor), and each path's extra over it", "",
             "| owner | floor | " + " | ".join(f"+ {path}" for path in paths) + " |",
             "| --- | ---: |" + " ---: |" * len(paths)]
    for name in owners:
        cells = " | ".join(f"{table[path].get(name, 0.0):+.0f}" for path in paths)
        lines.append(f"| {name} | {table['floor'].get(name, 0.0):.0f} | {cells} |")
    totals = " | ".join(f"**{sum(table[path].values()):+.0f}**" for path in paths)
    lines.append(f"| **all** | **{sum(table['floor'].values()):.0f}** | {totals} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="profiled runs per path (default: %(default)s)")
    parser.add_argument("--workload", choices=tuple(WORKLOADS), action="append")
    args = parser.parse_args(argv)
    for name in args.workload or list(WORKLOADS):
        print(render(WORKLOADS[name], asyncio.run(attribute(WORKLOADS[name], args.runs))), end="\n\n")


if __name__ == "__main__":  # python -m benchmarks.attribution [--runs N] [--workload agent|long]
    main()
