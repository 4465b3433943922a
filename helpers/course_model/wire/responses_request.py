"""Read and check a Responses API request (`POST /v1/responses`), the way OpenAI's API would.

The Responses API says what Chat Completions says in other shapes: `input` items
(`message`, `function_call`, `function_call_output`, `reasoning`) instead of
`messages`, flat function tools (`{"type": "function", "name": ...}`),
`text.format` instead of `response_format`, `max_output_tokens` instead of
`max_tokens`, and `reasoning` for a reasoning model's effort and summary. This
module checks it all and translates it into the Chat Completions shapes the brain
already reads, so both APIs answer from the same brain, within the same limits.

What the course model cannot honour gets a 400 naming it, never a silent ignore:
built-in tools (web search, file search, ...), stored state (`previous_response_id`,
`conversation`, item references: it stores nothing), `background` mode, media inputs.
Used by `app.py`; the course model is taught in chapter 01, reasoning in chapter 01.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

from ..workload import MAX_OUTPUT_TOKENS
from .body_json import load_body
from .errors import bad_request
from .parameters import check_known, read_bool
from .request import ChatRequest, ResponseFormat, _check_model
from .request import _SCHEMA_NAME as SCHEMA_NAME

MIN_OUTPUT_TOKENS = 16  # OpenAI refuses a smaller max_output_tokens
EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh", "max")
SUMMARIES = ("auto", "concise", "detailed")
INCLUDABLE = ("reasoning.encrypted_content",)  # what `include` may ask for here
ROLES = ("user", "system", "developer", "assistant")

# Parameters read below: they change what the answer is or how it is sent.
USED = frozenset({
    "model", "input", "instructions", "tools", "tool_choice", "parallel_tool_calls", "text", "max_output_tokens",
    "reasoning", "stream", "stream_options", "include", "store", "previous_response_id",
})

# Parameters the course model cannot honour, and why (the 400's message).
REFUSED: dict[str, str] = {
    "background": "The course model does not run responses in the background: send the request without "
                  "'background' and read the answer (or stream it) as it comes.",
    "conversation": "The course model stores no conversations: send the whole conversation in 'input' instead.",
    "prompt": "The course model has no stored prompt templates ('prompt'): send the instructions and input "
              "themselves.",
    "context_management": "The course model does not compact conversations ('context_management').",
    "max_tool_calls": "'max_tool_calls' limits built-in tools, which the course model does not have.",
}


def _number(low: float, high: float) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and low <= v <= high


def _string(v: Any) -> bool:
    return isinstance(v, str)


# Accepted and checked, then ignored: none of them can change a deterministic answer.
HARMLESS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "temperature": (_number(0, 2), "a number between 0 and 2"),
    "top_p": (_number(0, 1), "a number between 0 and 1"),
    "user": (_string, "a string"),
    "safety_identifier": (_string, "a string"),
    "prompt_cache_key": (_string, "a string"),
    "prompt_cache_retention": (_string, "a string"),
    "metadata": (lambda v: isinstance(v, dict) and all(isinstance(x, str) for x in v.values()),
                 "an object of strings"),
    "service_tier": (_string, "a string"),
    "truncation": (lambda v: isinstance(v, str) and v in ("auto", "disabled"), "'auto' or 'disabled'"),
    "top_logprobs": (lambda v: isinstance(v, int) and not isinstance(v, bool) and v == 0,
                     "0 (the course model has no log probabilities)"),
}

# Tool types OpenAI runs itself; the course model is offline and has none of them.
BUILT_IN_TOOLS = frozenset({
    "web_search", "web_search_preview", "web_search_2025_08_26", "web_search_preview_2025_03_11", "file_search",
    "computer", "computer_use_preview", "code_interpreter", "image_generation", "mcp", "local_shell", "shell",
    "apply_patch", "custom", "tool_search", "namespace",
})


@dataclass(frozen=True)
class Reasoning:
    """The request's `reasoning`: how hard to think, and whether (and how fully) to summarise it."""

    effort: str | None  # None: the model's default
    summary: str | None  # "auto", "concise", "detailed", or None: reason, but send no summary

    @property
    def thinks(self) -> bool:
        """Whether the model reasons at all: effort "none" turns reasoning off, as on gpt-5.1."""
        return self.effort != "none"


@dataclass(frozen=True)
class ResponsesRequest:
    """A checked Responses request, with its conversation in Chat Completions shapes for the brain."""

    chat: ChatRequest  # messages, tools, tool_choice, max_tokens ... as the brain and the completion planner read them
    reasoning: Reasoning | None  # None: not a reasoning request, and nothing changes
    include_encrypted_reasoning: bool
    echo: dict[str, Any] = field(default_factory=dict)  # the request's settings, echoed in the response object

    @property
    def stream(self) -> bool:
        return self.chat.stream

    @property
    def max_output_tokens(self) -> int:
        return self.chat.max_tokens if self.chat.max_tokens is not None else MAX_OUTPUT_TOKENS


def parse_responses_request(raw: bytes) -> ResponsesRequest:
    """Parse `raw` (the HTTP body) into a `ResponsesRequest`, or raise the `ApiError` OpenAI would."""
    body, fingerprint = load_body(raw)  # bounded depth and digits, valid Unicode: a 400, never a 500
    _check_model(body.get("model"))
    _check_parameters(body)
    if body.get("previous_response_id") is not None:
        raise bad_request("The course model stores no responses (whatever 'store' says), so it cannot continue "
                          "from 'previous_response_id': send the whole conversation in 'input' instead.",
                          "previous_response_id", "unsupported_parameter")
    read_bool(body, "store", default=True)
    stream = read_bool(body, "stream", default=False)
    _check_stream_options(body.get("stream_options"), stream)
    tools, echoed_tools = _check_tools(body.get("tools"))
    tool_choice, tools = _check_tool_choice(body.get("tool_choice"), tools)
    instructions = body.get("instructions")
    if instructions is not None and not isinstance(instructions, str):
        raise bad_request("Invalid type for 'instructions': expected a string.", "instructions")
    messages = _check_input(body.get("input"))
    if instructions:
        messages.insert(0, {"role": "developer", "content": instructions})
    text_format, echoed_text = _check_text(body.get("text"))
    reasoning = _check_reasoning(body.get("reasoning"))
    include = _check_include(body.get("include"))
    parallel = read_bool(body, "parallel_tool_calls", default=True)
    chat = ChatRequest(
        messages=messages, tools=tools, tool_choice=tool_choice, parallel_tool_calls=parallel, stream=stream,
        include_usage=True, max_tokens=_check_max_output_tokens(body.get("max_output_tokens")), stop=(),
        fingerprint=fingerprint, response_format=text_format,
    )
    echo = {
        "instructions": instructions,
        "max_output_tokens": body.get("max_output_tokens"),
        "metadata": body.get("metadata") or {},
        "parallel_tool_calls": parallel,
        # As OpenAI echoes it: a reasoning request without an effort gets the default, "medium".
        "reasoning": {"effort": reasoning.effort or "medium", "summary": reasoning.summary} if reasoning else
        {"effort": None, "summary": None},
        "store": body.get("store", True),
        "temperature": body.get("temperature", 1.0),
        "text": echoed_text,
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": echoed_tools,
        "top_p": body.get("top_p", 1.0),
        "truncation": body.get("truncation", "disabled"),
        "user": body.get("user"),
        "service_tier": "default",
    }
    return ResponsesRequest(chat=chat, reasoning=reasoning, include_encrypted_reasoning=include, echo=echo)


# --- parameters --------------------------------------------------------------------------------


def _check_parameters(body: dict[str, Any]) -> None:
    check_known(body, used=USED, refused=REFUSED, harmless=HARMLESS, unknown="Unknown parameter: '{key}'.",
                unknown_code="unknown_parameter")


def _check_stream_options(options: Any, stream: bool) -> None:
    if options is None:
        return
    if not stream:
        raise bad_request("stream_options is only allowed when stream is true.", "stream_options")
    if not isinstance(options, dict):
        raise bad_request("Invalid type for 'stream_options': expected an object.", "stream_options")
    for key, value in options.items():
        if key != "include_obfuscation":
            raise bad_request(f"Unknown parameter: 'stream_options.{key}'.", f"stream_options.{key}")
        if not isinstance(value, bool):
            raise bad_request("Invalid type for 'stream_options.include_obfuscation': expected a boolean.",
                              "stream_options.include_obfuscation")


def _check_max_output_tokens(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad_request("Invalid type for 'max_output_tokens': expected an integer.", "max_output_tokens")
    if value < MIN_OUTPUT_TOKENS:
        raise bad_request(f"Invalid 'max_output_tokens': integer below minimum value. Expected a value >= "
                          f"{MIN_OUTPUT_TOKENS}, but got {value} instead.", "max_output_tokens",
                          "integer_below_min_value")
    if value > MAX_OUTPUT_TOKENS:  # as OpenAI refuses it, naming the model's own cap
        raise bad_request(f"max_output_tokens is too large: {value}. This model supports at most "
                          f"{MAX_OUTPUT_TOKENS} output tokens.", "max_output_tokens")
    return value


def _check_reasoning(value: Any) -> Reasoning | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise bad_request("Invalid type for 'reasoning': expected an object.", "reasoning")
    for key in value:
        if key not in ("effort", "summary", "generate_summary"):
            raise bad_request(f"Unknown parameter: 'reasoning.{key}'.", f"reasoning.{key}")
    effort = value.get("effort")
    if effort is not None and (not isinstance(effort, str) or effort not in EFFORTS):
        raise bad_request(f"Invalid value for 'reasoning.effort': {effort!r}. Supported values are: "
                          f"{', '.join(repr(e) for e in EFFORTS)}.", "reasoning.effort")
    summary = value.get("summary", value.get("generate_summary"))  # generate_summary: its deprecated name
    if summary is not None and (not isinstance(summary, str) or summary not in SUMMARIES):
        raise bad_request(f"Invalid value for 'reasoning.summary': {summary!r}. Supported values are: "
                          f"{', '.join(repr(s) for s in SUMMARIES)}.", "reasoning.summary")
    return Reasoning(effort, summary)


def _check_include(value: Any) -> bool:
    """Whether `include` asks for `reasoning.encrypted_content` (the only thing it may ask for here)."""
    if value is None:
        return False
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise bad_request("Invalid type for 'include': expected an array of strings.", "include")
    for i, item in enumerate(value):
        if item not in INCLUDABLE:
            raise bad_request(f"The course model cannot include {item!r}: it has no built-in tools, images or log "
                              f"probabilities to add. It can include: {', '.join(INCLUDABLE)}.", f"include[{i}]",
                              "unsupported_parameter")
    return "reasoning.encrypted_content" in value


# --- input ---------------------------------------------------------------------------------------


def _check_input(value: Any) -> list[dict[str, Any]]:
    """The input items as Chat Completions messages: what the brain reads."""
    if value is None:
        raise bad_request("Missing required parameter: 'input'.", "input", "missing_required_parameter")
    if isinstance(value, str):
        return [{"role": "user", "content": value}]
    if not isinstance(value, list):
        raise bad_request("Invalid type for 'input': expected a string or an array of input items.", "input")
    messages: list[dict[str, Any]] = []
    calls: set[str] = set()
    for i, item in enumerate(value):
        where = f"input[{i}]"
        if not isinstance(item, dict):
            raise bad_request(f"Invalid type for '{where}': expected an object.", where)
        kind = item.get("type", "message" if "role" in item else None)
        kind = kind if kind is None or isinstance(kind, str) else repr(kind)  # a list or an object is no item type
        if kind == "message":
            messages.append(_message(item, where))
        elif kind == "function_call":
            call = _function_call(item, where)
            calls.add(call["id"])
            last = messages[-1] if messages else None
            if last is not None and last["role"] == "assistant":  # one assistant turn: its text and its calls
                last.setdefault("tool_calls", []).append(call)
            else:
                messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
        elif kind == "function_call_output":
            messages.append(_function_call_output(item, where, calls))
        elif kind == "reasoning":
            _reasoning_item(item, where)  # the model's own earlier summary: checked, then not needed (see below)
        elif kind == "item_reference":
            raise bad_request(f"The course model stores no items, so '{where}' cannot refer to one: send the item "
                              "itself.", where, "unsupported_parameter")
        elif isinstance(kind, str):
            raise bad_request(f"The course model cannot take '{where}' of type {kind!r}: it takes messages, "
                              "function_call, function_call_output and reasoning items.", f"{where}.type")
        else:
            raise bad_request(f"Missing required parameter: '{where}.type'.", f"{where}.type",
                              "missing_required_parameter")
    # The brain recomputes its plan from the conversation every turn, so an earlier reasoning item
    # (sent back by clients such as ChatOpenAI) informs nothing: it is accepted and left out.
    return messages


def _message(item: dict[str, Any], where: str) -> dict[str, Any]:
    role = item.get("role")
    if role not in ROLES:
        raise bad_request(f"Invalid value for '{where}.role': {role!r}. Supported values are: "
                          f"{', '.join(ROLES)}.", f"{where}.role")
    content = item.get("content")
    if content is None:
        raise bad_request(f"Missing required parameter: '{where}.content'.", f"{where}.content",
                          "missing_required_parameter")
    if isinstance(content, str):
        return {"role": role, "content": content}
    if not isinstance(content, list):
        raise bad_request(f"Invalid type for '{where}.content': expected a string or an array of content parts.",
                          f"{where}.content")
    texts = []
    for k, part in enumerate(content):
        at = f"{where}.content[{k}]"
        kind = part.get("type") if isinstance(part, dict) else None
        if kind in ("input_text", "output_text", "text"):
            if not isinstance(part.get("text"), str):
                raise bad_request(f"Invalid type for '{at}.text': expected a string.", f"{at}.text")
            texts.append({"type": "text", "text": part["text"]})
        elif kind == "refusal":
            if not isinstance(part.get("refusal"), str):
                raise bad_request(f"Invalid type for '{at}.refusal': expected a string.", f"{at}.refusal")
            texts.append({"type": "text", "text": part["refusal"]})
        elif kind in ("input_image", "input_file", "input_audio"):
            raise bad_request(f"The course model reads text only: it cannot take the {kind} part in '{at}'.", at,
                              "unsupported_content")
        else:
            raise bad_request(f"Invalid value for '{at}.type': {kind!r}. Supported values are: 'input_text', "
                              "'output_text' and 'refusal'.", f"{at}.type")
    return {"role": role, "content": texts}


def _function_call(item: dict[str, Any], where: str) -> dict[str, Any]:
    for key in ("call_id", "name", "arguments"):
        if not isinstance(item.get(key), str):
            raise bad_request(f"Invalid type for '{where}.{key}': expected a string.", f"{where}.{key}")
    return {"id": item["call_id"], "type": "function",
            "function": {"name": item["name"], "arguments": item["arguments"]}}


def _function_call_output(item: dict[str, Any], where: str, calls: set[str]) -> dict[str, Any]:
    call_id = item.get("call_id")
    if not isinstance(call_id, str):
        raise bad_request(f"Invalid type for '{where}.call_id': expected a string.", f"{where}.call_id")
    if call_id not in calls:
        raise bad_request(f"No tool call found for function call output with call_id {call_id}.",
                          f"{where}.call_id")
    output = item.get("output")
    if isinstance(output, list):
        parts = []
        for k, part in enumerate(output):
            if not isinstance(part, dict) or part.get("type") != "input_text" or not isinstance(part.get("text"), str):
                raise bad_request(f"The course model reads text only: '{where}.output[{k}]' must be an input_text "
                                  "part.", f"{where}.output[{k}]")
            parts.append(part["text"])
        output = "\n".join(parts)
    if not isinstance(output, str):
        raise bad_request(f"Invalid type for '{where}.output': expected a string or an array of input_text parts.",
                          f"{where}.output")
    return {"role": "tool", "tool_call_id": call_id, "content": output}


def _reasoning_item(item: dict[str, Any], where: str) -> None:
    summary = item.get("summary")
    if not isinstance(summary, list) or not all(
            isinstance(part, dict) and part.get("type") == "summary_text" and isinstance(part.get("text"), str)
            for part in summary):
        raise bad_request(f"Invalid '{where}.summary': expected an array of summary_text parts.", f"{where}.summary")
    if item.get("encrypted_content") is not None and not isinstance(item["encrypted_content"], str):
        raise bad_request(f"Invalid type for '{where}.encrypted_content': expected a string.",
                          f"{where}.encrypted_content")


# --- tools, tool_choice and text.format --------------------------------------------------------


def _check_tools(value: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The function tools in Chat Completions' shape (for the brain) and in the Responses shape (to echo)."""
    if value is None:
        return [], []
    if not isinstance(value, list):
        raise bad_request("Invalid type for 'tools': expected an array.", "tools")
    chat, echoed = [], []
    for i, tool in enumerate(value):
        where = f"tools[{i}]"
        kind = tool.get("type") if isinstance(tool, dict) else None
        if isinstance(kind, str) and kind in BUILT_IN_TOOLS:
            raise bad_request(f"The course model is offline and has no built-in tools: it cannot use the {kind} tool "
                              f"in '{where}'. Offer your own function tools instead.", f"{where}.type",
                              "unsupported_tool")
        if kind != "function":
            raise bad_request(f"Invalid value for '{where}.type': {kind!r}. The course model takes function tools: "
                              "{'type': 'function', 'name': ..., 'parameters': {...}}.", f"{where}.type")
        if "function" in tool and "name" not in tool:
            raise bad_request(f"Missing required parameter: '{where}.name'. (The Responses API's function tools are "
                              "flat: 'name' and 'parameters' sit beside 'type', not inside 'function'.)",
                              f"{where}.name", "missing_required_parameter")
        name = tool.get("name")
        if not isinstance(name, str) or not name:
            raise bad_request(f"Missing required parameter: '{where}.name'.", f"{where}.name",
                              "missing_required_parameter")
        parameters = tool.get("parameters")
        if parameters is not None and not isinstance(parameters, dict):
            raise bad_request(f"Invalid type for '{where}.parameters': expected a JSON schema object.",
                              f"{where}.parameters")
        description = tool.get("description")
        if description is not None and not isinstance(description, str):
            raise bad_request(f"Invalid type for '{where}.description': expected a string.", f"{where}.description")
        strict = tool.get("strict")
        if strict is not None and not isinstance(strict, bool):
            raise bad_request(f"Invalid type for '{where}.strict': expected a boolean.", f"{where}.strict")
        function = {"name": name, "parameters": parameters if parameters is not None else {}}
        if description is not None:
            function["description"] = description
        if strict is not None:
            function["strict"] = strict
        chat.append({"type": "function", "function": function})
        echoed.append({"type": "function", "name": name, "description": description,
                       "parameters": parameters, "strict": True if strict is None else strict})
    return chat, echoed


def _check_tool_choice(choice: Any, tools: list[dict[str, Any]]) -> tuple[Any, list[dict[str, Any]]]:
    """`tool_choice` as Chat Completions says it, and the tools it leaves (`allowed_tools` narrows them)."""
    names = [tool["function"]["name"] for tool in tools]
    if choice is None:
        return None, tools
    if isinstance(choice, str) and choice in ("auto", "none", "required"):
        if choice == "required" and not tools:
            raise bad_request("Tool choice 'required' must be specified with 'tools' parameter.", "tool_choice")
        return choice, tools
    if not isinstance(choice, dict) or not isinstance(choice.get("type"), str):
        raise bad_request("Invalid value for 'tool_choice': use 'auto', 'none', 'required', "
                          "{'type': 'function', 'name': ...} or {'type': 'allowed_tools', ...}.", "tool_choice")
    kind = choice["type"]
    if kind == "function":
        name = choice.get("name")
        if not isinstance(name, str):
            raise bad_request("Invalid type for 'tool_choice.name': expected a string.", "tool_choice.name")
        if name not in names:
            raise bad_request(f"Tool choice '{name}' not found in 'tools' parameter.", "tool_choice")
        return {"type": "function", "function": {"name": name}}, tools
    if kind == "allowed_tools":
        mode, allowed = choice.get("mode"), choice.get("tools")
        if not isinstance(mode, str) or mode not in ("auto", "required"):
            raise bad_request("Invalid value for 'tool_choice.mode': use 'auto' or 'required'.", "tool_choice.mode")
        if not isinstance(allowed, list) or not allowed:
            raise bad_request("'tool_choice.tools' must be a non-empty array of tools.", "tool_choice.tools")
        wanted = set()
        for j, tool in enumerate(allowed):
            if not isinstance(tool, dict) or tool.get("type") != "function" or not isinstance(tool.get("name"), str) \
                    or tool["name"] not in names:
                raise bad_request(f"'tool_choice.tools[{j}]' must name one of the function tools in 'tools'.",
                                  f"tool_choice.tools[{j}]")
            wanted.add(tool["name"])
        return mode, [tool for tool in tools if tool["function"]["name"] in wanted]
    if kind in BUILT_IN_TOOLS or kind.startswith(("web_search", "file_search", "computer", "image_generation")):
        raise bad_request(f"The course model is offline and has no built-in tools: tool_choice cannot force {kind}.",
                          "tool_choice", "unsupported_tool")
    raise bad_request(f"Invalid value for 'tool_choice.type': {kind!r}.", "tool_choice.type")


def _check_text(value: Any) -> tuple[ResponseFormat | None, dict[str, Any]]:
    """`text.format` as the brain's `ResponseFormat` (None: plain text), and the `text` object to echo."""
    echoed: dict[str, Any] = {"format": {"type": "text"}, "verbosity": "medium"}
    if value is None:
        return None, echoed
    if not isinstance(value, dict):
        raise bad_request("Invalid type for 'text': expected an object.", "text")
    for key in value:
        if key not in ("format", "verbosity"):
            raise bad_request(f"Unknown parameter: 'text.{key}'.", f"text.{key}")
    verbosity = value.get("verbosity")
    if verbosity is not None:
        if not isinstance(verbosity, str) or verbosity not in ("low", "medium", "high"):
            raise bad_request("Invalid value for 'text.verbosity': use 'low', 'medium' or 'high'.", "text.verbosity")
        echoed["verbosity"] = verbosity
    spec = value.get("format")
    if spec is None:
        return None, echoed
    if not isinstance(spec, dict) or not isinstance(spec.get("type"), str):
        raise bad_request("'text.format' must be an object with a 'type'.", "text.format")
    kind = spec["type"]
    if kind == "text":
        return None, echoed
    if kind == "json_object":
        echoed["format"] = {"type": "json_object"}
        return ResponseFormat("json_object"), echoed
    if kind != "json_schema":
        raise bad_request(f"Invalid value for 'text.format.type': {kind!r}. Supported values are: 'text', "
                          "'json_object' and 'json_schema'.", "text.format.type")
    name = spec.get("name")
    if not isinstance(name, str) or not SCHEMA_NAME.match(name):
        raise bad_request("Invalid 'text.format.name': a string of 1-64 letters, digits, '_' or '-' is required.",
                          "text.format.name")
    schema = spec.get("schema")
    if not isinstance(schema, dict):
        raise bad_request("Missing required parameter: 'text.format.schema' (a JSON schema object).",
                          "text.format.schema", "missing_required_parameter")
    strict = spec.get("strict")
    if strict is not None and not isinstance(strict, bool):
        raise bad_request("Invalid type for 'text.format.strict': expected a boolean.", "text.format.strict")
    description = spec.get("description")
    if description is not None and not isinstance(description, str):
        raise bad_request("Invalid type for 'text.format.description': expected a string.", "text.format.description")
    echoed["format"] = {"type": "json_schema", "name": name, "schema": schema, "strict": bool(strict),
                        "description": description}
    return ResponseFormat("json_schema", name=name, schema=schema, strict=bool(strict), description=description), \
        echoed
