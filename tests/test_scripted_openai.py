"""`helpers.checks.scripted_openai`: a real ChatOpenAI on a scripted server, and what its handouts record.

Chapter 07's checks rest on two promises: the server answers each request the way
OpenAI would (JSON text, or a forced tool call's argument fragments), and each
handout's `seen` is what the consumer had produced when the SDK asked for that
event, so code that yields while reading is told from code that collects first.
"""

from __future__ import annotations

import json

import pytest

from helpers.checks.scripted_openai import Reply, ScriptedOpenAI

SCHEMA = {"title": "Pet", "description": "A pet.", "type": "object",
          "properties": {"name": {"type": "string"}, "legs": {"type": "integer"}}, "required": ["name", "legs"]}
PIECES = ['{"na', 'me": "Rex', '", "le', 'gs": 4}']


def json_or_call(body: dict) -> Reply:
    if body.get("tools"):
        return Reply(calls=[(body["tools"][0]["function"]["name"], PIECES)])
    return Reply(text=PIECES)


async def test_json_schema_is_served_as_text_and_partials_stream():
    seen: list = []
    server = ScriptedOpenAI(json_or_call, probe=lambda: len(seen))
    async for partial in server.chat_model().with_structured_output(SCHEMA).astream("A dog?"):
        seen.append(partial)
    await server.aclose()
    assert server.requests[0]["response_format"]["type"] == "json_schema"  # the default method
    assert seen[-1] == {"name": "Rex", "legs": 4}
    handouts = server.streams[0]
    assert "".join(server.carried[0]) == "".join(PIECES)
    # While the stream ran, the consumer's progress was visible at each handout, and all of it by the end.
    assert [handout.seen for handout in handouts] == sorted(handout.seen for handout in handouts)
    assert 0 < handouts[-1].seen and handouts.seen_at_end == len(seen)


async def test_collecting_first_shows_nothing_produced_until_the_end():
    produced: list = []
    server = ScriptedOpenAI(json_or_call, probe=lambda: len(produced))
    collected = [partial async for partial in server.chat_model().with_structured_output(SCHEMA).astream("A dog?")]
    produced.extend(collected)
    await server.aclose()
    assert server.streams[0].seen_at_end == 0


async def test_a_forced_tool_call_streams_its_arguments():
    server = ScriptedOpenAI(json_or_call)
    chunks = [chunk async for chunk in
              server.chat_model().with_structured_output(SCHEMA, method="function_calling").astream("A dog?")]
    await server.aclose()
    assert server.requests[0]["tool_choice"]["function"]["name"] == "Pet"
    assert chunks[-1] == {"name": "Rex", "legs": 4} and len(chunks) > 1


async def test_ainvoke_is_answered_whole_and_counted():
    server = ScriptedOpenAI(json_or_call)
    result = await server.chat_model().with_structured_output(SCHEMA).ainvoke("A dog?")
    await server.aclose()
    assert result == {"name": "Rex", "legs": 4}
    assert server.waited == 1 and not server.streams


def test_synchronous_calls_are_refused_and_counted():
    server = ScriptedOpenAI(json_or_call)
    with pytest.raises(Exception, match="async calls only"):
        server.chat_model().invoke("A dog?")
    assert server.sync_calls == 1
    assert json.dumps(server.requests) == "[]"


def reasoning_reply(body: dict) -> Reply:
    if body.get("tools"):
        return Reply(reasoning=["I call ", "add."], calls=[("add", ['{"x": 1', ', "y": 2}'])])
    return Reply(reasoning=["Two ", "plus two ", "is four."], text=["It is", " 4."])


async def test_the_responses_api_streams_reasoning_before_the_text_and_usage_last():
    seen: list = []
    server = ScriptedOpenAI(reasoning_reply, probe=lambda: len(seen))
    llm = server.chat_model(use_responses_api=True, reasoning={"effort": "low", "summary": "auto"})
    async for chunk in llm.astream("2 + 2?"):
        seen.append(chunk)
    await server.aclose()
    assert server.requests[0]["reasoning"] == {"effort": "low", "summary": "auto"} and "input" in server.requests[0]
    blocks = [block for chunk in seen for block in chunk.content_blocks]
    kinds = [block["type"] for block in blocks]
    assert kinds.index("text") > max(i for i, kind in enumerate(kinds) if kind == "reasoning")
    assert "".join(block.get("reasoning", "") for block in blocks) == "Two plus two is four."
    assert "".join(chunk.text for chunk in seen) == "It is 4."
    assert seen[-1].chunk_position == "last"
    assert seen[-1].usage_metadata["output_token_details"] == {"reasoning": 3}
    assert "".join(server.carried[0]) == "Two plus two is four.It is 4."
    handouts = server.streams[0]
    assert handouts.finished() and handouts.seen_at_end == len(seen)


async def test_the_responses_api_streams_tool_calls_and_answers_whole_when_asked():
    server = ScriptedOpenAI(reasoning_reply)
    llm = server.chat_model(use_responses_api=True).bind_tools([{"type": "function", "function": {
        "name": "add", "parameters": {"type": "object", "properties": {"x": {}, "y": {}}}}}])
    merged = None
    async for chunk in llm.astream("1 + 2?"):
        merged = chunk if merged is None else merged + chunk
    whole = await llm.ainvoke("1 + 2?")
    await server.aclose()
    assert merged.tool_calls == whole.tool_calls == [
        {"name": "add", "args": {"x": 1, "y": 2}, "id": "call_0_add", "type": "tool_call"}]
    assert [block["reasoning"] for block in whole.content_blocks if block["type"] == "reasoning"] == ["I call add."]
    assert server.waited == 1 and len(server.streams) == 1
