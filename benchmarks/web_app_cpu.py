"""Chapter 05's web app: CPU per agent question, and the number of clients at which it fills one core.

The app is one process running one event loop, so one core is all it has: its CPU time
per question sets how many people it can serve at once. The app runs as a learner starts
it (`python -m helpers.web_app`), the course model paced in another process; the app's CPU
time is read from `/proc/<pid>/stat`. With two or more CPUs the app gets one to itself
(`taskset`) and the model and the clients (this process) share the others.

1. one at a time: `QUESTIONS` questions one after another, each from a new session;
2. under load, for k in `LEVELS`: k clients each ask question after question for `WINDOW_S`
   seconds after a warm-up (a fresh app per k: the session store is bounded). The app
   "saturates its core" at the first k whose share of the core reaches `SATURATED`.

Each client keeps one connection from its own loopback address (a new httpx client per
question costs this process ~15 ms of CPU and would starve the clients, not the app). The
floor is the same five model calls with no app around them, on the app's event loop and
HTTP client: what the app adds is the difference.

    python -m benchmarks.web_app_cpu [--agent executor|langchain] [--delay S] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import shutil
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import httpx

from helpers.web_app.app import model_http_client

from .paths import FULL_AGENT, run_floor
from .stats import percentile
from .streaming import make_llm
from .web_app_load import PACED, TIMEOUT, Served, _client, offline_env, pointed_at, stream_problem

QUESTION = FULL_AGENT.question  # five model calls: four tools, then final_answer
QUESTIONS = 30
LEVELS = (1, 8, 16, 24, 32, 48, 64)
WINDOW_S = 10.0  # how long each level is measured, after the warm-up
WARM_UP_S = 4.0  # the clients start over the first STAGGER_S of it, so questions do not finish in waves
STAGGER_S = 2.5
SATURATED = 0.95  # the share of its core at which the app counts as saturated
QUICK = {"questions": 6, "levels": (1, 8), "window_s": 2.0}
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """The process's CPU time so far, user + system, all threads (`/proc/<pid>/stat` fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def event_loop() -> str:
    """The loop uvicorn gives the app: uvloop when installed (the course installs it), else asyncio's."""
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return "asyncio"
    return "uvloop"


def core_split() -> tuple[set[int] | None, set[int] | None]:
    """(a CPU for the app, the CPUs for everything else), or (None, None) with fewer than two CPUs or no `taskset`."""
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if len(cpus) < 2 or shutil.which("taskset") is None:
        return None, None
    return {cpus[0]}, set(cpus[1:])


@contextlib.contextmanager
def running_on(cpus: set[int] | None) -> Iterator[None]:
    """This process (the clients and the floor) on `cpus` only, for the block."""
    if not cpus:
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, cpus)
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


@dataclass
class Level:
    """Questions asked from `clients` clients at once: one at a time (1), or a level of the load sweep."""

    clients: int
    wall_s: float = 0.0
    cpu_s: float = 0.0
    seconds: list[float] = field(default_factory=list)  # each question finished, request sent → `done`
    errors: list[str] = field(default_factory=list)

    @property
    def core_share(self) -> float:
        return self.cpu_s / self.wall_s if self.wall_s else float("nan")

    @property
    def cpu_ms_per_question(self) -> float:
        return self.cpu_s / len(self.seconds) * 1000 if self.seconds else float("nan")

    @property
    def questions_per_s(self) -> float:
        return len(self.seconds) / self.wall_s if self.wall_s else float("nan")


@dataclass
class CpuResult:
    agent: str
    delay: float
    cpu_ms_per_question: float  # one at a time
    seconds_per_question: float  # median, one at a time
    levels: list[Level]  # the load sweep
    floor_ms: float | None = None  # the bare LangChain calls behind one question
    loop: str = "asyncio"  # the event loop the app and the floor ran on
    own_core: bool = False  # whether the app had a CPU to itself

    @property
    def saturates_at(self) -> int | None:
        """The fewest clients at once at which the app used `SATURATED` of its core, or None if it never did."""
        return next((level.clients for level in self.levels if level.core_share >= SATURATED), None)


async def _ask_on(client: httpx.AsyncClient, level: Level) -> None:
    """A new session, one question, the whole SSE stream read; failures are counted in `level`, not raised."""
    try:
        async with asyncio.timeout(TIMEOUT):
            session = (await client.post("/api/sessions")).json()["session_id"]
            sent = time.perf_counter()
            body = bytearray()
            async with client.stream("POST", "/api/chat", json={"session_id": session, "message": QUESTION}) as r:
                if r.status_code != 200:
                    level.errors.append(f"HTTP {r.status_code}")
                    return
                async for chunk in r.aiter_raw():
                    body += chunk
    except Exception as error:  # noqa: BLE001 - a failed question is reported, the round goes on
        level.errors.append(type(error).__name__)
        return
    if problem := stream_problem(bytes(body)):
        level.errors.append(problem)
        return
    level.seconds.append(time.perf_counter() - sent)


async def ask_one(url: str, address: str) -> Level:
    level = Level(1)
    async with _client(url, address) as client:
        await _ask_on(client, level)
    return level


def new_addresses() -> Iterator[str]:
    """A loopback address per client, none used twice in a run, so the app's per-address limits never refuse one."""
    for count in itertools.count():
        yield f"127.0.{3 + count // 250}.{count % 250 + 1}"


async def one_at_a_time(url: str, pid: int, questions: int, addresses: Iterator[str]) -> Level:
    """`questions` questions one after another, each from a new address: the app's CPU per question."""
    level = Level(1)
    cpu, started = cpu_seconds(pid), time.perf_counter()
    for _ in range(questions):
        async with _client(url, next(addresses)) as client:
            await _ask_on(client, level)
    level.wall_s, level.cpu_s = time.perf_counter() - started, cpu_seconds(pid) - cpu
    return level


async def under_load(url: str, pid: int, clients: int, window_s: float, addresses: Iterator[str]) -> Level:
    """`clients` clients each asking question after question; the app's CPU and the questions finished
    over `window_s` seconds after the warm-up. The questions in flight then finish (bounded)."""
    level = Level(clients)
    window: list[float] = []
    stop_at = time.perf_counter() + WARM_UP_S + window_s

    async def keep_asking(start_after: float) -> None:
        address = next(addresses)
        await asyncio.sleep(start_after)
        async with _client(url, address) as client:
            while time.perf_counter() < stop_at:
                done = Level(1)
                await _ask_on(client, done)
                if window and window[0] <= time.perf_counter() <= window[1]:
                    level.seconds += done.seconds
                level.errors += done.errors

    tasks = [asyncio.create_task(keep_asking(STAGGER_S * index / clients)) for index in range(clients)]
    try:
        await asyncio.sleep(WARM_UP_S)
        cpu, started = cpu_seconds(pid), time.perf_counter()
        window[:] = [started, started + window_s]
        await asyncio.sleep(window_s)
        level.wall_s, level.cpu_s = time.perf_counter() - started, cpu_seconds(pid) - cpu
        await asyncio.wait_for(asyncio.gather(*tasks), TIMEOUT)
    finally:
        for task in tasks:
            task.cancel()
    return level


async def _floor_ms(base_url: str, questions: int) -> float:
    """CPU per question of the floor (this thread's), one question after another, on the app's HTTP client."""
    async with model_http_client() as http:
        llm = make_llm(base_url, http_async_client=http)
        await run_floor(llm, FULL_AGENT)  # warm-up: imports, the first connection
        started = time.thread_time()
        for _ in range(questions):
            await run_floor(llm, FULL_AGENT)
    return (time.thread_time() - started) / questions * 1000


def floor_ms(base_url: str, questions: int, loop: str) -> float:
    """`_floor_ms` on a new event loop of the kind the app runs on."""
    if loop == "uvloop":
        import uvloop

        return uvloop.run(_floor_ms(base_url, questions))
    return asyncio.run(_floor_ms(base_url, questions))


def measure(agent: str = "executor", *, delay: float = PACED, questions: int = QUESTIONS,
            levels: tuple[int, ...] = LEVELS, window_s: float = WINDOW_S) -> CpuResult:
    env = offline_env()
    args = [] if agent == "executor" else ["--agent", agent]
    app_cpus, other_cpus = core_split()
    with running_on(other_cpus), Served("helpers.course_model", ["--delay", str(delay)], env, "/v1/models",
                                        cpus=other_cpus) as model:
        app_env = pointed_at(model, env)
        floor = floor_ms(f"{model.url}/v1", questions, event_loop())

        def serve() -> Served:  # a fresh app: each level starts with an empty session store
            return Served("helpers.web_app", args, app_env, "/", cpus=app_cpus)

        async def run() -> tuple[Level, list[Level]]:
            addresses = new_addresses()
            with serve() as app:
                for _ in range(2):  # warm-up: first imports, first connection to the model
                    await ask_one(app.url, next(addresses))
                one = await one_at_a_time(app.url, app.process.pid, questions, addresses)
            swept = []
            for clients in levels:
                with serve() as app:
                    await ask_one(app.url, next(addresses))
                    swept.append(await under_load(app.url, app.process.pid, clients, window_s, addresses))
            return one, swept

        one, swept = asyncio.run(run())
    if errors := one.errors + [error for level in swept for error in level.errors]:
        raise RuntimeError(f"questions failed: {errors}")
    return CpuResult(agent, delay, one.cpu_ms_per_question, statistics.median(one.seconds), swept, floor,
                     event_loop(), own_core=app_cpus is not None)


def render(results: list[CpuResult]) -> str:
    levels = [level.clients for level in results[0].levels]
    pace = f"{results[0].delay * 1000:g} ms per token" if results[0].delay else "no delay"
    lines = ["## Web app: CPU per agent question", "",
             f"`{QUESTION}` (five model calls) through `python -m helpers.web_app`, the course model in its own "
             f"process ({pace}); CPU is the app process's, all its threads.", "",
             "| agent | event loop | CPU per question, one at a time | of which LangChain's calls (floor) "
             "| question alone | saturates its core at | most questions/s |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: |"]
    for result in results:
        floor = "—" if result.floor_ms is None else f"{result.floor_ms:.0f} ms"
        saturates = (f"{result.saturates_at} at once" if result.saturates_at is not None
                     else f"not reached at {max(levels)}")
        most = max((level.questions_per_s for level in result.levels), default=float("nan"))
        lines.append(f"| {result.agent} | {result.loop} | {result.cpu_ms_per_question:.0f} ms | {floor} "
                     f"| {result.seconds_per_question:.2f} s | {saturates} | {most:.1f} |")
    lines += ["", "Under load: k clients each asking question after question; for each k, the share of its core "
                  "the app used, questions finished per second, CPU per question, and the time per question "
                  "(median / p90).", "",
              "| agent | " + " | ".join(f"{clients} at once" for clients in levels) + " |",
              "| --- |" + " ---: |" * len(levels)]
    for result in results:
        cells = " | ".join(
            f"{level.core_share:.2f} core, {level.questions_per_s:.1f}/s, {level.cpu_ms_per_question:.0f} ms, "
            f"{statistics.median(level.seconds):.2f} s / {percentile(level.seconds, 90):.2f} s"
            if level.seconds else f"{level.core_share:.2f} core, none finished"
            for level in result.levels)
        lines.append(f"| {result.agent} | {cells} |")
    own_core = ("The app had a CPU to itself (`taskset`); the course model and the clients shared the others."
                if results[0].own_core else
                "The app shared the machine's CPUs with the course model and the clients (one CPU, or no `taskset`).")
    lines += ["", own_core + " The floor: the same five model calls with no app around them, in the benchmark's "
              "process, on the app's loop and HTTP client; the app's own work is the difference.", "",
              f"Resolution: the kernel's CPU clock ticks ({1000 // CLOCK_TICKS} ms). On a virtual machine each "
              "wake-up can be charged 0.1–0.25 ms, so paced figures (a wake-up per token) include that. Under "
              "load one wake-up serves many streams, so CPU per question falls as clients are added."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agent", action="append", choices=("executor", "langchain"),
                        help="which agent the app serves (repeatable; default: both)")
    parser.add_argument("--delay", type=float, default=PACED, help="the course model's seconds per token")
    parser.add_argument("--quick", action="store_true", help="a small smoke run")
    args = parser.parse_args(argv)
    size = QUICK if args.quick else {}
    print(render([measure(agent, delay=args.delay, **size) for agent in args.agent or ["executor", "langchain"]]))


if __name__ == "__main__":
    main()
