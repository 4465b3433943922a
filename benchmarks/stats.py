"""Turn traces into the numbers the issue asks for: tokens/s, time to first token, added latency.

Added latency of a token = when the consumer received it − when the course model
wrote it. Both are `time.perf_counter()` readings in one process, matched in
order within a run. At zero delay the server writes far faster than any client
reads, so "added latency" there is mostly waiting in the socket buffer (it grows
with the token's index); the per-token cost of a pipeline shows at the paced delay.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from .paths import Trace


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0–100) with linear interpolation; `values` need not be sorted."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class PathStats:
    """One row of the table: one path on one workload at one delay, over one or more runs."""

    workload: str
    delay: float
    path: str
    runs: int
    tokens: int  # per run
    tokens_per_s: float  # median over runs: tokens / (last token received − run start)
    ttft_ms: float  # median over runs: first token received − run start
    added_p50_ms: float  # pooled over all tokens of all runs
    added_p99_ms: float
    added_max_ms: float
    cpu_us_per_token: float  # median over runs: the consumer thread's CPU time / tokens (robust to a busy machine)


def added_latencies(trace: Trace) -> list[float]:
    """Per token, in seconds: received − written."""
    return [got - wrote for got, wrote in zip(trace.received, trace.written)]


def summarize(workload: str, delay: float, traces: list[Trace]) -> PathStats:
    if not traces or not all(trace.received for trace in traces):
        raise ValueError(f"{workload}: a run received no tokens")
    counts = {len(trace.received) for trace in traces}
    if len(counts) != 1:
        raise ValueError(f"{workload}: runs of {traces[0].path} received different numbers of tokens: {counts}")
    added = [latency for trace in traces for latency in added_latencies(trace)]
    return PathStats(
        workload=workload,
        delay=delay,
        path=traces[0].path,
        runs=len(traces),
        tokens=counts.pop(),
        tokens_per_s=statistics.median(len(t.received) / (t.received[-1] - t.started) for t in traces),
        ttft_ms=statistics.median(t.received[0] - t.started for t in traces) * 1000,
        added_p50_ms=percentile(added, 50) * 1000,
        added_p99_ms=percentile(added, 99) * 1000,
        added_max_ms=max(added) * 1000,
        cpu_us_per_token=statistics.median(t.cpu_seconds / len(t.received) for t in traces) * 1e6,
    )


def tokens_per_s(trace: Trace) -> float:
    """One run's rate: tokens / (last token received − run start)."""
    return len(trace.received) / (trace.received[-1] - trace.started)


@dataclass(frozen=True)
class FloorRatio:
    """One path's tokens/s as a fraction of the floor's, repetition by repetition.

    Runs are interleaved, so repetition i of a path and repetition i of the floor ran
    side by side; their ratio cancels most of what a busy machine does to both.
    """

    workload: str
    delay: float
    path: str
    runs: int
    median: float
    minimum: float
    maximum: float
    cpu_ratio: float  # the floor's CPU per token / this path's, medians (1.0 = no CPU added)


def floor_ratios(workload: str, delay: float, path: str, traces: list[Trace], floor: list[Trace]) -> FloorRatio:
    if len(traces) != len(floor):
        raise ValueError(f"{workload}: {path} has {len(traces)} runs, the floor {len(floor)}")
    per_run = [tokens_per_s(ours) / tokens_per_s(base) for ours, base in zip(traces, floor)]
    cpu = statistics.median(t.cpu_seconds / len(t.received) for t in traces)
    floor_cpu = statistics.median(t.cpu_seconds / len(t.received) for t in floor)
    return FloorRatio(workload, delay, path, len(per_run), statistics.median(per_run), min(per_run), max(per_run),
                      floor_cpu / cpu if cpu else float("nan"))
