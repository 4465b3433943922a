"""Chapter 08's scale-out on real servers: two web app processes share Postgres, runs' logs live in Redis.

With `--store postgresql://...` and `--events redis://...` the two processes share sessions,
histories and runs: a stream dropped on one resumes on the other, a process killed mid-run
leaves the reconnecting client an `error` then `done` and whole turns only, and a session
answers one question at a time across both. The event log's contract tests
(tests/test_event_log.py) and the in-process shared-events tests run here too, on Redis,
where a missing redis-server fails rather than skips.

Postgres and Redis come from Debian's packages (`.ci/run` installs `postgresql` and
`redis-server`); each test session starts its own on loopback, in a temporary
folder, on free ports, and stops them afterwards. Postgres refuses to run as root,
so as root the cluster belongs to the `postgres` user the Debian package creates.
"""

from __future__ import annotations

import asyncio
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


def test_the_event_log_contract_and_shared_events_tests_run_on_redis(tmp_path):
    """tests/ skips its Redis tests when no redis-server is on PATH; here they must run, and pass."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-o", "addopts=", "-q", "-rs", "-p", "no:randomly",
         "tests/test_event_log.py", "tests/test_web_app_shared_events.py"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
        env={**course_model_env(), "COURSE_REQUIRE_REDIS": "1"})
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else result.stderr[-2000:]
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "skipped" not in summary and "[redis]" not in result.stdout, summary  # -rs would list a skip
    assert int(summary.split(" passed")[0].split()[-1]) >= 30, summary


def sse_events(lines) -> list[tuple[int | None, str, dict]]:
    """(id, type, data) of each event in an iterator of SSE lines, as they arrive (comments left out)."""
    fields: dict[str, str] = {}
    for line in lines:
        if line == "":
            if "event" in fields:
                yield (int(fields["id"]) if "id" in fields else None, fields["event"], json.loads(fields["data"]))
            fields = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(": ")
            fields[name] = value


def read_run(url: str, run_id: str, session: str, last_id: int | None = None) -> list[tuple]:
    """Every event of `GET /api/runs/{run_id}/events` to `done` (after `last_id` if given)."""
    headers = {"X-Session-Id": session, **({"Last-Event-ID": str(last_id)} if last_id is not None else {})}
    with httpx.Client(base_url=url, timeout=WAIT) as client:
        with client.stream("GET", f"/api/runs/{run_id}/events", headers=headers) as response:
            assert response.status_code == 200, response.read()
            return list(sse_events(response.iter_lines()))


def start_and_drop(url: str, session: str, message: str, until: str) -> list[tuple]:
    """POST a question, read its events up to the first `until` event, then close the connection mid-answer."""
    seen = []
    with httpx.Client(base_url=url, timeout=WAIT) as client:
        with client.stream("POST", "/api/chat", json={"session_id": session, "message": message}) as response:
            assert response.status_code == 200, response.read()
            for event in sse_events(response.iter_lines()):
                seen.append(event)
                if event[1] == until:
                    break
    return seen


def shared(postgres_url: str, redis_url: str, agent: str) -> tuple[str, ...]:
    return ("--agent", agent, "--store", postgres_url, "--events", redis_url, "--heartbeat", "1")


@pytest.mark.parametrize("agent", ["executor", "langchain"])
def test_a_stream_dropped_on_one_process_resumes_on_the_other_with_nothing_lost_or_repeated(
        agent, postgres_url, redis_url, tmp_path):
    one, two = free_port(), free_port()
    with serve(one, tmp_path / "one.log", *shared(postgres_url, redis_url, agent), delay="0.05"):
        with serve(two, tmp_path / "two.log", *shared(postgres_url, redis_url, agent)):
            first, second = f"http://127.0.0.1:{one}", f"http://127.0.0.1:{two}"
            session = new_session(first)
            before = start_and_drop(first, session, "What is (2 + 3) * (4 + 5)?", until="token")
            run_id, last_id = before[0][2]["run_id"], before[-1][0]
            after = read_run(second, run_id, session, last_id)
            assert any(kind == "token" for _, kind, _ in after), "the drop was mid-answer: tokens came after it"
            whole = read_run(second, run_id, session)  # the run's full event list, from the start
            assert before + after == whole, "nothing lost, nothing twice"
            assert [event[0] for event in whole] == list(range(1, len(whole) + 1))
            assert whole[-2][1] == "answer" and whole[-1][1] == "done"
            answer = whole[-2][2]["answer"]
            assert answer == "(2 + 3) × (4 + 5) is 45.", answer
            assert "".join(data["text"] for _, kind, data in whole if kind == "token").strip() == answer


@pytest.mark.parametrize("agent", ["executor", "langchain"])
def test_a_process_killed_mid_run_gives_the_client_on_the_other_an_error_then_done(
        agent, postgres_url, redis_url, tmp_path):
    from helpers.web_app.redis_event_log import DIED_MESSAGE

    one, two = free_port(), free_port()
    with serve(two, tmp_path / "two.log", *shared(postgres_url, redis_url, agent)):
        second = f"http://127.0.0.1:{two}"
        with serve(one, tmp_path / "one.log", *shared(postgres_url, redis_url, agent), delay="0.2") as process:
            first = f"http://127.0.0.1:{one}"
            session = new_session(first)
            assert answer_in(ask(first, session, "What is 10 + 10?")[1]) == "10 + 10 is 20."
            before = start_and_drop(first, session, "What is 2 + 3?", until="tool_result")  # half a turn checkpointed
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=WAIT)
        run_id, last_id = before[0][2]["run_id"], before[-1][0]
        started = time.monotonic()
        after = read_run(second, run_id, session, last_id)
        assert [(event_id, kind) for event_id, kind, _ in after] == [(last_id + 1, "error"), (last_id + 2, "done")]
        assert after[0][2] == {"message": DIED_MESSAGE}
        assert time.monotonic() - started < WAIT
        # The conversation kept whole turns only: the follow-up builds on 10 + 10, never on the killed 2 + 3.
        assert answer_in(ask(second, session, "Now multiply that by 3")[1]) == "20 × 3 is 60."
        assert answer_in(ask(second, session, "What is 2 + 3?")[1]) == "2 + 3 is 5.", "the learner asks again"


@pytest.mark.parametrize("agent", ["executor", "langchain"])
def test_two_processes_answer_one_session_one_question_at_a_time(agent, postgres_url, redis_url, tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    one, two = free_port(), free_port()
    with serve(one, tmp_path / "one.log", *shared(postgres_url, redis_url, agent), delay="0.05"):
        with serve(two, tmp_path / "two.log", *shared(postgres_url, redis_url, agent), delay="0.05"):
            first, second = f"http://127.0.0.1:{one}", f"http://127.0.0.1:{two}"
            session = new_session(first)
            with ThreadPoolExecutor(2) as pool:
                results = list(pool.map(lambda url: ask(url, session, "What is (2 + 3) * (4 + 5)?"), [first, second]))
            assert sorted(status for status, _ in results) == [200, 409], results
            assert "still answering" in next(body for status, body in results if status == 409)
            assert answer_in(next(body for status, body in results if status == 200)) == "(2 + 3) × (4 + 5) is 45."
            loser = second if results[1][0] == 409 else first
            assert answer_in(ask(loser, session, "Now add 5")[1]) == "45 + 5 is 50.", "then the other answers it"


CLAIM_AND_DIE = """
import asyncio, os, signal, sys
from helpers.web_app.event_log import owner_digest
from helpers.web_app.redis_event_log import RedisEventLog

async def main():
    log = await RedisEventLog.connect(sys.argv[1], lease_seconds=3.0)
    await log.open("run-of-a-process-about-to-die", owner_digest("claimed session"))
    print("claimed", flush=True)
    os.kill(os.getpid(), signal.SIGKILL)

asyncio.run(main())
"""


async def test_a_killed_process_claim_on_a_session_lapses_with_its_lease(redis_url):
    from helpers.web_app.event_log import SessionBusy, owner_digest
    from helpers.web_app.events import done
    from helpers.web_app.redis_event_log import RedisEventLog

    died = subprocess.run([sys.executable, "-c", CLAIM_AND_DIE, redis_url], capture_output=True, text=True,
                          timeout=WAIT, cwd=ROOT)
    assert died.returncode == -signal.SIGKILL and "claimed" in died.stdout, died.stderr
    log = await RedisEventLog.connect(redis_url, lease_seconds=1.0)
    try:
        with pytest.raises(SessionBusy):  # nobody has read the dead run: its claim holds until its lease lapses
            await log.open("next-run-of-the-session", owner_digest("claimed session"))
        deadline = time.monotonic() + WAIT
        while True:
            try:
                await log.open("next-run-of-the-session", owner_digest("claimed session"))
                break
            except SessionBusy:
                assert time.monotonic() < deadline, "the claim never lapsed"
                await asyncio.sleep(0.2)
        await log.append("next-run-of-the-session", done())
        await log.finish("next-run-of-the-session")
    finally:
        await log.aclose()
