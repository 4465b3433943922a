"""Chapter 05's web app under load: 100 concurrent SSE clients, alone and beside two hostile ones.

The app runs as a learner starts it (`python -m helpers.web_app`), the course model paced in another
process, as a real model runs elsewhere. Each SSE client connects from its own loopback address (the
app bounds sessions per address, and 100 people are 100 addresses). One client alone, for reference;
then rounds of all clients asking at once, unloaded and while one client (127.0.0.2) creates sessions
as fast as it can and another (127.0.0.3) POSTs a 200 MB body. Per client: time to the first SSE event
and to `done`; an error is anything but a 200 stream ending with `answer` then `done`, a hang is a
stream still open after `TIMEOUT`. Target: no error, no hang, loaded p99 TTFT within 2x of unloaded.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from .stats import percentile

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "What is 10 + 10?"
PACED = 0.02
TIMEOUT = 60.0  # seconds for any one exchange: longer is a hang
STARTUP_TIMEOUT = 30.0
MB = 1024 * 1024
TTFT_RATIO_TARGET = 2.0
QUICK = {"clients": 20, "repeats": 2, "flood_limit": 1000, "body_mb": 50}  # for `--quick`


@dataclass
class Round:
    """One round of concurrent clients, and what the hostile clients did meanwhile."""

    label: str
    clients: int
    ttft_s: list[float] = field(default_factory=list)
    total_s: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    hangs: int = 0
    flood_statuses: dict[int, int] = field(default_factory=dict)
    flood_seconds: float = 0.0
    big_body: str = ""  # what the big POST got
    big_body_mb: int = 0
    big_body_rss_mb: float | None = None  # the app's peak RSS growth during it

    def summary(self, q: float) -> float:
        return percentile(self.ttft_s, q) * 1000 if self.ttft_s else float("nan")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _kb(pid: int, name: str) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(rf"{name}:\s+(\d+) kB", status).group(1))


class Served:
    """A server process on a free loopback port, ready when `ready_path` answers; stopped (bounded) on exit."""

    def __init__(self, module: str, args: list[str], env: dict[str, str], ready_path: str,
                 cpus: set[int] | None = None) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.command = [sys.executable, "-m", module, "--port", str(self.port), *args]
        if cpus:  # run only on these CPUs, every thread of it (util-linux's `taskset`)
            self.command = ["taskset", "-c", ",".join(map(str, sorted(cpus))), *self.command]
        self.module, self.env, self.ready_path = module, env, ready_path
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "Served":
        self.process = subprocess.Popen(self.command, cwd=ROOT, env=self.env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                httpx.get(self.url + self.ready_path, timeout=2)
                return self
            except httpx.HTTPError:
                time.sleep(0.2)
        self.__exit__()
        raise RuntimeError(f"python -m {self.module} did not start")

    def __exit__(self, *exc_info: object) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def offline_env() -> dict[str, str]:
    """This process's environment without the variables that would send a server to another model.

    The web app keeps conversations in a SQLite file in the user's data folder by default (chapter 08);
    a benchmark's app keeps them the same way, but in a throwaway folder (`XDG_DATA_HOME`), not the home.
    """
    env = {k: v for k, v in os.environ.items() if k not in {"OPENAI_API_KEY", "OPENAI_BASE_URL", "COURSE_MODEL"}}
    env["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="bench-data-")
    return env


def stream_problem(body: bytes) -> str | None:
    """What is wrong with a whole SSE answer stream, or None when it ends with `answer` then `done`, no `error`."""
    kinds = re.findall(rb"^event: (\w+)$", body, re.M)
    if b"error" in kinds:
        return "sent an error event"
    if kinds[-2:] != [b"answer", b"done"]:
        return f"ended with {[kind.decode() for kind in kinds[-2:]]}"
    return None


def pointed_at(model: Served, env: dict[str, str]) -> dict[str, str]:
    """`env` for an app whose model is the course model `model` serves (not one it starts itself)."""
    return dict(env, OPENAI_BASE_URL=f"{model.url}/v1", COURSE_MODEL="course-model")


def _served_app():
    """The course model in one process (as a real model is elsewhere), the web app in another, pointed at it."""
    env = offline_env()
    model = Served("helpers.course_model", ["--delay", str(PACED)], env, "/v1/models")
    return model, Served("helpers.web_app", [], pointed_at(model, env), "/")


def _client(url: str, address: str) -> httpx.AsyncClient:
    transport = httpx.AsyncHTTPTransport(local_address=address)
    return httpx.AsyncClient(base_url=url, timeout=TIMEOUT, transport=transport)


async def _one_client(url: str, address: str, ready: list, start: asyncio.Event, result: Round) -> None:
    async with _client(url, address) as client:
        try:
            session = (await client.post("/api/sessions")).json()["session_id"]
        except Exception as error:  # noqa: BLE001 - every failure is counted, none stops the round
            result.errors.append(f"session: {type(error).__name__}")
            return
        finally:
            ready.append(address)
        await start.wait()
        sent = time.perf_counter()
        first = None
        body = bytearray()  # a few KB: the whole stream, read raw (parsing it line by line costs the client CPU)
        try:
            async with asyncio.timeout(TIMEOUT):
                async with client.stream("POST", "/api/chat",
                                         json={"session_id": session, "message": QUESTION}) as response:
                    if response.status_code != 200:
                        result.errors.append(f"HTTP {response.status_code}")
                        return
                    async for chunk in response.aiter_raw():
                        first = first or time.perf_counter()  # the first bytes are the first event
                        body += chunk
        except TimeoutError:
            result.hangs += 1
            return
        except Exception as error:  # noqa: BLE001
            result.errors.append(type(error).__name__)
            return
        if problem := stream_problem(bytes(body)):
            result.errors.append(problem)
            return
        result.ttft_s.append(first - sent)
        result.total_s.append(time.perf_counter() - sent)


FLOOD_CONNECTIONS = 8  # the flooding client's requests in flight at once


async def _flood(url: str, stop: asyncio.Event, result: Round, limit: int) -> None:
    """One client creating sessions as fast as it can (at most `limit`), until the round is over."""
    statuses: dict[int, int] = {}
    started = time.perf_counter()
    sent = 0

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal sent
        while sent < limit and not stop.is_set():
            sent += 1
            try:
                status = (await client.post("/api/sessions")).status_code
            except httpx.HTTPError:
                status = 0
            statuses[status] = statuses.get(status, 0) + 1

    async with _client(url, "127.0.0.2") as client:
        await asyncio.gather(*(worker(client) for _ in range(FLOOD_CONNECTIONS)))
    result.flood_statuses, result.flood_seconds = statuses, time.perf_counter() - started


async def _big_body(url: str, pid: int, megabytes: int, result: Round) -> None:
    """One client POSTing `megabytes` MB of JSON, produced 1 MB at a time; records the app's RSS growth."""
    piece = b"1" * MB

    async def pieces():
        yield b'{"session_id": "AAAAAAAAAAAAAAAAAAAAAA", "message": "'
        for _ in range(megabytes):
            yield piece

    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")  # reset the app's peak RSS to its RSS now
        before = _kb(pid, "VmRSS")
    except OSError:
        before = None
    started = time.perf_counter()
    async with _client(url, "127.0.0.3") as client:
        try:
            response = await client.post("/api/chat", content=pieces(), headers={"content-type": "application/json"})
            result.big_body = f"HTTP {response.status_code} after {time.perf_counter() - started:.1f} s"
        except httpx.HTTPError as error:
            result.big_body = f"{type(error).__name__} after {time.perf_counter() - started:.1f} s"
    if before is not None:
        result.big_body_rss_mb = (_kb(pid, "VmHWM") - before) / 1024


async def _hostile(spec: dict) -> None:
    """The hostile clients, in a process of their own (`--hostile`): so their own CPU use does not slow the
    measuring clients, only what they do to the app does. They start at once and flood until a line on stdin."""
    result = Round("hostile", 0)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    async def stop_on_stdin() -> None:
        await loop.run_in_executor(None, sys.stdin.readline)
        stop.set()

    watcher = asyncio.create_task(stop_on_stdin())
    print("started", flush=True)
    await asyncio.gather(_flood(spec["url"], stop, result, spec["flood_limit"]),
                         _big_body(spec["url"], spec["pid"], spec["body_mb"], result))
    await watcher
    print(json.dumps({"flood_statuses": result.flood_statuses, "flood_seconds": result.flood_seconds,
                      "big_body": result.big_body, "big_body_rss_mb": result.big_body_rss_mb}), flush=True)


async def _round(url: str, pid: int, label: str, clients: int, *, hostile: bool, flood_limit: int,
                 body_mb: int) -> Round:
    result = Round(label, clients, big_body_mb=body_mb if hostile else 0)
    start = asyncio.Event()
    ready: list[str] = []
    readers = [asyncio.create_task(_one_client(url, f"127.0.1.{n + 1}", ready, start, result))
               for n in range(clients)]
    for _ in range(int(TIMEOUT / 0.05)):  # every client has its session before anyone asks (bounded)
        if len(ready) == clients:
            break
        await asyncio.sleep(0.05)
    others = None
    if hostile:
        spec = {"url": url, "pid": pid, "flood_limit": flood_limit, "body_mb": body_mb}
        others = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "benchmarks.web_app_load", "--hostile", json.dumps(spec), cwd=ROOT,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
        await asyncio.wait_for(others.stdout.readline(), STARTUP_TIMEOUT)
        await asyncio.sleep(0.2)  # the flood and the upload are under way when the clients ask
    start.set()
    await asyncio.wait(readers, timeout=TIMEOUT + 10)
    for task in readers:
        if not task.done():
            task.cancel()
            result.hangs += 1
    if others is not None:
        try:
            others.stdin.write(b"stop\n")
            await others.stdin.drain()
            others.stdin.close()
            report = json.loads((await asyncio.wait_for(others.stdout.read(), TIMEOUT)).splitlines()[-1])
            report["flood_statuses"] = {int(k): v for k, v in report["flood_statuses"].items()}
            for name, value in report.items():
                setattr(result, name, value)
            await asyncio.wait_for(others.wait(), 15)
        except (TimeoutError, IndexError, ValueError):
            result.hangs += 1
            if others.returncode is None:
                others.kill()
                await others.wait()
    return result


def _pooled(label: str, rounds: list[Round]) -> Round:
    """Several rounds as one: every client's figures together, the hostile clients' of the last one."""
    pooled = Round(label, sum(r.clients for r in rounds), big_body_mb=rounds[-1].big_body_mb)
    for r in rounds:
        pooled.ttft_s += r.ttft_s
        pooled.total_s += r.total_s
        pooled.errors += r.errors
        pooled.hangs += r.hangs
    pooled.flood_statuses, pooled.flood_seconds = rounds[-1].flood_statuses, rounds[-1].flood_seconds
    pooled.big_body, pooled.big_body_rss_mb = rounds[-1].big_body, rounds[-1].big_body_rss_mb
    if len(rounds) > 1 and pooled.big_body:
        pooled.big_body += f" (each of {len(rounds)} rounds: " + "; ".join(r.big_body for r in rounds) + ")"
        pooled.big_body_rss_mb = max(r.big_body_rss_mb or 0.0 for r in rounds)
    return pooled


def measure(clients: int = 100, *, repeats: int = 3, flood_limit: int = 5000, body_mb: int = 200) -> list[Round]:
    """One client alone, for reference; then unloaded and loaded rounds, alternated `repeats` times and pooled.

    Alternating spreads whatever else the machine is doing over both kinds of round alike.
    """

    async def rounds(app: Served) -> list[Round]:
        pid = app.process.pid
        await _round(app.url, pid, "warm-up", 5, hostile=False, flood_limit=0, body_mb=0)
        alone = await _round(app.url, pid, "1 client", 1, hostile=False, flood_limit=0, body_mb=0)
        unloaded, loaded = [], []
        for _ in range(repeats):
            unloaded.append(await _round(app.url, pid, "", clients, hostile=False, flood_limit=0, body_mb=0))
            loaded.append(await _round(app.url, pid, "", clients, hostile=True, flood_limit=flood_limit,
                                       body_mb=body_mb))
        times = f" (× {repeats} rounds)" if repeats > 1 else ""
        return [alone, _pooled(f"{clients} clients{times}", unloaded),
                _pooled(f"{clients} clients + a session flood + a {body_mb} MB body{times}", loaded)]

    model, app = _served_app()
    with model, app:
        return asyncio.run(rounds(app))


def render(rounds: list[Round]) -> str:
    """The report's section: a table, what the hostile clients got, and the target."""
    lines = ["## The web app under load (chapter 05)", "",
             f"`python -m helpers.web_app` in its own process; the course model in another, paced at "
             f"{PACED * 1000:g} ms per token; "
             f"question {QUESTION!r}; each SSE client on its own loopback address. TTFT = request sent → first "
             "SSE event.", "",
             "| Round | Clients | Answered | Errors | Hangs | TTFT p50 ms | TTFT p99 ms | TTFT max ms | Done p50 ms |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in rounds:
        done = percentile(r.total_s, 50) * 1000 if r.total_s else float("nan")
        worst = max(r.ttft_s) * 1000 if r.ttft_s else float("nan")
        lines.append(f"| {r.label} | {r.clients} | {len(r.ttft_s)} | {len(r.errors)} | {r.hangs} "
                     f"| {r.summary(50):.0f} | {r.summary(99):.0f} | {worst:.0f} | {done:.0f} |")
    hostile = [r for r in rounds if r.flood_statuses or r.big_body]
    for r in hostile:
        created = sum(r.flood_statuses.values())
        lines += ["", f"- Session flood (one client, {FLOOD_CONNECTIONS} connections; last round): {created} requests "
                  f"in {r.flood_seconds:.1f} s, statuses "
                  + json.dumps({str(k): v for k, v in sorted(r.flood_statuses.items())}),
                  f"- {r.big_body_mb} MB body (one client): {r.big_body}"
                  + (f"; the app's peak RSS grew by {r.big_body_rss_mb:.1f} MB" if r.big_body_rss_mb is not None
                     else "")]
        if r.errors:
            lines.append(f"- Errors: {', '.join(sorted(set(r.errors)))}")
    if len(rounds) >= 2:
        unloaded, loaded = rounds[-2:]
        ratio = loaded.summary(99) / unloaded.summary(99)
        clean = all(not r.errors and not r.hangs for r in (unloaded, loaded))
        met = clean and ratio <= TTFT_RATIO_TARGET
        lines += ["", f"Target: 0 errors, 0 hangs, loaded p99 TTFT ≤ {TTFT_RATIO_TARGET:g}× unloaded: "
                  f"{loaded.summary(99):.0f} / {unloaded.summary(99):.0f} ms = {ratio:.2f}× → "
                  + ("**met**" if met else "**not met**")]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # python -m benchmarks.web_app_load [--quick]
    if sys.argv[1:2] == ["--hostile"]:
        asyncio.run(_hostile(json.loads(sys.argv[2])))
    else:
        print(render(measure(**QUICK) if "--quick" in sys.argv else measure()))
