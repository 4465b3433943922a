"""Run the tool calls a model asked for, turning every failure into a message it can read.

Shared by both executors (chapters 02 and 03). A model can ask for a tool that
does not exist, send arguments that are not JSON or do not fit the tool, or call
a tool that fails; in each case the model gets an error `ToolMessage` back and
can try again (the executor's `max_iterations` bounds how often), and the run
never crashes on it.
"""

from __future__ import annotations

import json
from typing import Any, Mapping

from langchain_core.messages import InvalidToolCall, ToolCall, ToolMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.runnables.config import merge_configs
from langchain_core.tools import BaseTool
from pydantic import ValidationError


def result_message(call: ToolCall, output: Any) -> ToolMessage:
    """The `ToolMessage` for a successful call: dicts as JSON, everything else as text.

    A tool may return anything: a dict holding a `datetime` (JSON has no dates: it is written as its
    text), an object whose `__str__` raises (the model is told so, as for a failing tool), a string
    with a lone surrogate (not valid Unicode, so no client could send it: it becomes U+FFFD).
    """
    try:
        content = _as_text(output)
    except Exception as error:  # the model reads why, and can try again, as for any failing tool
        return error_message(call, f"{call['name']} returned a {type(output).__name__} that cannot be shown as "
                                   f"text ({type(error).__name__}).")
    return ToolMessage(content=content, tool_call_id=call["id"], name=call["name"], artifact=output)


def _as_text(output: Any) -> str:
    if isinstance(output, (dict, list)):
        text = json.dumps(output, ensure_ascii=False, default=str)
    else:
        text = str(output)
    # Pairs of surrogates become the characters they encode; a lone one becomes U+FFFD.
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def error_message(call: ToolCall | InvalidToolCall, error: str) -> ToolMessage:
    return ToolMessage(
        content=f"Error: {error}", tool_call_id=call["id"] or "", name=call["name"] or "", status="error"
    )


def unknown_tool_message(call: ToolCall, tools: Mapping[str, BaseTool]) -> ToolMessage:
    known = ", ".join(sorted(tools))
    return error_message(call, f"there is no tool named {call['name']!r}. The tools are: {known}.")


def invalid_call_message(call: InvalidToolCall) -> ToolMessage:
    """For a call whose arguments could not even be parsed as JSON."""
    return error_message(call, f"the arguments for {call['name']!r} are not valid JSON: {call['args']!r}.")


def describe_failure(name: str, error: BaseException) -> str:
    """A tool's failure in one readable sentence (pydantic's own report is several lines with a link)."""
    if isinstance(error, ValidationError):
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'arguments'}: {e['msg']}" for e in error.errors()
        )
        return f"invalid arguments for {name!r}: {problems}."
    return f"{name} failed: {error}"


def failure_message(call: ToolCall, error: Exception) -> ToolMessage:
    return error_message(call, describe_failure(call["name"], error))


def run_tool_call(call: ToolCall, tools: Mapping[str, BaseTool]) -> ToolMessage:
    """Run one call synchronously (chapter 02's simple executor)."""
    tool = tools.get(call["name"])
    if tool is None:
        return unknown_tool_message(call, tools)
    try:
        output = tool.invoke(call["args"])
    except Exception as error:  # the model reads the error and can try again
        return failure_message(call, error)
    return result_message(call, output)


async def arun_tool_call(
    call: ToolCall, tools: Mapping[str, BaseTool], config: RunnableConfig | None = None
) -> ToolMessage:
    """Run one call through the tool's async path (chapter 03's streaming executor).

    `config` carries the parent run's callbacks, so tools show up as child runs
    in `astream_events` and in traces (chapter 04); the call's id goes along in
    the run's metadata, so an event can be matched to the tool call it answers.
    """
    tool = tools.get(call["name"])
    if tool is None:
        return unknown_tool_message(call, tools)
    try:
        output = await tool.ainvoke(
            call["args"], config=merge_configs(config, {"metadata": {"tool_call_id": call["id"]}})
        )
    except Exception as error:  # cancellation is not an Exception, so it still propagates
        return failure_message(call, error)
    return result_message(call, output)
