"""Whose code spends chapter 05's web app's CPU per agent question, by package (cProfile).

`web_app_cpu` measures how much CPU the app spends; this says whose code spends it. The app
runs through `profiled_app` (asyncio's loop and uvicorn's httptools protocol, profiled after a
warm-up, on the CPU clock), the course model in its own process; `QUESTIONS` questions one at a time, each in a new session.
Each function's own time goes to its package, a builtin's or standard-library helper's to its
nearest caller that has one (`attribution.by_nearest_owner`); the loop's sleeps are left out.
cProfile makes the milliseconds about four times the real ones; the shares are the point.

    python -m benchmarks.web_app_profile [--delay 0.02] [--questions N]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pstats

from .attribution import by_nearest_owner, owner
from .web_app_cpu import QUESTION, ask_one, new_addresses, one_at_a_time
from .web_app_load import Served, offline_env, pointed_at

QUESTIONS = 40
PROFILE_TIMEOUT = 30.0  # seconds for the app to write its statistics

WEB_SERVER = ("/uvicorn/", "/starlette/", "/fastapi/")
WAITING = "waiting for the network (not CPU)"
# Places benchmarks/README.md names: two in the openai SDK, and the kernel's work in `socket.send` (one call per
# SSE event the app writes), which a wall-clock profile overstated (20 ms per paced question; 2 ms of CPU).
HOT_SPOTS = {
    "openai SDK: preparing each request (`async_maybe_transform`)": ("openai/_utils/_transform.py", "async_maybe_transform"),
    "openai SDK: an object per streamed chunk (`_process_response_data`)": ("openai/_base_client.py",
                                                                           "_process_response_data"),
    "the kernel, sending on sockets (`socket.send`: events to the clients, requests to the model)": (
        "~", "<method 'send' of '_socket.socket' objects>"),
}


def web_owner(function: tuple[str, int, str]) -> str:
    """`attribution.owner`, plus the web server's packages (HTTP parsing included) and the loop's sleep."""
    filename, _, name = function
    if name == "<method 'poll' of 'select.epoll' objects>":
        return WAITING
    if any(fragment in filename for fragment in WEB_SERVER):
        return "web server (uvicorn, Starlette, FastAPI)"
    return owner(filename)


@dataclass
class Profile:
    delay: float
    questions: int
    ms_per_question: dict[str, float]  # per owner, without the waiting
    hot_spots: dict[str, float]  # ms per question, each function with what it calls


def _hot_spots(stats: pstats.Stats, questions: int) -> dict[str, float]:
    found = dict.fromkeys(HOT_SPOTS, 0.0)
    for (filename, _, name), (_, _, _, cumulative, _) in stats.stats.items():  # type: ignore[attr-defined]
        for label, (file_end, function) in HOT_SPOTS.items():
            if filename.endswith(file_end) and name == function:
                found[label] += cumulative / questions * 1000
    return found


async def _ask_profiled(url: str, pid: int, profile_file: Path, questions: int) -> None:
    addresses = new_addresses()
    for _ in range(2):  # warm-up, unprofiled: first imports, first connection to the model
        await ask_one(url, next(addresses))
    os.kill(pid, signal.SIGUSR1)
    await asyncio.sleep(0.2)  # the handler runs when the app's loop next gets to Python code
    errors = (await one_at_a_time(url, pid, questions, addresses)).errors
    os.kill(pid, signal.SIGUSR2)
    deadline = time.monotonic() + PROFILE_TIMEOUT
    while not profile_file.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"the app wrote no profile within {PROFILE_TIMEOUT} s")
        await asyncio.sleep(0.1)
    if errors:
        raise RuntimeError(f"questions failed: {errors}")


def profile(delay: float = 0.0, questions: int = QUESTIONS) -> Profile:
    env = offline_env()
    with contextlib.ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="web-app-profile-")))
        profile_file = folder / "app.prof"
        model = stack.enter_context(Served("helpers.course_model", ["--delay", str(delay)], env, "/v1/models"))
        app_env = pointed_at(model, env)
        app = stack.enter_context(Served("benchmarks.profiled_app", ["--profile-out", str(profile_file)], app_env, "/"))
        asyncio.run(_ask_profiled(app.url, app.process.pid, profile_file, questions))
        stats = pstats.Stats(str(profile_file))
        spent = by_nearest_owner(stats, web_owner)  # the file is read once
    spent.pop(WAITING, None)
    per_question = {name: seconds / questions * 1000 for name, seconds in spent.items()}
    return Profile(delay, questions, per_question, _hot_spots(stats, questions))


def render(result: Profile) -> str:
    total = sum(result.ms_per_question.values())
    pace = f"{result.delay * 1000:g} ms per token" if result.delay else "no delay"
    lines = [f"## Web app: whose code spends its CPU per agent question ({pace})", "",
             f"`{QUESTION}` through `python -m helpers.web_app` (the executor, asyncio's loop, uvicorn's httptools protocol), "
             f"{result.questions} questions under cProfile (about four times the real time; the shares count), "
             "the loop's sleeps left out.", "",
             "| owner | ms per question | share |", "| --- | ---: | ---: |"]
    for name, ms in Counter(result.ms_per_question).most_common():
        lines.append(f"| {name} | {ms:.1f} | {ms / total:.0%} |")
    lines.append(f"| **all** | **{total:.1f}** | **100%** |")
    lines += ["", "Of which (each with everything it calls):", ""]
    lines += [f"- {label}: {ms:.1f} ms per question, {ms / total:.0%}" for label, ms in result.hot_spots.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay", type=float, default=0.0, help="the course model's seconds per token (default: 0)")
    parser.add_argument("--questions", type=int, default=QUESTIONS, help="profiled questions (default: %(default)s)")
    args = parser.parse_args(argv)
    print(render(profile(args.delay, args.questions)))


if __name__ == "__main__":  # python -m benchmarks.web_app_profile [--delay S] [--questions N]
    main()
