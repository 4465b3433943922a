"""Chapter 08's scale-out, in one test process: two web apps share runs' event logs in Redis (`events=`).

Each app is served by uvicorn on its own port and thread (test_web_app.py's `serve`), the
two on one SQLite store file (so both know every session) and one redis-server of the
tests' own (tests/conftest.py `redis_url`: skipped without the binary; environments/
test_shared_store.py runs them, and the same across processes on Postgres, requiring it).
Every wait is bounded.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest
from langchain_core.callbacks import AsyncCallbackHandler

from helpers.web_app import create_app
from helpers.web_app.event_log_choice import parse_events
from test_web_app import WAIT, both_agents, new_session, serve  # noqa: F401 (`serve` is a fixture)
from test_web_app_resume import chat, is_done, read_until, resume


class Paced(AsyncCallbackHandler):
    """Slows the app's model to `seconds` per token, so a run is still going when the test acts."""

    def __init__(self, seconds: float = 0.05) -> None:
        self.seconds = seconds

    async def on_llm_new_token(self, *args, **kwargs) -> None:
        await asyncio.sleep(self.seconds)


def two_apps(serve, agent: str, redis_url: str, store: str, **options):
    """Two apps, one store, one Redis: (client of the first, client of the second)."""
    _, first = serve(agent=agent, store=store, events=redis_url, **options)
    _, second = serve(agent=agent, store=store, events=redis_url, **options)
    return first, second


@both_agents
async def test_a_run_started_on_one_app_is_read_whole_from_the_other(agent, serve, redis_url, tmp_path):
    first, second = two_apps(serve, agent, redis_url, str(tmp_path / "store.sqlite"), callbacks=[Paced()])
    session = await new_session(first)
    async with chat(first, session) as response:
        assert response.status_code == 200
        before = await read_until(response, lambda event: event[1] == "token")  # mid-answer: then the client leaves
    async with resume(second, before[0][2]["run_id"], session, before[-1][0]) as response:
        assert response.status_code == 200
        after = await read_until(response, is_done)
    async with resume(second, before[0][2]["run_id"], session) as response:  # the whole run, from the start
        whole = await read_until(response, is_done)
    assert before + after == whole, "nothing lost, nothing twice"
    assert [event[0] for event in whole] == list(range(1, len(whole) + 1))
    assert any(kind == "answer" for _, kind, _ in whole)


@both_agents
async def test_one_session_answers_one_question_at_a_time_across_apps(agent, serve, redis_url, tmp_path):
    first, second = two_apps(serve, agent, redis_url, str(tmp_path / "store.sqlite"), callbacks=[Paced()])
    session = await new_session(first)
    await (await second.post("/api/sessions")).aread()  # the second app is warm too

    async def ask(client):
        async with chat(client, session) as response:
            if response.status_code != 200:
                return response.status_code, (await response.aread()).decode()
            return 200, await read_until(response, is_done)

    results = await asyncio.wait_for(asyncio.gather(ask(first), ask(second)), WAIT)
    assert sorted(status for status, _ in results) == [200, 409], results
    refused = next(body for status, body in results if status == 409)
    assert "still answering" in refused
    # Once the answer is done, the other app takes the next question of the same session.
    loser = second if results[1][0] == 409 else first
    status, events = await ask(loser)
    assert status == 200 and events[-1][1] == "done" and any(kind == "answer" for _, kind, _ in events)


@pytest.mark.parametrize("bad, words", [
    ("kafka://localhost", "events must be `memory`.* or a redis://"),
    ("redis://", "names no host"),
    ("redis://localhost:port/0", "port that is not a number"),
    ("redis://localhost:6379/zero", "database number"),
    ("", "events must be"),
])
def test_a_bad_events_value_is_refused_before_anything_starts(bad, words):
    with pytest.raises(ValueError, match=words):
        create_app(events=bad)
    with pytest.raises(ValueError, match=words):
        parse_events(bad)


def test_the_command_line_refuses_a_bad_events_url_with_a_message():
    result = subprocess.run([sys.executable, "-m", "helpers.web_app", "--events", "redis://:secret@/x"],
                            capture_output=True, text=True, timeout=WAIT)
    assert result.returncode == 2 and "Serving" not in result.stdout
    assert "names no host" in result.stderr and "secret" not in result.stderr


def test_an_unreachable_redis_fails_the_start_up_clearly_and_soon():
    result = subprocess.run([sys.executable, "-m", "helpers.web_app", "--store", "memory", "--port", "0",
                             "--events", "redis://127.0.0.1:9/0"], capture_output=True, text=True, timeout=WAIT)
    assert result.returncode != 0
    assert "cannot reach the Redis event log at redis://127.0.0.1:9/0" in result.stdout + result.stderr


def test_redis_is_imported_only_for_a_redis_event_log():
    code = ("import sys, asyncio\n"
            "from helpers.web_app import create_app\n"
            "app = create_app(events='memory')\n"
            "async def main():\n"
            "    async with app.router.lifespan_context(app):\n"
            "        pass\n"
            "asyncio.run(main())\n"
            "print('redis' in sys.modules)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=WAIT)
    assert result.stdout.strip() == "False", result.stderr
