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
