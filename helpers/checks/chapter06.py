"""The checks of chapter 06's exercises (`chapters/06-streaming-langchain-agents.ipynb`).

- `check_tool_calls`: the learner's `tool_calls_of` gets an agent (built here, on the
  learner's model) behind a `Recording` that offers only `astream`, and only with
  `stream_mode="messages"`: `ainvoke` and the finished messages of `"updates"` are
  doors that skip the chunks the exercise is about. The question is new every time
  (random numbers, a shape whose first reply holds two or three calls), and the
  expected calls are rebuilt from the very chunks the learner's code was handed.
- `check_progress_tool`: the learner's `add` runs in an agent on an unseen sum; its
  `"custom"` reports must arrive before its result does in `"updates"` (sent while
  it runs, not from a task that outlives it), and its result must be `x + y`.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessageChunk, ToolMessage
from langchain_core.tools import BaseTool

from ..exercises import NotYet, check
from ..langchain_agent import build_langchain_agent, user_input
from ..tools import exponentiate_tool, multiply_tool, subtract_tool
from .streams import Recording

CHECK_TIMEOUT = 30.0  # seconds: a check never hangs, even on a slow model
NOT_STREAMED = ("tool_calls_of must stream the run, chunk by chunk: agent.astream(inputs, stream_mode=\"messages\"), "
                "then rebuild each call from the chunks' tool_call_chunks.")


# ---------------------------------------------------------------- exercise 1 · rebuild the tool calls


def _question() -> str:
    """A new question whose first model reply holds two or three tool calls, then one or two more replies."""
    a, b, c, d, e, f = (random.randint(2, 29) for _ in range(6))
    return random.choice([
        f"What is ({a} + {b}) * ({c} + {d})?",
        f"What is {a} * {b} + {c} * {d}?",
        f"What is ({a} + {b}) * ({c} + {d}) - {e}?",
        f"What is ({a} + {b}) + ({c} + {d}) + ({e} + {f})?",
    ])


class _WrongDoor(Exception):
    """The learner's code used a way to run the agent that skips its chunks."""


class _StreamingOnly(Recording):
    """A `Recording` that refuses every way to run the agent but `astream(..., stream_mode="messages")`."""

    DOORS = ("ainvoke", "invoke", "stream", "batch", "abatch", "astream_events", "astream_log")

    def __init__(self, target: Any) -> None:
        super().__init__(target, refuse=self.DOORS)
        self.calls: list[tuple[tuple, dict]] = []

    def astream(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        self.calls.append((args, kwargs))
        mode = kwargs.get("stream_mode", args[2] if len(args) > 2 else None)
        modes = mode if isinstance(mode, (list, tuple)) else [mode]
        if "messages" not in modes:
            raise _WrongDoor(f"you streamed with stream_mode={mode!r}, which gives finished steps, not the chunks "
                             "the model writes: use stream_mode=\"messages\" and rebuild each call from its "
                             "tool_call_chunks.")
        return super().astream(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        if name in self.DOORS:
            what = "waits for the whole run" if "invoke" in name or "batch" in name else "is not the stream this asks for"
            raise _WrongDoor(f"your code called agent.{name}(...), which {what}. {NOT_STREAMED}")
        return super().__getattr__(name)


def _messages(item: Any) -> Any:
    """The message of one streamed item, whatever shape the learner asked for (pair, (mode, pair), v2 dict)."""
    if isinstance(item, dict) and item.get("type") == "messages":
        item = item["data"]
    if isinstance(item, tuple) and len(item) == 2 and item[0] == "messages":
        item = item[1]
    return item[0] if isinstance(item, tuple) else item


def _expected(items: list[Any]) -> list[dict[str, Any]]:
    """The tool calls the streamed chunks spell: chunks merged per reply (message id), in order."""
    replies: dict[str, AIMessageChunk] = {}
    for item in items:
        message = _messages(item)
        if isinstance(message, AIMessageChunk):
            replies[message.id] = replies[message.id] + message if message.id in replies else message
    return [{"name": call["name"], "args": call["args"]} for reply in replies.values() for call in reply.tool_calls]


def _explain_json(error: json.JSONDecodeError) -> str:
    text = error.doc if len(error.doc) <= 80 else error.doc[:77] + "..."
    if error.msg == "Extra data":
        return (f"json.loads failed with 'Extra data' on {text!r}: the arguments of two calls were joined into one "
                "text. Keep one text per (message id, index): a new reply has a new message id, and the calls of "
                "one reply have different indexes.")
    if not error.doc.strip():
        return ("json.loads was given an empty text: a call's arguments came out empty. Only the first fragment "
                "of a call has its name; add every fragment's args to the text of its (message id, index).")
    return (f"json.loads failed ({error.msg}) on {text!r}: parse a call's arguments only once all its fragments "
            "are joined, after the stream has ended.")


async def check_tool_calls(tool_calls_of: Callable[[Any, str], Awaitable[Any]], llm: BaseChatModel) -> None:
    """Exercise 1: `tool_calls_of` rebuilds every tool call of an unseen run from `stream_mode="messages"` chunks."""
    with check("Exercise 1 · rebuild the tool calls") as exercise:
        question = _question()
        agent = _StreamingOnly(build_langchain_agent(llm))
        try:
            calls = await asyncio.wait_for(tool_calls_of(agent, question), timeout=CHECK_TIMEOUT)
        except _WrongDoor as error:
            raise NotYet(str(error)) from None
        except json.JSONDecodeError as error:
            raise NotYet(_explain_json(error)) from None
        except AttributeError as error:
            raise NotYet(f"your code raised AttributeError: {error}. The \"messages\" stream also carries the tools' "
                         "results (ToolMessage): skip what is not an AIMessageChunk.") from None
        exercise.expect(agent.handouts, f"tool_calls_of never streamed the agent. {NOT_STREAMED}")
        args, kwargs = agent.calls[-1]
        inputs = args[0] if args else kwargs.get("input")
        exercise.expect(question in json.dumps(inputs, default=str, ensure_ascii=False),
                        "you streamed another question than the one tool_calls_of was given: stream "
                        "{\"messages\": [{\"role\": \"user\", \"content\": question}]}.")
        exercise.expect(agent.handouts[-1].finished(), "tool_calls_of stopped reading before the run ended: read the "
                        "stream to its end, every reply can hold tool calls.")
        expected = _expected(agent.items)
        exercise.expect(isinstance(calls, list), f"tool_calls_of should return a list, it returned {type(calls).__name__}.")
        exercise.expect(calls, "tool_calls_of returned no tool calls: read each AIMessageChunk's tool_call_chunks.")
        exercise.expect(all(isinstance(call, dict) and isinstance(call.get("args"), dict) for call in calls),
                        "each call should be a dict {'name': ..., 'args': {...}} whose 'args' is a dict: parse the "
                        "joined fragments with json.loads.")
        got = [{"name": call.get("name"), "args": call["args"]} for call in calls]
        names, wanted = [call["name"] for call in got], [call["name"] for call in expected]
        made_up = [call for call in got if call not in expected]
        exercise.expect(len(made_up) < len(got), f"for {question!r} the model never made the calls you returned "
                        f"(the first: {made_up[0] if made_up else None}): build the list from the chunks you read, "
                        "not from a fixed list or another question.")
        exercise.expect(len(got) >= len(expected), f"for {question!r} the model made {len(expected)} calls "
                        f"({wanted}); you found {len(got)} ({names}). Two calls in one reply must stay two: calls in "
                        "one reply share a message id, tell them apart by their `index`.")
        exercise.expect(got == expected, f"for {question!r} the model made {expected}; you returned {got}. Build the "
                        "list from the chunks you read: every call, in order, with its own arguments.")


# ---------------------------------------------------------------- exercise 2 · a tool that reports its progress


async def check_progress_tool(add: BaseTool, llm: BaseChatModel) -> None:
    """Exercise 2: `add` sends two or more `"custom"` reports while it runs, then returns x + y (on an unseen sum)."""
    with check("Exercise 2 · a tool that reports its progress") as exercise:
        exercise.expect(isinstance(add, BaseTool), "add should be a tool: keep the @tool line above it.")
        exercise.expect(list(add.args) == ["x", "y"], f"the model should see only x and y, it sees {list(add.args)}: "
                        "declare the runtime argument as `runtime: ToolRuntime`.")
        x, y = random.randint(11, 99), random.randint(11, 99)
        agent = build_langchain_agent(llm, [add, subtract_tool, multiply_tool, exponentiate_tool])
        seen: list[tuple[str, Any]] = []  # ("report", data) and ("result", ToolMessage of add), in arrival order

        async def run() -> None:
            async for mode, data in agent.astream(user_input(f"What is {x} + {y}?"), stream_mode=["custom", "updates"]):
                if mode == "custom":
                    seen.append(("report", data))
                else:
                    for change in data.values():
                        for message in (change or {}).get("messages", []) if isinstance(change, dict) else []:
                            if isinstance(message, ToolMessage) and message.name == "add":
                                seen.append(("result", message))

        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):  # what the tool prints is not a report: keep it for the message
            await asyncio.wait_for(run(), timeout=CHECK_TIMEOUT)
        results = [message for kind, message in seen if kind == "result"]
        reports = [data for kind, data in seen if kind == "report"]
        returned = next((index for index, (kind, _) in enumerate(seen) if kind == "result"), len(seen))
        before = [data for kind, data in seen[:returned] if kind == "report"]
        lines = printed.getvalue().splitlines()
        exercise.expect(reports or not lines, f"your tool printed {lines[0] if lines else ''!r}: print shows text in "
                        "the notebook, and the stream's reader never sees it. Send each report with "
                        "runtime.stream_writer(...) instead.")
        exercise.expect(reports, "no progress arrived in the 'custom' stream: call runtime.stream_writer(...) inside "
                        "the tool, while it works, before it returns.")
        exercise.expect(results, f"the agent never ran add for {x} + {y}, so its reports cannot be checked.")
        result = results[0]
        exercise.expect(result.status != "error", f"add failed: {result.content}")
        exercise.expect(before, f"your {len(reports)} report(s) arrived after add had returned: send them while the "
                        "tool runs, before it returns (await them in the tool, not in a task it leaves behind).")
        exercise.expect(len(before) >= 2, f"only one progress report arrived before add returned ({before[0]!r}): "
                        "send at least two while it works.")
        try:
            value = float(result.content)
        except ValueError:
            value = None
        exercise.expect(value == float(x + y), f"add returned {result.content!r} for x={x}, y={y}: it must still "
                        "return x + y.")
