"""The checks of chapter 03's exercises (`chapters/03-queue-streamed-agent.ipynb`).

- `check_count_per_step(CountingHandler)`: the learner's handler counts the chunks
  of each model call, live, while the stream still reaches the reader.
- `check_render_steps(steps_of)`: the learner's `steps_of` reads the tool names of
  each model call from `executor.stream(question)`.

Both run the learner's code on an agent run drawn at random
(`helpers.checks.scripted_agent`): another number of model calls, of tool calls
per step, of chunks per call, on a question the learner has not seen. So a
hard-coded answer fails, and so does one read off the finished run instead of
the stream. The check of exercise 1 is the reader of the run: when it receives
each `STEP_END` it looks at the handler's counts, which must already hold that
step (a count made after the run is not live).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from langchain_core.messages import AIMessageChunk

from ..exercises import NotYet, check
from ..queue_handler import STEP_END, QueueCallbackHandler
from ..streaming_executor import StreamingAgentExecutor
from .scripted_agent import Call, scripted_model

RUN_TIMEOUT = 10.0  # seconds; a scripted run takes milliseconds, so this only stops code that hangs
MATH = ("add", "subtract", "multiply")
CALLBACK_LOGGER = "langchain_core.callbacks.manager"  # where LangChain reports an error raised in a callback


# -- random runs ---------------------------------------------------------------------------------------


def _call(rng: random.Random, name: str | None = None) -> Call:
    return (name or rng.choice(MATH), {"x": rng.randint(2, 99), "y": rng.randint(2, 99)})


def random_plan(rng: random.Random, tool_steps: int, *, repeat_in_a_step: bool = False) -> list[list[Call]]:
    """`tool_steps` model calls asking for 1 to 3 math tools each, then `final_answer`.

    With `repeat_in_a_step`, one step calls the same tool twice (as `(2 + 3) * (4 + 5)` does).
    """
    plan = [[_call(rng) for _ in range(rng.choice((1, 1, 2, 3)))] for _ in range(tool_steps)]
    if repeat_in_a_step:
        name = rng.choice(MATH)
        plan[rng.randrange(tool_steps)] = [_call(rng, name), _call(rng, name)] + [_call(rng)] * rng.randint(0, 1)
    used = list(dict.fromkeys(name for calls in plan for name, _ in calls))
    answer = f"I worked it out in {tool_steps} step{'s' if tool_steps > 1 else ''}."
    return plan + [[("final_answer", {"answer": answer, "tools_used": used})]]


def question_for(plan: Sequence[Sequence[Call]]) -> str:
    """A question that asks for the plan's calls, e.g. 'Add 12 and 40 and multiply 3 by 9, then subtract 5 from 7.'"""
    words = {"add": "add {x} and {y}", "subtract": "subtract {x} from {y}", "multiply": "multiply {x} by {y}"}
    steps = [" and ".join(words[name].format(**arguments) for name, arguments in calls) for calls in plan[:-1]]
    return (", then ".join(steps) + ".").capitalize()


def _short(value: Any, most: int = 160) -> str:
    """`repr(value)`, cut to `most` characters: a message shows what is wrong, not a page of it."""
    text = repr(value)
    return text if len(text) <= most else text[:most - 5] + " ...]"


def _names(plan: Sequence[Sequence[Call]]) -> list[list[str]]:
    return [[name for name, _ in calls] for calls in plan]


# -- exercise 1 · count the tokens of each step ---------------------------------------------------------


@contextmanager
def _callback_errors() -> Iterator[list[tuple[str, str]]]:
    """Collect the errors LangChain logs when a callback raises (it logs them and goes on), as (callback, error)."""
    logger = logging.getLogger(CALLBACK_LOGGER)
    caught: list[tuple[str, str]] = []

    class Catch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            args = record.args if isinstance(record.args, tuple) else ()
            caught.append((str(args[1]), str(args[2])) if len(args) == 3 else ("a callback", record.getMessage()))

    catcher, propagate = Catch(logging.WARNING), logger.propagate
    logger.addHandler(catcher)
    logger.propagate = False  # the learner reads our message, not LangChain's log line
    try:
        yield caught
    finally:
        logger.removeHandler(catcher)
        logger.propagate = propagate


def _new_handler(handler_class: type, exercise: check) -> QueueCallbackHandler:
    try:
        handler = handler_class()
    except TypeError as error:
        raise NotYet(f"CountingHandler() failed ({error}): keep `def __init__(self):` with no other arguments, "
                     "and call super().__init__() in it.") from None
    exercise.expect(isinstance(handler, QueueCallbackHandler), "CountingHandler should be a QueueCallbackHandler "
                    "(class CountingHandler(QueueCallbackHandler)), so the reader still gets the stream.")
    exercise.expect(hasattr(handler, "counts"), "CountingHandler has no `counts`: set self.counts = [] in __init__.")
    exercise.expect(isinstance(handler.counts, list), "counts should be a list, one number per model call; it is "
                    f"a {type(handler.counts).__name__}.")
    return handler


def _counts_now(handler: QueueCallbackHandler) -> list:
    return list(handler.counts) if isinstance(getattr(handler, "counts", None), list) else []


async def check_count_per_step(handler_class: type) -> None:
    """Run a random agent run with a fresh `handler_class()` as its handler; compare its counts with the stream."""
    with check("Exercise 1 · count the tokens of each step") as exercise:
        rng = random.Random()
        handler, other = _new_handler(handler_class, exercise), _new_handler(handler_class, exercise)
        before = list(handler.counts)
        exercise.expect(handler.counts is not other.counts, "two CountingHandlers share one counts list: create it "
                        "in __init__ (self.counts = []), not in the class body, so each run counts its own chunks.")
        plan = random_plan(rng, rng.randint(2, 4))
        model = scripted_model(plan, rng)
        streamed = [len(step) for step in model.steps]  # chunks per model call
        with_content = [sum(1 for chunk in step if chunk.tool_call_chunks or chunk.text) for step in model.steps]
        received, at_step_end = [0], []
        with _callback_errors() as errors:
            try:
                async with asyncio.timeout(RUN_TIMEOUT):
                    async with StreamingAgentExecutor(model).stream(question_for(plan), handler) as run:
                        async for item in run:
                            if item == STEP_END:
                                at_step_end.append(_counts_now(handler))  # what the handler has counted by now
                                received.append(0)
                            elif isinstance(item, AIMessageChunk):
                                received[-1] += 1
            except TimeoutError:
                raise NotYet(f"the run did not end within {RUN_TIMEOUT:.0f} s: keep calling super() in each method "
                             "you override, so the stream gets its markers and its end.") from None
        _no_callback_errors(errors)
        calls = len(plan)
        exercise.expect(sum(received) == sum(streamed), f"the reader received {sum(received)} of the "
                        f"{sum(streamed)} chunks the model streamed: call `await super().on_llm_new_token(token, "
                        "chunk=chunk, **kwargs)` first, so the queue still gets every chunk.")
        exercise.expect(len(at_step_end) == calls - 1, f"the reader received {len(at_step_end)} STEP_END markers for "
                        f"{calls} model calls: call `await super().on_llm_end(response, **kwargs)` in on_llm_end, so "
                        "the queue still gets them.")
        exercise.expect(received == streamed, f"the reader received {received} chunks per model call, the model "
                        f"streamed {streamed}: call super() first in each method you override, and change nothing "
                        "it puts on the queue.")
        counts = handler.counts
        exercise.expect(isinstance(counts, list) and all(isinstance(n, int) for n in counts),
                        f"counts should be a list of whole numbers, it is {counts!r}.")
        exercise.expect(any(counts), "your handler counted no chunks: start a number at 0 when each model call "
                        "starts (in on_chat_model_start) and add one to it for every chunk in on_llm_new_token, the "
                        "chunks whose token is '' included.")
        exercise.expect(counts != before, f"your counts did not change during the run: {counts}. Count the chunks "
                        "in on_llm_new_token as they stream; the check asks its own question, with its own number of "
                        "steps and of chunks.")
        _same_numbers(exercise, counts, streamed, with_content)
        for step, seen in enumerate(at_step_end):
            exercise.expect(seen[:step + 1] == streamed[:step + 1], f"when the reader received the STEP_END of "
                            f"model call {step + 1}, counts was {seen}, not yet {streamed[:step + 1]}: count each "
                            "chunk as it arrives, in on_llm_new_token, so counts is right while the run streams, not "
                            "only after it.")


def _no_callback_errors(errors: list[tuple[str, str]]) -> None:
    if not errors:
        return
    callback, error = errors[0]
    if "IndexError" in error and "new_token" in callback:
        raise NotYet(f"your {callback} raised {error}: counts had no number for this model call yet. Append 0 in "
                     "on_chat_model_start, which LangChain calls as each model call begins, and add one to "
                     "counts[-1] for every chunk.")
    raise NotYet(f"your {callback} raised {error} ({len(errors)} time{'s' if len(errors) > 1 else ''} in the run): "
                 "LangChain logs an error raised in a callback and goes on without it, so the count went wrong.")


def _same_numbers(exercise: check, counts: list[int], streamed: list[int], with_content: list[int]) -> None:
    calls = len(streamed)
    if len(counts) != calls:
        exercise.expect(not (counts[:-1] == streamed and counts[-1] == 0), f"your counts {counts} end with an extra "
                        f"0 for {calls} model calls: a number started when a call ends waits for a call that never "
                        "comes after the final answer. Start each number when its call begins, in "
                        "on_chat_model_start, from an empty list.")
        exercise.expect(not (counts[1:] == streamed and counts[0] == 0), f"your counts {counts} start with an extra "
                        "0: start from an empty list (self.counts = []); on_chat_model_start adds each call's number.")
        exercise.expect(not (calls > 1 and counts == [sum(streamed)]), f"you have one number, {counts[0]}, for the "
                        f"whole run of {calls} model calls: start a new number when each call begins, in "
                        "on_chat_model_start, and count into counts[-1].")
        raise NotYet(f"you have {len(counts)} numbers for {calls} model calls: start one number per call, in "
                     "on_chat_model_start (LangChain calls it as each chat model call begins), and count into "
                     "counts[-1].")
    exercise.expect(counts != with_content, f"your counts are {counts}, the model calls streamed {streamed} chunks: "
                    "you left out the chunks with neither text nor a piece of a tool call (the finish reason, the "
                    "usage, the closing chunk), or you counted tokens, not chunks. Count every chunk that "
                    "on_llm_new_token receives.")
    exercise.expect(counts == streamed, f"your counts are {counts}, but this run's model calls streamed {streamed} "
                    "chunks (the check asks its own question, with its own number of steps): count each chunk as "
                    "on_llm_new_token receives it, in the number of the model call it belongs to.")


# -- exercise 2 · render the steps ----------------------------------------------------------------------


NON_STREAMING = ("ainvoke", "invoke", "as_runnable")


class StreamOnlyExecutor:
    """An executor for the learner's `steps_of` that offers the stream only.

    `stream(question)` works as usual (and is recorded); the doors that wait for
    the whole run (`ainvoke`, `invoke`) are closed with a message that says what
    to read instead, and so is the finished run's `result.scratchpad`: the steps
    must come from the items as they stream.
    """

    def __init__(self, executor: StreamingAgentExecutor) -> None:
        self._executor = executor
        self.questions: list[str] = []  # what `stream` was asked
        self.refused: list[str] = []  # what the learner tried that this check does not offer

    def stream(self, question: str, *args: Any, **kwargs: Any) -> _WatchedRun:
        self.questions.append(question)
        return _WatchedRun(self._executor.stream(question, *args, **kwargs), self)

    def refuse(self, what: str, why: str) -> NotYet:
        self.refused.append(why)
        return NotYet(why)

    def __getattr__(self, name: str) -> Any:
        if name in NON_STREAMING:
            raise self.refuse(name, f"steps_of called executor.{name}, which waits for the whole run: read "
                              "`async with executor.stream(question) as run: async for item in run: ...` instead, "
                              "and build the steps from the items as they arrive.")
        return getattr(self._executor, name)


class _WatchedRun:
    """An `AgentRun` whose finished `result` has no scratchpad to read the steps from."""

    def __init__(self, run: Any, executor: StreamOnlyExecutor) -> None:
        self._run, self._executor = run, executor

    async def __aenter__(self) -> _WatchedRun:
        await self._run.__aenter__()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._run.__aexit__(*exc_info)

    def __aiter__(self) -> Any:
        return self._run.__aiter__()

    @property
    def result(self) -> Any:
        return None if self._run.result is None else _GuardedResult(self._run.result, self._executor)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._run, name)


class _GuardedResult:
    def __init__(self, result: Any, executor: StreamOnlyExecutor) -> None:
        self._result, self._executor = result, executor

    def __getattr__(self, name: str) -> Any:
        if name == "scratchpad":
            raise self._executor.refuse(name, "steps_of read run.result.scratchpad, the finished run's messages: "
                                        "build the steps from the stream's items instead (tool_call_chunks, and "
                                        "STEP_END between two model calls), as they arrive.")
        return getattr(self._result, name)


async def check_render_steps(steps_of: Any) -> None:
    """Run `steps_of` on two random runs of different lengths, each behind a stream-only executor."""
    with check("Exercise 2 · render the steps") as exercise:
        rng = random.Random()
        first = rng.randint(1, 3)
        lengths = [first, rng.choice([n for n in (1, 2, 3, 4) if n != first])]
        for number, tool_steps in enumerate(lengths):
            plan = random_plan(rng, tool_steps, repeat_in_a_step=number == 0)
            executor = StreamOnlyExecutor(StreamingAgentExecutor(scripted_model(plan, rng)))
            question = question_for(plan)
            try:
                steps = await asyncio.wait_for(steps_of(executor, question), timeout=RUN_TIMEOUT)
            except TimeoutError:
                raise NotYet(f"steps_of did not return within {RUN_TIMEOUT:.0f} s: read the run's stream once, with "
                             "`async for item in run`, and return the lists when it ends.") from None
            except AttributeError as error:
                if "'str' object" not in str(error):
                    raise
                raise NotYet(f"steps_of raised AttributeError ({error}): a STEP_END marker is a str. Check "
                             "`item == STEP_END` first; every other item is an AIMessageChunk.") from None
            if executor.refused:  # steps_of caught our refusal and went on: say it all the same
                raise NotYet(executor.refused[0])
            _same_steps(exercise, steps, _names(plan), executor, question)


def _same_steps(exercise: check, steps: Any, expected: list[list[str]], executor: StreamOnlyExecutor,
                question: str) -> None:
    exercise.expect(isinstance(steps, list) and all(isinstance(step, list) for step in steps),
                    f"steps_of should return a list with one list of tool names per model call; it returned {steps!r}.")
    exercise.expect(executor.questions, "steps_of never called executor.stream(question): the check asks questions "
                    "your code has not seen, so read each run's steps from its stream.")
    exercise.expect(executor.questions == [question], f"steps_of streamed {executor.questions!r}, not the question "
                    f"it was given ({question!r}): call executor.stream(question) once.")
    names = [name for step in steps for name in step]
    exercise.expect(names, "no tool names found: when an item is an AIMessageChunk, read the 'name' of each entry "
                    "in item.tool_call_chunks (it is None after a call's first piece), and start a new list at every "
                    "STEP_END.")
    exercise.expect(all(isinstance(name, str) for name in names), f"your steps hold {_short(steps)}: only the "
                    "first piece of a call in tool_call_chunks carries its 'name', the later pieces have None. Keep "
                    "the names that "
                    "are not None.")
    if len(steps) != len(expected):
        exercise.expect(len(steps) != 1, f"all the names are in one list, {steps}, for a run of {len(expected)} model "
                        "calls: start a new list at every STEP_END, the marker between two model calls.")
        exercise.expect(steps[1:] != expected, f"your steps start with an empty list: {steps}. steps = [[]] "
                        "already holds the first call's list; start a new one at each STEP_END only.")
        raise NotYet(f"you have {len(steps)} steps, the run had {len(expected)} model calls ({expected}): start a "
                     "new list at every STEP_END and nowhere else.")
    once = [list(dict.fromkeys(step)) for step in expected]
    exercise.expect(steps != once or once == expected, f"expected {expected}, got {steps}: a step can call the same "
                    "tool twice (each call has its own index in tool_call_chunks); keep every call's name.")
    exercise.expect(steps == expected, f"the run's steps were {expected}, your steps_of returned {steps} (the check "
                    "asked its own question): add each call's name once, in the order the calls began, to the list "
                    "of the model call that asked for it.")
