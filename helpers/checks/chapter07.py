"""The checks of chapter 07's exercises (streaming structured output).

Each check drives the learner's code with a stream it writes itself, on content
the chapter never showed, and watches *when* each result comes out:

- `check_pydantic_stream`: `explanations(llm, question)` gets a real `ChatOpenAI`
  whose server is scripted (`helpers.checks.scripted_openai`): JSON text when the
  request carries `response_format` (what `with_structured_output` sends by
  default, `method="json_schema"`), a tool call when it forces one. Every partial
  dict must come out while the answer streams, never ahead of it, never far behind.
- `check_completed_items`: `completed_items(fragments, field)` reads fragments the
  check hands out one by one, split at random, with tricky elements.
- `check_summary_pieces`: `summary_pieces(agent, question)` streams a
  `ToolStrategy(Forecast)` agent on a scripted model, through a `Recording`
  (of `astream`, or of chapter 04's `astream_events`).

The probe of every stream counts what the learner's code had yielded when it asked
for the next piece, so "came out after the stream ended" or "held back" needs no clock.
"""

from __future__ import annotations

import asyncio
import copy
import inspect
import json
import random
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pydantic
from langchain.agents import create_agent
from langchain.agents.structured_output import ToolStrategy
from langchain_core.messages import AIMessageChunk, BaseMessage
from langchain_core.tools import tool
from langchain_core.utils.json import parse_partial_json
from pydantic import BaseModel, Field

from ..answer_reader import FieldReader
from ..exercises import NotYet, check
from .scripted_openai import Reply, ScriptedOpenAI
from .streams import Handout, Handouts, Recording, split_at_random

TIMEOUT = 20  # seconds: the scripted streams have no pauses, so a check that takes longer is stuck
RNG = random.Random()  # unseeded: every run of a check cuts its JSON at other places


# -- shared ------------------------------------------------------------------------------------------


async def _drain(what: str, produced: Any, into: list, timeout: float = TIMEOUT) -> None:
    """Read the async generator `produced` into `into` (copies: later changes to a yielded dict don't count)."""
    stuck = NotYet(f"{what} was still running after {timeout} s on a stream that had ended: does a loop wait for "
                   "something that never comes?")
    if inspect.iscoroutine(produced):
        try:
            result = await asyncio.wait_for(produced, timeout)
        except TimeoutError:
            raise stuck from None
        raise NotYet(f"{what} returned {type(result).__name__} at the end instead of yielding: make it an async "
                     "generator (`yield` each result inside the loop) so each one comes out as it arrives.")
    if not hasattr(produced, "__aiter__"):
        raise NotYet(f"{what} should be an async generator (`async def` with `yield`); it returned "
                     f"{type(produced).__name__}.")

    async def read() -> None:
        async for item in produced:
            into.append(copy.deepcopy(item) if isinstance(item, (dict, list)) else item)

    try:
        await asyncio.wait_for(read(), timeout)
    except TimeoutError:
        raise stuck from None


def _explained(what: str, error: Exception, server: ScriptedOpenAI | None = None) -> NotYet:
    """A learner's exception, with what it usually means."""
    kind = f"{type(error).__name__}: {error}"
    if server is not None and server.sync_calls:
        return NotYet(f"{what} called the model synchronously (invoke or stream), which blocks the event loop: in "
                      "an async function, use astream with `async for`.")
    if isinstance(error, pydantic.ValidationError):
        return NotYet(f"{what} raised a ValidationError ({error.error_count()} problem(s), e.g. "
                      f"{error.errors()[0]['msg']!r}): a partial dict lacks the fields still to come, so validate "
                      "only the last one, after the loop.")
    if isinstance(error, json.JSONDecodeError):
        return NotYet(f"{what} raised JSONDecodeError ({error.msg}): json.loads needs complete JSON, and text cut "
                      "mid-stream isn't. Parse the text so far with parse_partial_json; json.loads only once the "
                      "stream has ended.")
    if isinstance(error, KeyError):
        return NotYet(f"{what} raised KeyError {error}: a partial object has only the keys streamed so far "
                      "(other fields may come first). Use .get(key, default) until the key has arrived.")
    if isinstance(error, (TypeError, AttributeError)) and "NoneType" in str(error):
        return NotYet(f"{what} raised {kind}: something it used was None. parse_partial_json returns None for "
                      "text it can't read yet (whitespace, a cut escape), and a chunk's args may be None: check "
                      "before you use them.")
    return NotYet(f"{what} raised {kind}.")


def _within(part: Any, whole: Any) -> bool:
    """Is `part` what `whole` looks like while it is being written (a string cut short, a dict's first keys)?"""
    if isinstance(part, str) and isinstance(whole, str):
        return whole.startswith(part)
    if isinstance(part, dict) and isinstance(whole, dict):
        keys, full = list(part), list(whole)
        if keys != full[:len(keys)]:
            return False
        return all(part[key] == whole[key] for key in keys[:-1]) and (not keys or _within(part[keys[-1]],
                                                                                             whole[keys[-1]]))
    if isinstance(part, list) and isinstance(whole, list):
        return (len(part) <= len(whole) and part[:-1] == whole[:len(part) - 1]
                and (not part or _within(part[-1], whole[len(part) - 1])))
    return part == whole


def _parsed(text: str) -> Any:
    return parse_partial_json(text) if text.strip() else None


# -- exercise 1 · a Pydantic object that streams -----------------------------------------------------

EXPLANATIONS = [
    ("a mutex", "A mutex is a lock that only one thread can hold at a time.",
     "A thread calls acquire() before it touches shared data and release() after, and any other thread waits.",
     "Without it, two threads writing at once leave the data half-updated."),
    ("backpressure", "Backpressure is a consumer telling a producer to slow down.",
     "A bounded queue blocks put() when it is full, so the \"fast\" side waits for the slow one.",
     "It keeps memory flat when events arrive faster than they can be handled."),
    ("a checksum", "A checksum is a short number computed from a block of data.",
     "The sender adds up the bytes in a fixed way, and the receiver does it again and compares.",
     "One flipped bit in transit changes the sum, so corruption is caught early."),
    ("a Bloom filter", "A Bloom filter is a bit array that answers \"maybe\" or \"no\" to membership.",
     "Each item sets k bits chosen by k hash functions; a lookup checks whether all k are set.",
     "It saves a disk read for most misses while using a few bits per item."),
    ("a path in Windows", "A Windows path names a file, like C:\\Users\\ada\\notes.txt.",
     "Each backslash separates a folder from the next, from the drive down to the file.",
     "Code that builds paths by hand breaks on it; pathlib handles both kinds of slash."),
    ("a heartbeat", "A heartbeat is a small message a service sends on a fixed schedule.",
     "A monitor expects one every few seconds, and marks the service down after three are missed.",
     "It finds a dead process even when nothing else is talking to it."),
]


@dataclass
class _Answer:
    """The explanation the scripted model writes, and how its JSON is cut."""

    question: str
    value: dict
    pieces: list[str]


def _explanation_answer() -> _Answer:
    topic, *sentences = random.choice(EXPLANATIONS)
    value = dict(zip(["definition", "how_it_works", "why_it_matters"], sentences, strict=True))
    return _Answer(f"What is {topic}?", value, split_at_random(json.dumps(value), RNG, 5))


def _structured_reply(answer: _Answer) -> Callable[[dict], Reply]:
    """Answer as OpenAI would: a forced tool call's arguments, or JSON text for `response_format` (or none)."""

    def reply(body: dict) -> Reply:
        tools = body.get("tools") or []
        if tools:
            choice = body.get("tool_choice")
            name = (choice.get("function", {}).get("name") if isinstance(choice, dict) else None) \
                or tools[0]["function"]["name"]
            return Reply(calls=[(name, answer.pieces)])
        return Reply(text=answer.pieces)

    return reply


async def check_pydantic_stream(explanations: Callable, explanation_class: type[BaseModel]) -> None:
    """Exercise 1: partial dicts while the JSON streams (none after, none ahead), then one validated object."""
    with check("Exercise 1 · a Pydantic object that streams") as exercise:
        answer = _explanation_answer()
        items: list = []
        server = ScriptedOpenAI(_structured_reply(answer), probe=lambda: len(items))
        try:
            await _drain("explanations", explanations(server.chat_model(), answer.question), items)
        except NotYet:
            raise
        except Exception as error:  # noqa: BLE001 - every learner's exception gets its explanation
            raise _explained("explanations", error, server) from None
        finally:
            await server.aclose()
        exercise.expect(server.requests, "explanations never called the model it was given: use its `llm` "
                        "argument (the check passes its own model).")
        exercise.expect(server.streams, "explanations asked for the whole answer at once (ainvoke or invoke), so "
                        "any partial dicts it yields are made up afterwards: stream with astream, and yield the "
                        "dicts the parser makes while the JSON arrives.")
        exercise.expect(len(server.requests) == 1, f"explanations called the model {len(server.requests)} times "
                        "for one question: stream once, yield the partial dicts, and validate the last one.")
        exercise.expect(items, "explanations yielded nothing.")
        last, partials = items[-1], items[:-1]
        if not partials:
            exercise.expect(not isinstance(last, explanation_class), "only one item came out, at the end: with a "
                            "Pydantic class, json_schema's parser waits for the whole message. Stream the class's "
                            "JSON schema (a dict) instead, and validate the last dict at the end.")
            raise NotYet("only one item came out: yield every partial dict as it arrives, then the validated "
                         "Explanation.")
        for index, item in enumerate(partials):
            exercise.expect(not isinstance(item, explanation_class), f"item {index + 1} is already an "
                            "Explanation: a Pydantic class yields only objects that validate, so nothing comes out "
                            "until every field has started. Stream the schema as a dict, and validate only the last.")
            exercise.expect(isinstance(item, dict), f"every item but the last should be a partial dict; item "
                            f"{index + 1} is a {type(item).__name__}.")
        exercise.expect(isinstance(last, explanation_class), "the last item should be an Explanation, validated "
                        f"from the last partial dict (Explanation.model_validate); it is a {type(last).__name__}.")
        _expect_streamed_partials(partials, server.streams[0], server.carried[0], answer.value)
        exercise.expect(last.model_dump() == partials[-1], "the Explanation at the end should hold exactly the "
                        "last partial dict's values.")


def _expect_streamed_partials(partials: list[dict], handouts: Handouts, carried: list[str], final: dict) -> None:
    """Each partial came out while the JSON streamed: not after it, not ahead of it, at most one chunk behind."""
    # A loop that stopped reading once the object was complete never asked for the end: all came out during it.
    ended = handouts.seen_at_end if handouts.finished() else len(partials)
    if ended < len(partials) and not ended:
        raise NotYet(f"all your {len(partials)} partial dicts came out after the model's stream had ended: that "
                     "is waiting, not streaming. Yield each dict inside the `async for` loop, as it arrives.")
    text_before = [""]  # text_before[h]: the JSON handed out before handout h
    for fragment in carried:
        text_before.append(text_before[-1] + fragment)
    for index, partial in enumerate(partials):
        if not _within(partial, final):
            raise NotYet(f"partial dict {index + 1}, {partial!r}, is not the answer being written: yield the "
                         "dicts parsed from the stream, each the whole object so far.")
        asked = next((handout.index for handout in handouts if handout.seen > index), len(carried))
        streamed = _parsed(text_before[asked])
        if not _within(partial, streamed or {}):
            raise NotYet(f"partial dict {index + 1}, {partial!r}, held text the model had not sent yet: yield "
                         "the dicts parsed from the stream, as it arrives.")
    for handout in handouts[2:]:  # by the time it asks for chunk h, everything up to chunk h - 2 should be out
        streamed = _parsed(text_before[handout.index - 1])
        latest = partials[handout.seen - 1] if handout.seen else {}
        if streamed and not _within(streamed, latest):
            raise NotYet(f"you held partial dicts back: the model had sent {streamed!r} while your latest dict "
                         f"was {latest!r}. Yield every partial dict, each time the object grows.")
    if ended < len(partials):
        raise NotYet(f"{len(partials) - ended} of your {len(partials)} partial dicts came out after the model's "
                     "stream had ended: yield each dict inside the `async for` loop, as it arrives.")
    if partials[-1] != final:
        raise NotYet(f"the last partial dict should be the whole explanation; it was {partials[-1]!r}.")


# -- exercise 2 · each item the moment it's complete -------------------------------------------------

FIXED_ITEMS = ["buy milk", "call the dentist", "send the report", "water the plants"]

# Elements a naive reader gets wrong: each random list has one of every kind, in a random order.
TRICKY = {
    "commas": ["buy milk, eggs", "call mum, then dad", "pack socks, a scarf"],
    "quotes": ['read "Dune" again', 'label it "fragile"', 'say "hi" and leave'],
    "brackets": ["fix {it}", "sort [a, b] then {c}", "] , ["],
    "escapes": ["back\\slash", "line one\nline two", "tab\there", "café au lait", "pay 12 €"],
}
FIELDS = ["tasks", "steps", "stops", "ingredients"]


@dataclass
class _ListCase:
    """A JSON object whose list `field` holds `items`, cut into `fragments`."""

    field: str
    items: list
    fragments: list[str]


def _fixed_case() -> _ListCase:
    """The first case is always the same, so the unsolved starter's message is too."""
    text = json.dumps({"tasks": FIXED_ITEMS})
    return _ListCase("tasks", FIXED_ITEMS, [text[start:start + 3] for start in range(0, len(text), 3)])


def _tricky() -> str:
    return random.choice(random.choice(list(TRICKY.values())))


def _random_cases() -> list[_ListCase]:
    """Lists the learner hasn't seen: tricky strings, nested values, other fields around them, random cuts."""
    field, nested_field = random.sample(FIELDS, 2)
    strings = [random.choice(kind) for kind in TRICKY.values()]
    random.shuffle(strings)
    around = {"title": "today, [maybe]", "tags": ["a, b", "c"]}  # a list before the one to read, and one after
    strings_text = json.dumps({**around, field: strings, "done": False, "notes": ["x"]},
                              ensure_ascii=random.random() < 0.5)
    nested = [{"name": _tricky(), "with": [_tricky(), {"n": 1}]}, [_tricky(), "]"], {"name": "last", "with": []}]
    one_field = random.choice(FIELDS)
    return [_ListCase(field, strings, split_at_random(strings_text, RNG, 6)),
            _ListCase(nested_field, nested,
                      split_at_random(json.dumps({"title": "nested", nested_field: nested}), RNG, 6)),
            _ListCase(one_field, [item := _tricky()],
                      split_at_random(json.dumps({one_field: [item], "done": True}), RNG, 4))]


def _ready_after(case: _ListCase) -> list[int]:
    """For each element but the last, the fragment after which the next element had begun (as parsed)."""
    ready, text = [], ""
    for index, fragment in enumerate(case.fragments):
        text += fragment
        parsed = _parsed(text)
        shown = parsed.get(case.field) if isinstance(parsed, dict) else None
        while isinstance(shown, list) and len(ready) < len(case.items) - 1 and len(shown) > len(ready) + 1:
            ready.append(index)
    return ready


async def check_completed_items(completed_items: Callable) -> None:
    """Exercise 2: every element once, in order, each out before the fragment after the next one began."""
    with check("Exercise 2 · each item the moment it's complete") as exercise:
        for number, case in enumerate([_fixed_case(), *_random_cases()]):
            yielded: list = []
            handouts = Handouts()

            async def fragments(case: _ListCase = case, handouts: Handouts = handouts,
                                yielded: list = yielded) -> AsyncIterator[str]:
                for index, fragment in enumerate(case.fragments):
                    handouts.append(Handout(index, time.perf_counter(), len(yielded)))
                    yield fragment
                handouts.ended, handouts.seen_at_end = time.perf_counter(), len(yielded)

            try:
                await _drain("completed_items", completed_items(fragments(), case.field), yielded)
            except NotYet:
                raise
            except Exception as error:  # noqa: BLE001
                raise _explained("completed_items", error) from None
            _expect_items(yielded, case, first=number == 0)
            for position, (item, fragment_index) in enumerate(zip(case.items, _ready_after(case))):
                asked = next((h.index for h in handouts if h.seen > position), None)
                if asked is None:
                    raise NotYet(f"{item!r} came out only after all {len(case.fragments)} fragments had been "
                                 "read: yield each item as soon as the next one has started.")
                exercise.expect(asked <= fragment_index + 1, f"{item!r} came out only after fragment {asked + 1} "
                                f"of {len(case.fragments)}, though the next element had started in fragment "
                                f"{fragment_index + 1}: yield each item as soon as the next one has started.")


def _expect_items(items: list, case: _ListCase, *, first: bool) -> None:
    expected = case.items
    if items == expected:
        return
    if not first and items == FIXED_ITEMS:
        raise NotYet("completed_items yielded the same items for another list: it must read the elements from "
                     "the fragments it is given.")
    if not items:
        raise NotYet(f"no element came out: read the list in the field named by `field` ({case.field!r} in this "
                     "case), and yield the last element when the stream ends.")
    if items == expected[:-1]:
        raise NotYet("the last element never came out: when the stream ends, yield what is left.")
    for item in items:
        if item not in expected and any(_within(item, whole) for whole in expected):
            raise NotYet(f"{item!r} came out before it was complete: an element is complete only once the next "
                         "one has started, or the stream has ended.")
    for item in items:
        if 0 < expected.count(item) < items.count(item):
            raise NotYet(f"{item!r} came out {items.count(item)} times: yield each element once (remember how many "
                         "you have yielded).")
    raise NotYet(f"expected the elements of {case.field!r}, {expected!r}, in order, each once; got {items!r}.")


# -- exercise 3 · the summary as the agent writes it -------------------------------------------------

CITIES = ["Porto", "Tromsø", "Valparaíso", "Kraków", "Hobart", "Nagoya", "Windhoek", "Cusco"]
SKIES = ["sunny", "cloudy", "rainy", "windy", "foggy"]
SUMMARIES = [
    "Expect {t} degrees and a {sky} sky over {city}; take a \"just in case\" jacket.",
    "{city} is {sky} at {t} °C, so plans outdoors can stay as they are.",
    "It is {t} degrees in {city} and {sky}: a good day for a walk\\run by the water.",
    "{sky} and {t} degrees in {city} today,\nwith little change expected tonight.",
]


class Forecast(BaseModel):
    """The weather in a city, as the agent reports it."""

    city: str = Field(description="the city")
    temperature: float = Field(description="degrees Celsius")
    summary: str = Field(description="one sentence for the reader")


class _AgentDoors:
    """The agent, with both streaming doors recorded: `astream` and chapter 04's `astream_events`."""

    def __init__(self, agent: Any, probe: Callable[[], Any]) -> None:
        self.streams = Recording(agent, probe=probe)
        self.events = Recording(_EventsAsStream(agent), probe=probe)
        self._agent = agent

    def astream(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        return self.streams.astream(*args, **kwargs)

    def astream_events(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        return self.events.astream(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:  # ainvoke, invoke, stream, ...: the agent's own
        return getattr(self._agent, name)

    def recorded(self) -> tuple[list[Handouts], list[Any]]:
        """The handouts of every stream read, and the items of the last one."""
        used = self.streams if self.streams.handouts else self.events
        return self.streams.handouts + self.events.handouts, used.items


class _EventsAsStream:
    def __init__(self, agent: Any) -> None:
        self._agent = agent

    def astream(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        return self._agent.astream_events(*args, **kwargs)


def _message_in(item: Any) -> BaseMessage | None:
    """The message in one item of `agent.astream(...)` (any stream mode and version) or `astream_events`."""
    if isinstance(item, dict) and item.get("event") == "on_chat_model_stream":
        return item.get("data", {}).get("chunk")
    if isinstance(item, dict) and item.get("type") == "messages":
        item = item.get("data")
    elif isinstance(item, tuple) and len(item) == 2 and item[0] == "messages":
        item = item[1]
    if isinstance(item, tuple) and item and isinstance(item[0], BaseMessage):
        return item[0]
    return None


def _summary_so_far(items: Sequence[Any]) -> list[int]:
    """After each recorded item: how many characters of the Forecast call's summary had streamed."""
    names: dict = {}
    readers: dict = {}
    lengths, length = [], 0
    for item in items:
        message = _message_in(item)
        if isinstance(message, AIMessageChunk):
            for chunk in message.tool_call_chunks:
                key = (message.id, chunk.get("index"))
                names[key] = chunk.get("name") or names.get(key)
                if names[key] == "Forecast":
                    length += len(readers.setdefault(key, FieldReader("summary")).feed(chunk.get("args") or ""))
        lengths.append(length)
    return lengths


async def check_summary_pieces(summary_pieces: Callable) -> None:
    """Exercise 3: the Forecast call's summary, piece by piece, while the agent streams (another city each time)."""
    with check("Exercise 3 · the summary as the agent writes it") as exercise:
        city, sky, degrees = random.choice(CITIES), random.choice(SKIES), random.randint(-5, 35)
        summary = random.choice(SUMMARIES).format(city=city, sky=sky, t=degrees)
        summary = summary[0].upper() + summary[1:]

        @tool
        def get_weather(city: str) -> str:
            """Get the current weather in a city."""
            return f"It is {degrees} degrees and {sky} in {city}."

        def reply(body: dict) -> Reply:
            if not any(message.get("role") == "tool" for message in body["messages"]):
                return Reply(calls=[("get_weather", split_at_random(json.dumps({"city": city}), RNG, 4))])
            answer = {"city": city, "temperature": degrees, "summary": summary}
            return Reply(calls=[("Forecast", split_at_random(json.dumps(answer), RNG, 5))])

        server = ScriptedOpenAI(reply)
        agent = create_agent(server.chat_model(), [get_weather], response_format=ToolStrategy(Forecast))
        pieces: list = []
        doors = _AgentDoors(agent, probe=lambda: sum(len(piece) for piece in pieces if isinstance(piece, str)))
        try:
            await _drain("summary_pieces", summary_pieces(doors, f"What is the weather in {city}?"), pieces)
        except NotYet:
            raise
        except Exception as error:  # noqa: BLE001
            raise _explained("summary_pieces", error, server) from None
        finally:
            await server.aclose()
        streams, items = doors.recorded()
        exercise.expect(streams, "summary_pieces didn't stream the agent it was given: read "
                        '`agent.astream(..., stream_mode="messages")` on its `agent` argument.')
        once = len(streams) == 1 and len(server.requests) <= 2  # one run: get_weather's call, then Forecast's
        exercise.expect(once, "summary_pieces ran the agent more than once for one question: stream it once; the "
                        "stream has everything you need.")
        for piece in pieces:
            exercise.expect(isinstance(piece, str), f"each piece should be a str; one is a {type(piece).__name__}.")
        chunks = [_message_in(item) for item in items]
        exercise.expect(any(isinstance(message, AIMessageChunk) for message in chunks), "the stream you read "
                        'carried no message chunks: ask for stream_mode="messages".')
        exercise.expect(pieces, "no summary text came out. The model's first call, get_weather, has arguments "
                        "too: its closing } finished your FieldReader before the Forecast call began. Give each "
                        "call (a reply's id and the chunk's index) its own reader, and read only the call named "
                        "Forecast.")
        _expect_summary("".join(pieces), pieces, summary)
        handouts = streams[0]
        # A loop that stopped reading once the summary was complete never asked for the end.
        ended = handouts.seen_at_end if handouts.finished() else len(summary)
        exercise.expect(ended, "not streaming: the summary came out after the agent's stream had ended. Yield "
                        "each piece inside the loop, as soon as its chunk arrives.")
        streamed = _summary_so_far(items)
        for handout in handouts[2:]:  # asking for item h, it should have yielded the summary up to item h - 2
            exercise.expect(handout.seen >= streamed[handout.index - 2], "pieces came out late: the agent had "
                            f"streamed {summary[:streamed[handout.index - 2]]!r} while you had yielded "
                            f"{summary[:handout.seen]!r}. Yield each piece as soon as its chunk arrives.")
        exercise.expect(ended == len(summary), f"{summary[ended:]!r}, the end of the summary, came out after the "
                        "agent's stream had ended: yield each piece inside the loop, as soon as its chunk arrives.")
        exercise.expect(len(pieces) > 1, "the summary came out in one piece: yield each piece as it streams.")


def _expect_summary(joined: str, pieces: list[str], summary: str) -> None:
    if joined == summary:
        return
    if any(mark in joined for mark in ('{"', '":', '"summary"')):
        raise NotYet(f"your pieces hold JSON ({joined[:50]!r}...): feed each call's arguments to its own "
                     'FieldReader("summary") and yield what feed() returns, the new text only.')
    if len(pieces) > 1 and all(summary.startswith(piece) for piece in pieces) and len(joined) > len(summary):
        raise NotYet("your pieces repeat the text so far: yield what reader.feed() returns (the new text), not "
                     "reader.value.")
    raise NotYet(f"the pieces spell {joined!r}, but the Forecast's summary in this run is {summary!r}: read it "
                 "from the stream (the check asks about another city each time).")
