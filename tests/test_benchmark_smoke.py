"""Smoke test of the streaming benchmark (`python -m benchmarks`) on a tiny workload.

It checks structure only: every path receives every token, latencies are never
negative, the report has every row. It never asserts a timing: timings belong to
the benchmark's own report, on a quiet machine, not to a test that must always pass.
"""

from __future__ import annotations

import asyncio
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `benchmarks` sits next to `tests`
from benchmarks import concurrency, report, scaling  # noqa: E402
from benchmarks.paths import PATH_LABELS, PATHS, Workload  # noqa: E402
from benchmarks.polling_handler import PollingQueueCallbackHandler  # noqa: E402
from benchmarks.stats import added_latencies, percentile  # noqa: E402
from benchmarks.streaming import Plan, measure_streaming  # noqa: E402
from benchmarks.timeline import write_timeline  # noqa: E402

TEXT = Workload("short answer", "What is NLP?", with_tools=False, max_tokens=30)
AGENT = Workload("small agent", "What is 10 + 10?", with_tools=True)


def in_thread(function, *args):
    """Run `function` in a worker thread: the benchmark calls `asyncio.run`, which must not
    touch the event loop pytest-asyncio keeps in the main thread for the async tests."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args).result(timeout=120)


@pytest.fixture(scope="module")
def results():
    plan = Plan(delays=(0.0,), workloads=(TEXT, AGENT), repeats={(0.0, TEXT.name): 2})
    return in_thread(measure_streaming, plan)


def test_every_path_receives_every_token(results):
    for workload in (TEXT, AGENT):
        counts = {path: {len(t.received) for t in results.traces[(0.0, workload.name, path)]} for path in PATHS}
        assert len({n for per_path in counts.values() for n in per_path}) == 1, counts
    assert results.model_calls[AGENT.name] > 1  # the agent really took several steps
    assert next(r.tokens for r in results.rows if r.workload == TEXT.name) == 30


def test_latencies_are_paired_and_never_negative(results):
    for traces in results.traces.values():
        for trace in traces:
            assert len(trace.written) == len(trace.received)
            assert all(latency >= 0 for latency in added_latencies(trace))
            assert trace.received == sorted(trace.received)


def test_report_has_every_row_and_target(results, tmp_path):
    load = [in_thread(concurrency.raw_streams, "raw", 0.0, 3, 10),
            in_thread(concurrency.sdk_streams, "sdk", 0.0, 3, 10)]
    assert [r.errors for r in load] == [0, 0]
    found = report.targets(results.rows, 0.0, load, chapters=[], ratios=results.ratios)
    markdown = report.render(settings=["tiny"], rows=results.rows, concurrency=load, chapters=[],
                             found=found, elapsed_s=0.0, ratios=results.ratios)
    for workload in (TEXT, AGENT):
        for path in PATHS:
            assert f"| {workload.name} | 0 | {PATH_LABELS[path]} |" in markdown
        for path in report.THROUGHPUT_PATHS:  # every taught path is judged against the floor, run by run
            assert any(t.name.startswith(f"{PATH_LABELS[path]} keeps") and f"({workload.name}," in t.name
                       for t in found), (path, workload.name)
    assert "No chapters yet" in markdown  # zero chapters is a valid state while they are written
    assert "## Targets" in markdown and found
    traces = {path: results.traces[(0.0, TEXT.name, path)][0] for path in PATHS}
    agent = {path: results.traces[(0.0, AGENT.name, path)][0] for path in PATHS}
    png = write_timeline(tmp_path / "timeline.png", traces, agent, 0.02, TEXT.name, AGENT.name)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_every_path_is_compared_with_the_floor_run_by_run(results):
    pairs = {(r.workload, r.path): r for r in results.ratios}
    assert set(pairs) == {(w.name, path) for w in (TEXT, AGENT) for path in PATHS if path != "floor"}
    assert pairs[(TEXT.name, "executor")].runs == 2 and pairs[(AGENT.name, "executor")].runs == 1
    for ratio in results.ratios:
        assert 0 < ratio.minimum <= ratio.median <= ratio.maximum


def test_scaling_reports_early_and_late_costs_and_history():
    result = in_thread(scaling.measure_scaling, True)
    assert {r.path for r in result.per_token} == set(scaling.SCALING_PATHS)
    assert all(r.tokens > 2000 and r.early_us > 0 and r.late_us > 0 for r in result.per_token)
    assert [r.turns for r in result.per_call] == [1, 3]
    assert result.per_call[1].history_chars == 3 * result.per_call[0].history_chars
    assert result.chunk_timeout.cpu_us_on > 0 and result.chunk_timeout.cpu_us_off > 0
    assert result.merge.chunks > 2000 and result.merge.langchain_ms > 0 and result.merge.executor_ms > 0
    text = scaling.render(result)
    assert "tokens 2,000+" in text and "stream_chunk_timeout" in text
    assert f"{result.merge.chunks:,} chunks" in text and "merge_chat_generation_chunks" in text
    per_fragment, million_s = result.field_reader
    assert [chars for chars, _ in per_fragment] == list(scaling.FIELD_READER_AT) and million_s > 0
    assert all(us > 0 for _, us in per_fragment) and "1,000,000 characters" in text


def test_percentile_interpolates():
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0
    assert percentile([0.0, 10.0], 99) == pytest.approx(9.9)


def test_polling_handler_ends_when_closed():
    async def scenario() -> list:
        handler = PollingQueueCallbackHandler()
        handler.queue.put_nowait("token")
        handler.close()
        handler.close()  # idempotent, like ours
        return [item async for item in handler]

    assert in_thread(asyncio.run, asyncio.wait_for(scenario(), 5)) == ["token"]


def test_attribution_charges_every_package_and_each_path_over_the_floor():
    from benchmarks import attribution

    assert attribution.owner("/x/site-packages/langgraph/pregel/main.py") == "LangGraph"
    assert attribution.owner("/work/helpers/queue_handler.py") == "ours (helpers)"
    assert attribution.owner("~") == "builtins (C)"
    table = asyncio.run(attribution.attribute(attribution.FULL_AGENT, runs=1, paths=("handler",)))
    assert set(table) == {"floor", "handler"}
    assert table["floor"]["openai SDK"] > 0  # the floor's own work is there, per token
    assert table["handler"]["ours (helpers)"] > 0  # the handler's own work shows as ours, beyond the floor's
    text = attribution.render(attribution.FULL_AGENT, table)
    assert "| ours (helpers) |" in text and "+ handler" in text


def test_web_app_cpu_reads_a_process_cpu_time_and_renders_every_level():
    from benchmarks import web_app_cpu

    import os
    import time as clock

    before = web_app_cpu.cpu_seconds(os.getpid())
    deadline = clock.process_time() + 0.05
    while clock.process_time() < deadline:  # burn 50 ms of CPU
        pass
    assert web_app_cpu.cpu_seconds(os.getpid()) - before >= 0.03  # clock ticks are 10 ms
    alone = web_app_cpu.Level(1, wall_s=10.0, cpu_s=0.6, seconds=[1.5] * 6)
    busy = web_app_cpu.Level(32, wall_s=10.0, cpu_s=9.6, seconds=[2.0] * 140 + [2.4] * 20)
    result = web_app_cpu.CpuResult("executor", 0.02, 120.0, 1.5, [alone, busy], floor_ms=85.0, loop="uvloop")
    assert busy.core_share == pytest.approx(0.96) and busy.questions_per_s == pytest.approx(16.0)
    assert busy.cpu_ms_per_question == pytest.approx(60.0)
    assert result.saturates_at == 32  # the first level at which the app used 95 % of its core
    text = web_app_cpu.render([result])
    assert "(20 ms per token)" in text
    assert "| executor | uvloop | 120 ms | 85 ms | 1.50 s | 32 at once | 16.0 |" in text
    assert "| executor | 0.06 core, 0.6/s, 100 ms, 1.50 s / 1.50 s | 0.96 core, 16.0/s, 60 ms, 2.00 s / 2.40 s |" in text
    result.floor_ms = None
    assert "| 120 ms | — | 1.50 s |" in web_app_cpu.render([result])
    result.levels = [alone]
    assert "| not reached at 1 |" in web_app_cpu.render([result])


def test_web_app_cpu_floor_runs_on_the_apps_loop_and_http_client(monkeypatch):
    """The floor is the same model calls on what the app runs on: uvloop (as uvicorn picks it) and the
    OpenAI SDK's aiohttp client (`helpers.web_app.app.model_http_client`)."""
    import asyncio as aio

    import openai

    from benchmarks import web_app_cpu
    from benchmarks.timed_server import TimedCourseModelServer

    seen: list = []
    opened = web_app_cpu.model_http_client

    def spy():
        client = opened()
        seen.append((type(aio.get_running_loop()).__module__.split(".")[0], client))
        return client

    monkeypatch.setattr(web_app_cpu, "model_http_client", spy)
    with TimedCourseModelServer(delay=0.0) as server:
        ms = in_thread(web_app_cpu.floor_ms, server.base_url, 2, web_app_cpu.event_loop())
    assert 1 < ms < 5000, ms  # milliseconds of CPU per question: the floor did the work
    assert web_app_cpu.event_loop() == "uvloop"  # the course installs it, and uvicorn picks it
    assert [loop for loop, _ in seen] == ["uvloop"]
    assert isinstance(seen[0][1], openai.DefaultAioHttpClient)


def test_every_http_client_the_course_uses_is_charged_to_the_http_client():
    """httpx and httpcore, openai 3's httpx2 and httpcore2, and the web app's aiohttp (through the adapter
    openai 3 vendors) are one owner; otherwise their time lands on the openai SDK that calls them."""
    from benchmarks import attribution

    for path in ("httpx/_client.py", "httpcore/_async/connection.py", "httpx2/_client.py",
                 "httpcore2/_async/connection_pool.py", "aiohttp/client.py", "yarl/_url.py", "multidict/__init__.py",
                 "openai/_vendor/httpx_aiohttp/transport.py", "httpx_aiohttp/transport.py"):
        assert attribution.owner(f"/venv/lib/python3.11/site-packages/{path}") == "HTTP client", path
    assert attribution.owner("/venv/lib/python3.11/site-packages/openai/_base_client.py") == "openai SDK"


def test_time_in_helpers_without_an_owner_goes_to_the_nearest_caller_that_has_one():
    """`typing` calling itself for the openai SDK is the SDK's time, however deep; one level up is not enough."""
    import json
    import pstats

    from benchmarks import attribution

    def outer():
        for _ in range(200):
            json.loads(json.dumps({"a": [1, 2, {"b": "c" * 50}] * 20}))  # json's Python calls its own helpers

    profile = attribution.cpu_profile()
    profile.runcall(outer)
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    mine = lambda function: "mine" if function[2] == "outer" else "other Python"  # noqa: E731
    deep = [function for function, (*_, callers) in stats.items()
            if mine(function) != "mine" and callers and all(mine(caller) != "mine" for caller in callers)]
    assert deep  # json's helpers called only by json's helpers: more than one level below `outer`
    nearest = attribution.by_nearest_owner(profile, mine)
    assert nearest["other Python"] == pytest.approx(0, abs=1e-4)
    assert nearest["mine"] == pytest.approx(sum(own for _, _, own, _, _ in stats.values()), rel=1e-3)  # all of it


def test_profiles_charge_cpu_time_not_time_spent_waiting():
    """A thread that waits (asleep here; for the interpreter lock, or in a system call, in the benchmarks)
    spends no CPU, so a profile charges nobody for it. cProfile's default clock is the wall clock."""
    import pstats
    import time

    from benchmarks import attribution

    def waits() -> None:
        time.sleep(0.3)

    profile = attribution.cpu_profile()
    profile.runcall(waits)
    charged = sum(own for _, _, own, _, _ in pstats.Stats(profile).stats.values())  # type: ignore[attr-defined]
    assert charged < 0.05, f"{charged:.3f} s charged for 0.3 s of sleep"


def test_web_app_profile_charges_the_apps_cpu_to_packages_without_the_waiting():
    from benchmarks import web_app_profile

    result = web_app_profile.profile(questions=2)
    assert web_app_profile.WAITING not in result.ms_per_question
    assert result.ms_per_question["openai SDK"] > 0 and result.ms_per_question["ours (helpers)"] > 0
    # on asyncio's loop, which cProfile can see into (uvloop is C); parsing is charged to uvicorn's protocol
    assert result.ms_per_question["web server (uvicorn, Starlette, FastAPI)"] > 0
    assert result.ms_per_question["asyncio"] > 0
    assert all(ms > 0 for ms in result.hot_spots.values())
    text = web_app_profile.render(result)
    assert "| openai SDK |" in text and "preparing each request" in text


def test_exercise_checks_are_timed_on_the_starter_and_on_the_solution():
    from benchmarks import exercise_checks

    chapter = Path(__file__).resolve().parent.parent / "chapters" / "02-streaming-tool-calls.ipynb"
    with exercise_checks.course_model_env():
        rows = exercise_checks.time_checks(chapter)
    assert [row.exercise for row in rows] == ["merge-by-index", "own-tool"]
    assert all(0 <= row.starter_s < 60 and 0 <= row.solution_s < 60 for row in rows)  # a number, not NaN
    slow = exercise_checks.CheckTime("x", "slow", 0.1, 4.0)
    assert "NOT met" in exercise_checks.render([*rows, slow]) and "| x | slow | 0.10 | 4.00 |" in exercise_checks.render([slow])


def test_the_resume_benchmark_counts_tokens_lost_and_repeated_by_event_id():
    from benchmarks.web_app_resume import Outcome, render, tally

    reference = [(1, "run", {"run_id": "r"}), (2, "token", {"text": "4"}), (3, "token", {"text": "5"}),
                 (4, "token", {"text": "."}), (5, "answer", {"answer": "45."}), (6, "done", {})]
    whole, repeat, gap = Outcome(3), Outcome(1), Outcome(1)
    tally(reference, reference, whole)
    tally(reference[:3] + reference[2:], reference, repeat)  # token 3 twice
    tally(reference[:2] + reference[3:], reference, gap)  # token 3 never
    assert (whole.tokens, whole.lost, whole.repeated, whole.spelled) == (3, 0, 0, 1)
    assert (repeat.lost, repeat.repeated, repeat.spelled) == (0, 1, 0)
    assert (gap.lost, gap.repeated, gap.spelled) == (1, 0, 0)
    assert "**not met**" in render(gap)
