"""Small requests that ask for huge answers: does one client's abuse cost another client, or the server's memory?

Two figures, on a course model in its own process (`python -m helpers.course_model`, delay 0), so its
memory is its own:

- **"What is NLP?" after 16 abandoned heavy requests**: sixteen clients each send a 754-byte request
  whose `response_format` schema nests arrays of 100 items four deep around strings of `minLength`
  10,000, and hang up at once; then one client asks "What is NLP?". Its latency (request sent →
  whole answer), against the same question with nothing else going on. Target: under 1 s.
- **memory after 100 clients that never read**: a hundred clients each ask for the largest
  non-streamed answer a small request can get (a tool schema of 100 × 100 strings of 10,000
  characters, `tool_choice` "required") and never read a byte. The server's resident memory
  (VmRSS) once every answer is written, minus before. Target: under +100 MB.

Before the answers were bounded (issue 25), the first took about 30 s and the second 756 MB.

    python -m benchmarks.heavy_requests [--quick] [--src DIR]   # DIR: another checkout's root, to compare
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parent.parent
MODEL = "course-model"
TIMEOUT = 120.0  # seconds any one exchange may take; the figure then says "timed out"
ABANDONED = 16
NEVER_READING = 100


def _array_of(items: dict, count: int = 100) -> dict:
    return {"type": "array", "minItems": count, "items": items}


def _object_with(value: dict) -> dict:
    return {"type": "object", "properties": {"a": value}, "required": ["a"]}


_STRING = {"type": "string", "minLength": 10_000}
NESTED = _object_with(_array_of(_object_with(_array_of(_object_with(_array_of(_object_with(_array_of(_STRING))))))))
WIDE = _object_with(_array_of(_array_of(_STRING)))
FILL_IN = [{"role": "user", "content": "Fill it in."}]


@dataclass(frozen=True)
class HeavyFigures:
    small_alone_ms: float  # median "What is NLP?" with nothing else going on
    small_after_abandoned_ms: list[float]  # one per round, right after 16 abandoned heavy requests
    answer_bytes: int  # the never-read answer's size, read once by a client that does read
    rss_before_mb: float
    rss_after_mb: float  # with 100 clients connected that never read


def _request(body: dict) -> bytes:
    payload = json.dumps(body).encode()
    return (f"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n").encode() + payload


HEAVY = _request({"model": MODEL, "messages": FILL_IN,
                  "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": NESTED}}})
HUGE_TOOL = _request({"model": MODEL, "messages": FILL_IN, "tool_choice": "required",
                      "tools": [{"type": "function", "function": {"name": "fill", "parameters": WIDE}}]})
SMALL = _request({"model": MODEL, "messages": [{"role": "user", "content": "What is NLP?"}]})


@contextmanager
def _server(src: Path) -> Iterator[tuple[int, int]]:
    """The course model in its own process, from the checkout at `src`: (port, pid)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(src), "COURSE_MODEL_DELAY": "0"}
    process = subprocess.Popen([sys.executable, "-m", "helpers.course_model", "--port", str(port)], cwd=src,
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert process.stdout is not None
        process.stdout.readline()  # "listening on ..."
        yield port, process.pid
    finally:
        process.kill()
        process.wait(timeout=10)


def _exchange(port: int, raw: bytes) -> tuple[float, bytes]:
    """Send `raw`, read the whole answer (the server closes): seconds taken and the bytes."""
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        sock.sendall(raw)
        data = bytearray()
        while piece := sock.recv(1 << 16):
            data += piece
    return time.perf_counter() - started, bytes(data)


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _small_ms(port: int) -> float:
    try:
        seconds, data = _exchange(port, SMALL)
    except TimeoutError:
        return float("inf")
    assert data.startswith(b"HTTP/1.1 200"), data[:200]
    return seconds * 1000


def measure(quick: bool = False, src: Path = ROOT) -> HeavyFigures:
    rounds = 2 if quick else 5
    with _server(src) as (port, pid):
        alone = [_small_ms(port) for _ in range(5)]
        after = []
        for _ in range(rounds):
            for _ in range(ABANDONED):
                with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
                    sock.sendall(HEAVY)  # and gone
            after.append(_small_ms(port))
            time.sleep(1.0)  # let the server settle before the next round
    with _server(src) as (port, pid):
        answer = len(_exchange(port, HUGE_TOOL)[1])
        time.sleep(0.5)
        before = _rss_mb(pid)
        clients = []
        try:
            for _ in range(NEVER_READING):
                sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                sock.sendall(HUGE_TOOL)
                clients.append(sock)
            time.sleep(10 if quick else 20)  # every answer planned and written as far as it goes
            rss = _rss_mb(pid)
        finally:
            for sock in clients:
                sock.close()
    return HeavyFigures(statistics.median(alone), after, answer, before, rss)


def render(figures: HeavyFigures) -> str:
    after = figures.small_after_abandoned_ms
    grown = figures.rss_after_mb - figures.rss_before_mb
    return "\n".join([
        "## Small requests that ask for huge answers",
        "",
        "The course model in its own process at zero delay. Sixteen clients each send a 754-byte request for a "
        "schema nesting arrays of 100 items four deep around 10,000-character strings and hang up; then "
        "\"What is NLP?\" is asked (request sent → whole answer). Then a hundred clients each ask for the "
        f"largest non-streamed answer a small request gets ({figures.answer_bytes:,} bytes: a tool schema of "
        "100 × 100 strings of 10,000 characters, cut at 16,384 tokens) and never read it.",
        "",
        "| Figure | Measured | Target |",
        "| --- | ---: | ---: |",
        f"| \"What is NLP?\" alone, median | {figures.small_alone_ms:,.0f} ms | |",
        f"| \"What is NLP?\" right after 16 abandoned heavy requests, median of {len(after)} "
        f"(max) | {statistics.median(after):,.0f} ms ({max(after):,.0f}) | under 1,000 ms |",
        f"| server memory with {NEVER_READING} clients that never read | {figures.rss_before_mb:,.0f} → "
        f"{figures.rss_after_mb:,.0f} MB ({grown:+,.0f} MB) | under +100 MB |",
    ])


if __name__ == "__main__":
    source = Path(sys.argv[sys.argv.index("--src") + 1]) if "--src" in sys.argv else ROOT
    print(render(measure(quick="--quick" in sys.argv, src=source)))
