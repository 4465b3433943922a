"""Can the course model serve 100+ concurrent streams, and is it ever the bottleneck?

Two clients, on 127.0.0.1, every call bounded: a raw socket reader that drains the bytes unparsed
(it costs almost nothing, so it measures the server's own speed), and the real `openai.AsyncOpenAI`
client, as the notebooks use it through `ChatOpenAI`. The server's tokens/s come from its own write
log (`timed_server`), whatever the client does with the bytes.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import socket
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import openai

from helpers.course_model import MODEL_NAME

from .timed_server import TimedCourseModelServer

QUESTION = "Tell me a long story"
TIMEOUT = 60.0  # seconds, for any single stream


@dataclass(frozen=True)
class ConcurrencyResult:
    """One concurrency experiment, as the table shows it."""

    label: str
    client: str  # "raw socket" or "openai SDK"
    delay: float
    streams: int
    tokens_per_stream: int
    errors: int
    peak_concurrent: int  # most streams the server was writing at the same moment
    server_tokens_per_s: float  # all tokens written / time from first to last write
    server_stream_tokens_per_s: float  # median over streams of one stream's own rate
    client_tokens_per_s: float  # tokens the clients received / wall time


def request_bytes(port: int, question: str, max_tokens: int | None = None) -> bytes:
    """A streaming chat completion request, as raw HTTP/1.1 bytes that close the connection after the reply."""
    body: dict = {"model": MODEL_NAME, "stream": True, "messages": [{"role": "user", "content": question}]}
    if max_tokens:
        body["max_tokens"] = max_tokens
    payload = json.dumps(body).encode()
    head = (f"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\nConnection: close\r\n\r\n")
    return head.encode() + payload


def _drain_one(port: int, request: bytes) -> bool:
    """Send one streaming request and read the response to the end; True if it finished properly."""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        sock.sendall(request)
        first, tail = b"", b""
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            data = sock.recv(65536)
            if not data:
                break
            first = first or data[:16]
            tail = (tail + data)[-64:]
    return first.startswith(b"HTTP/1.1 200") and b"data: [DONE]" in tail and tail.endswith(b"0\r\n\r\n")


def _peak_overlap(streams: list[list[float]]) -> int:
    """The largest number of streams whose first-to-last token writes overlap in time."""
    edges = sorted([(s[0], 1) for s in streams if s] + [(s[-1], -1) for s in streams if s],
                   key=lambda edge: (edge[0], -edge[1]))
    peak = current = 0
    for _, step in edges:
        current += step
        peak = max(peak, current)
    return peak


def _server_rates(streams: list[list[float]], arrivals: list[float | None]) -> tuple[float, float]:
    """(aggregate tokens/s, median per-stream tokens/s) from the server's write times.

    Each stream's time starts when its request arrived, so the work before the first write
    (the brain, encoding every event) counts: at zero delay the server writes events in batches,
    and write times alone would make a stream look almost instantaneous.
    """
    timed = [(s, a if a is not None else s[0]) for s, a in zip(streams, arrivals) if len(s) > 1]
    if not timed:
        return 0.0, 0.0
    total = sum(len(s) for s, _ in timed)
    span = max(s[-1] for s, _ in timed) - min(a for _, a in timed)
    per_stream = statistics.median(len(s) / (s[-1] - a) for s, a in timed)
    return total / span, per_stream


def raw_streams(label: str, delay: float, streams: int, max_tokens: int) -> ConcurrencyResult:
    """`streams` raw readers at once, each in its own thread."""
    with TimedCourseModelServer(delay=delay) as server:
        request = request_bytes(server.port, QUESTION, max_tokens)
        _drain_one(server.port, request)  # warm-up: first connection, first brain call
        server.write_log.clear()
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=streams) as pool:
            futures = [pool.submit(_drain_one, server.port, request) for _ in range(streams)]
            outcomes = []
            for future in futures:
                try:
                    outcomes.append(future.result(timeout=TIMEOUT * 2))
                except Exception:  # a refused connection, a timeout: each counts as one error
                    outcomes.append(False)
        elapsed = time.perf_counter() - started
        written = server.write_log.stream_token_times()
        arrivals = server.write_log.stream_arrivals()
    return _result(label, "raw socket", delay, streams, max_tokens, outcomes, written, arrivals, elapsed)


async def _sdk_stream(client: openai.AsyncOpenAI, max_tokens: int) -> int:
    stream = await client.chat.completions.create(
        model=MODEL_NAME, stream=True, max_tokens=max_tokens,
        messages=[{"role": "user", "content": QUESTION}],
    )
    tokens = 0
    async for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            tokens += 1
    return tokens


async def _sdk_streams(server: TimedCourseModelServer, streams: int, max_tokens: int
                       ) -> tuple[list[int | BaseException], float]:
    """Results (tokens received, or the error) per stream, and the wall time after the warm-up."""
    async with openai.AsyncOpenAI(base_url=server.base_url, api_key="course-model-needs-no-key",
                                  max_retries=0, timeout=TIMEOUT) as client:
        await _sdk_stream(client, 1)  # warm-up
        server.write_log.clear()
        started = time.perf_counter()
        jobs = [asyncio.wait_for(_sdk_stream(client, max_tokens), TIMEOUT) for _ in range(streams)]
        results = await asyncio.gather(*jobs, return_exceptions=True)
        return results, time.perf_counter() - started


def sdk_streams(label: str, delay: float, streams: int, max_tokens: int) -> ConcurrencyResult:
    """`streams` concurrent streams through the real `openai` async client, on one event loop."""
    with TimedCourseModelServer(delay=delay) as server:
        results, elapsed = asyncio.run(_sdk_streams(server, streams, max_tokens))
        written = server.write_log.stream_token_times()
        arrivals = server.write_log.stream_arrivals()
    outcomes = [isinstance(r, int) and r == max_tokens for r in results]
    received = sum(r for r in results if isinstance(r, int))
    result = _result(label, "openai SDK", delay, streams, max_tokens, outcomes, written, arrivals, elapsed)
    return dataclasses.replace(result, client_tokens_per_s=received / elapsed)


def _result(label: str, client: str, delay: float, streams: int, max_tokens: int,
            outcomes: list[bool], written: list[list[float]], arrivals: list[float | None],
            elapsed: float) -> ConcurrencyResult:
    aggregate, per_stream = _server_rates(written, arrivals)
    return ConcurrencyResult(
        label=label, client=client, delay=delay, streams=streams, tokens_per_stream=max_tokens,
        errors=outcomes.count(False), peak_concurrent=_peak_overlap(written),
        server_tokens_per_s=aggregate, server_stream_tokens_per_s=per_stream,
        client_tokens_per_s=sum(len(s) for s in written) / elapsed,
    )
