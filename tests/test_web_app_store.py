"""Chapter 08's conversations that outlive the process: the web app on a SQLite store, restarted.

Each test serves the app with uvicorn on 127.0.0.1 (as tests/test_web_app.py does),
stops it, and serves a new app on the same store: what the learner asked before
the restart must still be there, whole turns only. Postgres and Redis are tested
in environments/test_shared_store.py, on real servers.
"""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys

import httpx
import pytest

from helpers.web_app import BackgroundServer, create_app
from helpers.web_app.store import StoreUnavailable, open_store, parse_store

WAIT = 30
both_agents = pytest.mark.parametrize("agent", ["executor", "langchain"])


async def ask(client: httpx.AsyncClient, session_id: str, message: str) -> tuple[int, str]:
    """The status and the whole SSE body of one question (bounded)."""
    async def exchange():
        async with client.stream("POST", "/api/chat", json={"session_id": session_id, "message": message}) as response:
            return response.status_code, "".join([text async for text in response.aiter_text()])

    return await asyncio.wait_for(exchange(), WAIT)


def answer_in(body: str) -> str | None:
    import json
    import re

    for kind, data in re.findall(r"event: (\w+)\ndata: ([^\n]*)\n", body):
        if kind == "answer":
            return json.loads(data)["answer"]
    return None


class Served:
    """One app on `store`, served until `stop()`; `client` talks to it."""

    def __init__(self, make_llm, store: str, **options) -> None:
        fault = options.pop("fault", None)
        self.app = create_app(lambda http: make_llm(fault=fault, http_async_client=http), store=store, **options)
        self.server = BackgroundServer(self.app).start()
        self.client = httpx.AsyncClient(base_url=self.server.url, timeout=10)

    async def new_session(self) -> str:
        response = await self.client.post("/api/sessions")
        assert response.status_code == 201, response.text
        return response.json()["session_id"]

    def history(self, session_id: str) -> list[str]:
        return [message.content for message in self.app.state.sessions.get(session_id).chat_history]

    async def stop(self) -> None:
        await self.client.aclose()
        self.server.stop()


@both_agents
async def test_a_restart_keeps_every_session_and_its_history(agent, make_llm, tmp_path):
    store = str(tmp_path / "conversations.sqlite")
    first = Served(make_llm, store, agent=agent)
    sessions = [await first.new_session(), await first.new_session()]
    assert answer_in((await ask(first.client, sessions[0], "What is 10 + 10?"))[1]) == "10 + 10 is 20."
    assert answer_in((await ask(first.client, sessions[1], "What is 2 + 3?"))[1]) == "2 + 3 is 5."
    await first.stop()

    again = Served(make_llm, store, agent=agent)
    try:
        assert len(again.app.state.sessions) == 2, "both sessions are back"
        # The follow-up needs the turn asked before the restart: the model reads it from the store.
        assert answer_in((await ask(again.client, sessions[0], "Now multiply that by 3"))[1]) == "20 × 3 is 60."
        assert again.history(sessions[0]) == ["What is 10 + 10?", "10 + 10 is 20.", "Now multiply that by 3",
                                              "20 × 3 is 60."]
        assert answer_in((await ask(again.client, sessions[1], "Now multiply that by 3"))[1]) == "5 × 3 is 15."
    finally:
        await again.stop()


@both_agents
async def test_memory_keeps_nothing_after_a_restart(agent, make_llm):
    first = Served(make_llm, "memory", agent=agent)
    session = await first.new_session()
    await ask(first.client, session, "What is 10 + 10?")
    await first.stop()
    again = Served(make_llm, "memory", agent=agent)
    try:
        status, body = await ask(again.client, session, "Now multiply that by 3")
        assert status == 404 and "Unknown or expired session" in body
    finally:
        await again.stop()


@both_agents
async def test_a_failed_turn_is_not_kept_and_the_next_question_carries_on(agent, make_llm, tmp_path):
    """The run fails after a tool ran (the thread has checkpoints of half a turn): after a restart the
    conversation holds whole turns only, and the model reads only those."""
    store = str(tmp_path / "conversations.sqlite")
    first = Served(make_llm, store, agent=agent)
    session = await first.new_session()
    assert answer_in((await ask(first.client, session, "What is 10 + 10?"))[1]) == "10 + 10 is 20."
    await first.stop()
    failing = Served(make_llm, store, agent=agent, fault="status=500@1")  # each question's second step fails
    _, failed = await ask(failing.client, session, "What is 2 + 3?")  # the tool ran, then the model call failed
    assert "event: tool_result" in failed and "event: error" in failed and answer_in(failed) is None
    await failing.stop()

    again = Served(make_llm, store, agent=agent)
    try:
        assert answer_in((await ask(again.client, session, "Now multiply that by 3"))[1]) == "20 × 3 is 60.", \
            "the failed turn is not part of the conversation"
        assert again.history(session) == ["What is 10 + 10?", "10 + 10 is 20.", "Now multiply that by 3",
                                          "20 × 3 is 60."]
    finally:
        await again.stop()
    assert await questions_kept(store, session, agent) == ["What is 10 + 10?", "Now multiply that by 3"], \
        "the store holds whole turns only"


async def questions_kept(store: str, session_id: str, agent: str) -> list[str]:
    """The questions the store holds for a session: the executor's turns, or the agent's thread as it is now."""
    if agent == "executor":
        rows = sqlite3.connect(store).execute(
            "SELECT question FROM web_app_turns WHERE session_id = ? ORDER BY turn", (session_id,)).fetchall()
        return [question for (question,) in rows]
    async with open_store(store) as kept:
        latest = await kept.checkpointer.aget_tuple({"configurable": {"thread_id": session_id}})
    return [message.content for message in latest.checkpoint["channel_values"]["messages"] if message.type == "human"]


@both_agents
async def test_the_turn_limit_holds_across_a_restart(agent, make_llm, tmp_path):
    store = str(tmp_path / "conversations.sqlite")
    first = Served(make_llm, store, agent=agent, max_turns=1)
    session = await first.new_session()
    await ask(first.client, session, "What is 10 + 10?")
    await ask(first.client, session, "What is 2 + 3?")
    await first.stop()
    again = Served(make_llm, store, agent=agent, max_turns=1)
    try:
        await again.app.state.sessions.open(session, again.app.state.new_conversation)
        assert again.history(session) == ["What is 2 + 3?", "2 + 3 is 5."]
        assert answer_in((await ask(again.client, session, "Now multiply that by 3"))[1]) == "5 × 3 is 15."
    finally:
        await again.stop()
    if agent == "executor":
        rows = sqlite3.connect(store).execute("SELECT question FROM web_app_turns WHERE session_id = ?",
                                              (session,)).fetchall()
        assert rows == [("Now multiply that by 3",)], "the store keeps the last turn only"


async def test_idle_expiry_and_the_per_client_limit_hold_across_a_restart(make_llm, tmp_path):
    store = str(tmp_path / "conversations.sqlite")
    first = Served(make_llm, store, max_sessions_per_client=2)
    oldest, newer = await first.new_session(), await first.new_session()
    await first.stop()

    again = Served(make_llm, store, max_sessions_per_client=2)
    try:
        newest = await again.new_session()  # a third from the same client: its least recently used one goes
        assert (await ask(again.client, oldest, "What is 2 + 3?"))[0] == 404
        assert (await ask(again.client, newer, "What is 2 + 3?"))[0] == 200
        assert {row[0] for row in sqlite3.connect(store).execute("SELECT session_id FROM web_app_sessions")} \
            == {newer, newest}, "the evicted session is gone from the store too"
    finally:
        await again.stop()

    con = sqlite3.connect(store)
    con.execute("UPDATE web_app_sessions SET last_used = last_used - 3600 WHERE session_id = ?", (newer,))
    con.commit()
    con.close()
    later = Served(make_llm, store, max_sessions_per_client=2, session_idle_seconds=60)
    try:
        assert (await ask(later.client, newer, "What is 2 + 3?"))[0] == 404, "idle for an hour: expired"
        assert (await ask(later.client, newest, "What is 2 + 3?"))[0] == 200
    finally:
        await later.stop()


@pytest.mark.parametrize("bad, words", [
    ("mysql://localhost/db", "unknown scheme"),
    ("redis://localhost:6379", "unknown scheme"),
    ("", "store must be"),
    ("sqlite:", "unknown scheme"),
])
def test_a_bad_store_is_refused_before_anything_starts(bad, words):
    with pytest.raises(ValueError, match=words) as refused:
        create_app(store=bad)
    assert "postgresql://" in str(refused.value) and "memory" in str(refused.value), "it says what is accepted"


def test_a_folder_is_not_a_sqlite_file(tmp_path):
    with pytest.raises(ValueError, match="is a folder: name the SQLite file"):
        parse_store(str(tmp_path))


async def test_a_store_that_cannot_be_opened_fails_the_start_up_clearly(tmp_path):
    (tmp_path / "a-file").write_text("")
    with pytest.raises(StoreUnavailable, match="cannot open the SQLite store .*a-file/x.sqlite"):
        async with open_store(str(tmp_path / "a-file" / "x.sqlite")):
            pass
    with pytest.raises(StoreUnavailable, match="cannot reach the Postgres store 127.0.0.1:9/nothing"):
        async with asyncio.timeout(WAIT):
            async with open_store("postgresql://nobody:secret@127.0.0.1:9/nothing"):
                pass


def test_the_command_line_refuses_a_bad_store_with_a_message():
    result = subprocess.run([sys.executable, "-m", "helpers.web_app", "--store", "mongodb://x"],
                            capture_output=True, text=True, timeout=WAIT)
    assert result.returncode == 2 and "--store" not in result.stdout
    assert "store must be `memory`" in result.stderr and "unknown scheme" in result.stderr


@both_agents
async def test_an_agui_thread_continues_after_a_restart_without_the_client_resending_it(agent, make_llm, tmp_path):
    """The thread keys the conversation in the store: a follow-up that sends only its question still remembers."""
    from test_agui import parse, run_input

    async def agui_answer(client: httpx.AsyncClient, body: dict) -> str:
        async def exchange():
            async with client.stream("POST", "/api/agui", json=body) as response:
                assert response.status_code == 200, await response.aread()
                return "".join([text async for text in response.aiter_text()])

        events = parse(await asyncio.wait_for(exchange(), WAIT))
        return "".join(event.delta for event in events if event.type == "TEXT_MESSAGE_CONTENT")

    store = str(tmp_path / "conversations.sqlite")
    first = Served(make_llm, store, agent=agent)
    body = run_input("What is 10 + 10?")
    assert await agui_answer(first.client, body) == "10 + 10 is 20."
    await first.stop()

    again = Served(make_llm, store, agent=agent)
    try:
        follow_up = run_input("Now multiply that by 3", thread_id=body["threadId"])  # no earlier messages
        assert await agui_answer(again.client, follow_up) == "20 × 3 is 60."
    finally:
        await again.stop()
