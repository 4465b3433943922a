"""The checks of chapter 02's exercises (`chapters/02-streaming-tool-calls.ipynb`).

- `check_merge_by_index`: streams of tool-call fragments the learner has never
  seen: one to four calls with random names and arguments (strings with commas,
  quotes and braces included, and a call with no arguments, `{}`), split at random
  points, in order and interleaved, and a chunk carrying fragments of two calls.
  The exercise forbids `+`, so the chunks refuse it (`NoPlusChunk`), LangChain's
  merge function behind it included. The likely errors (a `JSONDecodeError` when
  fragments of several calls share one text) are explained, not just shown.
- `check_own_tool`: the learner's `get_weather` is called with a city of the
  check's choosing, and the agent is asked about another, both picked at random, so
  a tool that ignores its `city` cannot pass; a wrongly named argument gets its own
  message.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import inspect
import io
import json
import random
import string
import sys
import typing
import uuid
from typing import Any

from langchain_core.messages import AIMessageChunk
from langchain_core.messages.ai import add_ai_message_chunks
from langchain_core.tools import BaseTool
from langchain_core.utils._merge import merge_dicts, merge_lists

from helpers.agent_executor import AgentExecutorBase
from helpers.checks.streams import closing_chunks
from helpers.exercises import NotYet, check

TIMEOUT = 30.0  # seconds for the agent's run: a stuck run still gets a message

_refusing = contextvars.ContextVar("refusing", default=False)  # True while the learner's code runs


class PlusRefused(TypeError):
    """Raised by a `NoPlusChunk` asked to merge: the exercise says "without `+`"."""


class NoPlusChunk(AIMessageChunk):
    """An `AIMessageChunk` that refuses to be merged while the learner's code runs.

    `+` (either side) raises `PlusRefused`; so does building a new chunk of this
    class, which is how LangChain's `add_ai_message_chunks` (what `+` calls) returns
    its result, so `AIMessageChunk.__add__(a, b)` and friends are refused too.
    """

    def __init__(self, **data: Any) -> None:
        if _refusing.get():
            raise PlusRefused("merging chunks with LangChain's merge")
        super().__init__(**data)

    def __add__(self, other: Any) -> Any:
        raise PlusRefused("+ on chunks")

    def __radd__(self, other: Any) -> Any:
        raise PlusRefused("+ on chunks")


NAMES = ["get_weather", "search_web", "lookup_order", "send_email", "convert_currency", "book_table",
         "translate_text", "set_reminder", "get_stock_price", "create_ticket"]
KEYS = ["query", "city", "order_id", "to", "subject", "amount", "note", "tags", "when", "options", "limit", "urgent"]
AWKWARD = ['Hello, "world"', "{not: json}", "a, b, c", 'say "hi", then {bye}', "50% off, today only!",
           "São Paulo, Brazil", "line one\nline two", "} ] , :", "C:\\temp\\file.txt", "{'single': 'quotes'}"]


def _value(rng: random.Random) -> Any:
    kind = rng.choice(["awkward", "awkward", "word", "int", "float", "bool", "null", "list", "dict"])
    if kind == "awkward":
        return rng.choice(AWKWARD)
    if kind == "word":
        return "".join(rng.choices(string.ascii_lowercase, k=rng.randint(3, 9)))
    if kind == "int":
        return rng.randint(-50, 5000)
    if kind == "float":
        return round(rng.uniform(-100, 100), 2)
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "null":
        return None
    if kind == "list":
        return [rng.choice(AWKWARD), rng.randint(0, 9)]
    return {"nested": rng.choice(AWKWARD), "n": rng.randint(0, 9)}


def _call(rng: random.Random, no_arguments: bool = False) -> dict:
    arguments = {} if no_arguments else {key: _value(rng) for key in rng.sample(KEYS, rng.randint(1, 4))}
    return {"name": rng.choice(NAMES), "id": f"call_{uuid.uuid4().hex[:24]}", "args": arguments}


def _fragments(call: dict, index: int, rng: random.Random) -> list[dict]:
    """The tool_call_chunks of one call: the first with name and id, then the JSON text in random pieces."""
    text = json.dumps(call["args"], ensure_ascii=rng.random() < 0.5,
                      separators=rng.choice([(",", ":"), (", ", ": ")]))
    cuts = sorted(rng.sample(range(1, len(text)), min(len(text) - 1, rng.randint(2, 8))))
    pieces = [text[start:end] for start, end in zip([0, *cuts], [*cuts, len(text)])]
    first = pieces.pop(0) if rng.random() < 0.3 else ""  # some servers put arguments in the first fragment
    return [{"name": call["name"], "args": first, "id": call["id"], "index": index, "type": "tool_call_chunk"},
            *({"name": None, "args": piece, "id": None, "index": index, "type": "tool_call_chunk"}
              for piece in pieces)]


def _chunks(groups: list[list[dict]], message_id: str) -> list[NoPlusChunk]:
    """A whole step's stream: an opening chunk, one chunk per group of fragments, the closing chunks."""
    chunks = [NoPlusChunk(content="", id=message_id)]
    chunks += [NoPlusChunk(content="", id=message_id, tool_call_chunks=group) for group in groups]
    return chunks + closing_chunks(message_id, "tool_calls", len(groups), chunk_class=NoPlusChunk)


def _streams(rng: random.Random) -> list[tuple[str, list[dict], list[NoPlusChunk], list[NoPlusChunk]]]:
    """Three steps: (what it is, its calls, its chunks, the same fragments one per chunk).

    A fixed order of kinds, so the unsolved starter always gets the same message:
    one call; two to four calls one after another, one of them with no arguments;
    two to four calls interleaved, starting with a later index, one chunk carrying
    fragments of two calls.
    """
    message_id = f"lc_run--{uuid.uuid4()}"
    steps = []
    one = [_call(rng)]
    steps.append(("a stream of one tool call", one, [_fragments(one[0], 0, rng)]))
    several = [_call(rng) for _ in range(rng.randint(2, 4))]
    several[rng.randrange(len(several))] = _call(rng, no_arguments=True)
    steps.append((f"a stream of {len(several)} tool calls, one after another", several,
                  [_fragments(call, index, rng) for index, call in enumerate(several)]))
    mixed = [_call(rng) for _ in range(rng.randint(2, 4))]
    steps.append((f"a stream of {len(mixed)} tool calls with their fragments interleaved", mixed,
                  [_fragments(call, index, rng) for index, call in enumerate(mixed)]))
    streams = []
    for label, calls, per_call in steps:
        if "interleaved" in label:
            order = _interleaving(per_call, rng)
        else:
            order = [fragment for fragments in per_call for fragment in fragments]
        groups = [[fragment] for fragment in order]
        if "interleaved" in label:  # one chunk carries the fragments of two calls, as a server may send them
            at = next(i for i in range(len(groups) - 1) if groups[i][0]["index"] != groups[i + 1][0]["index"])
            groups[at:at + 2] = [groups[at] + groups[at + 1]]
        streams.append((label, calls, _chunks(groups, message_id), _chunks([[f] for f in order], message_id)))
    return streams


def _interleaving(per_call: list[list[dict]], rng: random.Random) -> list[dict]:
    """The fragments of all calls in a random order that keeps each call's own order, starting with a later call."""
    queues = [list(fragments) for fragments in per_call]
    order = [queues[rng.randrange(1, len(queues))].pop(0)]
    while any(queues):
        order.append(rng.choice([queue for queue in queues if queue]).pop(0))
    return order


def _expected(calls: list[dict]) -> list[dict]:
    return [{"name": call["name"], "id": call["id"], "args": call["args"]} for call in calls]


# LangChain's merging code: what `+` on chunks runs, and the helpers it runs, which a learner could call directly.
_MERGERS = {function.__code__ for function in (add_ai_message_chunks, merge_lists, merge_dicts)}


def _merge(tool_calls_from: typing.Callable, chunks: list[NoPlusChunk]) -> Any:
    """Run the learner's function with `+` refused, and LangChain's merge functions watched.

    `NoPlusChunk` refuses `+`; a profile hook (only while the learner's function
    runs, on this thread) notices `merge_lists` and friends called by hand.
    """
    merged_by_langchain = False

    def watch(frame: Any, event: str, arg: Any) -> None:
        nonlocal merged_by_langchain
        if event == "call" and frame.f_code in _MERGERS:
            merged_by_langchain = True

    token, previous = _refusing.set(True), sys.getprofile()
    sys.setprofile(watch)
    try:
        calls = tool_calls_from(list(chunks))
    finally:
        sys.setprofile(previous)
        _refusing.reset(token)
    if merged_by_langchain:
        raise PlusRefused("LangChain's merge functions")
    return calls


def _shown(text: str, most: int = 100) -> str:
    return repr(text if len(text) <= most else text[:most] + "...")


def _explain(error: Exception, label: str) -> str:
    """What a likely exception from tool_calls_from means, in words that lead to a fix."""
    if isinstance(error, PlusRefused):
        return ("the exercise asks you to merge without `+`: the check's chunks refuse it (and LangChain's "
                "merge functions behind it, add_ai_message_chunks and merge_lists). Keep a dict of calls by "
                "`index` and add each fragment's `args` text to its call yourself.")
    if isinstance(error, json.JSONDecodeError):
        if error.msg == "Extra data":
            return (f"json.loads found two JSON texts run together in {_shown(error.doc)} (\"Extra data\"), "
                    f"in {label}: the arguments of two calls ended up in one text. Keep one text per index: "
                    "calls[piece['index']]['args'] += piece['args'].")
        return (f"json.loads could not read {_shown(error.doc)} ({error.msg}), in {label}: that call's JSON text is "
                "incomplete or out of order. Only a call's first fragment has its name and id; the later ones "
                "carry only the `index` of their call. Collect the `args` of every fragment under its `index`, "
                "in the order they came, then json.loads each call's text.")
    return (f"tool_calls_from raised {type(error).__name__}: {error} (in {label}). Each piece of "
            "chunk.tool_call_chunks is a dict with 'name', 'args', 'id' and 'index'; after a call's first "
            "fragment, 'name' and 'id' are None.")


def _problem(calls: Any, expected: list[dict], label: str) -> str | None:
    """What is wrong with `calls`, the learner's answer for a stream whose calls are `expected`; None if right."""
    if not isinstance(calls, list):
        return f"tool_calls_from should return a list, not {type(calls).__name__}: did you forget the `return`?"
    if not calls:
        return "no tool calls found in the chunks: read each chunk's `tool_call_chunks`."
    if not all(isinstance(call, dict) and {"name", "id", "args"} <= set(call) for call in calls):
        return f"each call should be a dict with 'name', 'id' and 'args', not {calls[0]!r}."
    if len(calls) != len(expected):
        return (f"{len(calls)} calls found in {label}: keep one entry per `index`, and merge the fragments of "
                "each call into it.")
    key = lambda call: json.dumps(call, sort_keys=True, default=str)  # noqa: E731
    if sorted(map(key, calls)) == sorted(map(key, expected)) and calls != expected:
        return f"the calls of {label} are right but out of order: return them in `index` order, sorted(calls.items())."
    ids = [call["id"] for call in calls]
    if all(isinstance(call_id, str) for call_id in ids) and not set(ids) & {call["id"] for call in expected}:
        return (f"none of the ids you returned ({ids}) is in the chunks of {label}: the code must read the "
                "chunks it is given, not return fixed calls.")
    names, right_names = [call["name"] for call in calls], [call["name"] for call in expected]
    if names != right_names:
        return (f"the names in {label} should be {right_names}, not {names}: only a call's first fragment has its "
                "name, later ones have None, so keep the first one.")
    if [call["id"] for call in calls] != [call["id"] for call in expected]:
        return f"the ids in {label} are wrong: keep the id from each call's first fragment (later ones have None)."
    if calls != expected:
        return (f"the arguments in {label} differ: expected {[call['args'] for call in expected]}, got "
                f"{[call['args'] for call in calls]}. The code must read the chunks: concatenate each index's "
                "`args` fragments in the order they came, then json.loads the text.")
    return None


async def check_merge_by_index(tool_calls_from: typing.Callable) -> None:
    """Exercise 1: merge unseen tool-call streams by index, without `+`."""
    with check("Exercise 1 · merge the fragments yourself") as exercise:
        for label, calls, chunks, one_per_chunk in _streams(random.Random()):
            expected = _expected(calls)
            try:
                problem = _problem(_merge(tool_calls_from, chunks), expected, label)
            except (PlusRefused, json.JSONDecodeError, KeyError, TypeError, AttributeError, IndexError) as error:
                problem = _explain(error, label)
            if problem and len(one_per_chunk) != len(chunks):  # does it read only one fragment of each chunk?
                with contextlib.suppress(Exception):
                    if _problem(_merge(tool_calls_from, one_per_chunk), expected, label) is None:
                        problem = (f"in {label}, one chunk carries fragments of two calls, and your code kept only "
                                   "one of them: go through every piece in chunk.tool_call_chunks, not just the "
                                   "first.")
            exercise.expect(problem is None, problem)


CITIES = ["Lisbon", "Oslo", "Nairobi", "Kyoto", "Lima", "Montreal", "Cape Town", "Buenos Aires", "Accra",
          "Hanoi", "Edinburgh", "Wellington", "Tbilisi", "Helsinki", "Dublin", "Chicago"]


def _signature_problem(get_weather: typing.Callable) -> str | None:
    try:
        parameters = inspect.signature(get_weather).parameters
    except (TypeError, ValueError):
        return "get_weather should be a plain function, `def get_weather(city: str) -> str:`."
    required = [name for name, parameter in parameters.items() if parameter.default is inspect.Parameter.empty
                and parameter.kind not in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD)]
    if "city" in parameters and required in ([], ["city"]):
        return None
    if len(required) == 1:
        return (f"get_weather's argument is called `{required[0]}`: it must be called `city`. The model fills in "
                "a tool's arguments by name, from the schema your function's signature becomes: "
                "`def get_weather(city: str) -> str:`.")
    return (f"get_weather takes ({', '.join(parameters)}): it should take one argument, called `city`: "
            "`def get_weather(city: str) -> str:`.")


async def check_own_tool(get_weather: Any, weather_tool: Any, weather_executor: Any) -> None:
    """Exercise 2: a weather tool that reports on the city it is given, used by an agent."""
    with check("Exercise 2 · your own tool") as exercise:
        if isinstance(get_weather, BaseTool) and callable(getattr(get_weather, "func", None)):
            get_weather = get_weather.func  # made with @tool: check the function inside
        exercise.expect(callable(get_weather), "get_weather should be a function: "
                        "`def get_weather(city: str) -> str:`.")
        exercise.expect((get_weather.__doc__ or "").strip(), "get_weather has no docstring: the model sees only a "
                        "tool's name, description and arguments, so say what it does.")
        exercise.expect(_signature_problem(get_weather) is None, _signature_problem(get_weather))
        try:
            hints = typing.get_type_hints(get_weather)
        except Exception:  # an annotation that names something undefined
            hints = {}
        exercise.expect(hints.get("city") is str and "return" in hints, "give get_weather type hints, `city: str` "
                        "and a return type, `-> str`: they become the argument schema the model fills in.")

        rng = random.Random()
        asked, other = rng.sample(CITIES, 2)
        printed = io.StringIO()
        try:
            with contextlib.redirect_stdout(printed):
                report = get_weather(city=other)
        except Exception as error:
            raise NotYet(f"get_weather(city={other!r}) raised {type(error).__name__}: {error}. It is called with "
                         "any city the user asks about: make up a report for it.") from error
        if report is None:
            exercise.expect(False, "get_weather printed its report and returned None: return the report "
                            "(a string), so the agent gets it." if printed.getvalue() else "get_weather returned "
                            "None: return the report, a string that names the city.")
        exercise.expect(isinstance(report, str), f"get_weather should return the report as a str, not "
                        f"{type(report).__name__}.")
        exercise.expect(other.lower() in report.lower(), f"get_weather(city={other!r}) returned {report!r}: the "
                        "report must name the city it was asked about. Use the `city` argument instead of a fixed "
                        "city.")

        exercise.expect(isinstance(weather_tool, BaseTool), f"weather_tool is {weather_tool!r}: make it a tool with "
                        "as_tool(get_weather).")
        exercise.expect(weather_tool.name == "get_weather" and "city" in weather_tool.args,
                        f"weather_tool is {weather_tool.name!r} with arguments {list(weather_tool.args)}: make it "
                        "from your function, as_tool(get_weather).")
        exercise.expect(isinstance(weather_executor, AgentExecutorBase)
                        and weather_executor.tools.get("get_weather") is weather_tool,
                        "give weather_executor your tool: AgentExecutor(llm, [weather_tool, final_answer_tool]).")

        with contextlib.redirect_stdout(io.StringIO()):
            result = await asyncio.wait_for(
                asyncio.to_thread(weather_executor.invoke, f"What's the weather in {asked}?"), timeout=TIMEOUT)
        calls = [call for message in result.scratchpad if message.type == "ai"
                 for call in message.tool_calls if call["name"] == "get_weather"]
        exercise.expect(calls, f"asked about the weather in {asked}, the agent never called get_weather; it "
                        f"answered {result.answer!r}. Does the docstring say that the tool gets the weather in a city?")
        exercise.expect(asked.lower() in str(calls[0]["args"].get("city", "")).lower(),
                        f"asked about {asked}, the agent called get_weather({calls[0]['args']}).")
        outputs = [message.content for message in result.scratchpad
                   if message.type == "tool" and message.name == "get_weather"]
        exercise.expect(outputs and not outputs[0].startswith("Error"), f"your tool failed: {outputs[:1]}")
        exercise.expect(result.finished and asked.lower() in result.answer.lower(),
                        f"asked about the weather in {asked}, the run didn't finish with an answer that names "
                        f"{asked}: {result.answer!r}.")
