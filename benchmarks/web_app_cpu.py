"""Chapter 05's web app: CPU per agent question, and the concurrency at which it fills one core.

The app is one process running one event loop, so one core is all it has: its
CPU time per question sets how many people it can serve at once. This measures
that the way `web_app_load` runs the app (`python -m helpers.web_app` in its own
process, the course model paced at 20 ms per token in another, as a real model
runs elsewhere), reading the app's CPU time from `/proc/<pid>/stat`:

1. CPU per question: `QUESTIONS` agent questions one after another, each in a
   new session, the app's CPU time (user + system, every thread) divided by them;
2. the concurrency sweep: k clients ask at once, for k in `LEVELS`; the app's
   CPU time over the round's wall time is the share of a core it used, which
   reaches 1.0 where the app saturates its core (the report gives each k's share
   and time per question, and the extrapolation question time ÷ CPU per question).

`--app-root DIR` runs the app from another checkout (a separate course model still
comes from this one) for a before/after comparison: `git worktree add /tmp/before
<commit>`, then `python -m benchmarks.web_app_cpu --app-root /tmp/before`.
`--model-inside` lets the app start the course model itself, as it does for a learner
(the figures then include the model's CPU); `--delay` sets the model's pace.
`--plain-asyncio` hides uvloop and httptools from the app, so uvicorn serves it on
asyncio's own loop and h11, as before the course installed them: what they buy, or an
older checkout as it ran. The floor runs on the same loop as the app. Every wait is
bounded; nothing leaves loopback.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from .paths import FULL_AGENT, run_floor
from .streaming import make_llm
from .web_app_load import PACED, ROOT, TIMEOUT, Served, _client, offline_env, stream_problem

QUESTION = FULL_AGENT.question  # "What is ((1 + 2) * 3 - 4) ** 2?": five model calls, four tools, final_answer
QUESTIONS = 30
LEVELS = (1, 4, 8, 16, 32, 64)
QUICK = {"questions": 6, "levels": (1, 8)}
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


@dataclass
class Level:
    """One round of `clients` questions asked at once."""

    clients: int
    wall_s: float = 0.0
    cpu_s: float = 0.0
    seconds: list[float] = field(default_factory=list)  # each question, request sent → `done`
    errors: list[str] = field(default_factory=list)

    @property
    def core_share(self) -> float:
        return self.cpu_s / self.wall_s if self.wall_s else float("nan")


@dataclass
class CpuResult:
    agent: str
    app_root: Path
    model_inside: bool
    delay: float
    questions: int
    cpu_ms_per_question: float
    seconds_per_question: float  # median, one at a time
    levels: list[Level]
    floor_ms: float | None = None  # the bare LangChain calls behind one question, same pace (model apart only)
    loop: str = "asyncio"  # the event loop the app (and the floor) ran on: "uvloop" or "asyncio"

    @property
    def saturates_at(self) -> float:
        """Questions in flight at which the app would use a whole core: question time ÷ CPU per question."""
        return self.seconds_per_question / (self.cpu_ms_per_question / 1000)


async def _ask(url: str, address: str, level: Level) -> None:
    """One client: a new session, one question, the whole SSE stream read; failures are counted, not raised."""
    async with _client(url, address) as client:
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
    await _ask(url, address, level)
    return level


def new_addresses() -> Iterator[str]:
    """A loopback address per question, none used twice in a run (up to 63,000): the app's per-client
    rate limit then never refuses a question, however fast they come."""
    for count in itertools.count():
        yield f"127.0.{3 + count // 250}.{count % 250 + 1}"


async def _round(url: str, pid: int, clients: int) -> Level:
    level = Level(clients)
    cpu, started = cpu_seconds(pid), time.perf_counter()
    # Each client from its own loopback address: the app bounds sessions and requests per address.
    await asyncio.gather(*(_ask(url, f"127.0.2.{index + 1}", level) for index in range(clients)))
    level.wall_s, level.cpu_s = time.perf_counter() - started, cpu_seconds(pid) - cpu
    return level


async def _measure(url: str, pid: int, questions: int, levels: tuple[int, ...]) -> tuple[Level, list[Level]]:
    await _round(url, pid, 2)  # warm-up: first imports, first connection to the model
    one_by_one = Level(1)
    for _ in range(questions):
        level = await _round(url, pid, 1)
        one_by_one.cpu_s += level.cpu_s
        one_by_one.wall_s += level.wall_s
        one_by_one.seconds += level.seconds
        one_by_one.errors += level.errors
    return one_by_one, [await _round(url, pid, clients) for clients in levels]


async def _floor_ms(base_url: str, questions: int) -> float:
    """CPU per question of the bare LangChain calls the app makes for `QUESTION` (the benchmark's floor path:
    the executor's loop, each step a raw `llm.astream`), in this process's event-loop thread."""
    llm = make_llm(base_url)
    await run_floor(llm, FULL_AGENT)  # warm-up: imports, the first connection
    started = time.thread_time()
    for _ in range(questions):
        await run_floor(llm, FULL_AGENT)
    return (time.thread_time() - started) / questions * 1000


def _run_on(loop: str, coroutine: Any) -> Any:
    """Run `coroutine` on a new event loop of the kind `loop` names, as uvicorn would run the app."""
    if loop == "uvloop":
        import uvloop

        return uvloop.run(coroutine)
    return asyncio.run(coroutine)


def measure(agent: str = "executor", app_root: Path = ROOT, *, model_inside: bool = False, delay: float = PACED,
            questions: int = QUESTIONS, levels: tuple[int, ...] = LEVELS, plain_asyncio: bool = False) -> CpuResult:
    """`model_inside`: no `OPENAI_BASE_URL`, so the app starts the course model in its own process, as
    `python -m helpers.web_app` does for a learner; the CPU figures then include the model's.
    `plain_asyncio`: the app runs without uvloop and httptools (see `plain_asyncio_path`)."""
    env = offline_env()
    env["COURSE_MODEL_DELAY"] = str(delay)  # the pace of a course model the app starts itself
    args = [] if agent == "executor" else ["--agent", agent]  # an older app has only the executor
    loop = "uvloop" if uvloop_available() and not plain_asyncio else "asyncio"
    floor_ms = None
    with contextlib.ExitStack() as stack:
        app_env = without_uvloop(env, stack) if plain_asyncio else dict(env)
        if not model_inside:
            model = stack.enter_context(Served("helpers.course_model", ["--delay", str(delay)], env, "/v1/models"))
            app_env.update(OPENAI_BASE_URL=f"{model.url}/v1", COURSE_MODEL="course-model")
            floor_ms = _run_on(loop, _floor_ms(f"{model.url}/v1", questions))
        app = stack.enter_context(Served("helpers.web_app", args, app_env, "/", cwd=app_root))
        one, levels_done = asyncio.run(_measure(app.url, app.process.pid, questions, levels))
    if one.errors or any(level.errors for level in levels_done):
        raise RuntimeError(f"questions failed: {one.errors + [e for level in levels_done for e in level.errors]}")
    return CpuResult(agent, app_root, model_inside, delay, questions, one.cpu_s / questions * 1000,
                     statistics.median(one.seconds), levels_done, floor_ms, loop)


@dataclass
class Variant:
    """One app in a side-by-side comparison: a checkout, and whether uvloop and httptools are hidden from it."""

    label: str
    app_root: Path
    plain_asyncio: bool
    cpu_ms: list[float] = field(default_factory=list)  # CPU per question, one figure per round


async def _compare_rounds(apps: list[tuple[Variant, Served]], rounds: int, per_round: int) -> None:
    """Round after round, each app answers `per_round` questions one at a time, in alternating order, so
    whatever else the machine does falls on all of them alike. Each question comes from a new loopback
    address (`new_addresses`)."""
    addresses = new_addresses()
    for variant, app in apps:  # warm-up: first imports, first connection to the model
        await ask_one(app.url, next(addresses))
    for index in range(rounds):
        for variant, app in apps if index % 2 == 0 else apps[::-1]:
            cpu, errors = cpu_seconds(app.process.pid), []
            for _ in range(per_round):
                errors += (await ask_one(app.url, next(addresses))).errors
            if errors:
                raise RuntimeError(f"{variant.label}: questions failed: {errors}")
            variant.cpu_ms.append((cpu_seconds(app.process.pid) - cpu) / per_round * 1000)


def compare(variants: list[Variant], delay: float = PACED, rounds: int = 10, per_round: int = 6) -> list[Variant]:
    """CPU per agent question of several apps side by side (interleaved rounds), against one course model in
    its own process; the comparison the issue's "down by a third" asks for."""
    env = offline_env()
    with contextlib.ExitStack() as stack:
        model = stack.enter_context(Served("helpers.course_model", ["--delay", str(delay)], env, "/v1/models"))
        apps = []
        for variant in variants:
            app_env = dict(env, OPENAI_BASE_URL=f"{model.url}/v1", COURSE_MODEL="course-model")
            if variant.plain_asyncio:
                app_env = without_uvloop(app_env, stack)
            apps.append((variant, stack.enter_context(Served("helpers.web_app", [], app_env, "/",
                                                             cwd=variant.app_root))))
        asyncio.run(_compare_rounds(apps, rounds, per_round))
    return variants


def render_comparison(variants: list[Variant], delay: float) -> str:
    base = variants[-1]
    pace = f"{delay * 1000:g} ms per token" if delay else "no delay"
    lines = [f"## Web app: CPU per agent question, side by side ({pace})", "",
             f"`{QUESTION}` through `python -m helpers.web_app` (the executor), the course model in its own "
             f"process; {len(base.cpu_ms)} interleaved rounds. Ratios are to the last row.", "",
             "| app | CPU per question, median | min – max of rounds | ratio |", "| --- | ---: | ---: | ---: |"]
    for variant in variants:
        median = statistics.median(variant.cpu_ms)
        lines.append(f"| {variant.label} | {median:.0f} ms | {min(variant.cpu_ms):.0f} – {max(variant.cpu_ms):.0f} ms "
                     f"| {median / statistics.median(base.cpu_ms):.2f} |")
    return "\n".join(lines)


def render(results: list[CpuResult]) -> str:
    levels = [level.clients for level in results[0].levels]
    lines = ["## Web app: CPU per agent question",
             "",
             f"`{QUESTION}` (five model calls) through `python -m helpers.web_app`; CPU is the app process's "
             "(all its threads, so also the course model's when the app runs it inside).",
             "",
             "| agent | app from | event loop | course model | CPU per question | of which LangChain's calls (floor) "
             "| question alone | saturates one core at | " + " | ".join(f"{clients} at once" for clients in levels) + " |",
             "| --- | --- | --- | --- | ---: | ---: | ---: | ---: |" + " ---: |" * len(levels)]
    for result in results:
        root = "this checkout" if result.app_root == ROOT else str(result.app_root)
        pace = f"{result.delay * 1000:g} ms/token" if result.delay else "no delay"
        model = f"inside the app, {pace}" if result.model_inside else f"own process, {pace}"
        cells = " | ".join(f"{level.core_share:.2f} core, {statistics.median(level.seconds):.2f} s"
                           for level in result.levels)
        floor = "—" if result.floor_ms is None else f"{result.floor_ms:.0f} ms"
        lines.append(f"| {result.agent} | {root} | {result.loop} | {model} | {result.cpu_ms_per_question:.0f} ms | {floor} | "
                     f"{result.seconds_per_question:.2f} s | ~{result.saturates_at:.0f} questions | {cells} |")
    lines += ["", "The floor: the same five model calls with no app around them (the benchmark's floor path, in the "
                  "benchmark's own process, against the same course model); the app's own work is the difference.",
              "", "\"k at once\": the share of one core the app used while k clients each asked once, and the "
                  "median time to `done`; \"saturates one core at\" extrapolates question time ÷ CPU per question. "
                  f"Resolution: the kernel's CPU clock ticks ({1000 // CLOCK_TICKS} ms). On a virtual machine "
                  "each wake-up from a timer or a socket can be charged 0.1–0.25 ms, so paced figures "
                  "(a wake-up per token) include that; the no-delay ones are the app's work alone."]
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
                        help="CPU per question only, side by side: this checkout, the same without uvloop and "
                             "httptools, and --app-root's app (as it ran: asyncio's loop) if given")
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
        size = {"rounds": 2, "per_round": 2} if args.quick else {}
        print(render_comparison(compare(variants, args.delay, **size), args.delay))
        return
    agents = args.agent or (["executor"] if args.app_root != ROOT else ["executor", "langchain"])
    print(render([measure(agent, args.app_root, model_inside=args.model_inside, delay=args.delay,
                          plain_asyncio=args.plain_asyncio, **(QUICK if args.quick else {})) for agent in agents]))


if __name__ == "__main__":  # python -m benchmarks.web_app_cpu [--quick] [--app-root DIR] [--agent NAME]
    main()
