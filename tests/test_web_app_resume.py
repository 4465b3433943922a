"""Streams that survive (chapter 08): ids on every event, resuming with Last-Event-ID, runs that outlive their
connection, explicit stops, who may read a run, how long its events are kept, heartbeats.

Through real HTTP, as test_web_app.py: uvicorn serves the app on 127.0.0.1 and httpx talks to it; a "drop" is
the client closing its connection mid-answer. Every wait is bounded.
"""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from settle import settled
from test_web_app import (WAIT, ModelWatcher, _snapshot, answer_of, ask, both_agents, new_session, on_loop,  # noqa: F401
                          parse, serve, until)


def chat(client: httpx.AsyncClient, session: str, message: str = "What is (2 + 3) * (4 + 5)?"):
    return client.stream("POST", "/api/chat", json={"session_id": session, "message": message})


def resume(client: httpx.AsyncClient, run_id: str, session: str, last_id: int | None = None, **params):
    headers = {"X-Session-Id": session} if session is not None else {}
    if last_id is not None:
        headers["Last-Event-ID"] = str(last_id)
    return client.stream("GET", f"/api/runs/{run_id}/events", headers=headers, params=params)


async def sse(response: httpx.Response):
    """Yield (id, type, data) for each event as it arrives, and ("comment", text) for a comment line."""
    fields: dict[str, str] = {}
    async for line in response.aiter_lines():
        if line.startswith(":"):
            yield ("comment", line[1:].strip())
        elif line == "":
            if "event" in fields:
                yield (int(fields["id"]) if "id" in fields else None, fields["event"], json.loads(fields["data"]))
            fields = {}
        else:
            name, _, value = line.partition(": ")
            fields[name] = value


async def read_until(response: httpx.Response, stop, seconds: float = WAIT) -> list[tuple]:
    """The events (not comments) of `response` up to and including the first for which `stop(event)` holds."""
    seen = []
    if not hasattr(response, "events"):  # one reader per response: a stream is read once
        response.events = sse(response)

    async def read():
        async for item in response.events:
            if item[0] == "comment":
                continue
            seen.append(item)
            if stop(item):
                return
        pytest.fail(f"the stream ended before the wanted event; got {[kind for _, kind, _ in seen]}")

    await asyncio.wait_for(read(), seconds)
    return seen


def is_done(event) -> bool:
    return event[1] == "done"


def text_of(events) -> str:
    return "".join(data["text"] for _, kind, data in events if kind == "token")


# -- ids, the run event, resuming ------------------------------------------------------------------------------


@both_agents
async def test_every_event_has_the_next_id_and_the_first_is_run_with_its_id(agent, serve):
    _, client = serve(agent=agent)
    session = await new_session(client)
    async with chat(client, session) as response:
        events = await read_until(response, is_done)
    assert [event_id for event_id, _, _ in events] == list(range(1, len(events) + 1))
    (first_id, first_kind, first_data), last = events[0], events[-1]
    assert (first_id, first_kind, list(first_data)) == (1, "run", ["run_id"])
    assert last[1] == "done"


@both_agents
async def test_a_dropped_stream_resumes_after_last_event_id_with_nothing_lost_or_repeated(agent, serve):
    app, client = serve(agent=agent, fault="delay=0.02")  # paced: the drop comes mid-answer
    session = await new_session(client)
    async with chat(client, session) as response:
        before = await read_until(response, lambda event: event[1] == "token")  # mid-answer: one token in
    # The connection is closed. The run goes on; the client comes back with the last id it saw.
    run_id, last_id = before[0][2]["run_id"], before[-1][0]
    async with resume(client, run_id, session, last_id) as response:
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
        after = await read_until(response, is_done)
    whole = before + after
    assert [event_id for event_id, _, _ in whole] == list(range(1, len(whole) + 1)), "no gap, no repeat"
    answer = next(data["answer"] for _, kind, data in whole if kind == "answer")
    assert answer == "(2 + 3) × (4 + 5) is 45." == text_of(whole)
    assert text_of(before) and text_of(after), "the drop came in the middle of the answer"
    assert dict(app.state.runs) == {"answered": 1}

    # Without Last-Event-ID the run is read from its start: the same events, all of them.
    async with resume(client, run_id, session) as response:
        assert await read_until(response, is_done) == whole


@both_agents
async def test_a_client_that_disconnects_leaves_its_run_going_to_the_end(agent, serve):
    watcher = ModelWatcher()
    app, client = serve(agent=agent, fault="delay=0.02", callbacks=[watcher])
    session = await new_session(client)
    async with chat(client, session, "What is 10 + 10?") as response:
        await read_until(response, lambda event: event[1] == "tool_call")
    await until(lambda: app.state.runs["answered"] == 1, "the run to answer, for nobody")
    assert dict(app.state.runs) == {"answered": 1} and watcher.errors == []
    stored = app.state.sessions.get(session)
    assert [message.content for message in stored.chat_history] == ["What is 10 + 10?", "10 + 10 is 20."]
    assert answer_of(await ask(client, session, "What is 2 + 3?")) == "2 + 3 is 5."


@both_agents
async def test_a_stop_cancels_the_run_which_ends_with_stopped_and_records_nothing(agent, serve):
    watcher = ModelWatcher()
    app, client = serve(agent=agent, fault="delay=0.05", callbacks=[watcher])  # 50 ms per token: seconds
    session = await new_session(client)
    before = await on_loop(serve.loop, _snapshot())
    async with chat(client, session, "What is 10 + 10?") as response:
        first = await read_until(response, lambda event: event[1] == "tool_call")
        run_id = first[0][2]["run_id"]
        stop = await client.post(f"/api/runs/{run_id}/stop", headers={"X-Session-Id": session})
        assert stop.status_code == 202, stop.text
        rest = await read_until(response, is_done)
    assert [kind for _, kind, _ in rest[-2:]] == ["stopped", "done"]
    assert "answer" not in {kind for _, kind, _ in rest}
    await until(lambda: app.state.runs["cancelled"] == 1, "the run to be cancelled")
    if agent == "executor":  # LangChain reports the cancelled call to its callbacks here
        await until(lambda: watcher.errors, "the model call to be cancelled")
        assert watcher.errors == ["CancelledError"]
    await on_loop(serve.loop, settled(before))  # nothing of the run is left to call the model
    assert (watcher.starts, watcher.ends) == (1, 0), "the model call was cancelled, and no other started"
    stored = app.state.sessions.get(session)
    assert stored.chat_history == [] and not stored.busy, "a stopped run records no turn and frees its session"
    again = await client.post(f"/api/runs/{run_id}/stop", headers={"X-Session-Id": session})
    assert (again.status_code, again.json()) == (200, {"detail": "The run had already finished."})
    assert answer_of(await ask(client, session, "What is 2 + 3?")) == "2 + 3 is 5."


# -- who may read or stop a run ---------------------------------------------------------------------------------


async def finished_run(client: httpx.AsyncClient) -> tuple[str, str]:
    session = await new_session(client)
    async with chat(client, session, "What is 10 + 10?") as response:
        events = await read_until(response, is_done)
    return session, events[0][2]["run_id"]


async def test_only_the_session_that_started_a_run_may_read_or_stop_it_and_nobody_learns_which_runs_exist(serve):
    _, client = serve(fault="delay=0.05")
    owner, run_id = await finished_run(client)
    other = await new_session(client)
    nobody = "A" * 22  # well formed, but no session's
    no_such = {"detail": "No such run for this session: unknown, expired, or started by another session."}
    answers = {}
    for name, (run, session) in {
        "another session's run": (run_id, other),
        "a made-up session": (run_id, nobody),
        "an unknown run": ("B" * 22, owner),
        "a malformed run id": ("short&odd", owner),
    }.items():
        async with resume(client, run, session) as response:
            await response.aread()
            answers[f"read {name}"] = (response.status_code, response.json())
        stop = await client.post(f"/api/runs/{run}/stop", headers={"X-Session-Id": session})
        answers[f"stop {name}"] = (stop.status_code, stop.json())
    assert answers == {name: (404, no_such) for name in answers}, answers

    async with resume(client, run_id, None) as response:  # no session at all
        await response.aread()
        assert response.status_code == 422 and "X-Session-Id" in response.json()["detail"]
    async with resume(client, run_id, "../../etc/passwd") as response:
        await response.aread()
        assert (response.status_code, response.json()) == (
            422, {"detail": "session_id is malformed: use the id that POST /api/sessions returned."})


async def test_a_page_with_eventsource_proves_its_session_with_the_session_id_query_parameter(serve):
    _, client = serve()
    owner, run_id = await finished_run(client)
    async with resume(client, run_id, None, session_id=owner) as response:
        assert response.status_code == 200
        events = await read_until(response, is_done)
    assert events[0][1:] == ("run", {"run_id": run_id})


async def test_a_stop_from_another_session_is_refused_and_the_run_goes_on(serve):
    app, client = serve(fault="delay=0.02")
    session, other = await new_session(client), await new_session(client)
    async with chat(client, session, "What is 10 + 10?") as response:
        first = await read_until(response, lambda event: event[1] == "tool_call")
        stop = await client.post(f"/api/runs/{first[0][2]['run_id']}/stop", headers={"X-Session-Id": other})
        rest = await read_until(response, is_done)
    assert stop.status_code == 404
    assert [kind for _, kind, _ in rest[-2:]] == ["answer", "done"] and dict(app.state.runs) == {"answered": 1}


@pytest.mark.parametrize(("last_event_id", "detail"), [
    ("seven", "Last-Event-ID must be the id of an event of this run: a whole number."),
    ("-1", "Last-Event-ID must be the id of an event of this run: a whole number."),
    ("999", "Last-Event-ID 999 is past this run's latest event ("),
])
async def test_a_last_event_id_that_is_not_one_of_the_runs_gets_a_clear_422(serve, last_event_id, detail):
    _, client = serve()
    session, run_id = await finished_run(client)
    response = await client.get(f"/api/runs/{run_id}/events",
                                headers={"X-Session-Id": session, "Last-Event-ID": last_event_id})
    assert response.status_code == 422 and response.json()["detail"].startswith(detail), response.text


async def test_resuming_after_the_last_event_of_a_finished_run_ends_at_once(serve):
    _, client = serve()
    session, run_id = await finished_run(client)
    async with resume(client, run_id, session) as response:
        last = (await read_until(response, is_done))[-1][0]
    async with resume(client, run_id, session, last) as response:
        body = await asyncio.wait_for(response.aread(), WAIT)
    assert response.status_code == 200 and body == b""


# -- how long events are kept, heartbeats -------------------------------------------------------------------------


async def test_a_finished_runs_events_are_kept_for_keep_run_seconds_then_forgotten(serve):
    _, client = serve(keep_run_seconds=1.0)
    session, run_id = await finished_run(client)
    async with resume(client, run_id, session) as response:
        assert (await read_until(response, is_done))[0][1] == "run"
    await asyncio.sleep(1.2)
    response = await client.get(f"/api/runs/{run_id}/events", headers={"X-Session-Id": session})
    assert response.status_code == 404


async def test_a_stream_with_nothing_to_send_sends_heartbeat_comments(serve):
    _, client = serve(fault="delay=0.4", heartbeat_seconds=0.1)  # 400 ms between tokens, a heartbeat each 100 ms
    session = await new_session(client)
    comments, kinds = 0, []
    async with chat(client, session, "What is 10 + 10?") as response:
        async def read():
            nonlocal comments
            async for item in sse(response):
                if item[0] == "comment":
                    assert item[1] == "keep-alive"
                    comments += 1
                else:
                    kinds.append(item[1])
                    if item[1] == "tool_result":
                        return
        await asyncio.wait_for(read(), WAIT)
    assert comments >= 3, f"{comments} heartbeats while the model was slow"


async def test_a_reader_that_reads_nothing_does_not_hold_up_the_run_or_another_reader(serve):
    app, client = serve(fault="delay=0.01")
    session = await new_session(client)
    async with chat(client, session, "What is 10 + 10?") as stalled:  # its first event read, then nothing more
        run_id = (await read_until(stalled, lambda event: event[1] == "run"))[0][2]["run_id"]
        await until(lambda: app.state.runs["answered"] == 1, "the run to answer while its first reader sleeps")
        async with resume(client, run_id, session) as response:
            events = await read_until(response, is_done)
        assert stalled.status_code == 200
    assert next(data["answer"] for _, kind, data in events if kind == "answer") == "10 + 10 is 20."
