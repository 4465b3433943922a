"""A PNG timeline of token arrivals at the paced delay: smooth streams versus polling bursts.

Three panels: the first tokens of the long answer (arrival time against token
index: a smooth stream is a straight staircase of 20 ms steps, polling is flat
runs then jumps every 100 ms), the whole agent run, and the latency each token
of the long answer gained (log scale) for every path.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display needed
import matplotlib.pyplot as plt  # noqa: E402

from .paths import PATHS, Trace  # noqa: E402
from .stats import added_latencies  # noqa: E402

COLORS = {"floor": "#222222", "handler": "#1f77b4", "executor": "#2ca02c", "events": "#17becf",
          "polling": "#d62728", "create_agent": "#9467bd"}
LABELS = {"floor": "floor (llm.astream)", "handler": "QueueCallbackHandler",
          "executor": "StreamingAgentExecutor", "events": "executor via astream_events", "polling": "polling handler",
          "create_agent": "create_agent (messages)"}
ZOOM_TOKENS = 60


def _arrivals(axis, traces: dict[str, Trace], limit: int | None, title: str) -> None:
    for path in PATHS:
        trace = traces.get(path)
        if trace is None:
            continue
        received = [(t - trace.started) * 1000 for t in trace.received[:limit]]
        axis.step(range(len(received)), received, where="post", color=COLORS[path], label=LABELS[path],
                  linewidth=1.2, marker="." if limit else None, markersize=3)
    floor = traces.get("floor")
    if floor is not None:
        written = [(t - floor.started) * 1000 for t in floor.written[:limit]]
        axis.plot(range(len(written)), written, ":", color="#888888", label="course model wrote (floor run)")
    axis.set_xlabel("token index")
    axis.set_ylabel("arrival since the run started (ms)")
    axis.set_title(title)
    axis.grid(alpha=0.3)
    axis.legend(fontsize=7, loc="upper left")


def write_timeline(path: Path, long_traces: dict[str, Trace], agent_traces: dict[str, Trace],
                   delay: float, long_name: str, agent_name: str) -> Path:
    """Draw the three panels from one paced run per path and save them as a PNG at `path`."""
    figure, axes = plt.subplots(1, 3, figsize=(18, 5.5))
    pace = f"{delay * 1000:g} ms per token"
    _arrivals(axes[0], long_traces, ZOOM_TOKENS, f"{long_name}: first {ZOOM_TOKENS} tokens ({pace})")
    _arrivals(axes[1], agent_traces, None, f"{agent_name}: every token of every step ({pace})")
    for name in PATHS:
        trace = long_traces.get(name)
        if trace is not None:
            axes[2].plot([latency * 1000 for latency in added_latencies(trace)], ".", markersize=2,
                         color=COLORS[name], label=LABELS[name])
    axes[2].set_yscale("log")
    axes[2].set_xlabel("token index")
    axes[2].set_ylabel("latency added after the course model wrote it (ms)")
    axes[2].set_title(f"{long_name}: added latency per token ({pace})")
    axes[2].grid(alpha=0.3, which="both")
    axes[2].legend(fontsize=7, markerscale=4)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
