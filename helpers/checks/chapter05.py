"""The checks of chapter 05's exercises (`chapters/05-streaming-web-app.ipynb`).

- `check_step_event`: the learner's `StepTranslator` serves two questions at once
  through the real app, questions that take different numbers of model calls
  (drawn at random, so a count known in advance fails). A wrapper records which
  LangChain event produced each of the app's events, so the check knows, for every
  model call, which events belong to it: its `step` must come first, numbered from 1
  in every run, and everything else must be what the app's own translator sends.
- `check_live_answer`: the learner's `live_answer` generator reads a stream the check
  writes (httpx's `MockTransport`): an unseen run, split into chunks at random places.
  The body records how many `(text, tools)` the generator had yielded each time it
  was asked for the next chunk, so the check sees whether each token and tool result
  was yielded before the code read on (streaming) or only at the end (waiting), and
  whether the text appeared only with the final `answer` event.
"""

from __future__ import annotations

import asyncio
import json
import random
import secrets
import time
from collections.abc import AsyncIterator, Callable
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

import httpx

from ..exercises import check
from ..web_app import BackgroundServer, create_app, events
from ..web_app.events import Event, EventTranslator
from .streams import Handout, Handouts

CHECK_TIMEOUT = 30.0  # seconds: a check never hangs, even on a slow model


# ---------------------------------------------------------------- exercise 1 · a step event


def _step_questions() -> list[str]:
    """Two questions that take different numbers of model calls on the course model, with unseen numbers."""
    a, b, c, d, e = (random.randint(2, 19) for _ in range(5))
    few = random.choice([f"What is {a} + {b}?", f"What is {a} * {b}?", f"What is {a} to the power of 2?"])
    many = random.choice([f"What is ({a} + {b}) * {c}?", f"What is ({a} + {b}) * ({c} + {d}) - {e}?",
                          f"What is {a} * {b} + {c}?"])
    return [few, many]


@dataclass
class _Run:
    """What one translator was fed and sent: per LangChain event, its kind and the app's events it became."""

    fed: list[tuple[str, list[Event]]] = field(default_factory=list)
    reference: list[Event] = field(default_factory=list)  # what the app's own translator sent
    failure: str | None = None

    def model_calls(self) -> list[list[Event]]:
        """The events sent while each model call was the latest to start (before the first: index 0)."""
        calls: list[list[Event]] = [[]]
        for kind, sent in self.fed:
            if kind == "on_chat_model_start":
                calls.append([])
            calls[-1].extend(sent)
        return calls


def _watched(translator: type, runs: list[_Run]) -> type:
    """`translator` with a record of what each instance is fed and sends, and what the app's own would send."""

    class Watched(translator):  # type: ignore[misc, valid-type]
        def __init__(self) -> None:
            super().__init__()
            self._run = _Run()
            self._plain = EventTranslator()
            runs.append(self._run)

        def feed(self, event: dict[str, Any]) -> list[Event]:
            self._run.reference.extend(self._plain.feed(event))
            try:
                sent = list(super().feed(event) or [])
            except Exception as error:
                self._run.failure = self._run.failure or (
                    f"your feed raised {type(error).__name__}: {error} (on an {event['event']} event)")
                raise
            self._run.fed.append((event["event"], sent))
            return sent

    return Watched


def _steps_problem(run: _Run, received: list[tuple[str, dict]]) -> tuple[int, str] | None:
    """What is wrong with one run's step events, first things first (the lower the rank, the earlier), or None."""
    steps = [data for kind, data in received if kind == "step"]
    if not steps:
        return 0, ("no `step` event arrived: when event['event'] == 'on_chat_model_start', add "
                "events.Event('step', {'number': ...}) to what feed returns.")
    if any(set(data) != {"number"} or not isinstance(data["number"], int) for data in steps):
        return 1, f"a step event's data should be {{'number': n}}, with n a whole number; one was {steps[0]}."
    wrong = sorted({kind for kind, sent in run.fed for event in sent
                    if event.type == "step" and kind not in ("on_chat_model_start", "on_chat_model_stream")})
    if wrong:
        return 2, (f"your step events were sent on {' and '.join(wrong)} events: send each when its model call "
                   "starts, on on_chat_model_start, and count the calls as the run goes.")
    calls = run.model_calls()
    made = len(calls) - 1
    numbers = [data["number"] for data in steps]
    if len(numbers) != made:
        return 3, (f"this run made {made} model call{'s' * (made != 1)} and you sent {len(numbers)} step events "
                f"({numbers}): send one per on_chat_model_start, counted as the run goes (the check asks "
                "questions that take different numbers of model calls).")
    if numbers != list(range(1, made + 1)):
        return 4, (f"the steps were numbered {numbers}: count from 1 in every run, one more for each model call. "
                "The app makes a new translator for every run: keep the count in self, set in __init__.")
    for number, sent in enumerate(calls[1:], start=1):
        if not sent or sent[0] != Event("step", {"number": number}):
            first = sent[0].type if sent else "nothing"
            return 5, (f"step {number} did not come first among its model call's events (the first was {first!r}): "
                    "send each when its model call starts, on on_chat_model_start, before that step's other events.")
    return None


async def _ask_all(url: str, questions: list[str]) -> list[list[tuple[str, dict]]]:
    async with httpx.AsyncClient(base_url=url, timeout=CHECK_TIMEOUT) as client:
        async def ask(question: str) -> list[tuple[str, dict]]:
            session = (await client.post("/api/sessions")).json()["session_id"]
            body = {"session_id": session, "message": question}
            async with client.stream("POST", "/api/chat", json=body) as response:
                return [event async for event in _read_events(response)]

        return list(await asyncio.gather(*(ask(question) for question in questions)))


async def _read_events(response: httpx.Response) -> AsyncIterator[tuple[str, dict]]:
    """The chapter's `read_events`, for the check's own client."""
    kind, data = "message", []
    async for line in response.aiter_lines():
        if line.startswith("event:"):
            kind = line.removeprefix("event:").strip()
        elif line.startswith("data:"):
            data.append(line.removeprefix("data:").removeprefix(" "))
        elif line == "" and data:
            yield kind, json.loads("\n".join(data))
            kind, data = "message", []


async def check_step_event(step_translator: type, make_model: Callable[..., Any]) -> None:
    """Exercise 1: the app, with the learner's translator, sends one numbered `step` first in every model call."""
    with check("Exercise 1 · a step event of your own") as exercise:
        exercise.expect(isinstance(step_translator, type) and issubclass(step_translator, EventTranslator),
                        "StepTranslator should be a class built on EventTranslator: class StepTranslator(EventTranslator).")
        runs: list[_Run] = []
        questions = _step_questions()
        app = create_app(make_model)
        with mock.patch("helpers.web_app.agents.EventTranslator", _watched(step_translator, runs)), \
                BackgroundServer(app) as server:
            answers = await asyncio.wait_for(_ask_all(server.url, questions), timeout=CHECK_TIMEOUT)
        failure = next((run.failure for run in runs if run.failure), None)
        exercise.expect(failure is None, f"{failure}")
        exercise.expect(len(runs) == len(questions), "the app made no translator of yours: keep the class's name, "
                        "StepTranslator, and let __init__ take no arguments.")
        for received in answers:
            errors = [data for kind, data in received if kind == "error"]
            exercise.expect(not errors, f"the run failed: {errors[0] if errors else ''}")
        # the app makes a translator per run: match each run to the answer whose events it sent
        # (between the app's own first and last events, `run` and `done`)
        problems = []
        for run in runs:
            sent = [event for _, out in run.fed for event in out]
            received = next((received for received in answers
                             if [kind for kind, _ in received][1:-1] == [event.type for event in sent]), None)
            exercise.expect(received is not None, "the events that arrived are not the ones your feed returned: "
                            "return a list of events from feed.")
            problems.append(_steps_problem(run, received))
        first = min((problem for problem in problems if problem), default=None)
        exercise.expect(first is None, first and first[1])
        for run in runs:
            others = [event for _, out in run.fed for event in out if event.type != "step"]
            exercise.expect(others == run.reference, "apart from the steps, your translator sent other events than "
                            "the app's: keep every event super().feed(event) returns, in order.")


# ---------------------------------------------------------------- exercise 2 · the answer as it is written

TOOLS = {"add": lambda x, y: x + y, "subtract": lambda x, y: y - x, "multiply": lambda x, y: x * y,
         "exponentiate": lambda x, y: x ** y}  # the course's tools, as far as a made-up run needs them


@dataclass
class _Script:
    """A run the check streams: its events, and what a reader has after each `token` or `tool_result`."""

    events: list[Event]
    after: dict[int, tuple[str, list[str]]]  # event index -> (text, tools) once that event is read
    text: str
    tools: list[str]


def _script() -> _Script:
    """An unseen run: one or two steps of tool calls (a tool may run twice), then the answer in random pieces."""
    steps = random.choice([[["add", "add"], ["multiply"]], [["multiply"], ["subtract"]],
                           [["add"], ["add"]], [["exponentiate", "multiply"]], [["subtract"]]])
    steps = [[random.choice(list(TOOLS)) if random.random() < 0.3 else name for name in step] for step in steps]
    out: list[Event] = []
    after: dict[int, tuple[str, list[str]]] = {}
    text, tools = "", []
    for step in steps:
        calls = [(f"call_{secrets.token_hex(6)}", name, random.randint(2, 99),
                  random.randint(2, 3) if name == "exponentiate" else random.randint(2, 99)) for name in step]
        for call_id, name, x, y in calls:
            out.append(events.tool_call(call_id, name, ""))
            arguments = json.dumps({"x": x, "y": y}, separators=(",", ":"))
            cuts = sorted(random.sample(range(1, len(arguments)), 2))
            for piece in (arguments[:cuts[0]], arguments[cuts[0]:cuts[1]], arguments[cuts[1]:]):
                out.append(events.tool_call(call_id, name, piece))
        for call_id, name, x, y in calls:
            out.append(events.tool_result(call_id, name, output=float(TOOLS[name](x, y))))
            tools = [*tools, name]
            after[len(out) - 1] = (text, tools)
    a, b, c = random.randint(2, 99), random.randint(2, 99), random.randint(2, 9)
    answer = random.choice([f"({a} + {b}) × {c} is {(a + b) * c}.", f"{a} - {b} is {a - b}, then × {c}: {(a - b) * c}.",
                            f"The result is {a * c + b}: {a} × {c} + {b}."])
    position = 0
    while position < len(answer):
        size = random.randint(1, 5)
        out.append(events.token(answer[position:position + size]))
        position += size
        text = answer[:position]
        after[len(out) - 1] = (text, tools)
    out += [events.answer(answer, sorted(set(tools))), events.done()]
    return _Script(out, after, text, tools)


class _Body(httpx.AsyncByteStream):
    """The response body, in chunks cut at random places; records what the learner had yielded at each request."""

    def __init__(self, chunks: list[bytes], yielded: list[tuple[str, list[str]]]) -> None:
        self.chunks, self.yielded = chunks, yielded
        self.handouts = Handouts()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for index, chunk in enumerate(self.chunks):
            seen = len(self.yielded)
            self.handouts.started = self.handouts.started or time.perf_counter()
            self.handouts.append(Handout(index, time.perf_counter(), seen))
            yield chunk
            await asyncio.sleep(0)
        self.handouts.ended, self.handouts.seen_at_end = time.perf_counter(), len(self.yielded)


def _chunked(script: _Script) -> tuple[list[bytes], list[int], int]:
    """The wire bytes cut at random places (and where the `answer` event starts), for each event the chunk that
    completes it (the one with its blank line), and the chunk the `answer` event starts in."""
    wire = [event.encode() for event in script.events]
    whole = b"".join(wire)
    starts = [sum(len(piece) for piece in wire[:index]) for index in range(len(wire))]
    answer_starts = starts[-2]
    cuts = set(random.sample(range(1, len(whole)), k=min(len(whole) - 1, len(wire) * 2 // 3)))
    edges = sorted({0, *cuts, answer_starts, len(whole)})
    spans = list(zip(edges, edges[1:]))
    chunks = [whole[start:end] for start, end in spans]

    def chunk_of(position: int) -> int:
        return next(index for index, (start, end) in enumerate(spans) if start <= position < end)

    completes = [chunk_of(start + len(piece) - 1) for start, piece in zip(starts, wire)]
    return chunks, completes, chunk_of(answer_starts)


def _show(text: str, limit: int = 40) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")


async def check_live_answer(live_answer: Callable[..., AsyncIterator[Any]]) -> None:
    """Exercise 2: `live_answer` yields the text and tools so far after each token and tool result, as they arrive."""
    with check("Exercise 2 · the answer as it is written") as exercise:
        script = _script()
        chunks, completes, answer_chunk = _chunked(script)
        yielded: list[tuple[str, list[str]]] = []
        body = _Body(chunks, yielded)
        requests: list[httpx.Request] = []

        async def serve(request: httpx.Request) -> httpx.Response:
            requests.append(request)
            await request.aread()
            return httpx.Response(200, headers={"content-type": "text/event-stream; charset=utf-8"}, stream=body)

        session_id, question = secrets.token_urlsafe(16), f"What is {random.randint(2, 99)} + {random.randint(2, 99)}?"
        async with httpx.AsyncClient(transport=httpx.MockTransport(serve), base_url="http://course.app") as client:
            generator = live_answer(client, session_id, question)
            if not hasattr(generator, "__anext__"):
                getattr(generator, "close", lambda: None)()  # a coroutine: no "never awaited" warning
                exercise.expect(False, "live_answer yields nothing yet: make it an async generator that does "
                                "`yield text, tools` inside its loop, after each token and each tool_result event.")

            async def read_all() -> None:
                async with aclosing(generator):
                    async for item in generator:
                        exercise.expect(isinstance(item, tuple) and len(item) == 2, f"yield (text, tools), not {item!r}.")
                        text, tools = item
                        yielded.append((text, list(tools) if isinstance(tools, (list, tuple)) else tools))

            await asyncio.wait_for(read_all(), timeout=CHECK_TIMEOUT)
        exercise.expect(requests, "live_answer sent no request: stream the question with "
                        "client.stream('POST', '/api/chat', json=body).")
        sent = requests[0]
        exercise.expect(sent.method == "POST" and sent.url.path == "/api/chat",
                        f"live_answer sent {sent.method} {sent.url.path}: POST the question to /api/chat.")
        try:
            payload = json.loads(sent.content or b"null")
        except json.JSONDecodeError:
            payload = None
        exercise.expect(payload == {"session_id": session_id, "message": question},
                        f"live_answer sent {payload!r}: send json={{'session_id': session_id, 'message': question}}, "
                        "with the session and the question it was given.")
        exercise.expect(yielded, "live_answer yielded nothing: yield (text, tools) after each token and tool_result event.")
        exercise.expect(any(text for text, _ in yielded), "your text stayed empty: add each `token` event's "
                        "data['text'] to text, then yield text, tools.")
        text, tools = yielded[-1]
        exercise.expect(isinstance(text, str) and text == script.text,
                        f"your text ended as {_show(str(text))}, the tokens spell {_show(script.text)}: "
                        "join every token's data['text'], in order, with nothing between.")
        if tools != script.tools:
            hint = (" A tool_call event comes for every piece of a call's arguments: take the names from the "
                    "tool_result events." if isinstance(tools, list) and len(tools) > len(script.tools) else "")
            exercise.expect(False, f"your tools ended as {tools!r}, the tool_result events named {script.tools}: add "
                            f"each tool_result's data['name'], one per result, in the order they arrive.{hint}")
        handouts = body.handouts
        exercise.expect(not (handouts.finished() and handouts.seen_at_end == 0),
                        "live_answer yielded only after the whole stream had arrived: read it with client.stream(...) "
                        "and yield inside the loop, after each event, while the stream is still open.")

        def yields_before(chunk: int) -> int:
            """How many values the generator had yielded when it asked for `chunk` (or read past the end)."""
            if chunk < len(handouts):
                return handouts[chunk].seen
            return handouts.seen_at_end if handouts.finished() else len(yielded)

        first_text = next(index for index, (text, _) in enumerate(yielded) if text)
        exercise.expect(first_text < yields_before(answer_chunk),
                        "your text appeared only with the `answer` event, after the tokens: build it from the "
                        "`token` events as they arrive (the answer event comes once the run is over).")
        for index, state in sorted(script.after.items()):
            event = script.events[index]
            if state not in yielded[:yields_before(completes[index] + 1)]:
                what = (f"the token {event.data['text']!r}" if event.type == "token"
                        else f"the tool_result of {event.data['name']!r}")
                exercise.expect(False, f"after {what} arrived, live_answer read on before yielding (text, tools) with "
                                f"it: yield after each token and each tool_result event, as it arrives.")
