"""The course model's HTTP side: how fast it streams, and whether a heavy request stalls others.

All at zero delay on 127.0.0.1, medians over interleaved repetitions:

- **server alone, one stream**: a raw socket asks for a 1,000-token answer and drains the reply
  (a reader that costs almost nothing, so this is the server's own speed), through Chat Completions
  and through the Responses API (`POST /v1/responses`, whose events are larger);
- **in-kernel vs own process**: `ChatOpenAI.astream` reading the same answer from a server in
  this process (as every notebook runs it) and from one in its own process: how much the
  in-kernel server slows its own client by competing for the interpreter lock; and in this
  process through the Responses API (`use_responses_api=True`), whose chunks cost LangChain more;
- **a small request while 60 KB ones are served**: "What is NLP?" while two 60 KB questions are
  being answered, against the same request alone; and a small request on a kept-alive connection.

    python -m benchmarks.course_model_http [--quick]
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import socket
import statistics
import sys
import threading
import time
from dataclasses import dataclass

from helpers.course_model import MODEL_NAME, CourseModelServer

from .concurrency import request_bytes
from .streaming import make_llm
from .web_app_load import Served, offline_env

LONG_QUESTION = "Tell me a long story"
BIG_QUESTION = "What is NLP? " + "long " * 12_000  # about 60 KB
TIMEOUT = 120.0


@dataclass(frozen=True)
class HttpFigures:
    server_tokens_per_s: float  # one stream, raw socket, request sent -> last byte
    in_kernel_tokens_per_s: float  # ChatOpenAI.astream against a server in this process
    own_process_tokens_per_s: float  # ... against the same server in its own process
    small_alone_ms: float
    small_while_big_ms: float  # median of the small requests sent while 60 KB ones were served
    small_while_big_max_ms: float
    big_s: float  # how long one 60 KB question took meanwhile
    keep_alive_ms: float  # a small non-streamed request on a kept-alive connection
    responses_server_tokens_per_s: float  # server alone, one Responses API stream
    responses_in_kernel_tokens_per_s: float  # ChatOpenAI(use_responses_api=True).astream, server in this process


def _drain(port: int, request: bytes) -> tuple[float, bytes]:
    """Send `request`, read until the server closes: (seconds, every byte)."""
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        sock.sendall(request)
        pieces = []
        while data := sock.recv(1 << 16):
            pieces.append(data)
    return time.perf_counter() - started, b"".join(pieces)


def responses_request_bytes(port: int, question: str, max_output_tokens: int) -> bytes:
    """A streaming Responses API request, as raw HTTP/1.1 bytes that close the connection after the reply."""
    payload = json.dumps({"model": MODEL_NAME, "stream": True, "input": question,
                          "max_output_tokens": max_output_tokens}).encode()
    head = (f"POST /v1/responses HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\nConnection: close\r\n\r\n")
    return head.encode() + payload


def server_alone(port: int, repeats: int, tokens: int, *, responses: bool = False) -> float:
    if responses:
        request, end, token = (responses_request_bytes(port, LONG_QUESTION, tokens), b"event: response.incomplete",
                               b"event: response.output_text.delta")
    else:
        request, end, token = request_bytes(port, LONG_QUESTION, tokens), b"data: [DONE]", b'"delta":{"content":'
    _drain(port, request)  # warm-up
    rates = []
    for _ in range(repeats):
        seconds, data = _drain(port, request)
        if end not in data[-20_000:]:
            raise RuntimeError(f"the stream did not end properly: {data[-200:]!r}")
        rates.append(data.count(token) / seconds)
    return statistics.median(rates)


async def _astream_rate(base_url: str, tokens: int, *, responses: bool = False) -> float:
    llm = make_llm(base_url).model_copy(update={"max_tokens": tokens, "use_responses_api": responses or None})
    started = time.perf_counter()
    count = 0
    async for chunk in llm.astream(LONG_QUESTION):
        count += bool(chunk.content)
    return count / (time.perf_counter() - started)


def in_kernel_vs_own_process(in_kernel_url: str, repeats: int, tokens: int) -> tuple[float, float, float]:
    """(in this process, in its own process, in this process through the Responses API), tokens/s.

    All in one event loop: ChatOpenAI's default HTTP client is shared, and bound to the loop it first ran in.
    """
    with Served("helpers.course_model", ["--delay", "0"], offline_env(), "/v1/models") as own:
        async def run() -> tuple[float, float, float]:
            inside, outside, responses = [], [], []
            for index in range(repeats + 1):  # interleaved, so machine noise hits all alike; the first warms up
                rates = (await _astream_rate(in_kernel_url, tokens), await _astream_rate(f"{own.url}/v1", tokens),
                         await _astream_rate(in_kernel_url, tokens, responses=True))
                if index:
                    inside.append(rates[0])
                    outside.append(rates[1])
                    responses.append(rates[2])
            return statistics.median(inside), statistics.median(outside), statistics.median(responses)

        return asyncio.run(run())


def small_while_big(port: int, repeats: int) -> tuple[float, float, float, float]:
    """(small alone ms, small while big median ms, max ms, one big request s)."""
    small = request_bytes(port, "What is NLP?")
    alone = statistics.median(_drain(port, small)[0] for _ in range(repeats)) * 1000
    big_times: list[float] = []
    done = threading.Event()

    def send_big() -> None:
        while not done.is_set():
            big_times.append(_drain(port, request_bytes(port, BIG_QUESTION))[0])

    workers = [threading.Thread(target=send_big, daemon=True) for _ in range(2)]
    for worker in workers:
        worker.start()
    time.sleep(0.2)
    during = []
    for _ in range(repeats):
        during.append(_drain(port, small)[0] * 1000)
        time.sleep(0.05)
    done.set()
    for worker in workers:
        worker.join(timeout=TIMEOUT)
    return alone, statistics.median(during), max(during), statistics.median(big_times) if big_times else 0.0


def keep_alive_round_trip(port: int, repeats: int) -> float:
    """Median ms of a small completion on one kept-alive connection, as SDK clients reuse theirs."""
    body = json.dumps({"model": MODEL_NAME, "messages": [{"role": "user", "content": "What is 10 + 10?"}]})
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    times = []
    for _ in range(repeats + 1):
        started = time.perf_counter()
        connection.request("POST", "/v1/chat/completions", body=body.encode(),
                           headers={"Content-Type": "application/json"})
        connection.getresponse().read()
        times.append((time.perf_counter() - started) * 1000)
    connection.close()
    return statistics.median(times[1:])


def measure(*, quick: bool = False) -> HttpFigures:
    repeats, tokens = (3, 300) if quick else (10, 1000)
    with CourseModelServer(delay=0).start() as server:
        port = server.port
        rate = server_alone(port, repeats, tokens)
        keep_alive = keep_alive_round_trip(port, repeats * 2)
        alone, during, worst, big = small_while_big(port, repeats)
        inside, outside, responses_inside = in_kernel_vs_own_process(server.base_url, max(3, repeats // 2), tokens)
        responses_rate = server_alone(port, repeats, tokens, responses=True)
    return HttpFigures(rate, inside, outside, alone, during, worst, big, keep_alive, responses_rate, responses_inside)


def render(figures: HttpFigures) -> str:
    """The report's section, Markdown (figures of the old `http.server` version: benchmarks/README.md)."""
    return "\n".join([
        "## The course model's HTTP side",
        "Zero delay, 127.0.0.1 (1,000-token answers; `--quick` streams 300).",
        "",
        "| Figure | Measured |",
        "| --- | ---: |",
        f"| server alone, one stream (raw socket, tokens/s) | {figures.server_tokens_per_s:,.0f} |",
        f"| `ChatOpenAI.astream`, server in this process (tokens/s) | {figures.in_kernel_tokens_per_s:,.0f} |",
        f"| `ChatOpenAI.astream`, same server in its own process (tokens/s) | {figures.own_process_tokens_per_s:,.0f} |",
        f"| in-process / own process | {figures.in_kernel_tokens_per_s / figures.own_process_tokens_per_s:.2f} |",
        f"| Responses API: server alone, one stream (raw socket, tokens/s) | "
        f"{figures.responses_server_tokens_per_s:,.0f} |",
        f"| Responses API: `ChatOpenAI(use_responses_api=True).astream`, server in this process (tokens/s) | "
        f"{figures.responses_in_kernel_tokens_per_s:,.0f} |",
        f"| small request on a kept-alive connection (ms) | {figures.keep_alive_ms:.1f} |",
        f"| \"What is NLP?\" alone (ms) | {figures.small_alone_ms:.1f} |",
        f"| \"What is NLP?\" while two 60 KB questions are served (median / max ms) | "
        f"{figures.small_while_big_ms:.1f} / {figures.small_while_big_max_ms:.1f} |",
        f"| one 60 KB question meanwhile (s) | {figures.big_s:.2f} |",
    ])


if __name__ == "__main__":
    os.environ["COURSE_MODEL_DELAY"] = "0"
    print(render(measure(quick="--quick" in sys.argv)))
