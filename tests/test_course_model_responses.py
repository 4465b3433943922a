"""The course model speaks the Responses API (`POST /v1/responses`) as OpenAI streams it, and reasons aloud.

Checked through raw HTTP (the event stream's exact shape), the real `openai` SDK (`responses.create`,
`responses.parse`: every event parses into its SDK type) and `ChatOpenAI(use_responses_api=True)`
(reasoning content blocks before the text, tool calls as `tool_call_chunks`).
"""

from __future__ import annotations

import http.client
import json
import socket
from urllib.parse import urlparse

import openai
import pytest
from langchain_core.messages import HumanMessage, ToolMessage
from langchain_core.tools import tool
from openai.types.responses import (
    ResponseCompletedEvent,
    ResponseFunctionCallArgumentsDeltaEvent,
    ResponseReasoningSummaryTextDeltaEvent,
    ResponseTextDeltaEvent,
)
from pydantic import BaseModel

from helpers.course_model import MODEL_NAME

RESPONSES = "/v1/responses"
WEATHER = {"type": "function", "name": "get_weather", "description": "Get the weather in a city.",
           "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}
MATH = [{"type": "function", "name": name, "description": description, "parameters": {
    "type": "object", "properties": {"x": {"type": "number"}, "y": {"type": "number"}}, "required": ["x", "y"]}}
    for name, description in [("add", "Add x and y."), ("multiply", "Multiply x and y.")]]
REASON = {"effort": "low", "summary": "auto"}


def raw_post(server, body: dict, path: str = RESPONSES, headers: dict | None = None) -> tuple[int, dict, bytes]:
    """Send one request over a fresh connection and return (status, headers, body bytes)."""
    url = urlparse(server.base_url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    try:
        connection.request("POST", path, body=json.dumps(body).encode(),
                           headers={"Content-Type": "application/json", **(headers or {})})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def events_of(data: bytes) -> list[dict]:
    """The stream's events, each checked to be `event: <type>` + `data: {json}` with the same type."""
    text = data.decode()
    assert text.endswith("\n\n") and "[DONE]" not in text, "a Responses stream ends with its last event, no [DONE]"
    events = []
    for block in text.split("\n\n")[:-1]:
        head, body = block.split("\n")
        event = json.loads(body.removeprefix("data: "))
        assert head == f"event: {event['type']}"
        events.append(event)
    assert [event["sequence_number"] for event in events] == list(range(len(events)))
    return events


def post_stream(server, body: dict) -> list[dict]:
    status, headers, data = raw_post(server, {"model": MODEL_NAME, "stream": True, **body}, path=RESPONSES)
    assert status == 200, data[:300]
    assert headers["Content-Type"].startswith("text/event-stream")
    return events_of(data)


def without_ids(value):
    """`value` without its ids, which derive from the whole request (so differ between two requests)."""
    if isinstance(value, dict):
        return {key: without_ids(item) for key, item in value.items() if key not in ("id", "call_id")}
    if isinstance(value, list):
        return [without_ids(item) for item in value]
    return value


def types(events: list[dict]) -> list[str]:
    """Event types, runs of the same delta collapsed to one."""
    collapsed: list[str] = []
    for event in events:
        if not (event["type"].endswith(".delta") and collapsed and collapsed[-1] == event["type"]):
            collapsed.append(event["type"])
    return collapsed


# --- the stream's shape --------------------------------------------------------------------------


def test_a_text_answer_streams_as_openai_streams_it(server):
    events = post_stream(server, {"input": "What is NLP?"})
    assert types(events) == [
        "response.created", "response.in_progress", "response.output_item.added", "response.content_part.added",
        "response.output_text.delta", "response.output_text.done", "response.content_part.done",
        "response.output_item.done", "response.completed"]
    deltas = [event["delta"] for event in events if event["type"] == "response.output_text.delta"]
    assert len(deltas) > 20, "token by token"
    text = "".join(deltas)
    assert "language" in text.lower()
    assert events[0]["response"]["status"] == "in_progress" and events[0]["response"]["output"] == []
    done = events[-1]["response"]
    assert done["status"] == "completed" and done["output"][0]["content"][0]["text"] == text
    assert {e["item_id"] for e in events if "item_id" in e} == {done["output"][0]["id"]}
    usage = done["usage"]
    assert usage["output_tokens"] == len(deltas) and usage["output_tokens_details"]["reasoning_tokens"] == 0
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"] and usage["input_tokens"] > 0


def test_function_calls_stream_their_arguments_in_fragments(server):
    events = post_stream(server, {"input": "What's the weather in Paris and in Oslo?", "tools": [WEATHER]})
    added = [e for e in events if e["type"] == "response.output_item.added"]
    assert [(e["output_index"], e["item"]["type"], e["item"]["name"]) for e in added] == [
        (0, "function_call", "get_weather"), (1, "function_call", "get_weather")]
    for event in added:
        fragments = [e["delta"] for e in events if e["type"] == "response.function_call_arguments.delta"
                     and e["item_id"] == event["item"]["id"]]
        assert len(fragments) >= 3, "arguments arrive in several fragments"
        done = next(e for e in events if e["type"] == "response.function_call_arguments.done"
                    and e["item_id"] == event["item"]["id"])
        assert done["arguments"] == "".join(fragments)
    cities = [json.loads(item["arguments"])["city"] for item in events[-1]["response"]["output"]]
    assert "Paris" in cities and "Oslo" in cities
    assert all(item["call_id"].startswith("call_") for item in events[-1]["response"]["output"])


def test_parallel_tool_calls_false_asks_for_one_call_at_a_time(client):
    response = client.responses.create(model=MODEL_NAME, input="What is (2 + 3) * (4 + 5)?", tools=MATH,
                                       parallel_tool_calls=False)
    assert [(item.type, item.name) for item in response.output] == [("function_call", "add")]
    both = client.responses.create(model=MODEL_NAME, input="What is (2 + 3) * (4 + 5)?", tools=MATH)
    assert [item.name for item in both.output] == ["add", "add"]


def test_the_sdk_parses_every_event_and_the_non_streamed_response_is_the_streams_last(client):
    streamed = list(client.responses.create(model=MODEL_NAME, input="What is 3 * (4 + 5)?", tools=MATH,
                                            reasoning=REASON, stream=True))
    assert not any(type(event).__name__ in ("BaseModel", "dict") for event in streamed)
    assert any(isinstance(event, ResponseReasoningSummaryTextDeltaEvent) for event in streamed)
    assert any(isinstance(event, ResponseFunctionCallArgumentsDeltaEvent) for event in streamed)
    assert isinstance(streamed[-1], ResponseCompletedEvent)
    whole = client.responses.create(model=MODEL_NAME, input="What is 3 * (4 + 5)?", tools=MATH, reasoning=REASON)
    assert without_ids(whole.model_dump()) == without_ids(streamed[-1].response.model_dump())
    assert [item.type for item in whole.output] == ["reasoning", "function_call"]


def test_a_tool_loop_through_input_items(client):
    first = client.responses.create(model=MODEL_NAME, input="What is 3 * (4 + 5)?", tools=MATH)
    [call] = first.output
    conversation = [{"role": "user", "content": "What is 3 * (4 + 5)?"}, call.model_dump(exclude_none=True),
                    {"type": "function_call_output", "call_id": call.call_id, "output": "9"}]
    second = client.responses.create(model=MODEL_NAME, input=conversation, tools=MATH)
    [call2] = second.output
    assert (call2.name, json.loads(call2.arguments)) == ("multiply", {"x": 3, "y": 9})
    conversation += [call2.model_dump(exclude_none=True),
                     {"type": "function_call_output", "call_id": call2.call_id, "output": "27"}]
    third = client.responses.create(model=MODEL_NAME, input=conversation, tools=MATH)
    assert "27" in third.output_text


def test_instructions_and_earlier_turns_are_read(client):
    answer = client.responses.create(model=MODEL_NAME, instructions="Be brief.", input=[
        {"role": "user", "content": [{"type": "input_text", "text": "What is 10 + 10?"}]},
        {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "10 + 10 is 20."}]},
        {"role": "user", "content": "times 3"}])
    assert "60" in answer.output_text


def test_structured_output_through_text_format_and_responses_parse(client):
    class Person(BaseModel):
        name: str
        age: int

    parsed = client.responses.parse(model=MODEL_NAME, input="Alice is 30 years old.", text_format=Person)
    assert parsed.output_parsed == Person(name="Alice", age=30)
    as_json = client.responses.create(model=MODEL_NAME, input="Reply in JSON: what is 2 + 2?",
                                      text={"format": {"type": "json_object"}})
    assert isinstance(json.loads(as_json.output_text), dict)


def test_the_same_request_gives_the_same_bytes(server):
    body = {"model": MODEL_NAME, "input": "What is 3 * (4 + 5)?", "tools": MATH, "stream": True, "reasoning": REASON}
    assert raw_post(server, body, path=RESPONSES)[2] == raw_post(server, body, path=RESPONSES)[2]


# --- reasoning -----------------------------------------------------------------------------------


def test_reasoning_streams_an_honest_plan_before_the_calls(server):
    events = post_stream(server, {"input": "What is 3 * (4 + 5)?", "tools": MATH, "reasoning": REASON})
    assert types(events)[2:9] == [
        "response.output_item.added", "response.reasoning_summary_part.added", "response.reasoning_summary_text.delta",
        "response.reasoning_summary_text.done", "response.reasoning_summary_part.done", "response.output_item.done",
        "response.output_item.added"]
    deltas = [e["delta"] for e in events if e["type"] == "response.reasoning_summary_text.delta"]
    summary = "".join(deltas)
    assert len(deltas) > 10, "word by word"
    assert "add(4, 5), then multiply(3, <step 1>)" in summary, summary  # the plan, in order
    assert "call add(x=4, y=5)" in summary, summary  # what it does now, as it then does
    [reasoning, call] = events[-1]["response"]["output"]
    assert reasoning["type"] == "reasoning" and reasoning["summary"] == [{"type": "summary_text", "text": summary}]
    assert (call["name"], json.loads(call["arguments"])) == ("add", {"x": 4, "y": 5})
    usage = events[-1]["response"]["usage"]
    assert usage["output_tokens_details"]["reasoning_tokens"] == len(deltas)
    assert usage["output_tokens"] == len(deltas) + sum(e["type"].startswith("response.function_call_arguments.delta")
                                                       for e in events) + 1  # + the name


@pytest.mark.parametrize(("question", "tools", "said"), [
    ("What is NLP?", [], "No tools are offered, so I'll answer directly."),
    ("What is NLP?", [WEATHER], "None of the offered tools (get_weather) is needed"),
    ("What is the weather?", [WEATHER], "I'll ask for the city"),
    ("Write a poem", [], "beyond what the offline course model can answer"),
    ("What's the weather in Oslo?", [WEATHER], 'I\'ll call get_weather(city="Oslo")'),
], ids=["no tools", "no tool needed", "missing argument", "cannot", "a tool fits"])
def test_the_summary_says_why(client, question, tools, said):
    response = client.responses.create(model=MODEL_NAME, input=question, tools=tools, reasoning=REASON)
    assert said in response.output[0].summary[0].text


def test_without_reasoning_nothing_changes(client):
    plain = client.responses.create(model=MODEL_NAME, input="What is 3 * (4 + 5)?", tools=MATH)
    assert [item.type for item in plain.output] == ["function_call"]
    assert plain.usage.output_tokens_details.reasoning_tokens == 0
    off = client.responses.create(model=MODEL_NAME, input="What is 3 * (4 + 5)?", tools=MATH,
                                  reasoning={"effort": "none"})
    assert without_ids([item.model_dump() for item in off.output]) == \
        without_ids([item.model_dump() for item in plain.output])


def test_reasoning_without_a_summary_reasons_silently(server):
    events = post_stream(server, {"input": "What is NLP?", "reasoning": {"effort": "medium"}})
    assert not any("reasoning_summary" in event["type"] for event in events)
    reasoning = events[-1]["response"]["output"][0]
    assert reasoning["type"] == "reasoning" and reasoning["summary"] == []
    assert events[-1]["response"]["usage"]["output_tokens_details"]["reasoning_tokens"] > 0


def test_a_concise_summary_is_its_last_sentence(client):
    auto = client.responses.create(model=MODEL_NAME, input="What is NLP?", reasoning=REASON).output[0].summary[0].text
    concise = client.responses.create(model=MODEL_NAME, input="What is NLP?",
                                      reasoning={"summary": "concise"}).output[0].summary[0].text
    assert auto.endswith(concise) and len(concise) < len(auto)


def test_encrypted_reasoning_is_included_when_asked_and_accepted_back(client):
    first = client.responses.create(model=MODEL_NAME, input="What is 3 * (4 + 5)?", tools=MATH, reasoning=REASON,
                                    include=["reasoning.encrypted_content"], store=False)
    reasoning, call = first.output
    assert reasoning.encrypted_content
    again = client.responses.create(model=MODEL_NAME, tools=MATH, reasoning=REASON, store=False, input=[
        {"role": "user", "content": "What is 3 * (4 + 5)?"}, reasoning.model_dump(exclude_none=True),
        call.model_dump(exclude_none=True), {"type": "function_call_output", "call_id": call.call_id, "output": "9"}])
    assert again.output[1].name == "multiply"


# --- max_output_tokens ---------------------------------------------------------------------------


def test_max_output_tokens_cuts_the_answer_as_incomplete(server):
    events = post_stream(server, {"input": "What is NLP?", "max_output_tokens": 16})
    assert types(events)[-1] == "response.incomplete"
    response = events[-1]["response"]
    assert response["status"] == "incomplete" and response["incomplete_details"] == {"reason": "max_output_tokens"}
    assert response["usage"]["output_tokens"] == 16
    assert sum(e["type"] == "response.output_text.delta" for e in events) == 16
    assert response["output"][0]["status"] == "incomplete"


def test_reasoning_spends_max_output_tokens_first(client):
    reasoning_only = client.responses.create(model=MODEL_NAME, input="What is 3 * (4 + 5)?", tools=MATH,
                                             reasoning=REASON, max_output_tokens=16)
    assert reasoning_only.status == "incomplete"
    assert [item.type for item in reasoning_only.output] == ["reasoning"]
    assert reasoning_only.usage.output_tokens == reasoning_only.usage.output_tokens_details.reasoning_tokens == 16


# --- faults and hang-ups -------------------------------------------------------------------------


def test_faults_reach_the_responses_stream(server):
    status, _, data = raw_post(server, {"model": MODEL_NAME, "input": "What is NLP?", "stream": True},
                               path=RESPONSES, headers={"X-Course-Model-Fault": "status=503"})
    assert status == 503 and json.loads(data)["error"]["type"] == "server_error"
    with pytest.raises(Exception):  # the connection drops mid-stream, after 3 tokens
        raw_post(server, {"model": MODEL_NAME, "input": "What is NLP?", "stream": True}, path=RESPONSES,
                 headers={"X-Course-Model-Fault": "drop-after=3"})
    _, _, data = raw_post(server, {"model": MODEL_NAME, "input": "What is 2 + 2?", "tools": MATH}, path=RESPONSES,
                          headers={"X-Course-Model-Fault": "tool=no_such_tool"})
    assert json.loads(data)["output"][0]["name"] == "no_such_tool"


def test_a_failure_mid_stream_is_an_error_event_then_response_failed(server, make_llm):
    status, _, data = raw_post(server, {"model": MODEL_NAME, "input": "What is NLP?", "stream": True},
                               headers={"X-Course-Model-Fault": "fail-after=3"})
    assert status == 200
    events = events_of(data)
    assert sum(e["type"] == "response.output_text.delta" for e in events) == 3
    error, failed = events[-2:]
    assert (error["type"], error["code"]) == ("error", "server_error") and "mid-stream" in error["message"]
    assert failed["type"] == "response.failed" and failed["response"]["status"] == "failed"
    assert failed["response"]["error"]["code"] == "server_error"
    with pytest.raises(ValueError, match="mid-stream"):  # what ChatOpenAI makes of it
        list(make_llm(fault="fail-after=3", use_responses_api=True).stream("What is NLP?"))


def test_the_sdks_stream_helper_accumulates_the_response(client):
    with client.responses.stream(model=MODEL_NAME, input="What is 3 * (4 + 5)?", tools=MATH,
                                 reasoning=REASON) as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_response()
    assert kinds[-1] == "response.completed"
    assert [item.type for item in final.output] == ["reasoning", "function_call"]
    assert final.output[0].summary[0].text.startswith("The question is arithmetic")


def test_a_client_that_hangs_up_mid_stream_does_not_hurt_the_server(server, client):
    url = urlparse(server.base_url)
    body = json.dumps({"model": MODEL_NAME, "input": "Tell me a long story", "stream": True,
                       "reasoning": REASON}).encode()
    for _ in range(5):
        with socket.create_connection((url.hostname, url.port), timeout=5) as sock:
            sock.sendall(b"POST /v1/responses HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
            assert sock.recv(1024).startswith(b"HTTP/1.1 200")
    assert client.responses.create(model=MODEL_NAME, input="What is NLP?").output_text


# --- through ChatOpenAI --------------------------------------------------------------------------


@tool
def add(x: float, y: float) -> float:
    """Add x and y."""
    return x + y


@tool
def multiply(x: float, y: float) -> float:
    """Multiply x and y."""
    return x * y


@pytest.mark.parametrize("output_version", [None, "v1"])
def test_chatopenai_streams_reasoning_blocks_before_the_text(make_llm, output_version):
    settings = {"output_version": output_version} if output_version else {}
    llm = make_llm(use_responses_api=True, reasoning={"effort": "low", "summary": "auto"}, **settings)
    chunks = list(llm.stream("What is 10 + 10?"))
    kinds = [block["type"] for chunk in chunks for block in chunk.content_blocks]
    assert kinds.count("reasoning") > 5 and kinds.count("text") > 5, kinds
    assert kinds.index("text") > max(i for i, kind in enumerate(kinds) if kind == "reasoning"), kinds
    assert "".join(chunk.text for chunk in chunks) == "10 + 10 is 20."
    whole = sum(chunks[1:], chunks[0])
    [reasoning] = [block for block in whole.content_blocks if block["type"] == "reasoning"]
    assert reasoning["reasoning"].startswith("The question is arithmetic: 10 + 10.")
    assert whole.usage_metadata["output_token_details"]["reasoning"] > 0


@pytest.mark.parametrize("output_version", [None, "v1"])
def test_chatopenai_streams_tool_calls_as_tool_call_chunks_after_the_reasoning(make_llm, output_version):
    settings = {"output_version": output_version} if output_version else {}
    llm = make_llm(use_responses_api=True, reasoning={"effort": "low", "summary": "auto"},
                   **settings).bind_tools([add, multiply])
    chunks = list(llm.stream("What is 3 * (4 + 5)?"))
    with_calls = [i for i, chunk in enumerate(chunks) if chunk.tool_call_chunks]
    with_reasoning = [i for i, chunk in enumerate(chunks) if any(b["type"] == "reasoning" for b in chunk.content_blocks)]
    assert len(with_calls) > 3 and max(with_reasoning) < min(with_calls)
    whole = sum(chunks[1:], chunks[0])
    assert [(call["name"], call["args"]) for call in whole.tool_calls] == [("add", {"x": 4, "y": 5})]
    # and the loop goes on, with the reasoning item sent back as ChatOpenAI sends it
    after = llm.invoke([HumanMessage("What is 3 * (4 + 5)?"), whole,
                        ToolMessage("9", tool_call_id=whole.tool_calls[0]["id"])])
    assert [(call["name"], call["args"]) for call in after.tool_calls] == [("multiply", {"x": 3, "y": 9.0})]
