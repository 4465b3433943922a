"""The course model speaks OpenAI's wire format: checked through the real `openai` SDK and raw HTTP."""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import sys
import threading
import time
from urllib.parse import urlparse

import openai
import pytest

from helpers.course_model import MODEL_NAME
from helpers.tools import TOOLS
from langchain_core.utils.function_calling import convert_to_openai_tool

OPENAI_TOOLS = [convert_to_openai_tool(tool) for tool in TOOLS]
HELLO = [{"role": "user", "content": "What is NLP?"}]


def raw_post(server, body: dict | bytes, path: str = "/v1/chat/completions", method: str = "POST",
             headers: dict | None = None) -> tuple[int, dict, bytes]:
    """Send one request over a fresh connection and return (status, headers, body bytes)."""
    url = urlparse(server.base_url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    connection.request(method, path, body=payload, headers={"Content-Type": "application/json", **(headers or {})})
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, dict(response.getheaders()), data


def sse_events(data: bytes) -> list[str]:
    text = data.decode()
    assert text.endswith("\n\n"), "every SSE event ends with a blank line"
    events = [event for event in text.split("\n\n") if event]
    assert all(event.startswith("data: ") for event in events)
    return [event.removeprefix("data: ") for event in events]


# --- text ------------------------------------------------------------------------------------


def test_text_stream_has_openai_shape(server):
    status, headers, data = raw_post(
        server, {"model": MODEL_NAME, "messages": HELLO, "stream": True, "stream_options": {"include_usage": True}}
    )
    assert status == 200
    assert headers["Content-Type"].startswith("text/event-stream")
    events = sse_events(data)
    assert events[-1] == "[DONE]"
    chunks = [json.loads(event) for event in events[:-1]]
    assert {chunk["object"] for chunk in chunks} == {"chat.completion.chunk"}
    assert len({chunk["id"] for chunk in chunks}) == 1
    first, *tokens, finish, usage = chunks
    assert first["choices"][0]["delta"]["role"] == "assistant"
    assert first["choices"][0]["delta"]["content"] == ""
    assert all(len(chunk["choices"][0]["delta"]["content"]) >= 1 for chunk in tokens)
    assert len(tokens) > 20, "a multi-sentence answer arrives in many tokens"
    text = "".join(chunk["choices"][0]["delta"]["content"] for chunk in tokens)
    assert "language" in text.lower()
    assert any(token["choices"][0]["delta"]["content"].startswith(" ") for token in tokens), "leading spaces kept"
    assert any(token["choices"][0]["delta"]["content"] in {".", ","} for token in tokens), "punctuation separate"
    assert finish["choices"][0] == {"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}
    assert usage["choices"] == []
    assert usage["usage"]["completion_tokens"] == len(tokens)
    assert usage["usage"]["total_tokens"] == usage["usage"]["prompt_tokens"] + len(tokens)


def test_no_usage_chunk_unless_asked(server):
    _, _, data = raw_post(server, {"model": MODEL_NAME, "messages": HELLO, "stream": True})
    chunks = [json.loads(event) for event in sse_events(data)[:-1]]
    assert all(chunk["choices"] for chunk in chunks)
    assert all("usage" not in chunk for chunk in chunks)


def test_non_streaming_completion_matches_the_stream(client):
    completion = client.chat.completions.create(model=MODEL_NAME, messages=HELLO)
    streamed = "".join(
        chunk.choices[0].delta.content or ""
        for chunk in client.chat.completions.create(model=MODEL_NAME, messages=HELLO, stream=True)
    )
    assert completion.object == "chat.completion"
    assert completion.choices[0].message.content == streamed
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage.completion_tokens > 20


def test_max_tokens_cuts_the_answer_with_finish_reason_length(client):
    for key in ("max_tokens", "max_completion_tokens"):
        chunks = list(client.chat.completions.create(model=MODEL_NAME, messages=HELLO, stream=True, **{key: 5}))
        tokens = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
        assert len(tokens) == 5
        assert chunks[-1].choices[0].finish_reason == "length"


def test_stop_sequence_ends_the_text_before_it(client):
    full = client.chat.completions.create(model=MODEL_NAME, messages=HELLO).choices[0].message.content
    first_sentence_end = full.index(".")
    stopped = client.chat.completions.create(model=MODEL_NAME, messages=HELLO, stop=["."])
    assert stopped.choices[0].message.content == full[:first_sentence_end]
    assert stopped.choices[0].finish_reason == "stop"


def test_temperature_is_accepted_and_changes_nothing(client):
    cold = client.chat.completions.create(model=MODEL_NAME, messages=HELLO, temperature=0)
    hot = client.chat.completions.create(model=MODEL_NAME, messages=HELLO, temperature=1.5)
    assert cold.choices[0].message.content == hot.choices[0].message.content


# --- tools -----------------------------------------------------------------------------------


def tool_chunks(client, question: str, **kwargs):
    return list(client.chat.completions.create(
        model=MODEL_NAME, messages=[{"role": "user", "content": question}], tools=OPENAI_TOOLS,
        stream=True, **kwargs,
    ))


def test_streamed_tool_call_arrives_in_fragments(client):
    chunks = tool_chunks(client, "What is 10 + 10?", tool_choice="required")
    first = chunks[0].choices[0].delta
    assert first.role == "assistant"
    deltas = [c.choices[0].delta.tool_calls[0] for c in chunks if c.choices and c.choices[0].delta.tool_calls]
    assert all(delta.index == 0 for delta in deltas), "index on every delta"
    assert deltas[0].id.startswith("call_") and deltas[0].function.name == "add"
    assert all(delta.id is None and delta.function.name is None for delta in deltas[1:])
    fragments = [delta.function.arguments for delta in deltas[1:]]
    assert len(fragments) >= 4, "arguments are spread over several fragments"
    assert json.loads("".join(fragments)) == {"x": 10, "y": 10}
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


def test_parallel_tool_calls_follow_the_setting(client):
    question = "What is (2 + 3) * (4 + 5)?"

    def calls(chunks):
        heads = [d for c in chunks if c.choices and c.choices[0].delta.tool_calls
                 for d in c.choices[0].delta.tool_calls if d.id]
        return [(head.index, head.function.name) for head in heads]

    assert calls(tool_chunks(client, question)) == [(0, "add"), (1, "add")]
    assert calls(tool_chunks(client, question, parallel_tool_calls=False)) == [(0, "add")]


def test_tool_choice_none_answers_in_text(client):
    completion = client.chat.completions.create(
        model=MODEL_NAME, messages=[{"role": "user", "content": "What is 6 times 7?"}],
        tools=OPENAI_TOOLS, tool_choice="none",
    )
    assert completion.choices[0].message.tool_calls is None
    assert "42" in completion.choices[0].message.content


def test_named_tool_choice_calls_that_tool(client):
    completion = client.chat.completions.create(
        model=MODEL_NAME, messages=[{"role": "user", "content": "Hello!"}], tools=OPENAI_TOOLS,
        tool_choice={"type": "function", "function": {"name": "final_answer"}},
    )
    call = completion.choices[0].message.tool_calls[0]
    assert call.function.name == "final_answer"
    assert json.loads(call.function.arguments)["answer"]


def test_required_tool_choice_with_a_non_math_question_uses_final_answer(client):
    chunks = tool_chunks(client, "What is NLP?", tool_choice="required")
    heads = [d for c in chunks if c.choices and c.choices[0].delta.tool_calls
             for d in c.choices[0].delta.tool_calls if d.id]
    assert [head.function.name for head in heads] == ["final_answer"]


def test_tool_call_usage_counts_fragments(client):
    chunks = tool_chunks(client, "What is 10 + 10?", stream_options={"include_usage": True})
    fragments = sum(1 for c in chunks if c.choices and c.choices[0].delta.tool_calls)
    assert chunks[-1].usage.completion_tokens == fragments


# --- determinism -----------------------------------------------------------------------------


def test_same_request_gives_the_same_bytes(server):
    body = {"model": MODEL_NAME, "messages": [{"role": "user", "content": "What is 3 * (4 + 5)?"}],
            "tools": OPENAI_TOOLS, "stream": True, "stream_options": {"include_usage": True}}
    first = raw_post(server, body)[2]
    second = raw_post(server, body)[2]
    assert first == second
    other = raw_post(server, {**body, "messages": [{"role": "user", "content": "What is 3 * (4 + 6)?"}]})[2]
    assert json.loads(sse_events(first)[0])["id"] != json.loads(sse_events(other)[0])["id"]


# --- bad input -------------------------------------------------------------------------------

GOOD = {"model": MODEL_NAME, "messages": HELLO}

BAD_REQUESTS = [
    pytest.param(b"{not json", 400, None, id="malformed JSON"),
    pytest.param(b"[1, 2]", 400, None, id="not an object"),
    pytest.param({"messages": HELLO}, 400, "model", id="missing model"),
    pytest.param({**GOOD, "model": "gpt-9"}, 404, "model", id="unknown model"),
    pytest.param({"model": MODEL_NAME}, 400, "messages", id="missing messages"),
    pytest.param({**GOOD, "messages": []}, 400, "messages", id="empty messages"),
    pytest.param({**GOOD, "messages": "hi"}, 400, "messages", id="messages not a list"),
    pytest.param({**GOOD, "messages": [{"role": "wizard", "content": "hi"}]}, 400, "messages[0].role",
                 id="unknown role"),
    pytest.param({**GOOD, "messages": [{"role": "user"}]}, 400, "messages[0].content", id="missing content"),
    pytest.param({**GOOD, "messages": [{"role": "user", "content": 42}]}, 400, "messages[0].content",
                 id="content not text"),
    pytest.param({**GOOD, "messages": [{"role": "tool", "content": "1"}]}, 400, "messages[0].tool_call_id",
                 id="tool message without id"),
    pytest.param({**GOOD, "n": 2}, 400, "n", id="n=2"),
    pytest.param({**GOOD, "stream": "yes"}, 400, "stream", id="stream not boolean"),
    pytest.param({**GOOD, "max_tokens": 0}, 400, "max_tokens", id="max_tokens zero"),
    pytest.param({**GOOD, "stop": ["a", "b", "c", "d", "e"]}, 400, "stop", id="five stop sequences"),
    pytest.param({**GOOD, "stream_options": {"include_usage": True}}, 400, "stream_options",
                 id="stream_options without stream"),
    pytest.param({**GOOD, "tools": [{"type": "function"}]}, 400, "tools[0]", id="tool without function"),
    pytest.param({**GOOD, "tool_choice": "required"}, 400, "tool_choice", id="required without tools"),
    pytest.param({**GOOD, "tools": OPENAI_TOOLS, "tool_choice": {"type": "function", "function": {"name": "x"}}},
                 400, "tool_choice", id="named tool not offered"),
    pytest.param({**GOOD, "tools": OPENAI_TOOLS, "tool_choice": "sometimes"}, 400, "tool_choice",
                 id="unknown tool_choice"),
]


@pytest.mark.parametrize("body, status, param", BAD_REQUESTS)
def test_bad_requests_get_openai_errors(server, body, status, param):
    got_status, headers, data = raw_post(server, body)
    assert got_status == status
    assert headers["Content-Type"] == "application/json"
    error = json.loads(data)["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["message"] and error["type"]
    assert error["param"] == param


RESPONSES = "/v1/responses"
ASK = {"model": MODEL_NAME, "input": "What is NLP?"}
FLAT_ADD = {"type": "function", "name": "add", "parameters": {"type": "object", "properties": {
    "x": {"type": "number"}, "y": {"type": "number"}}, "required": ["x", "y"]}}
A_CALL = {"type": "function_call", "call_id": "call_1", "name": "add", "arguments": '{"x": 1, "y": 2}'}

RESPONSES_BAD_REQUESTS = [
    pytest.param(b"{not json", 400, None, id="malformed JSON"),
    pytest.param({"input": "Hi"}, 400, "model", id="missing model"),
    pytest.param({**ASK, "model": "gpt-9"}, 404, "model", id="unknown model"),
    pytest.param({"model": MODEL_NAME}, 400, "input", id="missing input"),
    pytest.param({**ASK, "input": 42}, 400, "input", id="input not text or items"),
    pytest.param({**ASK, "input": [42]}, 400, "input[0]", id="an item not an object"),
    pytest.param({**ASK, "input": [{"role": "wizard", "content": "hi"}]}, 400, "input[0].role", id="unknown role"),
    pytest.param({**ASK, "input": [{"role": "user"}]}, 400, "input[0].content", id="message without content"),
    pytest.param({**ASK, "input": [{"role": "user", "content": [{"type": "input_text", "text": 5}]}]}, 400,
                 "input[0].content[0].text", id="input_text not text"),
    pytest.param({**ASK, "input": [{"role": "user", "content": [{"type": "input_image", "image_url": "x"}]}]}, 400,
                 "input[0].content[0]", id="an image"),
    pytest.param({**ASK, "input": [{"type": "function_call", "call_id": "c", "name": "add"}]}, 400,
                 "input[0].arguments", id="function_call without arguments"),
    pytest.param({**ASK, "input": [{"type": "function_call_output", "call_id": "nope", "output": "3"}]}, 400,
                 "input[0].call_id", id="output for no call"),
    pytest.param({**ASK, "input": [A_CALL, {"type": "function_call_output", "call_id": "call_1", "output": 3}]}, 400,
                 "input[1].output", id="output not text"),
    pytest.param({**ASK, "input": [{"type": "item_reference", "id": "msg_1"}]}, 400, "input[0]",
                 id="item reference (nothing stored)"),
    pytest.param({**ASK, "input": [{"type": "web_search_call", "id": "ws_1"}]}, 400, "input[0].type",
                 id="a built-in tool's item"),
    pytest.param({**ASK, "input": [{"type": "reasoning", "summary": "thoughts"}]}, 400, "input[0].summary",
                 id="reasoning item with a malformed summary"),
    pytest.param({**ASK, "instructions": ["Be brief"]}, 400, "instructions", id="instructions not text"),
    pytest.param({**ASK, "tools": [{"type": "web_search"}]}, 400, "tools[0].type", id="built-in web search"),
    pytest.param({**ASK, "tools": [{"type": "file_search", "vector_store_ids": ["vs"]}]}, 400, "tools[0].type",
                 id="built-in file search"),
    pytest.param({**ASK, "tools": [{"type": "function", "function": {"name": "add"}}]}, 400, "tools[0].name",
                 id="a Chat Completions tool shape"),
    pytest.param({**ASK, "tools": [{**FLAT_ADD, "parameters": "x y"}]}, 400, "tools[0].parameters",
                 id="tool parameters not an object"),
    pytest.param({**ASK, "tool_choice": "required"}, 400, "tool_choice", id="required without tools"),
    pytest.param({**ASK, "tools": [FLAT_ADD], "tool_choice": {"type": "function", "name": "x"}}, 400, "tool_choice",
                 id="named tool not offered"),
    pytest.param({**ASK, "tools": [FLAT_ADD], "tool_choice": {"type": "web_search_preview"}}, 400, "tool_choice",
                 id="forcing a built-in tool"),
    pytest.param({**ASK, "tools": [FLAT_ADD], "tool_choice": {"type": "allowed_tools", "mode": "auto",
                                                              "tools": [{"type": "function", "name": "x"}]}},
                 400, "tool_choice.tools[0]", id="allowed tool not offered"),
    pytest.param({**ASK, "text": {"format": {"type": "json_schema", "schema": {}}}}, 400, "text.format.name",
                 id="json_schema without a name"),
    pytest.param({**ASK, "text": {"format": {"type": "json_schema", "name": "x"}}}, 400, "text.format.schema",
                 id="json_schema without a schema"),
    pytest.param({**ASK, "text": {"format": {"type": "yaml"}}}, 400, "text.format.type", id="unknown text format"),
    pytest.param({**ASK, "max_output_tokens": 5}, 400, "max_output_tokens", id="max_output_tokens below 16"),
    pytest.param({**ASK, "max_output_tokens": 10**6}, 400, "max_output_tokens", id="max_output_tokens past the cap"),
    pytest.param({**ASK, "max_output_tokens": True}, 400, "max_output_tokens", id="max_output_tokens true"),
    pytest.param({**ASK, "reasoning": {"effort": "extreme"}}, 400, "reasoning.effort", id="unknown effort"),
    pytest.param({**ASK, "reasoning": {"summary": "verbose"}}, 400, "reasoning.summary", id="unknown summary"),
    pytest.param({**ASK, "reasoning": "high"}, 400, "reasoning", id="reasoning not an object"),
    pytest.param({**ASK, "include": ["message.output_text.logprobs"]}, 400, "include[0]", id="include logprobs"),
    pytest.param({**ASK, "previous_response_id": "resp_1", "store": False}, 400, "previous_response_id",
                 id="previous_response_id"),
    pytest.param({**ASK, "conversation": "conv_1"}, 400, "conversation", id="conversation"),
    pytest.param({**ASK, "background": True}, 400, "background", id="background"),
    pytest.param({**ASK, "store": "no"}, 400, "store", id="store not boolean"),
    pytest.param({**ASK, "stream_options": {"include_obfuscation": False}}, 400, "stream_options",
                 id="stream_options without stream"),
    pytest.param({**ASK, "temprature": 0.5}, 400, "temprature", id="unknown parameter"),
    pytest.param({**ASK, "messages": [{"role": "user", "content": "Hi"}]}, 400, "messages",
                 id="Chat Completions' messages"),
]


@pytest.mark.parametrize("body, status, param", RESPONSES_BAD_REQUESTS)
def test_bad_responses_requests_get_openai_errors(server, body, status, param):
    got_status, headers, data = raw_post(server, body, path=RESPONSES)
    assert got_status == status, data[:300]
    assert headers["Content-Type"] == "application/json"
    error = json.loads(data)["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["message"] and error["type"]
    assert error["param"] == param


@pytest.mark.parametrize("method, path, status", [
    ("GET", "/v1/chat/completions", 405),
    ("POST", "/v1/models", 405),
    ("POST", "/v1/completions", 404),
    ("GET", "/v1/responses", 405),
    ("GET", "/v1/responses/resp_1", 404),
    ("GET", "/", 404),
    ("GET", "/v1/models/gpt-9", 404),
])
def test_wrong_routes_and_methods(server, method, path, status):
    got, _, data = raw_post(server, b"{}" if method == "POST" else b"", path=path, method=method)
    assert got == status
    assert json.loads(data)["error"]["message"]


def test_body_over_the_limit_is_413(server):
    huge = {"model": MODEL_NAME, "messages": [{"role": "user", "content": "x" * 3_000_000}]}
    status, _, data = raw_post(server, huge)
    assert status == 413
    assert json.loads(data)["error"]["code"] == "request_too_large"


def test_sdk_raises_typed_errors(client):
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="gpt-9", messages=HELLO)
    with pytest.raises(openai.BadRequestError, match="n=1"):
        client.chat.completions.create(model=MODEL_NAME, messages=HELLO, n=3)


def test_a_failure_mid_stream_is_an_error_chunk_the_sdk_raises(server):
    status, _, data = raw_post(server, {"model": MODEL_NAME, "messages": HELLO, "stream": True},
                               headers={"X-Course-Model-Fault": "fail-after=3"})
    assert status == 200
    chunks = [json.loads(event) for event in sse_events(data) if event != "[DONE]"]
    assert sum(bool(c.get("choices") and c["choices"][0]["delta"].get("content")) for c in chunks) == 3
    assert chunks[-1]["error"]["type"] == "server_error"
    with openai.OpenAI(base_url=server.base_url, api_key="k", max_retries=0,
                       default_headers={"X-Course-Model-Fault": "fail-after=3"}) as failing:
        with pytest.raises(openai.APIError, match="mid-stream"):
            list(failing.chat.completions.create(model=MODEL_NAME, messages=HELLO, stream=True))


def test_models_endpoint(client):
    assert [model.id for model in client.models.list()] == [MODEL_NAME]
    assert client.models.retrieve(MODEL_NAME).id == MODEL_NAME


# --- robustness ------------------------------------------------------------------------------


def test_client_that_disconnects_mid_stream_does_not_hurt_the_server(server, client):
    url = urlparse(server.base_url)
    body = json.dumps({"model": MODEL_NAME, "messages": [{"role": "user", "content": "Tell me a long story"}],
                       "stream": True}).encode()
    for _ in range(5):
        sock = socket.create_connection((url.hostname, url.port), timeout=5)
        sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        assert sock.recv(1024).startswith(b"HTTP/1.1 200")
        sock.close()
    assert client.chat.completions.create(model=MODEL_NAME, messages=HELLO).choices[0].message.content


def test_concurrent_streams_are_all_served(server):
    results: dict[int, str] = {}

    def stream(i: int) -> None:
        with openai.OpenAI(base_url=server.base_url, api_key="k", max_retries=0, timeout=20) as own:
            chunks = own.chat.completions.create(
                model=MODEL_NAME, messages=[{"role": "user", "content": f"What is {i} + {i}?"}], stream=True)
            results[i] = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)

    threads = [threading.Thread(target=stream, args=(i,)) for i in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == list(range(30))
    assert all(str(2 * i) in results[i] for i in range(30))


def test_pacing_delay_spaces_tokens():
    """With a delay, token k leaves no earlier than k delays after the first: the whole answer can take longer
    on a loaded machine, never less. (The gaps themselves are bench figures; load makes a client read late and
    see several tokens at once, so they are not asserted here.)"""
    from helpers.course_model import CourseModelServer

    delay = 0.02
    with CourseModelServer(delay=delay) as paced, openai.OpenAI(base_url=paced.base_url, api_key="k") as paced_client:
        started = time.perf_counter()
        arrivals = []
        for chunk in paced_client.chat.completions.create(model=MODEL_NAME, messages=HELLO, stream=True):
            if chunk.choices and chunk.choices[0].delta.content:
                arrivals.append(time.perf_counter())
    assert len(arrivals) > 20
    assert arrivals[-1] - started >= (len(arrivals) - 1) * delay, "the tokens came faster than one per delay"


def test_command_line_server_streams_a_tool_call(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "helpers.course_model", "--port", str(port), "--delay", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        banner = process.stdout.readline()
        assert f"127.0.0.1:{port}" in banner
        with openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="anything", timeout=10) as cli:
            chunks = list(cli.chat.completions.create(
                model=MODEL_NAME, messages=[{"role": "user", "content": "What is 7 times 6?"}],
                tools=OPENAI_TOOLS, stream=True))
        calls = [d for c in chunks if c.choices and c.choices[0].delta.tool_calls for d in c.choices[0].delta.tool_calls]
        assert calls[0].function.name == "multiply"
        assert json.loads("".join(d.function.arguments for d in calls)) == {"x": 7, "y": 6}
    finally:
        process.terminate()
        process.wait(timeout=10)
