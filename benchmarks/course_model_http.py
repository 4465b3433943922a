"""The course model's HTTP side: how fast it streams, and whether a heavy request stalls others.

Three figures, all at zero delay on 127.0.0.1, each a median over interleaved repetitions:

- **server alone, one stream**: a raw socket sends one request for a 1,000-token answer and
  drains the reply; tokens / (request sent → last byte). The raw reader costs almost nothing,
  so this is the server's own speed, its work before the first write included.
- **in-kernel vs own process**: `ChatOpenAI.astream` (the benchmark's floor) reading the same
  answer from a server in this process (as every notebook runs it) and from the same server in
  its own process (`python -m helpers.course_model`). The ratio says how much the in-kernel
  server slows its own client by competing for the interpreter lock.
- **small request while a 60 KB one is served**: "What is NLP?" streamed while two 60 KB
  questions are being answered, against the same request alone.

`BEFORE` holds the figures measured on the hand-written `http.server` version (commit 43eee70)
on the project's 2-core machine with this same code, for comparison in the report.

    python -m benchmarks.course_model_http            # prints the figures
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from helpers.course_model import MODEL_NAME, CourseModelServer  # noqa: E402

LONG_QUESTION = "Tell me a long story"
BIG_QUESTION = "What is NLP? " + "long " * 12_000  # about 60 KB, shaped like the 17 s question
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
    keep_alive_ms: float  # a small non-streamed request on a kept-alive connection (http.client)


# Measured with this module on the hand-written http.server version and the brain of that time
# (commit 43eee70), two runs interleaved with two of the new server on the shared 2-core machine
# (load average 5-8, so single figures swing by 2x): the range of both runs.
BEFORE = {
    "server_tokens_per_s": "29,769–85,421",
    "in_kernel_tokens_per_s": "1,354–1,864",
    "own_process_tokens_per_s": "1,404–1,635",
    "ratio": "0.96–1.14",
    "keep_alive_ms": "0.2–0.3",
    "small_while_big_ms": "27 / 26,138 – 5,707 / 31,705",
    "big_s": "17.3–22.4",
}


def _request(port: int, question: str, max_tokens: int | None = None) -> bytes:
    body: dict = {"model": MODEL_NAME, "stream": True, "messages": [{"role": "user", "content": question}]}
    if max_tokens:
        body["max_tokens"] = max_tokens
    payload = json.dumps(body).encode()
    head = (f"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n")
    return head.encode() + payload


def _drain(port: int, request: bytes) -> tuple[float, bytes]:
    """Send `request`, read until the server closes: (seconds, every byte)."""
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        sock.sendall(request)
        pieces = []
        while True:
            data = sock.recv(1 << 16)
            if not data:
                break
            pieces.append(data)
    return time.perf_counter() - started, b"".join(pieces)


def server_alone(port: int, repeats: int, tokens: int) -> float:
    request = _request(port, LONG_QUESTION, tokens)
    _drain(port, request)  # warm-up
    rates = []
    for _ in range(repeats):
        seconds, data = _drain(port, request)
        assert data.rstrip().endswith(b"data: [DONE]") or b"data: [DONE]" in data[-64:], data[-200:]
        rates.append(data.count(b'"delta":{"content":') / seconds)
    return statistics.median(rates)


async def _astream_rate(base_url: str, tokens: int) -> float:
    from langchain_openai import ChatOpenAI

    llm = ChatOpenAI(model=MODEL_NAME, base_url=base_url, api_key="course-model-needs-no-key",
                     max_tokens=tokens, max_retries=0, timeout=TIMEOUT)
    started = time.perf_counter()
    count = 0
    async for chunk in llm.astream(LONG_QUESTION):
        if chunk.content:
            count += 1
    return count / (time.perf_counter() - started)


def _own_process_server() -> tuple[subprocess.Popen, str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "helpers.course_model", "--port", str(port), "--delay", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                               env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    process.stdout.readline()  # the banner: it listens
    return process, f"http://127.0.0.1:{port}/v1"


def in_kernel_vs_own_process(in_kernel_url: str, repeats: int, tokens: int) -> tuple[float, float]:
    process, own_url = _own_process_server()
    try:
        async def run() -> tuple[float, float]:
            await _astream_rate(in_kernel_url, 20)  # warm-up both
            await _astream_rate(own_url, 20)
            inside, outside = [], []
            for _ in range(repeats):  # interleaved, so machine noise hits both alike
                inside.append(await _astream_rate(in_kernel_url, tokens))
                outside.append(await _astream_rate(own_url, tokens))
            return statistics.median(inside), statistics.median(outside)

        return asyncio.run(run())
    finally:
        process.terminate()
        process.wait(timeout=10)


def small_while_big(port: int, repeats: int) -> tuple[float, float, float, float]:
    """(small alone ms, small while big median ms, max ms, one big request s)."""
    small = _request(port, "What is NLP?")
    alone = statistics.median(_drain(port, small)[0] for _ in range(repeats)) * 1000
    big_times: list[float] = []
    done = threading.Event()

    def send_big() -> None:
        while not done.is_set():
            big_times.append(_drain(port, _request(port, BIG_QUESTION))[0])

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
    import http.client

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
        inside, outside = in_kernel_vs_own_process(server.base_url, max(3, repeats // 2), tokens)
    return HttpFigures(rate, inside, outside, alone, during, worst, big, keep_alive)


def _before(key: str) -> str:
    return BEFORE.get(key, "n/a")


def render(figures: HttpFigures) -> str:
    """The report's section, Markdown."""
    ratio = figures.in_kernel_tokens_per_s / figures.own_process_tokens_per_s
    return "\n".join([
        "## The course model's HTTP side",
        "Zero delay, 127.0.0.1. Before: the hand-written `http.server` version (commit 43eee70), measured "
        "with this same code in a full run (1,000-token answers; `--quick` streams 300).",
        "",
        "| Figure | Now | Before |",
        "| --- | ---: | ---: |",
        f"| server alone, one stream (raw socket, tokens/s) | {figures.server_tokens_per_s:,.0f} "
        f"| {_before('server_tokens_per_s')} |",
        f"| `ChatOpenAI.astream`, server in this process (tokens/s) | {figures.in_kernel_tokens_per_s:,.0f} "
        f"| {_before('in_kernel_tokens_per_s')} |",
        f"| `ChatOpenAI.astream`, same server in its own process (tokens/s) | "
        f"{figures.own_process_tokens_per_s:,.0f} | {_before('own_process_tokens_per_s')} |",
        f"| in-process / own process | {ratio:.2f} | {_before('ratio')} |",
        f"| small request on a kept-alive connection (ms) | {figures.keep_alive_ms:.1f} "
        f"| {_before('keep_alive_ms')} |",
        f"| \"What is NLP?\" alone (ms) | {figures.small_alone_ms:.1f} | |",
        f"| \"What is NLP?\" while two 60 KB questions are served (median / max ms) | "
        f"{figures.small_while_big_ms:.1f} / {figures.small_while_big_max_ms:.1f} | "
        f"{_before('small_while_big_ms')} |",
        f"| one 60 KB question meanwhile (s) | {figures.big_s:.2f} | {_before('big_s')} |",
    ])


if __name__ == "__main__":
    os.environ["COURSE_MODEL_DELAY"] = "0"
    figures = measure(quick="--quick" in sys.argv)
    print(figures)
    print(render(figures))
