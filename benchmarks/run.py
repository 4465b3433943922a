"""The benchmark's command line: `python -m benchmarks [--quick] [--out DIR]`.

Runs every benchmark module in turn (benchmarks/README.md lists them), prints one Markdown report
and writes it, with a PNG timeline, to `--out` (default build/benchmarks/). `--quick` is a smoke run
on small workloads, without the chapter suite.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import sys
import time
from pathlib import Path

from benchmarks import chapters as chapter_suite
from benchmarks import exercise_checks
from benchmarks import (
    attribution, concurrency, course_model_http, heavy_requests, report, scaling, web_app_cpu, web_app_load,
    web_app_profile, web_app_resume,
)
from benchmarks.paths import FULL_AGENT, LONG_AGENT_ANSWER, LONG_ANSWER, PATHS
from benchmarks.streaming import Plan, measure_streaming
from benchmarks.timeline import write_timeline

ROOT = Path(__file__).resolve().parent.parent
PACED = 0.02  # the course model's default: about one token every 20 ms


@dataclasses.dataclass(frozen=True)
class Settings:
    """Everything a run's size depends on; `--quick` shrinks it."""

    long_tokens: int = 1000
    zero_repeats_long: int = 10  # per path, interleaved; each run is compared with the floor's run beside it
    zero_repeats_agent: int = 10
    zero_repeats_long_agent: int = 10  # 0 skips the ~2,200-token final answer through the agent
    paced_repeats_long: int = 1
    paced_repeats_agent: int = 5
    streams: int = 100
    raw_tokens: int = 200  # per stream, server-only streams at delay 0
    paced_stream_tokens: int = 50  # per stream, the concurrent paced streams
    chapters: bool = True


QUICK = Settings(long_tokens=60, zero_repeats_long=2, zero_repeats_agent=2, zero_repeats_long_agent=0,
                 paced_repeats_agent=1,
                 raw_tokens=100, paced_stream_tokens=20, chapters=False)


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small smoke run (skips the chapter suite)")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "benchmarks",
                        help="where to write results.md and timeline.png (default: build/benchmarks/)")
    parser.add_argument("--chapters", action=argparse.BooleanOptionalAction, default=None,
                        help="time the chapter suite (default: yes, except with --quick)")
    return parser.parse_args(argv)


_STARTED = time.perf_counter()


def _step(message: str) -> None:
    print(f"[benchmark {time.perf_counter() - _STARTED:5.1f} s] {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    settings = QUICK if args.quick else Settings()
    if args.chapters is not None:
        settings = dataclasses.replace(settings, chapters=args.chapters)
    os.environ.pop("OPENAI_API_KEY", None)  # the course model only, whatever this shell has set
    started = time.perf_counter()

    long_answer = dataclasses.replace(LONG_ANSWER, max_tokens=settings.long_tokens)
    plan = Plan(
        paths=PATHS,
        delays=(0.0, PACED),
        workloads=(long_answer, FULL_AGENT, LONG_AGENT_ANSWER),
        repeats={
            (0.0, long_answer.name): settings.zero_repeats_long,
            (0.0, FULL_AGENT.name): settings.zero_repeats_agent,
            (0.0, LONG_AGENT_ANSWER.name): settings.zero_repeats_long_agent,
            (PACED, long_answer.name): settings.paced_repeats_long,
            (PACED, FULL_AGENT.name): settings.paced_repeats_agent,
            (PACED, LONG_AGENT_ANSWER.name): 0,
        },
    )
    _step(f"streaming: {len(plan.paths)} paths x {len(plan.workloads)} workloads x (delay 0, 20 ms) ...")
    streaming = measure_streaming(plan)

    _step(f"course model under load: {settings.streams} concurrent streams ...")
    load = [
        concurrency.raw_streams("server alone, 1 stream", 0.0, 1, settings.long_tokens),
        concurrency.raw_streams(f"server alone, {settings.streams} streams", 0.0, settings.streams,
                                settings.raw_tokens),
        concurrency.raw_streams(f"server alone, {settings.streams} paced streams", PACED, settings.streams,
                                settings.paced_stream_tokens),
        concurrency.sdk_streams(f"{settings.streams} openai SDK streams", PACED, settings.streams,
                                settings.paced_stream_tokens),
    ]

    _step("scaling: per token early vs late in a long answer, per call with 1 vs 20 turns of history ...")
    grows = scaling.measure_scaling(quick=args.quick)

    _step("course model HTTP: one stream alone, in-process vs own process, small request beside 60 KB ones ...")
    model_http = course_model_http.measure(quick=args.quick)

    _step("course model: a small question after 16 abandoned heavy requests, memory with 100 clients that never read ...")
    heavy = heavy_requests.measure(quick=args.quick)

    _step("web app under load: SSE clients, alone and beside a session flood and a huge body ...")
    web_app = web_app_load.measure(**(web_app_load.QUICK if args.quick else {}))

    _step("web app resume: clients each dropped once mid-answer, resuming with Last-Event-ID ...")
    resumed = web_app_resume.measure(**(web_app_resume.QUICK if args.quick else {}))

    _step("web app CPU: per agent question one at a time, and under load from 1 to 64 clients, the app on a core of its own ...")
    cpu_size = web_app_cpu.QUICK if args.quick else {}
    web_cpu = [web_app_cpu.measure(agent, **cpu_size) for agent in ("executor", "langchain")]

    _step("whose code spends the web app's CPU: the app under cProfile, by package ...")
    app_profiles = [web_app_profile.profile(delay, 4 if args.quick else web_app_profile.QUESTIONS)
                    for delay in (0.0, PACED)]

    _step("where the extra CPU goes: every path and the floor under cProfile, by package ...")
    runs = 1 if args.quick else 5
    attributed = [(workload, asyncio.run(attribution.attribute(workload, runs)))
                  for workload in (FULL_AGENT, long_answer)]

    chapters = checks = None
    if settings.chapters:
        _step("chapter suite: every chapters/*.ipynb in a fresh kernel ...")
        chapters = chapter_suite.time_suite()
        _step("exercise checks: every check on its starter and on its solution ...")
        checks = exercise_checks.time_all()

    tokens = {row.workload: row.tokens for row in streaming.rows}
    setting_lines = [
        f"Delays: 0 and {PACED * 1000:g} ms per token (course model in this process, 127.0.0.1)",
        *(f"Workload {report.describe_workload(w, tokens[w.name], streaming.model_calls[w.name])}"
          for w in plan.workloads if w.name in tokens),
        "Runs per path: " + ", ".join(f"{name} at {report.delay_label(delay)}: {n}"
                                      for (delay, name), n in plan.repeats.items() if n)
        + " (interleaved; tokens/s and TTFT are medians, latency percentiles pool every token)",
        f"Concurrency: {settings.streams} streams; raw socket readers and openai.AsyncOpenAI",
    ]
    found = report.targets(streaming.rows, PACED, load, chapters, streaming.ratios)
    markdown = report.render(settings=setting_lines, rows=streaming.rows, concurrency=load, chapters=chapters,
                             found=found, elapsed_s=time.perf_counter() - started, ratios=streaming.ratios,
                             extra=[scaling.render(grows)])
    if checks is not None:
        markdown += "\n\n" + exercise_checks.render(checks)
    markdown += "\n" + web_app_load.render(web_app)
    markdown += "\n" + web_app_resume.render(resumed)
    markdown += "\n\n" + course_model_http.render(model_http)
    markdown += "\n\n" + heavy_requests.render(heavy)
    markdown += "\n\n" + web_app_cpu.render(web_cpu)
    markdown += "".join("\n\n" + web_app_profile.render(app_profile) for app_profile in app_profiles)
    markdown += "\n\n## Where the extra CPU goes (cProfile, by package)\n\n" + "\n\n".join(
        attribution.render(workload, table) for workload, table in attributed)

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.md").write_text(markdown)
    first_run = {key: traces[0] for key, traces in streaming.traces.items()}
    write_timeline(
        args.out / "timeline.png",
        {path: trace for (delay, name, path), trace in first_run.items() if delay == PACED and name == long_answer.name},
        {path: trace for (delay, name, path), trace in first_run.items() if delay == PACED and name == FULL_AGENT.name},
        PACED, long_answer.name, FULL_AGENT.name,
    )
    print(markdown)
    _step(f"wrote {args.out / 'results.md'} and {args.out / 'timeline.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
