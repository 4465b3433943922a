"""The web app shows a reasoning model's reasoning as it streams: `reasoning` events, both agents (chapters 05, 06).

The model is a real `ChatOpenAI(use_responses_api=True)` whose HTTP client is
scripted (`helpers.checks.scripted_openai`): each model call streams a reasoning
summary before its tool call, as OpenAI's reasoning models do, so the events the
app sends are read off exactly the chunks LangChain makes from OpenAI's stream.
"""

from __future__ import annotations

import json

import pytest
from langchain_core.messages import AIMessageChunk

from helpers.checks.scripted_openai import Reply, ScriptedOpenAI
from helpers.web_app import BackgroundServer, create_app
from helpers.web_app import __main__ as web_app_main
from helpers.web_app.app import reasoning_model
from helpers.web_app.events import EVENT_TYPES, Event, EventTranslator, GraphTranslator
from test_web_app import AGENTS, ask, kinds_in_order, new_session

REASONING = {"effort": "low", "summary": "auto"}
PLAN = ["The user ", "wants 10 + 10", ": I call add", " first."]
WRAP_UP = ["add returned ", "20, so I ", "answer."]


def plan(body: dict) -> Reply:
    """An agent's two model calls: reason, call `add`; then reason, answer with `final_answer`."""
    answered = any(item.get("type") == "function_call_output" for item in body["input"])
    if not answered:
        return Reply(reasoning=PLAN, calls=[("add", ['{"x": ', '10, "y"', ': 10}'])])
    return Reply(reasoning=WRAP_UP,
                 calls=[("final_answer", ['{"answer": "10 + ', '10 is 20.", ', '"tools_used": ["add"]}'])])


def reasoning_chunk(text: str) -> AIMessageChunk:
    """A chunk as `ChatOpenAI(use_responses_api=True)` makes it from a reasoning summary delta."""
    return AIMessageChunk(content=[{"type": "reasoning", "index": 0,
                                    "summary": [{"index": 0, "type": "summary_text", "text": text}]}],
                          id="lc_run--1", response_metadata={"model_provider": "openai"})


def test_reasoning_is_an_event_kind():
    assert "reasoning" in EVENT_TYPES
    assert Event("reasoning", {"text": "I add."}).encode() == b'event: reasoning\ndata: {"text": "I add."}\n\n'


def test_both_translators_send_a_reasoning_chunk_as_a_reasoning_event():
    chunk = reasoning_chunk("I call add first.")
    executor_events = EventTranslator().feed({"event": "on_chat_model_stream", "data": {"chunk": chunk},
                                              "name": "ChatOpenAI"})
    graph_events = GraphTranslator().feed({"type": "messages", "data": (chunk, {"langgraph_node": "model"})})
    assert executor_events == graph_events == [Event("reasoning", {"text": "I call add first."})]
    # The block that opens a reasoning item carries no text: no event.
    opening = AIMessageChunk(content=[{"type": "reasoning", "id": "rs_1", "summary": [], "index": 0}],
                             response_metadata={"model_provider": "openai"})
    assert GraphTranslator().feed({"type": "messages", "data": (opening, {"langgraph_node": "model"})}) == []


@pytest.mark.parametrize("agent", AGENTS)
async def test_a_reasoning_model_streams_its_reasoning_before_each_step(agent):
    server = ScriptedOpenAI(plan)
    app = create_app(lambda http: server.chat_model(use_responses_api=True, reasoning=REASONING), agent=agent)
    try:
        with BackgroundServer(app) as running:
            import httpx

            async with httpx.AsyncClient(base_url=running.url, timeout=10) as client:
                events = await ask(client, await new_session(client), "What is 10 + 10?")
    finally:
        await server.aclose()

    assert kinds_in_order(events) == ["run", "reasoning", "tool_call", "tool_result", "reasoning", "token", "answer", "done"]
    reasoning = [data["text"] for kind, data in events if kind == "reasoning"]
    assert reasoning == PLAN + WRAP_UP, "each piece as it came, none merged, none lost"
    assert events[-2] == ("answer", {"answer": "10 + 10 is 20.", "tools_used": ["add"], "finished": True})
    assert all(request["reasoning"] == REASONING for request in server.requests)
    tokens = "".join(data["text"] for kind, data in events if kind == "token")
    assert tokens == "10 + 10 is 20.", "no reasoning in the answer"


def test_the_reasoning_model_asks_for_reasoning_through_the_responses_api():
    llm = reasoning_model(http_client=None)
    assert llm.use_responses_api is True
    assert llm.reasoning == REASONING
    assert llm.model_name == "course-model"  # model_settings(reasoning=True): no key, so the course model


def test_the_command_line_serves_the_reasoning_model_only_when_asked(monkeypatch):
    made = []
    monkeypatch.setattr(web_app_main, "create_app", lambda *args, **kwargs: made.append((args, kwargs)))
    monkeypatch.setattr(web_app_main.uvicorn, "run", lambda *args, **kwargs: None)
    web_app_main.main(["--agent", "langchain", "--reasoning"])
    web_app_main.main([])
    assert made[0][1]["make_model"] is reasoning_model and made[0][1]["agent"] == "langchain"
    assert "make_model" not in made[1][1], "without --reasoning the app keeps its default model"
    assert json.dumps([kwargs["agent"] for _, kwargs in made]) == '["langchain", "executor"]'
