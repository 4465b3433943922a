"""Run every path on every workload at every delay, interleaved, and keep the traces.

Runs are interleaved (path order rotates each repetition) so that a slow moment
of a shared machine does not land on one path only. Each delay gets its own
server and its own `ChatOpenAI`, warmed up first, so no path pays for the first
connection or the first import.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from langchain_openai import ChatOpenAI

from helpers.course_model import MODEL_NAME

from .paths import PATHS, Trace, Workload, measure
from .stats import FloorRatio, PathStats, floor_ratios, summarize
from .timed_server import TimedCourseModelServer

WARM_UP = Workload("warm-up", "What is 1 + 1?", with_tools=True)


@dataclass(frozen=True)
class Plan:
    """What to run: the delays, the workloads, and how many repetitions of each."""

    delays: tuple[float, ...]
    workloads: tuple[Workload, ...]
    repeats: dict[tuple[float, str], int]  # (delay, workload name) -> runs per path; default 1, 0 skips
    paths: tuple[str, ...] = PATHS

    def runs(self, delay: float, workload: Workload) -> int:
        return self.repeats.get((delay, workload.name), 1)


@dataclass
class StreamingResults:
    rows: list[PathStats] = field(default_factory=list)
    traces: dict[tuple[float, str, str], list[Trace]] = field(default_factory=dict)  # (delay, workload, path)
    model_calls: dict[str, int] = field(default_factory=dict)  # workload name -> model calls per run
    ratios: list[FloorRatio] = field(default_factory=list)  # every path but the floor, per (delay, workload)


def make_llm(base_url: str, http_async_client: Any = None) -> ChatOpenAI:
    """A `ChatOpenAI` on the course model, set up as the chapters set it up (`http_async_client`: as the
    web app sets it up, on the HTTP client it opened)."""
    return ChatOpenAI(model=MODEL_NAME, base_url=base_url, api_key="course-model-needs-no-key",
                      temperature=0.0, stream_usage=True, max_retries=0, timeout=60,
                      http_async_client=http_async_client)


async def _measure_delay(delay: float, plan: Plan, results: StreamingResults) -> None:
    with TimedCourseModelServer(delay=delay) as server:
        llm = make_llm(server.base_url)
        for path in plan.paths if delay == 0 else plan.paths[:1]:
            await measure(path, llm, WARM_UP, server.write_log)
        for workload in plan.workloads:
            if plan.runs(delay, workload) == 0:
                continue
            names = plan.paths
            traces: dict[str, list[Trace]] = {path: [] for path in names}
            for repeat in range(plan.runs(delay, workload)):
                order = names[repeat % len(names):] + names[:repeat % len(names)]
                for path in order:
                    traces[path].append(await measure(path, llm, workload, server.write_log))
                    results.model_calls[workload.name] = len(server.write_log.stream_token_times())
            for path in names:
                results.traces[(delay, workload.name, path)] = traces[path]
                results.rows.append(summarize(workload.name, delay, traces[path]))
                if path != "floor" and "floor" in traces:
                    results.ratios.append(floor_ratios(workload.name, delay, path, traces[path], traces["floor"]))


def measure_streaming(plan: Plan) -> StreamingResults:
    """Every (delay, workload, path) combination of `plan`; raises if any path loses a token."""
    results = StreamingResults()
    for delay in plan.delays:
        asyncio.run(_measure_delay(delay, plan, results))
    return results
