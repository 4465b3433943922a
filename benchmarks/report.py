"""The Markdown report: machine, versions, settings, the measurements, and which targets are met.

Targets are judged as ratios or differences *within the same run*, never as
absolute times, so a slower or busier machine shifts every path alike.
"""

from __future__ import annotations

import os
import platform
import sys
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version

from .chapters import ChapterTime
from .concurrency import ConcurrencyResult
from .paths import PATH_LABELS, Workload
from .stats import FloorRatio, PathStats

CHAPTER_BUDGET_S = 60.0
ADDED_P99_BUDGET_MS = 1.0
THROUGHPUT_FLOOR_RATIO = 0.95  # median of the per-repetition ratios, delay 0
THROUGHPUT_PATHS = ("handler", "executor", "events", "create_agent")  # the paths the course teaches
MIN_CONCURRENT_STREAMS = 100
PACE_KEPT_RATIO = 0.90


@dataclass(frozen=True)
class Target:
    name: str
    measured: str
    met: bool


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    load = " / ".join(f"{value:.2f}" for value in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    return (f"{platform.platform()}, {os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()} "
            f"({sys.implementation.name}); load average 1/5/15 min at the end: {load}")


def versions() -> str:
    names = ("langchain-core", "langchain-openai", "openai", "httpx", "hands-on-langchain-streaming")
    found = []
    for name in names:
        try:
            found.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            found.append(f"{name} (not installed)")
    return ", ".join(found)


def delay_label(delay: float) -> str:
    return "0" if delay == 0 else f"{delay * 1000:g} ms"


def table(header: str, rows: list[str]) -> str:
    """A Markdown table: `header` is "| A | B |" with a `:` after a right-aligned name ("| A | B: |")."""
    names = [name.strip() for name in header.strip("| ").split(" | ")]
    rule = "| " + " | ".join("---:" if name.endswith(":") else "---" for name in names) + " |"
    return "\n".join(["| " + " | ".join(name.rstrip(":") for name in names) + " |", rule, *rows])


def streaming_table(rows: list[PathStats]) -> str:
    return table("| Workload | Delay | Path | Tokens: | Runs: | Tokens/s: | TTFT ms: | Added p50 ms: | Added p99 ms: "
                 "| Added max ms: | CPU µs/token: |",
                 [f"| {r.workload} | {delay_label(r.delay)} | {PATH_LABELS[r.path]} | {r.tokens} | {r.runs} "
                  f"| {r.tokens_per_s:,.0f} | {r.ttft_ms:.1f} | {r.added_p50_ms:.2f} | {r.added_p99_ms:.2f} "
                  f"| {r.added_max_ms:.2f} | {r.cpu_us_per_token:,.0f} |" for r in rows])


def concurrency_table(results: list[ConcurrencyResult]) -> str:
    return table("| Experiment | Client | Delay | Streams: | Tokens each: | Errors: | Peak concurrent: "
                 "| Server tokens/s: | Server tokens/s per stream: | Clients' tokens/s: |",
                 [f"| {r.label} | {r.client} | {delay_label(r.delay)} | {r.streams} | {r.tokens_per_stream} "
                  f"| {r.errors} | {r.peak_concurrent} | {r.server_tokens_per_s:,.0f} "
                  f"| {r.server_stream_tokens_per_s:,.1f} | {r.client_tokens_per_s:,.0f} |" for r in results])


def chapters_table(chapters: list[ChapterTime] | None) -> str:
    if chapters is None:
        return "Not measured in this run (`--quick` skips it; `--chapters` forces it)."
    if not chapters:
        return "No chapters yet (`chapters/*.ipynb` is empty): total 0.0 s."
    return table("| Chapter | Seconds: | Result |",
                 [f"| {c.name} | {c.seconds:.1f} | {c.error or 'ok'} |" for c in chapters]
                 + [f"| **all {len(chapters)}** | **{sum(c.seconds for c in chapters):.1f}** | |"])


def _row(rows: list[PathStats], workload: str, delay: float, path: str) -> PathStats | None:
    return next((r for r in rows if (r.workload, r.delay, r.path) == (workload, delay, path)), None)


def ratio_table(ratios: list[FloorRatio]) -> str:
    return table("| Workload | Delay | Path | Runs: | Tokens/s ÷ floor, median: | min: | max: "
                 "| CPU per token, floor ÷ path: |",
                 [f"| {r.workload} | {delay_label(r.delay)} | {PATH_LABELS[r.path]} | {r.runs} | {r.median:.2f} "
                  f"| {r.minimum:.2f} | {r.maximum:.2f} | {r.cpu_ratio:.2f} |" for r in ratios])


def targets(rows: list[PathStats], paced_delay: float, concurrency: list[ConcurrencyResult],
            chapters: list[ChapterTime] | None, ratios: list[FloorRatio] | None = None) -> list[Target]:
    found: list[Target] = []
    for workload in dict.fromkeys(r.workload for r in rows):
        for path in ("handler", "executor", "events", "create_agent"):
            floor, ours = _row(rows, workload, paced_delay, "floor"), _row(rows, workload, paced_delay, path)
            if floor and ours and path in ("handler", "executor"):
                extra = ours.added_p99_ms - floor.added_p99_ms
                found.append(Target(
                    f"{PATH_LABELS[path]} adds ≤ {ADDED_P99_BUDGET_MS:g} ms at p99 over the floor "
                    f"({workload}, {delay_label(paced_delay)})",
                    f"{ours.added_p99_ms:.2f} − {floor.added_p99_ms:.2f} = {extra:+.2f} ms "
                    f"(ratio {ours.added_p99_ms / floor.added_p99_ms:.2f})",
                    extra <= ADDED_P99_BUDGET_MS))
            ratio = next((r for r in ratios or () if (r.workload, r.delay, r.path) == (workload, 0, path)), None)
            if ratio is not None and path in THROUGHPUT_PATHS:
                found.append(Target(
                    f"{PATH_LABELS[path]} keeps ≥ {THROUGHPUT_FLOOR_RATIO:.0%} of the floor's tokens/s "
                    f"({workload}, delay 0, median of {ratio.runs} interleaved runs)",
                    f"median {ratio.median:.2f}, min {ratio.minimum:.2f} (by CPU per token: {ratio.cpu_ratio:.2f})",
                    ratio.median >= THROUGHPUT_FLOOR_RATIO))
    found += _model_targets(rows, concurrency)
    if chapters is not None:
        total = sum(c.seconds for c in chapters)
        failed = [c.name for c in chapters if c.error]
        found.append(Target(f"the chapter suite executes in < {CHAPTER_BUDGET_S:g} s",
                            f"{total:.1f} s for {len(chapters)} chapters"
                            + (f"; failed: {', '.join(failed)}" if failed else ""),
                            total < CHAPTER_BUDGET_S and not failed))
    return found


def _model_targets(rows: list[PathStats], concurrency: list[ConcurrencyResult]) -> list[Target]:
    found: list[Target] = []
    many = [r for r in concurrency if r.streams >= MIN_CONCURRENT_STREAMS]
    if many:
        errors = sum(r.errors for r in many)
        peak = max(r.peak_concurrent for r in many)
        found.append(Target(f"the course model serves ≥ {MIN_CONCURRENT_STREAMS} concurrent streams without errors",
                            f"{errors} errors in {sum(r.streams for r in many)} streams; "
                            f"peak {peak} streams written at once", errors == 0 and peak >= MIN_CONCURRENT_STREAMS))
    alone = [r for r in concurrency if r.client == "raw socket" and r.delay == 0 and r.streams == 1]
    fastest = max((r.tokens_per_s for r in rows if r.delay == 0), default=0.0)
    if alone and fastest:
        ratio = alone[0].server_tokens_per_s / fastest
        found.append(Target("the course model is not the bottleneck (its own tokens/s vs the fastest consumer's)",
                            f"{alone[0].server_tokens_per_s:,.0f} / {fastest:,.0f} = {ratio:.1f}×", ratio > 1))
    paced = [r for r in concurrency if r.client == "raw socket" and r.delay > 0]
    for r in paced:
        ratio = r.server_stream_tokens_per_s * r.delay
        found.append(Target(f"the course model keeps its {delay_label(r.delay)} pace ({r.label})",
                            f"{r.server_stream_tokens_per_s:.1f} tokens/s per stream of {1 / r.delay:.0f} "
                            f"= {ratio:.0%}", ratio >= PACE_KEPT_RATIO))
    return found


def targets_table(found: list[Target]) -> str:
    return table("| Target | Measured | Met |",
                 [f"| {t.name} | {t.measured} | {'met' if t.met else '**not met**'} |" for t in found])


def render(*, settings: list[str], rows: list[PathStats], concurrency: list[ConcurrencyResult],
           chapters: list[ChapterTime] | None, found: list[Target], elapsed_s: float,
           ratios: list[FloorRatio] | None = None, extra: list[str] = ()) -> str:
    """The whole report as Markdown."""
    return "\n\n".join([
        "# Streaming benchmark",
        f"- Machine: {machine()}\n- Versions: {versions()}\n" + "\n".join(f"- {line}" for line in settings)
        + f"\n- Whole benchmark: {elapsed_s:.0f} s",
        "## Tokens through each path",
        "Added latency = consumer received − course model wrote, per token. At delay 0 the server "
        "writes far ahead of every client, so it is mostly time queued in the socket (it grows with "
        "the token's index); per-token costs show at the paced delay. CPU µs/token is the event "
        "loop thread's CPU time per token: the client's own work, unaffected by other processes.",
        streaming_table(rows),
        "## Tokens/s against the floor, run by run",
        "Each run of a path is paired with the floor's run of the same repetition (runs are interleaved, "
        "so a pair shared the machine's state); the ratio of their tokens/s is taken per pair. "
        "CPU per token compares the event loop thread's CPU time, which other processes do not inflate.",
        ratio_table(ratios or []),
        *extra,
        "## The course model under load",
        concurrency_table(concurrency),
        "## Chapter suite (fresh kernel each, `COURSE_MODEL_DELAY=0`)",
        chapters_table(chapters),
        "## Targets",
        targets_table(found),
    ]) + "\n"


def describe_workload(workload: Workload, tokens: int, calls: int) -> str:
    shape = "tools bound, one tool step per call" if workload.with_tools else "one text answer"
    cap = f", capped at {workload.max_tokens} tokens" if workload.max_tokens else ""
    return f"{workload.name}: {workload.question!r} ({shape}{cap}): {tokens} tokens in {calls} model call(s)"
