"""Chapter 05's web app: CPU per agent question, and the concurrency at which it fills one core.

The app is one process running one event loop, so one core is all it has: its
CPU time per question sets how many people it can serve at once. This measures
that the way `web_app_load` runs the app (`python -m helpers.web_app` in its own
process, the course model paced at 20 ms per token in another, as a real model
runs elsewhere), reading the app's CPU time from `/proc/<pid>/stat`. On a machine
with two or more CPUs the app gets one to itself (`taskset`); the course model
and the clients (this process) share the others, so they never take the app's core.

1. one at a time: `QUESTIONS` agent questions one after another, each in a new
   session; the app's CPU time (user + system, every thread) divided by them;
2. under load, for k in `LEVELS`: k clients each ask question after question
   (a new session each time) for `WINDOW_S` seconds, after a warm-up, the clients
   starting spread out so questions do not finish in waves. The app's CPU time
   over the window is the share of its core it used; questions finished in the
   window give the throughput and the time per question. The app "saturates its
   core" at the first k whose share reaches `SATURATED`; more clients then only
   wait longer. Each k gets a freshly started app (the session store is bounded).

Each client keeps one HTTP connection from its own loopback address: a new
httpx client per question would cost this process about 15 ms of CPU (its SSL
context), which slows the clients, not the app, and would make the app look idle.

`--app-root DIR` runs the app from another checkout (a separate course model still
comes from this one) for a before/after comparison: `git worktree add /tmp/before
<commit>`, then `python -m benchmarks.web_app_cpu --app-root /tmp/before`.
`--compare` measures only CPU per question, one at a time and at full load, for
several apps in interleaved rounds (separate runs differ by up to 15 % on a VM).
`--model-inside` lets the app start the course model itself, as it does for a learner
(the figures then include the model's CPU); `--delay` sets the model's pace.
`--plain-asyncio` hides uvloop and httptools from the app, so uvicorn serves it on
asyncio's own loop and h11, as before the course installed them: what they buy, or an
older checkout as it ran. The floor (the bare LangChain calls behind one question)
runs on the same loop and the same HTTP client as the app; in `--compare`, on the
app's core right after it, so each app's own work (its CPU beyond its floor) is
compared too. Every wait is bounded; nothing leaves loopback.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import contextlib
import itertools
import os
import shutil
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable, Iterator

import httpx

from helpers.web_app.app import model_http_client

from .paths import FULL_AGENT, run_floor
from .stats import percentile
from .streaming import make_llm
from .web_app_load import PACED, ROOT, TIMEOUT, Served, _client, offline_env, pointed_at, stream_problem

QUESTION = FULL_AGENT.question  # "What is ((1 + 2) * 3 - 4) ** 2?": five model calls, four tools, final_answer
QUESTIONS = 30
LEVELS = (1, 8, 16, 24, 32, 48, 64)
WINDOW_S = 10.0  # how long each level is measured, after the warm-up
WARM_UP_S = 4.0  # the clients start over the first STAGGER_S of it, and each finishes a question or two
STAGGER_S = 2.5
SATURATED = 0.95  # the share of its core at which the app counts as saturated
FULL_LOAD = 64  # clients for `--compare`'s "at full load"
QUICK = {"questions": 6, "levels": (1, 8), "window_s": 2.0}
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def uvloop_available() -> bool:
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return False
    return True


@contextlib.contextmanager
def plain_asyncio_path() -> Iterator[str]:
    """A folder for the front of `PYTHONPATH` whose `uvloop` and `httptools` fail to import, as when they are
    not installed: uvicorn's "auto" loop and HTTP parser then fall back to asyncio's loop and h11."""
    with tempfile.TemporaryDirectory(prefix="plain-asyncio-") as folder:
        for name in ("uvloop", "httptools"):
            Path(folder, f"{name}.py").write_text(f"raise ImportError('{name} hidden by benchmarks.web_app_cpu')\n")
        yield folder


def without_uvloop(env: dict[str, str], stack: contextlib.ExitStack) -> dict[str, str]:
    """`env` with `plain_asyncio_path()` first on `PYTHONPATH`; the folder goes when `stack` closes."""
    hidden = stack.enter_context(plain_asyncio_path())
    return dict(env, PYTHONPATH=os.pathsep.join([hidden, *filter(None, [env.get("PYTHONPATH")])]))


def cpu_seconds(pid: int) -> float:
    """The process's CPU time so far, user + system, all threads (`/proc/<pid>/stat` fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def core_split() -> tuple[set[int] | None, set[int] | None]:
    """(a CPU for the app, the CPUs for everything else), or (None, None) with fewer than two CPUs or no `taskset`."""
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if len(cpus) < 2 or shutil.which("taskset") is None:
        return None, None
    return {cpus[0]}, set(cpus[1:])


@contextlib.contextmanager
def running_on(cpus: set[int] | None) -> Iterator[None]:
    """This process (the clients and the floor) on `cpus` only, for the block; then where it was."""
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
    app_root: Path
    model_inside: bool
    delay: float
    questions: int
    cpu_ms_per_question: float  # one at a time
    seconds_per_question: float  # median, one at a time
    levels: list[Level]  # the load sweep
    floor_ms: float | None = None  # the bare LangChain calls behind one question, same pace (model apart only)
    loop: str = "asyncio"  # the event loop the app (and the floor) ran on: "uvloop" or "asyncio"
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
    """One question from `address`, alone: its time, or why it failed."""
    level = Level(1)
    async with _client(url, address) as client:
        await _ask_on(client, level)
    return level


def new_addresses() -> Iterator[str]:
    """A loopback address per client, none used twice in a run (up to 63,000): the app's per-client
    limits on requests and sessions then never refuse a question, however fast they come."""
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


async def _keep_busy(clients: int, window_s: float, keep_asking: Callable[[float, float, list[float]], Awaitable[None]],
                     cpu_now: Callable[[], float]) -> tuple[float, float]:
    """Run `clients` copies of `keep_asking(start_after, stop_at, window)`, started spread over `STAGGER_S`;
    after `WARM_UP_S`, measure `window_s` seconds, and return their (wall, CPU) seconds. `window` is
    [start, end] once the window is known, for the clients to count what finished inside it; the
    questions in flight then finish (bounded), and any client left is cancelled."""
    window: list[float] = []
    stop_at = time.perf_counter() + WARM_UP_S + window_s
    tasks = [asyncio.create_task(keep_asking(STAGGER_S * index / clients, stop_at, window))
             for index in range(clients)]
    try:
        await asyncio.sleep(WARM_UP_S)
        cpu, started = cpu_now(), time.perf_counter()
        window[:] = [started, started + window_s]
        await asyncio.sleep(window_s)
        wall_s, cpu_s = time.perf_counter() - started, cpu_now() - cpu
        await asyncio.wait_for(asyncio.gather(*tasks), TIMEOUT)  # the questions in flight finish
    finally:
        for task in tasks:
            task.cancel()
    return wall_s, cpu_s


def _inside(window: list[float]) -> bool:
    return len(window) == 2 and window[0] <= time.perf_counter() <= window[1]


async def under_load(url: str, pid: int, clients: int, window_s: float, addresses: Iterator[str]) -> Level:
    """`clients` clients each asking question after question; the app's CPU and the questions finished
    over `window_s` seconds after the warm-up. Each client keeps its connection and its address."""
    level = Level(clients)  # the questions finished in the window; the errors of all

    async def keep_asking(start_after: float, stop_at: float, window: list[float]) -> None:
        address = next(addresses)
        await asyncio.sleep(start_after)
        async with _client(url, address) as client:
            while time.perf_counter() < stop_at:
                done = Level(1)
                await _ask_on(client, done)
                if _inside(window):
                    level.seconds += done.seconds
                level.errors += done.errors

    level.wall_s, level.cpu_s = await _keep_busy(clients, window_s, keep_asking, lambda: cpu_seconds(pid))
    return level


@dataclass(frozen=True)
class Floor:
    """The bare LangChain calls behind one question (the benchmark's floor path: the executor's loop, each step
    a raw `llm.astream`), set up as an app runs them: on its event loop and its HTTP client."""

    loop: str  # "uvloop" or "asyncio"
    client: str  # "aiohttp" (the OpenAI SDK's `DefaultAioHttpClient`, this app's) or "httpx" (`httpx.AsyncClient()`)

    def __str__(self) -> str:
        return f"{self.loop}, {self.client}"


def floor_for(app_root: Path, plain_asyncio: bool) -> Floor:
    """The floor of the app in `app_root`: uvicorn's loop for it (uvloop unless hidden or not installed), its client."""
    return Floor("uvloop" if uvloop_available() and not plain_asyncio else "asyncio", app_http_client(app_root))


def app_http_client(app_root: Path) -> str:
    """The HTTP client a checkout's app opens for its model: "aiohttp" where the app names the OpenAI SDK's
    `DefaultAioHttpClient` (this checkout, see `helpers.web_app.app.model_http_client`), else "httpx"
    (before it, as at 064fa5a, the app opened `httpx.AsyncClient()`)."""
    source = (app_root / "helpers" / "web_app" / "app.py").read_text(encoding="utf-8")
    return "aiohttp" if "DefaultAioHttpClient" in source else "httpx"


def _open_http_client(client: str) -> Any:
    return model_http_client() if client == "aiohttp" else httpx.AsyncClient()


async def _floor_ms(base_url: str, questions: int, client: str) -> float:
    """CPU per question of the floor, one question after another, in this thread."""
    async with _open_http_client(client) as http:
        llm = make_llm(base_url, http_async_client=http)
        await run_floor(llm, FULL_AGENT)  # warm-up: imports, the first connection
        started = time.thread_time()
        for _ in range(questions):
            await run_floor(llm, FULL_AGENT)
    return (time.thread_time() - started) / questions * 1000


async def _floor_under_load_ms(base_url: str, client: str, clients: int, window_s: float) -> float:
    """CPU per question of the floor with `clients` questions always in flight, measured in this thread
    as `under_load` measures the app."""
    finished = 0

    async def keep_asking(start_after: float, stop_at: float, window: list[float]) -> None:
        nonlocal finished
        await asyncio.sleep(start_after)
        while time.perf_counter() < stop_at:
            await run_floor(llm, FULL_AGENT)
            finished += _inside(window)

    async with _open_http_client(client) as http:
        llm = make_llm(base_url, http_async_client=http)
        await run_floor(llm, FULL_AGENT)  # warm-up: imports, the first connection
        _, cpu_s = await _keep_busy(clients, window_s, keep_asking, time.thread_time)
    return cpu_s / finished * 1000 if finished else float("nan")


def _floor_round(floor: Floor, base_url: str, questions: int, clients: int, window_s: float,
                 cpus: set[int] | None) -> tuple[float, float]:
    """The floor one at a time and at full load, on its own event loop in this thread, pinned to `cpus`
    (the app's core: on Linux an affinity set with pid 0 is the calling thread's)."""
    if cpus:
        os.sched_setaffinity(0, cpus)
    return (_run_on(floor.loop, _floor_ms(base_url, questions, floor.client)),
            _run_on(floor.loop, _floor_under_load_ms(base_url, floor.client, clients, window_s)))


def _run_on(loop: str, coroutine: Any) -> Any:
    """Run `coroutine` on a new event loop of the kind `loop` names, as uvicorn would run the app."""
    if loop == "uvloop":
        import uvloop

        return uvloop.run(coroutine)
    return asyncio.run(coroutine)


def measure(agent: str = "executor", app_root: Path = ROOT, *, model_inside: bool = False, delay: float = PACED,
            questions: int = QUESTIONS, levels: tuple[int, ...] = LEVELS, window_s: float = WINDOW_S,
            plain_asyncio: bool = False) -> CpuResult:
    """`model_inside`: no `OPENAI_BASE_URL`, so the app starts the course model in its own process, as
    `python -m helpers.web_app` does for a learner; the CPU figures then include the model's.
    `plain_asyncio`: the app runs without uvloop and httptools (see `plain_asyncio_path`)."""
    env = offline_env()
    env["COURSE_MODEL_DELAY"] = str(delay)  # the pace of a course model the app starts itself
    args = [] if agent == "executor" else ["--agent", agent]  # an older app has only the executor
    floor = floor_for(app_root, plain_asyncio)
    app_cpus, other_cpus = core_split()
    floor_ms = None
    with contextlib.ExitStack() as stack:
        stack.enter_context(running_on(other_cpus))
        app_env = without_uvloop(env, stack) if plain_asyncio else dict(env)
        if not model_inside:
            model = stack.enter_context(Served("helpers.course_model", ["--delay", str(delay)], env, "/v1/models",
                                               cpus=other_cpus))
            app_env = pointed_at(model, app_env)
            floor_ms = _run_on(floor.loop, _floor_ms(f"{model.url}/v1", questions, floor.client))

        def serve() -> Served:  # a fresh app: the session store is bounded, and each level starts empty
            return Served("helpers.web_app", args, app_env, "/", cwd=app_root, cpus=app_cpus)

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

        one, levels_done = asyncio.run(run())
    if one.errors or any(level.errors for level in levels_done):
        raise RuntimeError(f"questions failed: {one.errors + [e for level in levels_done for e in level.errors]}")
    return CpuResult(agent, app_root, model_inside, delay, questions, one.cpu_ms_per_question,
                     statistics.median(one.seconds), levels_done, floor_ms, floor.loop, own_core=app_cpus is not None)


@dataclass
class Variant:
    """One app in a side-by-side comparison: a checkout, and whether uvloop and httptools are hidden from it."""

    label: str
    app_root: Path
    plain_asyncio: bool
    cpu_ms: list[float] = field(default_factory=list)  # CPU per question one at a time, one figure per round
    full_load_ms: list[float] = field(default_factory=list)  # CPU per question at full load, one per round
    floor_ms: list[float] = field(default_factory=list)  # its floor's, one at a time, one per round
    floor_full_load_ms: list[float] = field(default_factory=list)  # its floor's at full load, one per round

    @property
    def floor(self) -> Floor:
        """The bare LangChain calls this app makes, on its loop and HTTP client."""
        return floor_for(self.app_root, self.plain_asyncio)


def compare(variants: list[Variant], delay: float = PACED, rounds: int = 6, per_round: int = 6,
            window_s: float = WINDOW_S, full_load: int = FULL_LOAD) -> list[Variant]:
    """CPU per agent question of several apps side by side, against one course model in its own process;
    the comparison the issue's "down by a third" asks for. Each round starts every app afresh, in
    alternating order, so whatever else the machine does falls on all of them alike; each asks
    `per_round` questions one at a time, then runs `full_load` clients at once (`under_load`).
    Right after each app, its floor runs the same way on the app's core (`_floor_round`), so the
    app's own work (its CPU beyond its floor) is known round by round."""
    env = offline_env()
    app_cpus, other_cpus = core_split()
    with contextlib.ExitStack() as stack:
        stack.enter_context(running_on(other_cpus))
        model = stack.enter_context(Served("helpers.course_model", ["--delay", str(delay)], env, "/v1/models",
                                           cpus=other_cpus))
        app_envs = []
        for variant in variants:
            app_env = pointed_at(model, env)
            app_envs.append(without_uvloop(app_env, stack) if variant.plain_asyncio else app_env)

        async def run() -> None:
            addresses = new_addresses()
            pairs = list(zip(variants, app_envs))
            for index in range(rounds):
                for variant, app_env in pairs if index % 2 == 0 else pairs[::-1]:
                    with Served("helpers.web_app", [], app_env, "/", cwd=variant.app_root, cpus=app_cpus) as app:
                        await ask_one(app.url, next(addresses))  # warm-up: first imports, first connection
                        one = await one_at_a_time(app.url, app.process.pid, per_round, addresses)
                        loaded = await under_load(app.url, app.process.pid, full_load, window_s, addresses)
                    if one.errors or loaded.errors:
                        raise RuntimeError(f"{variant.label}: questions failed: {one.errors + loaded.errors}")
                    variant.cpu_ms.append(one.cpu_ms_per_question)
                    variant.full_load_ms.append(loaded.cpu_ms_per_question)
                    with concurrent.futures.ThreadPoolExecutor(1) as thread:  # a thread of its own, so its own loop
                        floor = await asyncio.wrap_future(thread.submit(
                            _floor_round, variant.floor, f"{model.url}/v1", per_round, full_load, window_s, app_cpus))
                    variant.floor_ms.append(floor[0])
                    variant.floor_full_load_ms.append(floor[1])

        asyncio.run(run())
    return variants


def render_comparison(variants: list[Variant], delay: float) -> str:
    base = variants[-1]
    pace = f"{delay * 1000:g} ms per token" if delay else "no delay"

    def cells(figures: list[float], base_figures: list[float]) -> str:
        if not figures:
            return "— | — | —"
        median = statistics.median(figures)
        return (f"{median:.0f} ms | {min(figures):.0f} – {max(figures):.0f} ms "
                f"| {median / statistics.median(base_figures):.2f}")

    def own(app: list[float], floor: list[float]) -> list[float]:
        return [total - bare for total, bare in zip(app, floor)]  # round by round

    lines = [f"## Web app: CPU per agent question, side by side ({pace})", "",
             f"`{QUESTION}` through `python -m helpers.web_app` (the executor), the course model in its own "
             f"process; {len(base.cpu_ms)} interleaved rounds, each app started afresh in each. One at a time: "
             f"questions one after another; at full load: {FULL_LOAD} clients asking question after question "
             "(the app's core saturated). Ratios are to the last row.", "",
             "| app | one at a time, median | min – max | ratio | at full load, median | min – max | ratio |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for variant in variants:
        lines.append(f"| {variant.label} | {cells(variant.cpu_ms, base.cpu_ms)} "
                     f"| {cells(variant.full_load_ms, base.full_load_ms)} |")
    if all(variant.floor_ms for variant in variants):
        lines += ["", "The app's own work: its CPU per question beyond its floor, the same five model calls with "
                      "no app around them, on the app's event loop and HTTP client, run right after the app in "
                      "each round, on the app's core, one at a time and with as many questions in flight as the "
                      "full load's clients (app minus floor, round by round; medians).", "",
                  "| app | floor on | floor, one at a time | app's own | min – max | ratio "
                  "| floor, full load | app's own | min – max | ratio |",
                  "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        base_own, base_own_loaded = own(base.cpu_ms, base.floor_ms), own(base.full_load_ms, base.floor_full_load_ms)
        for variant in variants:
            lines.append(f"| {variant.label} | {variant.floor} | {statistics.median(variant.floor_ms):.0f} ms "
                         f"| {cells(own(variant.cpu_ms, variant.floor_ms), base_own)} "
                         f"| {statistics.median(variant.floor_full_load_ms):.0f} ms "
                         f"| {cells(own(variant.full_load_ms, variant.floor_full_load_ms), base_own_loaded)} |")
    return "\n".join(lines)


def render(results: list[CpuResult]) -> str:
    levels = [level.clients for level in results[0].levels]
    lines = ["## Web app: CPU per agent question",
             "",
             f"`{QUESTION}` (five model calls) through `python -m helpers.web_app`; CPU is the app process's "
             "(all its threads, so also the course model's when the app runs it inside).",
             "",
             "| agent | app from | event loop | course model | CPU per question, one at a time "
             "| of which LangChain's calls (floor) | question alone | saturates its core at | most questions/s |",
             "| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: |"]
    for result in results:
        root = "this checkout" if result.app_root == ROOT else str(result.app_root)
        pace = f"{result.delay * 1000:g} ms/token" if result.delay else "no delay"
        model = f"inside the app, {pace}" if result.model_inside else f"own process, {pace}"
        floor = "—" if result.floor_ms is None else f"{result.floor_ms:.0f} ms"
        saturates = (f"{result.saturates_at} at once" if result.saturates_at is not None
                     else f"not reached at {max(levels)}")
        most = max((level.questions_per_s for level in result.levels), default=float("nan"))
        lines.append(f"| {result.agent} | {root} | {result.loop} | {model} | {result.cpu_ms_per_question:.0f} ms "
                     f"| {floor} | {result.seconds_per_question:.2f} s | {saturates} | {most:.1f} |")
    lines += ["", "Under load: k clients each asking question after question; for each k, the share of its core "
                  "the app used, questions finished per second, CPU per question, and the time per question "
                  "(median, p90).", "",
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
    lines += ["", own_core + " The floor: the same five model calls with no app around them (the benchmark's "
              "floor path, in the benchmark's own process, on the app's loop and HTTP client, against the same "
              "course model); the app's own work is the difference.",
              "", f"Resolution: the kernel's CPU clock ticks ({1000 // CLOCK_TICKS} ms). On a virtual machine "
                  "each wake-up from a timer or a socket can be charged 0.1–0.25 ms, so paced figures "
                  "(a wake-up per token) include that; the no-delay ones are the app's work alone. Under load "
                  "one wake-up serves many streams, so CPU per question falls as clients are added."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agent", action="append", choices=("executor", "langchain"),
                        help="which agent the app serves (repeatable; default: both)")
    parser.add_argument("--app-root", type=Path, default=ROOT, help="run the web app from this checkout")
    parser.add_argument("--model-inside", action="store_true",
                        help="let the app start the course model in its own process, as a learner runs it")
    parser.add_argument("--delay", type=float, default=PACED, help="the course model's seconds per token")
    parser.add_argument("--plain-asyncio", action="store_true",
                        help="hide uvloop and httptools from the app: asyncio's loop and h11, as before the course "
                             "installed them")
    parser.add_argument("--compare", action="store_true",
                        help="CPU per question only (one at a time and at full load), side by side: this checkout, "
                             "the same without uvloop and httptools, and --app-root's app (as it ran: asyncio's "
                             "loop) if given")
    parser.add_argument("--quick", action="store_true", help="a small smoke run")
    args = parser.parse_args(argv)
    if args.compare:
        if args.model_inside or args.agent or args.plain_asyncio:
            parser.error("--compare runs the executor's app, the course model in its own process, with and without "
                         "uvloop; it takes only --app-root, --delay and --quick")
        fast = "uvloop, httptools" if uvloop_available() else "uvloop is not installed here"
        variants = [Variant(f"this checkout ({fast})", ROOT, False),
                    Variant("this checkout, asyncio's loop and h11", ROOT, True)]
        if args.app_root != ROOT:
            variants.append(Variant(f"{args.app_root} (asyncio's loop and h11)", args.app_root, True))
        size = {"rounds": 1, "per_round": 2, "window_s": 2.0, "full_load": 8} if args.quick else {}
        print(render_comparison(compare(variants, args.delay, **size), args.delay))
        return
    agents = args.agent or (["executor"] if args.app_root != ROOT else ["executor", "langchain"])
    print(render([measure(agent, args.app_root, model_inside=args.model_inside, delay=args.delay,
                          plain_asyncio=args.plain_asyncio, **(QUICK if args.quick else {})) for agent in agents]))


if __name__ == "__main__":  # python -m benchmarks.web_app_cpu [--quick] [--compare] [--app-root DIR] [--agent NAME]
    main()
