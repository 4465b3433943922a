"""The checks of chapter 04's exercises (`chapters/04-streaming-events.ipynb`).

- `check_math_results(math_results)`: `(name, output)` of every tool run tagged
  `math` that finished, in the order they finished.
- `check_tool_log(tool_log)`: one line per tool run, its input paired with its
  output or its error.

Each check builds its own agent runnable (`StreamingAgentExecutor(...).as_runnable()`)
on a run drawn at random (`helpers.checks.scripted_agent`), with tools the
chapter never showed: a math tool with a name no list of the course's tools
holds, a tool with no `math` tag that is not `final_answer`, a math tool that
fails with a message of its own, and two runs of one tool in the same step where
the one that started first finishes last. So code that filters by names instead
of the tag, pairs an end with a start by order or by name instead of `run_id`,
or writes a failure without the tool's own message gets a "Not yet" that says so.
"""

from __future__ import annotations

import ast
import asyncio
import json
import math
import random
import re
from dataclasses import dataclass
from typing import Any, Callable

from langchain_core.tools import StructuredTool, ToolException

from ..exercises import NotYet, check
from ..streaming_executor import StreamingAgentExecutor
from ..tools import add, final_answer, multiply, subtract
from .scripted_agent import Call, scripted_model

RUN_TIMEOUT = 10.0  # seconds; a scripted run takes a tenth of a second, so this only stops code that hangs
SLOW, SLOWER = 0.015, 0.03  # seconds a tool run waits before it returns: enough to reorder the ends of one step


# -- the tools of the check's runs ----------------------------------------------------------------------


def hypotenuse(x: float, y: float) -> float:
    """The hypotenuse of a right triangle whose other two sides are 'x' and 'y'."""
    return round(math.hypot(x, y), 3)


def average(x: float, y: float) -> float:
    """The average of 'x' and 'y'."""
    return (x + y) / 2


def square_root(x: float) -> float:
    """The square root of 'x'."""
    if x < 0:
        raise ToolException(f"{x:g} is negative, so it has no real square root.")
    return round(math.sqrt(x), 3)


def logarithm(x: float) -> float:
    """The natural logarithm of 'x'."""
    if x <= 0:
        raise ToolException(f"the logarithm of {x:g} is not defined (it must be above 0).")
    return round(math.log(x), 3)


def count_words(text: str) -> int:
    """How many words 'text' has."""
    return len(text.split())


def shout(text: str) -> str:
    """'text' in capital letters."""
    return text.upper()


def reverse_words(text: str) -> str:
    """The words of 'text' in reverse order."""
    return " ".join(reversed(text.split()))


UNEXPECTED_MATH = (hypotenuse, average)  # tagged "math", named like none of the course's math tools
FAILING_MATH = (square_root, logarithm)  # tagged "math"; the check calls them with an input they refuse
NOT_MATH = (count_words, shout, reverse_words)  # no tags at all
WORDS = "the quick brown fox jumps over a lazy dog while seven owls watch".split()


def _key(name: str, arguments: dict) -> tuple[str, str]:
    """A call as a key: numbers as floats, as the tool receives them (its schema turns 12 into 12.0)."""
    numbers = {key: float(value) if isinstance(value, (int, float)) else value for key, value in arguments.items()}
    return name, json.dumps(numbers, sort_keys=True)


@dataclass(frozen=True)
class Run:
    """One tool run as it ended: its name, tags, input, and output or error message."""

    name: str
    tags: tuple[str, ...]
    input: dict
    output: Any = None
    error: str | None = None


class Toolbox:
    """The tools of one check run; each records its run in `ended` as it ends, in the order the runs end."""

    def __init__(self) -> None:
        self.ended: list[Run] = []
        self.pauses: dict[tuple[str, str], float] = {}  # (tool name, its input as JSON) -> seconds before it returns

    def pause(self, call: Call, seconds: float) -> Call:
        self.pauses[_key(*call)] = seconds
        return call

    def tool(self, function: Callable[..., Any], tags: list[str] | None = None) -> StructuredTool:
        name = function.__name__

        async def run(**arguments: Any) -> Any:
            await asyncio.sleep(self.pauses.get(_key(name, arguments), 0.0))
            try:
                output = function(**arguments)
            except ToolException as error:
                self.ended.append(Run(name, tuple(tags or ()), arguments, error=str(error)))
                raise
            self.ended.append(Run(name, tuple(tags or ()), arguments, output))
            return output

        return StructuredTool.from_function(func=function, coroutine=run, name=name,
                                            description=function.__doc__ or name, tags=tags)


@dataclass
class CheckRun:
    """A random agent run for a check: the runnable to hand the learner's code, its question, and what ran."""

    runnable: Any
    question: str
    toolbox: Toolbox
    failing: str  # the name of the math tool that fails


def _number(rng: random.Random) -> int:
    return rng.randint(2, 60)


def _text(rng: random.Random) -> str:
    return " ".join(rng.sample(WORDS, rng.randint(2, 5)))


def random_run(rng: random.Random) -> CheckRun:
    """Two or three tool steps in random order, then `final_answer`.

    One step runs the unexpected math tool twice, the first run finishing last,
    beside the untagged tool; another runs the failing math tool beside a course
    math tool; a third, sometimes, one course math tool.
    """
    box = Toolbox()
    unexpected, failing, untagged = rng.choice(UNEXPECTED_MATH), rng.choice(FAILING_MATH), rng.choice(NOT_MATH)
    course = [add, subtract, multiply]
    first, second = {"x": _number(rng), "y": _number(rng)}, {"x": _number(rng), "y": _number(rng)}
    while unexpected(**second) == unexpected(**first):  # two runs whose lines cannot be told apart prove nothing
        second = {"x": _number(rng), "y": _number(rng)}
    together = [box.pause((unexpected.__name__, first), SLOWER),
                box.pause((untagged.__name__, {"text": _text(rng)}), SLOW),
                (unexpected.__name__, second)]
    failure = [(failing.__name__, {"x": -_number(rng)}),
               (rng.choice(course).__name__, {"x": _number(rng), "y": _number(rng)})]
    rng.shuffle(failure)
    steps = [together, failure]
    if rng.random() < 0.5:
        steps.append([(rng.choice(course).__name__, {"x": _number(rng), "y": _number(rng)})])
    rng.shuffle(steps)
    used = list(dict.fromkeys(name for calls in steps for name, _ in calls))
    steps.append([("final_answer", {"answer": f"Done, with {len(used)} tools.", "tools_used": used})])
    tools = [box.tool(function, ["math"]) for function in (*course, unexpected, failing)]
    tools += [box.tool(untagged), box.tool(final_answer, ["answer"])]
    executor = StreamingAgentExecutor(scripted_model(steps, rng), tools)
    question = "Please work out: " + "; ".join(", ".join(f"{name} of {arguments}" for name, arguments in calls)
                                               for calls in steps[:-1]) + "."
    return CheckRun(executor.as_runnable(timeout=RUN_TIMEOUT), question, box, failing.__name__)


async def _call_learner(function: Callable[..., Any], run: CheckRun, name: str) -> Any:
    try:
        return await asyncio.wait_for(function(run.runnable, run.question), timeout=RUN_TIMEOUT)
    except TimeoutError:
        raise NotYet(f"{name} did not return within {RUN_TIMEOUT:.0f} s: read the events with one `async for`, "
                     "and return when the stream ends.") from None
    except AttributeError as error:
        if "'dict' object" not in str(error):
            raise
        raise NotYet(f"{name} raised AttributeError ({error}): an event is a dict, so read event['name'], "
                     "event['data'], event['tags'], not event.name.") from None
    except KeyError as error:
        raise NotYet(f"{name} raised KeyError: {error}: not every event has that key (start events carry "
                     "data['input'], end events data['output'], error events data['error']); check "
                     "event['event'] before you read data.") from None


# -- exercise 1 · only the math results -----------------------------------------------------------------


async def check_math_results(math_results: Callable[..., Any]) -> None:
    """Run `math_results` on a random run; compare with the math-tagged runs that finished, in that order."""
    with check("Exercise 1 · only the math results") as exercise:
        run = random_run(random.Random())
        results = await _call_learner(math_results, run, "math_results")
        exercise.expect(isinstance(results, list), f"math_results should return a list, not {type(results).__name__}.")
        exercise.expect(all(isinstance(item, tuple) and len(item) == 2 for item in results),
                        f"each item should be a (tool name, output) tuple; your list is {results!r}.")
        expected = [(r.name, r.output) for r in run.toolbox.ended if "math" in r.tags and r.error is None]
        math_names = {r.name for r in run.toolbox.ended if "math" in r.tags}
        names = [name for name, _ in results]
        exercise.expect("final_answer" not in names, "your list has results of tools not tagged 'math', "
                        "final_answer's among them: keep only the runs tagged 'math' (include_tags=['math'], or "
                        "'math' in event['tags']).")
        others = [name for name in names if name not in math_names]
        exercise.expect(not others, f"your list has the result of {others[:1] and others[0]}, a tool with no 'math' "
                        "tag: filter by the tag, not by tool names (an agent can have tools you did not list).")
        expected_names = [name for name, _ in expected]
        exercise.expect(names.count(run.failing) <= expected_names.count(run.failing), f"{run.failing} failed in "
                        "this run, so it has no result: keep the on_tool_end events only (a run that fails ends with "
                        "on_tool_error instead).")
        exercise.expect(results, "no results: keep the on_tool_end events of the runs tagged 'math'.")
        missing = [name for name in expected_names if names.count(name) < expected_names.count(name)]
        exercise.expect(not missing, f"your list has no result for {missing[:1] and missing[0]}, a tool tagged "
                        "'math' too: filter by the tag, not by a list of the tools you know.")
        exercise.expect(len(results) == len(expected), f"{len(results)} results for {len(expected)} math runs that "
                        f"finished ({expected}): one per on_tool_end event of a run tagged 'math'.")
        unmatched = list(expected)
        for item in results:
            if item in unmatched:
                unmatched.remove(item)
        wrong = [item for item in results if item not in expected]
        if wrong:
            want = next(item for item in unmatched if item[0] == wrong[0][0])
            raise NotYet(f"for {want[0]} you have {wrong[0][1]!r}, its output was {want[1]!r}: take the output as "
                         "it is, event['data']['output'] of the on_tool_end event.")
        exercise.expect(results == expected, f"the right results in another order: {results}; in the order the "
                        f"runs finished it is {expected}. A step's tools run at the same time, so one that started "
                        "first can finish last: append each result when its on_tool_end arrives.")


# -- exercise 2 · a tool log, failures included ---------------------------------------------------------


LINE = re.compile(r"(?P<name>\w+)\((?P<input>.*)\)(?: -> (?P<output>.*)| failed(?:: (?P<error>.*))?)", re.S)


def _value(text: str) -> Any:
    """A Python literal written by str(), e.g. {'x': 2, 'y': 3}; the text itself if it is not one."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return text


def _same_output(text: str | None, output: Any) -> bool:
    return text is not None and (text == str(output) or _value(text) == output)


def _same_outcome(line: re.Match, run: Run) -> bool:
    """The line ends as `run` ended: with its output, or with its error message."""
    return _same_output(line["output"], run.output) if run.error is None else bool(
        line["error"] and run.error in line["error"])


def _short(text: str, most: int = 100) -> str:
    return text if len(text) <= most else text[:most - 3] + "..."


async def check_tool_log(tool_log: Callable[..., Any]) -> None:
    """Run `tool_log` on a random run; every run needs its line, with its own input and its output or error."""
    with check("Exercise 2 · a tool log, failures included") as exercise:
        run = random_run(random.Random())
        lines = await _call_learner(tool_log, run, "tool_log")
        exercise.expect(isinstance(lines, list) and all(isinstance(line, str) for line in lines),
                        f"tool_log should return a list of strings, one line per tool run; it returned {lines!r}.")
        parsed = []
        for line in lines:
            match = LINE.fullmatch(line)
            exercise.expect(match, f"{line!r} is not in the form 'name(input) -> output' or 'name(input) failed: "
                            "error'.")
            parsed.append(match)
        failure = next(r for r in run.toolbox.ended if r.error is not None)
        failed = [m for m in parsed if m["name"] == failure.name and m["output"] is None]
        exercise.expect(failed, "no line for the tool run that failed: a run that fails ends with on_tool_error (it "
                        "has no on_tool_end), with the exception in data['error']. Write it as 'name(input) failed: "
                        "<the error>'.")
        exercise.expect(failed[0]["error"] and failure.error in failed[0]["error"], f"the failure line "
                        f"{failed[0].group(0)!r} should end with the tool's own message, 'failed: {failure.error}' "
                        "(str(event['data']['error'])).")
        logged = [m["name"] for m in parsed]
        missing = sorted({r.name for r in run.toolbox.ended if logged.count(r.name) < sum(
            1 for other in run.toolbox.ended if other.name == r.name)})
        exercise.expect(not missing, f"no line for the run{'s' if len(missing) > 1 else ''} of {', '.join(missing)}: "
                        "log every tool run, whatever its name or tags (final_answer too).")
        exercise.expect(len(lines) == len(run.toolbox.ended), f"{len(lines)} lines for {len(run.toolbox.ended)} tool "
                        "runs: write one line per run, when it ends (on_tool_end or on_tool_error).")
        for match in parsed:
            given = _value(match["input"])
            exercise.expect(given != {"input": run.question}, f"the line {_short(match.group(0))!r} shows the "
                            "question as the tool's input: a filtered stream (include_* or exclude_*) moves the "
                            "root run's input onto the first event it lets through. Read the whole stream and pick "
                            "the tool events with your own if.")
            exercise.expect(isinstance(given, dict), f"the input in {match.group(0)!r} should be the start event's "
                            "data['input'] as it is, a dict such as {'x': 2, 'y': 3}.")
            line = _short(match.group(0))
            same_name = [r for r in run.toolbox.ended if r.name == match["name"]]
            by_input = [r for r in same_name if r.input == given]
            by_outcome = [r for r in same_name if _same_outcome(match, r)]
            exercise.expect(not by_outcome or any(r in by_input for r in by_outcome), f"the line {line!r} pairs a "
                            "run's end with another run's input: pair each end with its start by event['run_id'] (a "
                            "step's tools run at the same time, and the one that started first can finish last).")
            exercise.expect(by_input, f"the line {line!r} shows an input no run of {match['name']} had: write the "
                            "data['input'] of the run's on_tool_start event, as it is.")
            ran = by_input[0]
            if ran.error is None:
                exercise.expect(_same_output(match["output"], ran.output), f"the line {line!r} should end with "
                                f"'-> {ran.output}', the run's data['output'].")
            else:
                exercise.expect(match["error"] and ran.error in match["error"], f"the line {line!r} should end "
                                f"with 'failed: {ran.error}', str(event['data']['error']).")
