"""Streams that survive (chapter 08): 100 clients, each dropped once mid-answer, each resuming with Last-Event-ID.

The app runs as a learner starts it (`python -m helpers.web_app`), the course model paced at 20 ms a
token in another process, each client on its own loopback address. All clients ask at once; each
closes its connection after a random number of answer tokens (1 to 6), then at once asks
`GET /api/runs/{run_id}/events` with the last id it saw, and reads to `done`. Afterwards it reads the
whole run again from the start, as the reference.

Per client: tokens lost (in the reference, never received), tokens repeated (received twice), whether
the received tokens spell the `answer`, and the time to resume: from closing the dropped connection to
the first event of the resumed stream. Target: 0 tokens lost and 0 repeated, no error, no hang.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from dataclasses import dataclass, field

import httpx

from .stats import percentile
from .web_app_load import PACED, Served, _client, offline_env, pointed_at

QUESTION = "What is (2 + 3) * (4 + 5)?"  # two tool steps, then an answer of a dozen tokens
TIMEOUT = 60.0  # seconds for any one client's whole exchange: longer is a hang
QUICK = {"clients": 20}


@dataclass
class Outcome:
    """Every client's figures, pooled."""

    clients: int
    resumed: int = 0
    tokens: int = 0  # in the reference runs, all clients together
    lost: int = 0
    repeated: int = 0
    spelled: int = 0  # clients whose received tokens spell the answer
    resume_s: list[float] = field(default_factory=list)
    first_s: list[float] = field(default_factory=list)  # the question's own first event, for comparison
    errors: list[str] = field(default_factory=list)
    hangs: int = 0


async def events_of(response: httpx.Response):
    """(id, type, data) for each event of an SSE response, as it arrives; comments skipped."""
    fields: dict[str, str] = {}
    async for line in response.aiter_lines():
        if line == "":
            if "event" in fields:
                yield int(fields.get("id", 0)), fields["event"], json.loads(fields["data"])
            fields = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(": ")
            fields[name] = value


def tally(received: list[tuple[int, str, dict]], reference: list[tuple[int, str, dict]], outcome: Outcome) -> None:
    """Add one client's tokens lost and repeated (by event id), and whether they spell the answer."""
    tokens = {event_id: data["text"] for event_id, kind, data in reference if kind == "token"}
    got = [event_id for event_id, kind, _ in received if kind == "token"]
    outcome.tokens += len(tokens)
    outcome.lost += len(set(tokens) - set(got))
    outcome.repeated += len(got) - len(set(got))
    answer = next((data["answer"] for _, kind, data in reference if kind == "answer"), None)
    text = "".join(data["text"] for _, kind, data in received if kind == "token")
    outcome.spelled += text == answer


async def one_client(url: str, address: str, drop_after: int, start: asyncio.Event, outcome: Outcome) -> None:
    async with _client(url, address) as client:
        session = (await client.post("/api/sessions")).json()["session_id"]
        await start.wait()
        received: list[tuple[int, str, dict]] = []
        sent = time.perf_counter()
        async with client.stream("POST", "/api/chat", json={"session_id": session, "message": QUESTION}) as response:
            if response.status_code != 200:
                outcome.errors.append(f"chat: HTTP {response.status_code}")
                return
            async for event in events_of(response):
                if not received:
                    outcome.first_s.append(time.perf_counter() - sent)
                received.append(event)
                if sum(kind == "token" for _, kind, _ in received) == drop_after or event[1] == "done":
                    break
        dropped = time.perf_counter()  # leaving the block closed the connection mid-answer
        if received[-1][1] == "done":
            outcome.errors.append("the answer ended before the drop")
            return
        run_id = received[0][2]["run_id"]
        headers = {"X-Session-Id": session, "Last-Event-ID": str(received[-1][0])}
        first = None
        async with client.stream("GET", f"/api/runs/{run_id}/events", headers=headers) as response:
            if response.status_code != 200:
                outcome.errors.append(f"resume: HTTP {response.status_code}")
                return
            async for event in events_of(response):
                first = first or time.perf_counter()
                received.append(event)
        outcome.resumed += 1
        outcome.resume_s.append(first - dropped)
        async with client.stream("GET", f"/api/runs/{run_id}/events", headers={"X-Session-Id": session}) as response:
            reference = [event async for event in events_of(response)]
        if reference[-1][1] != "done" or "error" in {kind for _, kind, _ in reference}:
            outcome.errors.append(f"the run ended with {[kind for _, kind, _ in reference[-2:]]}")
        tally(received, reference, outcome)


async def _run(url: str, clients: int, seed: int) -> Outcome:
    outcome = Outcome(clients)
    chance = random.Random(seed)
    start = asyncio.Event()

    async def bounded(n: int) -> None:
        try:
            async with asyncio.timeout(TIMEOUT):
                await one_client(url, f"127.0.1.{n + 1}", chance.randint(1, 6), start, outcome)
        except TimeoutError:
            outcome.hangs += 1
        except Exception as error:  # noqa: BLE001 - every failure is counted, none stops the round
            outcome.errors.append(type(error).__name__)

    tasks = [asyncio.create_task(bounded(n)) for n in range(clients)]
    await asyncio.sleep(1.0)  # every client has its session (a few ms each) before anyone asks
    start.set()
    await asyncio.wait(tasks, timeout=TIMEOUT + 30)
    return outcome


def measure(clients: int = 100, seed: int = 8) -> Outcome:
    env = offline_env()
    model = Served("helpers.course_model", ["--delay", str(PACED)], env, "/v1/models")
    app = Served("helpers.web_app", [], pointed_at(model, env), "/")
    with model, app:
        asyncio.run(_run(app.url, 5, seed))  # warm-up
        return asyncio.run(_run(app.url, clients, seed))


def render(outcome: Outcome) -> str:
    ms = (lambda q: percentile(outcome.resume_s, q) * 1000) if outcome.resume_s else (lambda q: float("nan"))
    met = (outcome.lost == 0 and outcome.repeated == 0 and not outcome.errors and not outcome.hangs
           and outcome.resumed == outcome.clients)
    lines = [
        "## Streams that survive a drop (chapter 08)", "",
        f"`python -m helpers.web_app` in its own process, the course model in another paced at {PACED * 1000:g} ms "
        f"a token; {outcome.clients} clients at once, each on its own loopback address, ask {QUESTION!r}, close "
        "their connection after 1 to 6 answer tokens, and resume at once with `Last-Event-ID`. "
        "Time to resume = dropped connection closed → first event of the resumed stream; for comparison, the "
        "time from sending the question to its first event (`run`), in the same round.", "",
        "| Clients | Resumed | Tokens | Lost | Repeated | Spell the answer | Errors | Hangs "
        "| Resume p50 ms | Resume p99 ms | Resume max ms | Question's first event p50 ms |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| {outcome.clients} | {outcome.resumed} | {outcome.tokens} | {outcome.lost} | {outcome.repeated} "
        f"| {outcome.spelled} | {len(outcome.errors)} | {outcome.hangs} | {ms(50):.1f} | {ms(99):.1f} "
        f"| {max(outcome.resume_s, default=float('nan')) * 1000:.1f} "
        f"| {percentile(outcome.first_s, 50) * 1000 if outcome.first_s else float('nan'):.1f} |",
    ]
    if outcome.errors:
        lines += ["", f"- Errors: {', '.join(sorted(set(outcome.errors)))}"]
    lines += ["", "Target: 0 tokens lost, 0 repeated, every client resumed, no error, no hang → "
              + ("**met**" if met else "**not met**")]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # python -m benchmarks.web_app_resume [--quick]
    print(render(measure(**QUICK) if "--quick" in sys.argv else measure()))
