"""Chapter 05's AG-UI endpoint, `POST /api/agui`, through real HTTP (uvicorn on 127.0.0.1, httpx), both agents.

Every event is read back with `ag-ui-protocol`'s own models, and the stream must
keep the protocol's order (what starts also ends, before RUN_FINISHED). The
official TypeScript client checks the same stream in environments/test_agui_client.py.
"""

from __future__ import annotations

import asyncio
import json
import random
import uuid

import httpx
import pytest
from ag_ui.core import Event, EventType
from ag_ui.encoder import EventEncoder
from langchain_core.messages import AIMessageChunk
from pydantic import TypeAdapter

from helpers.checks.scripted_agent import ScriptedAgentModel, tool_call_script
from helpers.web_app.agui_events import AguiRun
from helpers.web_app.events import Event as AppEvent
from test_web_app import WAIT, ModelWatcher, both_agents, on_loop, serve, settled, until, _snapshot  # noqa: F401

EVENTS = TypeAdapter(Event)
QUESTION = "What is 10 + 10?"


def run_input(question: str | None = QUESTION, thread_id: str | None = None, earlier: list | None = None,
              **fields) -> dict:
    """A RunAgentInput as `@ag-ui/client`'s HttpAgent sends it: camelCase, every field present."""
    messages = list(earlier or [])
    if question is not None:
        messages.append({"id": str(uuid.uuid4()), "role": "user", "content": question})
    return {"threadId": thread_id or str(uuid.uuid4()), "runId": str(uuid.uuid4()), "messages": messages,
            "tools": [], "context": [], "state": {}, "forwardedProps": {}, **fields}


def parse(text: str) -> list:
    """The AG-UI events of a complete SSE body, each as the protocol's model; fails on anything else.

    Each block must be exactly what `ag_ui.encoder.EventEncoder` writes for that event.
    """
    blocks = text.split("\n\n")
    assert blocks[-1] == "", "the stream ends with a complete event"
    events = []
    for block in blocks[:-1]:
        if block.startswith(":"):  # a keep-alive comment
            continue
        assert block.startswith("data: ") and "\n" not in block, f"not one data line: {block!r}"
        event = EVENTS.validate_json(block[len("data: "):])
        assert EventEncoder().encode(event) == block + "\n\n", "the official encoder writes the same bytes"
        events.append(event)
    return events


async def run(client: httpx.AsyncClient, body: dict) -> list:
    async def exchange():
        async with client.stream("POST", "/api/agui", json=body) as response:
            assert response.status_code == 200, await response.aread()
            assert response.headers["content-type"].startswith("text/event-stream")
            assert response.headers["cache-control"] == "no-cache"
            return parse("".join([text async for text in response.aiter_text()]))

    return await asyncio.wait_for(exchange(), WAIT)


def types_in_order(events: list) -> list[str]:
    """Event types with repeats collapsed: TOOL_CALL_ARGS x10 -> one TOOL_CALL_ARGS."""
    types = [event.type.value for event in events]
    return [kind for index, kind in enumerate(types) if index == 0 or types[index - 1] != kind]


def protocol_errors(events: list) -> list[str]:
    """What breaks AG-UI's order (a subset of `@ag-ui/client`'s own checks): [] if nothing."""
    errors, open_ = [], {}
    kinds = {"TEXT_MESSAGE": "message_id", "TOOL_CALL": "tool_call_id", "REASONING_MESSAGE": "message_id",
             "REASONING": "message_id", "STEP": "step_name"}
    for index, event in enumerate(events):
        kind = event.type.value
        if (index == 0) != (kind == "RUN_STARTED"):
            errors.append(f"{index}: {kind} where RUN_STARTED must be first, and only first")
        for family, key in kinds.items():
            ident = (family, getattr(event, key, None))
            if kind in (f"{family}_START", f"{family}_STARTED"):
                if ident in open_:
                    errors.append(f"{index}: {kind} for {ident} already open")
                open_[ident] = index
            elif kind in (f"{family}_CONTENT", f"{family}_ARGS") and ident not in open_:
                errors.append(f"{index}: {kind} for {ident} that is not open")
            elif kind in (f"{family}_END", f"{family}_FINISHED"):
                if open_.pop(ident, None) is None:
                    errors.append(f"{index}: {kind} for {ident} that is not open")
        if kind in ("RUN_FINISHED", "RUN_ERROR") and index != len(events) - 1:
            errors.append(f"{index}: {kind} is not last")
        if kind == "RUN_FINISHED" and open_:
            errors.append(f"RUN_FINISHED with {sorted(open_)} still open")
    return errors


def text_of(events: list) -> str:
    return "".join(event.delta for event in events if event.type == EventType.TEXT_MESSAGE_CONTENT)


def of_type(events: list, kind: EventType) -> list:
    return [event for event in events if event.type == kind]


# -- the stream ----------------------------------------------------------------------------------


@both_agents
async def test_a_question_streams_agui_events_in_order(agent, serve):
    app, client = serve(agent=agent)
    body = run_input()
    events = await run(client, body)

    assert protocol_errors(events) == []
    assert types_in_order(events) == [
        "RUN_STARTED",
        "STEP_STARTED", "TOOL_CALL_START", "TOOL_CALL_ARGS", "TOOL_CALL_END", "STEP_FINISHED",
        "TOOL_CALL_RESULT",
        "STEP_STARTED", "TEXT_MESSAGE_START", "TEXT_MESSAGE_CONTENT", "TEXT_MESSAGE_END", "STEP_FINISHED",
        "RUN_FINISHED"]
    started, finished = events[0], events[-1]
    assert (started.thread_id, started.run_id) == (body["threadId"], body["runId"])
    assert (finished.thread_id, finished.run_id) == (body["threadId"], body["runId"])
    assert finished.result == {"answer": "10 + 10 is 20.", "tools_used": ["add"], "finished": True}
    assert [event.step_name for event in of_type(events, EventType.STEP_STARTED)] == ["model call 1", "model call 2"]

    [call] = of_type(events, EventType.TOOL_CALL_START)
    assert call.tool_call_name == "add" and call.tool_call_id.startswith("call_") and call.parent_message_id
    arguments = of_type(events, EventType.TOOL_CALL_ARGS)
    assert len(arguments) > 3, "the call's arguments stream in pieces"
    assert "".join(piece.delta for piece in arguments) == '{"x":10,"y":10}'
    [result] = of_type(events, EventType.TOOL_CALL_RESULT)
    assert (result.tool_call_id, result.content) == (call.tool_call_id, "20.0")

    assert len(of_type(events, EventType.TEXT_MESSAGE_CONTENT)) > 3, "the answer streams in pieces"
    assert text_of(events) == "10 + 10 is 20."
    [message] = of_type(events, EventType.TEXT_MESSAGE_START)
    assert message.role == "assistant" and message.message_id != call.parent_message_id, "one message per model call"
    assert dict(app.state.runs) == {"answered": 1}


@both_agents
async def test_parallel_tool_calls_each_get_their_result(agent, serve):
    _, client = serve(agent=agent)
    events = await run(client, run_input("What is (2 + 3) * (4 + 5)?"))
    assert protocol_errors(events) == []
    arguments: dict[str, str] = {}
    for event in of_type(events, EventType.TOOL_CALL_ARGS):
        arguments[event.tool_call_id] = arguments.get(event.tool_call_id, "") + event.delta
    results = {event.tool_call_id: event.content for event in of_type(events, EventType.TOOL_CALL_RESULT)}
    assert {arguments[call_id]: content for call_id, content in results.items()} == {
        '{"x":2,"y":3}': "5.0", '{"x":4,"y":5}': "9.0", '{"x":5.0,"y":9.0}': "45.0"}
    # The first model call asked for two calls at once: both belong to its one assistant message.
    first_step = events[:next(i for i, e in enumerate(events) if e.type == EventType.STEP_FINISHED)]
    parents = {event.parent_message_id for event in of_type(first_step, EventType.TOOL_CALL_START)}
    assert len(of_type(first_step, EventType.TOOL_CALL_START)) == 2 and len(parents) == 1
    assert text_of(events) == "(2 + 3) × (4 + 5) is 45."


@both_agents
async def test_a_failing_tool_sends_its_error_as_the_result(agent, serve):
    _, client = serve(agent=agent)
    events = await run(client, run_input("What is 2 to the power of 5000?"))
    assert protocol_errors(events) == []
    [result] = of_type(events, EventType.TOOL_CALL_RESULT)
    assert "too large to compute" in result.content
    assert events[-1].type == EventType.RUN_FINISHED and text_of(events)


# -- threads -------------------------------------------------------------------------------------


@both_agents
async def test_a_follow_up_on_the_same_thread_remembers_and_another_thread_does_not(agent, serve):
    app, client = serve(agent=agent)
    first = run_input()
    events = await run(client, first)
    assert text_of(events) == "10 + 10 is 20."
    # As an AG-UI client does: the same thread, the conversation so far, and the new question.
    follow_up = run_input("Now multiply that by 3", thread_id=first["threadId"],
                          earlier=[*first["messages"], {"id": "a1", "role": "assistant", "content": text_of(events)}])
    events = await run(client, follow_up)
    assert protocol_errors(events) == []
    assert text_of(events) == "20 × 3 is 60."
    assert len(app.state.sessions) == 1, "one thread, one session"
    [session] = app.state.sessions._sessions.values()
    assert [message.content for message in session.chat_history] == [
        QUESTION, "10 + 10 is 20.", "Now multiply that by 3", "20 × 3 is 60."]

    other = await run(client, run_input("What is 2 + 3?"))  # a new thread starts afresh
    assert text_of(other) == "2 + 3 is 5."
    fresh = await run(client, run_input("Now multiply that by 3"))  # so does this one: multiply what?
    assert "60" not in text_of(fresh) and "15" not in text_of(fresh)
    assert len(app.state.sessions) == 3


async def test_a_thread_the_server_does_not_know_starts_from_the_turns_the_client_sends(serve):
    """After a restart (or once the session expired), the client's messages still carry the conversation."""
    app, client = serve()
    earlier = [{"id": "u1", "role": "user", "content": "What is 2 + 3?"},
               {"id": "a1", "role": "assistant", "content": "",
                "toolCalls": [{"id": "c1", "type": "function", "function": {"name": "add", "arguments": "{}"}}]},
               {"id": "t1", "role": "tool", "toolCallId": "c1", "content": "5.0"},
               {"id": "a2", "role": "assistant", "content": "2 + 3 is 5."}]
    events = await run(client, run_input("Now multiply that by 3", earlier=earlier))
    assert text_of(events) == "5 × 3 is 15."


async def test_another_client_naming_the_same_thread_gets_a_conversation_of_its_own(serve):
    app, client = serve()
    mine = run_input()
    await run(client, mine)
    stranger = serve.client_from("127.0.0.2")
    events = await run(stranger, run_input("Now multiply that by 3", thread_id=mine["threadId"]))
    assert "60" not in text_of(events), "the stranger did not continue my conversation"
    assert len(app.state.sessions) == 2


async def test_a_busy_thread_refuses_a_second_run(serve):
    _, client = serve(fault="delay=0.05")
    body = run_input()
    async with client.stream("POST", "/api/agui", json=body) as first:
        lines = first.aiter_lines()
        assert json.loads((await asyncio.wait_for(anext(lines), WAIT))[6:])["type"] == "RUN_STARTED"
        second = await client.post("/api/agui", json={**body, "runId": "another"})
        assert (second.status_code, second.json()) == (409, {"detail": "This thread is still answering its last question."})


@both_agents
async def test_closing_the_connection_cancels_the_run_and_frees_the_thread(agent, serve):
    watcher = ModelWatcher()
    app, client = serve(agent=agent, fault="delay=0.05", callbacks=[watcher])
    body = run_input()
    before = await on_loop(serve.loop, _snapshot())
    async with client.stream("POST", "/api/agui", json=body) as response:
        lines = response.aiter_lines()
        while "TOOL_CALL_ARGS" not in await asyncio.wait_for(anext(lines), WAIT):
            pass  # the model is writing the call
    await until(lambda: app.state.runs["cancelled"] == 1, "the run to be cancelled")
    await on_loop(serve.loop, settled(before))
    assert dict(app.state.runs) == {"cancelled": 1}
    assert (watcher.starts, watcher.ends) == (1, 0), "the model call was cancelled, and no other started"
    [session] = app.state.sessions._sessions.values()
    assert session.chat_history == [] and not session.busy
    assert text_of(await run(client, {**body, "runId": "again"})) == "10 + 10 is 20."


# -- failures and limits -------------------------------------------------------------------------


@both_agents
async def test_a_failed_run_ends_with_run_error(agent, serve):
    app, client = serve(agent=agent, fault="status=500@1")  # the second model call answers HTTP 500
    body = run_input()
    events = await run(client, body)
    assert protocol_errors(events) == []
    # The tool ran; the model call after it failed (the executor had opened its step, the graph had not).
    assert types_in_order(events)[-3:] in (["TOOL_CALL_RESULT", "STEP_STARTED", "RUN_ERROR"],
                                           ["STEP_FINISHED", "TOOL_CALL_RESULT", "RUN_ERROR"])
    assert events[-1].message == "The model server answered with HTTP 500."
    assert not of_type(events, EventType.RUN_FINISHED)
    assert dict(app.state.runs) == {"failed": 1}
    # The failure ended that run only: the thread answers its next question (one model call, no fault).
    events = await run(client, run_input("What is NLP?", thread_id=body["threadId"]))
    assert events[-1].type == EventType.RUN_FINISHED and text_of(events).startswith("Natural language processing")


@pytest.mark.parametrize(("change", "status", "detail"), [
    ({"threadId": None}, 422, "Invalid request. threadId: Field required."),
    ({"threadId": 42}, 422, "Invalid request. threadId: Input should be a valid string."),
    ({"messages": "What is 2 + 3?"}, 422, "Invalid request. messages: Input should be a valid list."),
    ({"messages": [{"id": "m", "role": "robot", "content": "hi"}]}, 422, "Invalid request. messages.0: Input tag"),
    ({"messages": []}, 422, "Invalid request. The last message must be the user's question (role \"user\")."),
    ({"messages": [{"id": "m", "role": "assistant", "content": "hi"}]}, 422,
     "Invalid request. The last message must be the user's question"),
    ({"messages": [{"id": "m", "role": "user", "content": "  "}]}, 422, "The question is empty: the last message"),
    ({"messages": [{"id": "m", "role": "user", "content": "x" * 2001}]}, 413,
     "The message is too long: 2001 characters, at most 2000."),
    ({"threadId": ""}, 422, "Invalid request. threadId must be 1 to 200 characters."),
    ({"runId": "r" * 201}, 422, "Invalid request. runId must be 1 to 200 characters."),
], ids=["no-thread", "thread-not-a-string", "messages-not-a-list", "unknown-role", "no-messages", "ends-with-assistant", "empty-question",
        "too-long", "empty-thread", "long-run-id"])
async def test_a_malformed_run_input_gets_a_clear_4xx(serve, change, status, detail):
    app, client = serve()
    body = {key: value for key, value in {**run_input(), **change}.items() if value is not None}
    response = await client.post("/api/agui", json=body)
    assert response.status_code == status and response.json()["detail"].startswith(detail), response.text
    assert not app.state.runs and len(app.state.sessions) == 0, "nothing started, nothing stored"


async def test_a_body_that_is_not_json_gets_422_and_an_oversized_one_413(serve):
    _, client = serve(max_body_bytes=1000)
    response = await client.post("/api/agui", content=b"{not json", headers={"content-type": "application/json"})
    assert (response.status_code, response.json()) == (422, {"detail": "Invalid request. The body is not valid JSON."})
    response = await client.post("/api/agui", json=run_input("x" * 1000))
    assert response.status_code == 413 and "too large" in response.json()["detail"]


async def test_the_web_apps_limits_hold_for_agui_too(serve):
    app, client = serve(requests_per_second=0.01, request_burst=3, max_sessions_per_client=1)
    port = httpx.URL(serve.url).port
    refused_host = await client.post("/api/agui", json=run_input(), headers={"host": f"evil.example:{port}"})
    assert refused_host.status_code == 400
    cross_site = await client.post("/api/agui", json=run_input(),
                                   headers={"origin": "https://evil.example", "sec-fetch-site": "cross-site"})
    assert cross_site.status_code == 403 and "cross-site" in cross_site.json()["detail"].lower()
    assert not app.state.runs and len(app.state.sessions) == 0
    assert (await client.post("/api/agui", json=run_input())).status_code == 200  # the last of the burst
    over = await client.post("/api/agui", json=run_input())
    assert over.status_code == 429 and int(over.headers["retry-after"]) >= 1


async def test_a_full_store_refuses_a_new_thread_with_503(serve):
    app, client = serve(max_sessions=1)
    await run(client, run_input())
    response = await client.post("/api/agui", json=run_input())
    assert response.status_code == 503 and response.headers["retry-after"] == "60"


# -- reasoning -----------------------------------------------------------------------------------


def reasoning_chunks(message_id: str, pieces: list[str]) -> list[AIMessageChunk]:
    """A model's reasoning as LangChain streams it: standard `reasoning` content blocks, piece by piece."""
    return [AIMessageChunk(content=[{"type": "reasoning", "reasoning": piece}], id=message_id) for piece in pieces]


def reasoning_model() -> ScriptedAgentModel:
    """Two model calls, each reasoning first: `add`, then `final_answer`."""
    rng = random.Random(5)
    steps = []
    for pieces, calls in [
        (["The user wants ", "10 + 10; ", "I call add."], [("add", {"x": 10, "y": 10})]),
        (["add returned 20."], [("final_answer", {"answer": "10 + 10 is 20.", "tools_used": ["add"]})]),
    ]:
        script = tool_call_script(calls, rng)
        steps.append(reasoning_chunks(script[0].id, pieces) + script)
    return ScriptedAgentModel(steps=steps)


@both_agents
async def test_a_models_reasoning_streams_as_reasoning_events(agent, serve):
    from helpers.web_app import BackgroundServer, create_app

    app = create_app(lambda http: reasoning_model(), agent=agent)
    with BackgroundServer(app) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
            events = await run(client, run_input())
    assert protocol_errors(events) == []
    assert types_in_order(events) == [
        "RUN_STARTED",
        "STEP_STARTED", "REASONING_START", "REASONING_MESSAGE_START", "REASONING_MESSAGE_CONTENT",
        "REASONING_MESSAGE_END", "REASONING_END", "TOOL_CALL_START", "TOOL_CALL_ARGS", "TOOL_CALL_END", "STEP_FINISHED",
        "TOOL_CALL_RESULT",
        "STEP_STARTED", "REASONING_START", "REASONING_MESSAGE_START", "REASONING_MESSAGE_CONTENT",
        "REASONING_MESSAGE_END", "REASONING_END", "TEXT_MESSAGE_START", "TEXT_MESSAGE_CONTENT", "TEXT_MESSAGE_END",
        "STEP_FINISHED",
        "RUN_FINISHED"]
    thoughts = [event.delta for event in of_type(events, EventType.REASONING_MESSAGE_CONTENT)]
    assert thoughts == ["The user wants ", "10 + 10; ", "I call add.", "add returned 20."], "streamed as it came"
    assert text_of(events) == "10 + 10 is 20."


def test_reasoning_in_the_responses_apis_shape_is_read_too():
    """`ChatOpenAI(use_responses_api=True)` streams reasoning summaries; LangChain's content blocks read them."""
    from helpers.web_app.events import ToolCallStream

    chunk = AIMessageChunk(content=[{"type": "reasoning", "id": "rs_1", "index": 0,
                                     "summary": [{"type": "summary_text", "text": "Adding.", "index": 0}]}],
                           id="m", response_metadata={"model_provider": "openai"})
    assert ToolCallStream().feed(chunk) == [AppEvent("reasoning", {"text": "Adding."})]


def test_an_answer_that_was_not_streamed_is_sent_whole():
    """Out of steps, the answer is the app's own sentence, never streamed by the model: it still arrives."""
    ids = iter(range(100))
    agui = AguiRun("t", "r", make_id=lambda: f"id{next(ids)}")
    events = agui.started()
    for app_event in [AppEvent("step_start", {}), AppEvent("tool_call", {"id": "c", "name": "add", "args": "{}"}),
                      AppEvent("step_end", {}),
                      AppEvent("answer", {"answer": "I could not reach a final answer within 5 steps.",
                                          "tools_used": [], "finished": False})]:
        events += agui.feed(app_event)
    events += agui.finished()
    assert protocol_errors(events) == []
    assert text_of(events) == "I could not reach a final answer within 5 steps."
    assert events[-1].result["finished"] is False


async def test_a_silent_agent_gets_keep_alive_comments_that_clients_skip(serve, monkeypatch):
    """FastAPI's SSE sends `: ping` while the agent is silent (every 15 s; here every 20 ms), so proxies keep the stream."""
    import fastapi.routing

    monkeypatch.setattr(fastapi.routing, "_PING_INTERVAL", 0.02)
    _, client = serve(fault="delay=0.05")  # 50 ms per token: longer than the ping interval
    async with client.stream("POST", "/api/agui", json=run_input()) as response:
        text = "".join([piece async for piece in response.aiter_text()])
    assert ": ping\n\n" in text
    events = parse(text)  # the pings are skipped, as AG-UI clients skip them
    assert protocol_errors(events) == [] and text_of(events) == "10 + 10 is 20."


async def test_a_threads_session_is_not_reachable_through_api_chat(serve):
    """A thread's session id is derived (client and thread id), so no secret: /api/chat must refuse it."""
    from helpers.web_app.agui import thread_session_id

    app, client = serve()
    body = run_input()
    await run(client, body)
    [session_id] = app.state.sessions._sessions
    assert session_id == thread_session_id("127.0.0.1", body["threadId"])
    response = await client.post("/api/chat", json={"session_id": session_id, "message": "Now multiply that by 3"})
    assert response.status_code == 404, response.text
