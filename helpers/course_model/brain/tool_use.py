"""Use any tool: plan the calls a question needs, see which ones the conversation has made, and answer.

This is the non-arithmetic half of the tool loop (arithmetic has its own
planner, `planning.py`, because its steps depend on each other's results).
`tool_choosing.py` picks the tool, `arguments.py` fills its arguments. The
plan is recomputed from the question every turn, so the server keeps no state:

- calls not yet made go out, all at once when `parallel_tool_calls` allows,
  else one per turn;
- once every planned call has its result, the model answers with the results,
  whatever their shape (`tool_results.py`);
- a call a person declined is not asked for again, and is reported as declined;
  an error from a learner's tool is quoted, not retried (it is the tool's answer
  for those arguments: "order 99999 does not exist");
- a required argument the question does not give is asked for in text, unless
  a call is forced (`tool_choice` "required" or a named function), when a
  plausible stand-in is used instead (`plausible.py`).

Used by the course model behind chapters 02 and 03.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterator

from . import setbacks
from ..reading.arguments import fill
from .conversation import ToolExchange
from ..reading.outcome import Outcome
from .reply import ToolCall
from ..reading import statements
from .tool_choosing import OfferedTool, best_tool, clauses
from .tool_results import result_phrase

MAX_PARALLEL_CALLS = 8  # calls one question may fan out to


@dataclass(frozen=True)
class ToolPlan:
    """The calls a question needs, or the argument it lacks (`missing`) to make them."""

    calls: tuple[ToolCall, ...] = ()
    missing: tuple[str, str] | None = None  # (tool name, parameter name)


def plan_tool_calls(question: str, tools: list[OfferedTool], *, threshold: int) -> ToolPlan:
    """The calls that answer `question` with the offered action tools (none when no tool fits, or, under
    "auto", when the question tells what someone did and asks about it: `reading/statements.py`)."""
    actions = tools
    if threshold > 0 and statements.tells_not_asks(question):
        return ToolPlan()  # "I had an espresso this morning, was that too much?" asks for no order: text
    parts = clauses(question)
    if len(parts) > 1:
        chosen = [(part, best_tool(part, actions, threshold=threshold)) for part in parts]
        distinct = {tool.name for _, tool in chosen if tool is not None}
        if len(distinct) > 1:
            calls: list[ToolCall] = []
            for part, tool in chosen:
                if tool is None:
                    continue
                plan = _calls_for(tool, part, invent=False)
                if plan.missing:
                    return plan
                calls.extend(plan.calls)
            return ToolPlan(_unique(calls)[:MAX_PARALLEL_CALLS])
    tool = best_tool(question, actions, threshold=threshold)
    if tool is None:
        return ToolPlan()
    return _calls_for(tool, question, invent=False)


def forced_call(tool: OfferedTool, text: str, prose: Iterator[str] | None = None,
                outcome: Outcome | None = None) -> ToolCall:
    """A call to `tool` that must be made: arguments from `text` (and a calculation's `outcome`), plausible
    values for the rest."""
    filled = fill(tool.parameters, text, invent=True, prose=prose, outcome=outcome,
                  about=f"{tool.name} {tool.description}")
    return ToolCall(tool.name, filled.values)


def _calls_for(tool: OfferedTool, text: str, *, invent: bool) -> ToolPlan:
    filled = fill(tool.parameters, text, invent=invent, tool_name=tool.name, about=f"{tool.name} {tool.description}")
    if filled.missing:
        return ToolPlan(missing=(tool.name, filled.missing[0]))
    if filled.spread is None:
        return ToolPlan((ToolCall(tool.name, filled.values),))
    name, values = filled.spread
    calls = [ToolCall(tool.name, {**filled.values, name: value}) for value in values]
    return ToolPlan(tuple(calls[:MAX_PARALLEL_CALLS]))


def _unique(calls: list[ToolCall]) -> list[ToolCall]:
    seen: list[ToolCall] = []
    for call in calls:
        if call not in seen:
            seen.append(call)
    return seen


def _key(name: str, arguments: dict[str, Any]) -> str:
    return name + json.dumps(arguments, sort_keys=True, default=str)


def pending(plan: ToolPlan, exchanges: list[ToolExchange]) -> list[ToolCall]:
    """The planned calls the conversation has not made (with a result) yet, in plan order."""
    answered = {_key(e.name, e.arguments) for e in exchanges if e.result is not None}
    return [call for call in plan.calls if _key(call.name, call.arguments) not in answered]


def answered(plan: ToolPlan, exchanges: list[ToolExchange]) -> list[ToolExchange]:
    """The exchanges that carried out the plan, in the order they were made."""
    wanted = {_key(call.name, call.arguments) for call in plan.calls}
    return [e for e in exchanges if e.result is not None and _key(e.name, e.arguments) in wanted]


def answer_from_results(exchanges: list[ToolExchange]) -> str:
    """An answer that quotes each tool's result: "get_weather for Paris returned: 18 degrees and sunny.".

    A call a person declined is said to be declined, not quoted as a result; a
    call a person edited is named by the arguments that really ran (`setbacks.py`).
    """
    sentences = [setbacks.declined_call(exchange) for exchange in exchanges if exchange.declined]
    for exchange in exchanges:
        if exchange.declined:
            continue
        name, arguments = exchange.ran_as or (exchange.name, exchange.arguments)
        named = setbacks.label(arguments)
        where = f" for {named}" if named else ""
        if exchange.ran_as is not None:
            where += setbacks.edit_note(exchange)
        phrase = result_phrase(exchange.result or "").strip() or "nothing"
        if phrase[-1] not in ".!?…":
            phrase += "."
        sentences.append(f"{name}{where} returned: {phrase}")
    return " ".join(sentences)


def missing_argument_question(tool_name: str, parameter: str) -> str:
    """What the model asks when the question lacks a required argument, instead of inventing one."""
    return f"I can use {tool_name} for this, but I need the {parameter.replace('_', ' ')} ({parameter}). Which one?"


def tool_named(tools: list[OfferedTool], name: str | None) -> OfferedTool | None:
    return next((tool for tool in tools if tool.name == name), None)

