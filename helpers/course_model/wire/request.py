"""Read and check a Chat Completions request body, the way OpenAI's API would.

Everything the server needs from the body ends up in one `ChatRequest`; anything
malformed becomes an `ApiError` with the status and message OpenAI would send,
so a learner's mistake reads the same here as it would against the real API.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .body_json import load_body
from .errors import ApiError, bad_request
from .parameters import check_parameters, read_bool
from ..workload import MAX_OUTPUT_TOKENS

MODEL_NAME = "course-model"
ROLES = ("system", "developer", "user", "assistant", "tool")
MAX_STOP_SEQUENCES = 4


@dataclass(frozen=True)
class ResponseFormat:
    """What shape the answer must take: `json_object` (any JSON object) or `json_schema`.

    A request with no `response_format`, or `{"type": "text"}`, has none (`ChatRequest.response_format`
    is None), so `if request.response_format:` asks "is structured output wanted?".
    """

    type: str  # "json_object" or "json_schema"
    name: str | None = None  # json_schema.name
    schema: dict[str, Any] | None = None  # json_schema.schema (None: any JSON object will do)
    strict: bool = False  # json_schema.strict
    description: str | None = None  # json_schema.description


@dataclass(frozen=True)
class ChatRequest:
    """The parts of a Chat Completions request that change what the course model says or how."""

    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]]
    tool_choice: str | dict[str, Any] | None
    parallel_tool_calls: bool
    stream: bool
    include_usage: bool
    max_tokens: int | None  # None: the model's own cap, MAX_OUTPUT_TOKENS
    stop: tuple[str, ...]
    fingerprint: str  # canonical JSON of the body, from which ids are derived
    response_format: ResponseFormat | None = field(default=None)  # None: plain text


def parse_chat_request(raw: bytes) -> ChatRequest:
    """Parse `raw` (the HTTP body) into a `ChatRequest`, or raise the `ApiError` OpenAI would."""
    body, fingerprint = load_body(raw)  # bounded depth and digits, valid Unicode: a 400, never a 500
    _check_model(body.get("model"))
    check_parameters(body)  # refuse what cannot be honoured (logprobs, audio, ...) and unknown names
    messages = _check_messages(body.get("messages"))
    tools = _check_tools(body.get("tools"))
    tool_choice = _check_tool_choice(body.get("tool_choice"), tools)
    stream = read_bool(body, "stream", default=False)
    _check_n(body.get("n"))
    stream_options = body.get("stream_options")
    if stream_options is not None:
        if not stream:
            raise bad_request("stream_options is only allowed when stream is true.", "stream_options")
        if not isinstance(stream_options, dict):
            raise bad_request("stream_options must be an object.", "stream_options")
        if not isinstance(stream_options.get("include_usage", False), bool):
            raise bad_request("Invalid type for 'stream_options.include_usage': expected a boolean.",
                              "stream_options.include_usage")
    include_usage = bool((stream_options or {}).get("include_usage", False))

    return ChatRequest(
        messages=messages,
        tools=tools,
        tool_choice=tool_choice,
        parallel_tool_calls=read_bool(body, "parallel_tool_calls", default=True),
        stream=stream,
        include_usage=include_usage,
        max_tokens=_check_max_tokens(body),
        stop=_check_stop(body.get("stop")),
        fingerprint=fingerprint,
        response_format=_check_response_format(body.get("response_format")),
    )


def _check_model(model: Any) -> None:
    if model is None:
        raise bad_request("You must provide a model parameter.", "model")
    if not isinstance(model, str):
        raise bad_request("Invalid type for 'model': expected a string.", "model")
    if model != MODEL_NAME:
        raise ApiError(
            404,
            f"The model `{model}` does not exist. The course model serves one model: `{MODEL_NAME}`.",
            param="model",
            code="model_not_found",
        )


def _check_messages(messages: Any) -> list[dict[str, Any]]:
    if messages is None:
        raise bad_request("Missing required parameter: 'messages'.", "messages", "missing_required_parameter")
    if not isinstance(messages, list) or not messages:
        raise bad_request("'messages' must be a non-empty array of message objects.", "messages")
    for i, message in enumerate(messages):
        where = f"messages[{i}]"
        if not isinstance(message, dict):
            raise bad_request(f"{where} must be an object.", where)
        role = message.get("role")
        if role not in ROLES:
            raise bad_request(
                f"Invalid value for '{where}.role': {role!r}. Supported values are: {', '.join(ROLES)}.",
                f"{where}.role",
            )
        _check_content(message, where)
        if role == "tool" and not isinstance(message.get("tool_call_id"), str):
            raise bad_request(f"Missing required parameter: '{where}.tool_call_id'.", f"{where}.tool_call_id")
        if message.get("name") is not None and not isinstance(message["name"], str):
            raise bad_request(f"Invalid type for '{where}.name': expected a string.", f"{where}.name")
        if message.get("tool_calls") is not None:
            if role != "assistant":
                raise bad_request(f"'{where}.tool_calls' is only allowed on assistant messages, not {role} ones.",
                                  f"{where}.tool_calls")
            _check_assistant_tool_calls(message["tool_calls"], where)
    return messages


def _check_content(message: dict[str, Any], where: str) -> None:
    content = message.get("content")
    if content is None:
        if message["role"] == "assistant":
            return  # an assistant turn that only calls tools has no content
        raise bad_request(f"Missing required parameter: '{where}.content'.", f"{where}.content")
    if isinstance(content, str):
        return
    if not isinstance(content, list) or not all(isinstance(part, dict) and "type" in part for part in content):
        raise bad_request(
            f"Invalid type for '{where}.content': expected a string or an array of content parts.",
            f"{where}.content",
        )
    for k, part in enumerate(content):
        kind = part["type"]
        if kind in ("text", "refusal"):
            if not isinstance(part.get(kind), str):
                raise bad_request(f"Invalid type for '{where}.content[{k}].{kind}': expected a string.",
                                  f"{where}.content[{k}].{kind}")
        elif kind in ("image_url", "input_audio", "file"):
            raise bad_request(
                f"The course model reads text only: it cannot take the {kind} part in '{where}.content[{k}]'.",
                f"{where}.content[{k}]", "unsupported_content",
            )
        else:
            raise bad_request(f"Invalid value for '{where}.content[{k}].type': {kind!r}.", f"{where}.content[{k}]")


def _check_assistant_tool_calls(tool_calls: Any, where: str) -> None:
    if not isinstance(tool_calls, list):
        raise bad_request(f"'{where}.tool_calls' must be an array.", f"{where}.tool_calls")
    for j, call in enumerate(tool_calls):
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict) or not isinstance(function.get("name"), str) \
                or not isinstance(call.get("id"), str):
            raise bad_request(
                f"'{where}.tool_calls[{j}]' must have an id and a function with a name.",
                f"{where}.tool_calls[{j}]",
            )
        if not isinstance(function.get("arguments"), str):
            raise bad_request(
                f"Invalid type for '{where}.tool_calls[{j}].function.arguments': expected a JSON string.",
                f"{where}.tool_calls[{j}].function.arguments",
            )


def _check_tools(tools: Any) -> list[dict[str, Any]]:
    if tools is None:
        return []
    if not isinstance(tools, list):
        raise bad_request("'tools' must be an array.", "tools")
    for i, tool in enumerate(tools):
        function = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(tool, dict) or tool.get("type") != "function" or not isinstance(function, dict):
            raise bad_request(f"tools[{i}] must be {{'type': 'function', 'function': {{...}}}}.", f"tools[{i}]")
        if not isinstance(function.get("name"), str) or not function["name"]:
            raise bad_request(f"Missing required parameter: 'tools[{i}].function.name'.", f"tools[{i}].function.name")
        if function.get("parameters") is not None and not isinstance(function["parameters"], dict):
            raise bad_request(f"Invalid type for 'tools[{i}].function.parameters': expected a JSON schema object.",
                              f"tools[{i}].function.parameters")
        if function.get("description") is not None and not isinstance(function["description"], str):
            raise bad_request(f"Invalid type for 'tools[{i}].function.description': expected a string.",
                              f"tools[{i}].function.description")
    return tools


def _check_tool_choice(choice: Any, tools: list[dict[str, Any]]) -> str | dict[str, Any] | None:
    if choice is None:
        return None
    if isinstance(choice, str) and choice in ("auto", "none", "required"):
        if choice == "required" and not tools:
            raise bad_request("tool_choice 'required' is only allowed when 'tools' are specified.", "tool_choice")
        return choice
    if isinstance(choice, dict) and isinstance(choice.get("function"), dict):
        name = choice["function"].get("name")
        if not isinstance(name, str):
            raise bad_request("Invalid type for 'tool_choice.function.name': expected a string.", "tool_choice")
        if name not in {tool["function"]["name"] for tool in tools}:
            raise bad_request(f"tool_choice names the function {name!r}, which is not in 'tools'.", "tool_choice")
        return choice
    raise bad_request(
        "Invalid value for 'tool_choice': use 'auto', 'none', 'required' or "
        "{'type': 'function', 'function': {'name': ...}}.",
        "tool_choice",
    )


def _check_n(n: Any) -> None:
    if n is None:
        return
    if isinstance(n, bool) or not isinstance(n, int):  # True == 1 in Python, but not in JSON or to OpenAI
        raise bad_request("Invalid type for 'n': expected an integer.", "n")
    if n != 1:
        raise bad_request("The course model only supports n=1: it would give the same answer every time.", "n")


def _check_max_tokens(body: dict[str, Any]) -> int | None:
    for key in ("max_completion_tokens", "max_tokens"):
        value = body.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise bad_request(f"Invalid value for '{key}': expected an integer of at least 1.", key)
        if value > MAX_OUTPUT_TOKENS:  # as OpenAI refuses it, naming the model's own cap
            raise bad_request(f"{key} is too large: {value}. This model supports at most {MAX_OUTPUT_TOKENS} "
                              "completion tokens.", key)
        return value
    return None


def _check_stop(stop: Any) -> tuple[str, ...]:
    if stop is None:
        return ()
    if isinstance(stop, str):
        stop = [stop]
    if not isinstance(stop, list) or not all(isinstance(s, str) and s for s in stop):
        raise bad_request("'stop' must be a non-empty string or an array of non-empty strings.", "stop")
    if len(stop) > MAX_STOP_SEQUENCES:
        raise bad_request(f"'stop' allows at most {MAX_STOP_SEQUENCES} sequences.", "stop")
    return tuple(stop)


_SCHEMA_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def _check_response_format(value: Any) -> ResponseFormat | None:
    """Validate `response_format` as OpenAI does: `text`, `json_object`, or `json_schema` with a name."""
    if value is None:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("type"), str):
        raise bad_request("'response_format' must be an object with a 'type'.", "response_format")
    kind = value["type"]
    if kind == "text":
        return None
    if kind == "json_object":
        return ResponseFormat("json_object")
    if kind != "json_schema":
        raise bad_request(
            f"Invalid value for 'response_format.type': {kind!r}. Supported values are: "
            "'text', 'json_object' and 'json_schema'.",
            "response_format.type",
        )
    spec = value.get("json_schema")
    if not isinstance(spec, dict):
        raise bad_request("Missing required parameter: 'response_format.json_schema'.",
                          "response_format.json_schema", "missing_required_parameter")
    name = spec.get("name")
    if not isinstance(name, str) or not _SCHEMA_NAME.match(name):
        raise bad_request(
            "Invalid 'response_format.json_schema.name': a string of 1-64 letters, digits, '_' or '-' is required.",
            "response_format.json_schema.name",
        )
    schema = spec.get("schema")
    if schema is not None and not isinstance(schema, dict):
        raise bad_request("Invalid type for 'response_format.json_schema.schema': expected an object.",
                          "response_format.json_schema.schema")
    strict = spec.get("strict")
    if strict is not None and not isinstance(strict, bool):
        raise bad_request("Invalid type for 'response_format.json_schema.strict': expected a boolean.",
                          "response_format.json_schema.strict")
    description = spec.get("description")
    if description is not None and not isinstance(description, str):
        raise bad_request("Invalid type for 'response_format.json_schema.description': expected a string.",
                          "response_format.json_schema.description")
    return ResponseFormat("json_schema", name=name, schema=schema, strict=bool(strict), description=description)
