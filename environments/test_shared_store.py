"""Chapter 08's scale-out on real servers: two web app processes share Postgres, runs' logs live in Redis.

Postgres and Redis come from Debian's packages (`.ci/run` installs `postgresql` and
`redis-server`); each test session starts its own on loopback, in a temporary
folder, on free ports, and stops them afterwards. Postgres refuses to run as root,
so as root the cluster belongs to the `postgres` user the Debian package creates.
"""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest

from conftest import ROOT, background_server, course_model_env, free_port

WAIT = 30


def postgres_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}")) or [shutil.which(name)]
    if not found[-1]:
        pytest.fail(f"{name} not found: install Debian's postgresql package (apt-get install postgresql)")
    return found[-1]


@pytest.fixture(scope="module")
def postgres_url(tmp_path_factory):
    # Not under pytest's folder: as root that is private to root, and the cluster runs as `postgres`.
    folder = Path(tempfile.mkdtemp(prefix="course-postgres-"))
    data, port = folder / "data", free_port()
    as_user = []
    if os.getuid() == 0:
        as_user = ["runuser", "-u", "postgres", "--"]
        shutil.chown(folder, "postgres")
    subprocess.run([*as_user, postgres_bin("initdb"), "-D", str(data), "-A", "trust", "-U", "course"],
                   check=True, capture_output=True, timeout=120)
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run([*as_user, postgres_bin("pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log"),
                    "-w", "-t", "60", "start"], check=True, capture_output=True, timeout=120)
    try:
        yield f"postgresql://course@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*as_user, postgres_bin("pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                       capture_output=True, timeout=60)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    server = shutil.which("redis-server")
    if server is None:
        pytest.fail("redis-server not found: install Debian's redis-server package (apt-get install redis-server)")
    port = free_port()
    process = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + WAIT
        while subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True).stdout.strip() != b"PONG":
            assert time.monotonic() < deadline and process.poll() is None, "redis-server did not start"
            time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=15)


def app_command(port: int, *options: str) -> list[str]:
    return [sys.executable, "-m", "helpers.web_app", "--port", str(port), *options]


def serve(port: int, log: Path, *options: str, delay: str = "0"):
    env = {**course_model_env(), "COURSE_MODEL_DELAY": delay}
    return background_server(app_command(port, *options), f"http://127.0.0.1:{port}/", log, env, cwd=ROOT)


def answer_in(body: str) -> str | None:
    for kind, data in re.findall(r"event: (\w+)\ndata: ([^\n]*)\n", body):
        if kind == "answer":
            return json.loads(data)["answer"]
    return None


def ask(url: str, session: str, message: str) -> tuple[int, str]:
    with httpx.Client(base_url=url, timeout=WAIT) as client:
        response = client.post("/api/chat", json={"session_id": session, "message": message})
        return response.status_code, response.text


def new_session(url: str) -> str:
    response = httpx.post(f"{url}/api/sessions", timeout=WAIT)
    assert response.status_code == 201, response.text
    return response.json()["session_id"]


@pytest.mark.parametrize("agent", ["executor", "langchain"])
def test_two_app_processes_share_conversations_in_postgres(agent, postgres_url, tmp_path):
    one, two = free_port(), free_port()
    with serve(one, tmp_path / "one.log", "--agent", agent, "--store", postgres_url):
        with serve(two, tmp_path / "two.log", "--agent", agent, "--store", postgres_url):
            first, second = f"http://127.0.0.1:{one}", f"http://127.0.0.1:{two}"
            session = new_session(first)
            assert answer_in(ask(first, session, "What is 10 + 10?")[1]) == "10 + 10 is 20."
            # The other process never saw this session: it finds it, and its history, in Postgres.
            assert answer_in(ask(second, session, "Now multiply that by 3")[1]) == "20 × 3 is 60."
            assert answer_in(ask(first, session, "Now add 4")[1]) == "60 + 4 is 64.", \
                "the first process reads the turn the second added"


@pytest.mark.parametrize("agent", ["executor", "langchain"])
def test_a_process_killed_mid_run_leaves_whole_turns_and_the_learner_can_ask_again(agent, postgres_url, tmp_path):
    one, two = free_port(), free_port()
    with serve(two, tmp_path / "two.log", "--agent", agent, "--store", postgres_url):
        second = f"http://127.0.0.1:{two}"
        with serve(one, tmp_path / "one.log", "--agent", agent, "--store", postgres_url, delay="0.2") as process:
            first = f"http://127.0.0.1:{one}"
            session = new_session(first)
            assert answer_in(ask(first, session, "What is 10 + 10?")[1]) == "10 + 10 is 20."
            with httpx.Client(base_url=first, timeout=WAIT) as client:
                with client.stream("POST", "/api/chat", json={"session_id": session, "message": "What is 2 + 3?"}) as r:
                    seen = ""
                    for text in r.iter_text():
                        seen += text
                        if "event: tool_result" in seen:  # the tool ran: the thread has checkpoints of half a turn
                            break
                    process.send_signal(signal.SIGKILL)
                    process.wait(timeout=WAIT)
        # On the other process: the killed turn is not part of the conversation, and the learner asks again.
        assert answer_in(ask(second, session, "Now multiply that by 3")[1]) == "20 × 3 is 60."
        assert answer_in(ask(second, session, "What is 2 + 3?")[1]) == "2 + 3 is 5."


RUN_AND_DIE = """
import asyncio, os, signal, sys
from helpers.web_app import events
from helpers.web_app.event_log import owner_digest
from helpers.web_app.redis_event_log import RedisEventLog

async def main():
    log = await RedisEventLog.connect(sys.argv[1], lease_seconds=1.0)
    await log.open("run-of-a-dying-process", owner_digest("session"))
    await log.append("run-of-a-dying-process", events.token("Twenty"))
    print("appended", flush=True)
    os.kill(os.getpid(), signal.SIGKILL)

asyncio.run(main())
"""


async def test_a_reader_of_a_run_whose_process_was_killed_gets_an_error_then_done(redis_url):
    from helpers.web_app.event_log import follow
    from helpers.web_app.redis_event_log import DIED_MESSAGE, RedisEventLog

    died = subprocess.run([sys.executable, "-c", RUN_AND_DIE, redis_url], capture_output=True, text=True,
                          timeout=WAIT, cwd=ROOT)
    assert died.returncode == -signal.SIGKILL and "appended" in died.stdout, died.stderr
    log = await RedisEventLog.connect(redis_url, lease_seconds=1.0)
    try:
        started = time.monotonic()
        seen = [item async for item in follow(log, "run-of-a-dying-process", 0, heartbeat=0.5, max_silence=WAIT)]
        events = [(item.id, item.type, item.data) for item in seen if item is not None]
        assert events == [(1, "token", {"text": "Twenty"}), (2, "error", {"message": DIED_MESSAGE}), (3, "done", {})]
        assert time.monotonic() - started < WAIT
        # A second reader, from the start, gets exactly the same ending: it was written once.
        again = [item async for item in follow(log, "run-of-a-dying-process", 0, heartbeat=0.5, max_silence=WAIT)]
        assert [(item.id, item.type) for item in again if item is not None] == [(1, "token"), (2, "error"), (3, "done")]
    finally:
        await log.aclose()
