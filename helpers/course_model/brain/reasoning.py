"""The course model's reasoning: a short, honest summary of its plan, written before it acts.

A reasoning model (OpenAI's o-series, gpt-5) thinks before it answers and, through
the Responses API, streams a summary of that thinking first; `ChatOpenAI` shows it as
`reasoning` content blocks ahead of the text or tool calls. The course model does not
think in words, but it does decide: which tools, in which order, and why, or why it
answers directly. `plan_summary` says that decision in a few sentences, from the
brain's `Reply` (and its `Thought`, the plan behind it) and the request, so what a
learner reads as reasoning is always what the model then does.

Used by `wire/responses.py` only when a request asks for `reasoning`; chapter 01 shows
reasoning blocks streaming before the answer.
"""

from __future__ import annotations

import json
from itertools import islice
from typing import Any

from . import answers
from .conversation import ToolExchange, content_text, last_user_index, tool_exchanges
from .reply import Reply, Thought, ToolCall
from .structured import json_format
from .tool_choosing import offered_tools
from .toolbox import FINAL_ANSWER

MAX_QUOTED_CHARS = 80  # of the question or an argument value: a summary, not a copy
MAX_LISTED = 6  # calls, arguments or plan steps named one by one; the rest are counted ("and 94 more")


def plan_summary(messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None, tool_choice: Any,
                 reply: Reply, *, response_format: Any = None, detail: str = "auto") -> str:
    """Sentences saying what the model is about to do and why, consistent with `reply`.

    `detail` is the request's `reasoning.summary` ("auto", "concise" or "detailed"); "concise" keeps
    the last sentence, the decision itself, and drops the reading of the question that leads to it.
    """
    question_at = last_user_index(messages)
    if question_at is None:
        return "There is no user message to answer yet, so I'll say so."
    question = content_text(messages[question_at].get("content"))
    exchanges = tool_exchanges(messages[question_at + 1:])
    reading, decision = _reading(question, reply), _decision(reply, tools, tool_choice, exchanges, response_format)
    if detail == "concise" or not reading:
        return decision
    return f"{reading} {decision}"


def _reading(question: str, reply: Reply) -> str:
    """What the question is, as the brain read it."""
    thought = reply.thought
    if thought is not None and thought.expression is not None:
        return f"The question is arithmetic: {thought.expression}."
    if thought is not None and thought.missing is not None:
        tool, parameter = thought.missing
        return f"{tool} fits this question, but it needs {parameter} and the question does not give it."
    return f"The question: \"{_clip(question.strip())}\"."


def _decision(reply: Reply, tools: list[dict[str, Any]] | None, tool_choice: Any, exchanges: list[ToolExchange],
              response_format: Any) -> str:
    """What the reply does, and why: the plan's steps, the calls now, or why the answer comes directly."""
    thought = reply.thought
    plan = ""
    if thought is not None and thought.steps:
        count = len(thought.steps)
        order = ", then ".join(_listed(list(thought.steps), "more steps"))
        plan = (f"With the tools offered it takes {count} step{'s' if count > 1 else ''}, in this order: {order}; "
                f"{_done(thought.done, count)}. ")
    if reply.tool_calls:
        return plan + _calls(reply.tool_calls, tools, tool_choice, exchanges)
    if thought is not None and thought.missing is not None:
        return plan + f"Rather than invent a value, I'll ask for the {thought.missing[1].replace('_', ' ')}."
    return plan + _direct(reply, tools, tool_choice, exchanges, response_format, thought)


def _done(done: int, count: int) -> str:
    if done == 0:
        return "none is done yet"
    if done == count:
        return "all are done"
    return f"{done} {'is' if done == 1 else 'are'} done"


def _calls(calls: tuple[ToolCall, ...], tools: list[dict[str, Any]] | None, tool_choice: Any,
           exchanges: list[ToolExchange]) -> str:
    names = list(dict.fromkeys(call.name for call in calls))
    forced = _forced(tool_choice)
    if names == [FINAL_ANSWER]:
        ran = list(dict.fromkeys(exchange.name for exchange in exchanges if not exchange.declined))
        if ran:
            return f"{_join(ran)} answered, so I'll give the answer through {FINAL_ANSWER}."
        return f"{forced or 'The answer is ready'}, so I'll give the answer through {FINAL_ANSWER}."
    described = _join(_listed([_call_text(call) for call in calls], "more calls"))
    together = " at the same time, since none needs another's result" if len(calls) > 1 else ""
    if forced:
        return f"{forced}, so I'll call {described}{together}, with arguments taken from the question."
    description = next((tool.description for tool in offered_tools(tools) if tool.name == names[0]), "")
    if len(names) == 1 and description:
        return f"{names[0]} fits it (\"{_clip(description.strip())}\"), so I'll call {described}{together}."
    return f"I'll call {described}{together}."


def _forced(tool_choice: Any) -> str:
    """Why a call is made whatever fits: `tool_choice` requires one, or names the function."""
    if tool_choice == "required":
        return "tool_choice requires a tool call"
    if isinstance(tool_choice, dict):
        name = (tool_choice.get("function") or {}).get("name") or tool_choice.get("name")
        if isinstance(name, str):
            return f"tool_choice names {name}"
    return ""


def _direct(reply: Reply, tools: list[dict[str, Any]] | None, tool_choice: Any, exchanges: list[ToolExchange],
            response_format: Any, thought: Thought | None) -> str:
    """Why the answer comes in text (or JSON) now, without a tool call."""
    wanted = json_format(response_format)
    shape = ""
    if wanted is not None:
        shape = " as JSON for the schema asked for" if wanted.kind == "json_schema" else " as a JSON object"
    answered = [exchange for exchange in exchanges if exchange.result is not None and not exchange.declined]
    steps_done = thought is not None and thought.steps != () and thought.done == len(thought.steps)
    if steps_done or answered:
        ran = _join(list(dict.fromkeys(exchange.name for exchange in answered))) or "The tools"
        return f"{ran} answered, so I'll give the answer{shape} from their results."
    if reply.text == answers.FALLBACK:
        return "That is beyond what the offline course model can answer, so I'll say so honestly."
    offered = offered_tools(tools)
    if not offered:
        return f"No tools are offered, so I'll answer{shape} directly."
    if tool_choice == "none":
        return f"tool_choice is none, so I'll answer{shape} without calling a tool."
    if thought is not None and thought.expression is not None and not thought.steps:
        return f"The offered tools cannot do all of its steps, so I'll work it out{shape} myself."
    if any(exchange.declined for exchange in exchanges):
        return f"A person declined a call, so I'll not ask for it again and answer{shape} now."
    return f"None of the offered tools ({_join([tool.name for tool in offered])}) is needed for this, " \
           f"so I'll answer{shape} directly."


def _call_text(call: ToolCall) -> str:
    """`get_weather(city="Paris")`: the call as a learner would write it, long values clipped."""
    arguments = ", ".join(_listed([f"{key}={_clip(_short_json(value))}" for key, value in
                                   islice(call.arguments.items(), MAX_LISTED + 1)], "more", len(call.arguments)))
    return f"{call.name}({arguments})"


def _listed(items: list[str], more: str, total: int | None = None) -> list[str]:
    """The first `MAX_LISTED` items, then how many more there are (of `total`, when only some were made)."""
    total = len(items) if total is None else total
    if total <= MAX_LISTED:
        return items
    return [*items[:MAX_LISTED], f"{total - MAX_LISTED:,} {more}"]


def _short_json(value: Any) -> str:
    """The start of `value` as JSON, encoded lazily: a huge invented array is never written out just to be clipped."""
    written = ""
    for piece in json.JSONEncoder(ensure_ascii=False).iterencode(value):
        written += piece
        if len(written) > MAX_QUOTED_CHARS:
            break
    return written


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _clip(text: str) -> str:
    return text if len(text) <= MAX_QUOTED_CHARS else text[:MAX_QUOTED_CHARS - 1] + "…"
