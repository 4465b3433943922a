"""The agent's tools: four math operations and `final_answer`. Taught in chapter 02.

Each tool has a sync path (`tool.invoke`) and an async path (`await
tool.ainvoke`), which the streaming executor of chapter 03 uses to run a step's
tools concurrently on the event loop. A function that may block (a slow API, a
file, a database) must not run *on* the loop: it would freeze every other
stream in the process and the run's timeout with it, so `as_tool` runs it in a
worker thread. The math tools are pure arithmetic whose size is checked before
computing, so they finish in microseconds and take the direct path (`fast=True`).
Bad input fails fast with a clear `ToolException`: the executors hand that
message back to the model as an error `ToolMessage` instead of crashing or hanging.
"""

from __future__ import annotations

import asyncio
import inspect
import math
import sys
from typing import Any, Callable

from langchain_core.tools import StructuredTool, ToolException

MAX_RESULT_DIGITS = 300  # a float holds about 1e308; anything bigger is refused, not computed


def _checked(value: float, expression: str) -> float:
    if isinstance(value, complex):
        raise ToolException(f"{expression} has no real-number result.")
    if not math.isfinite(value):
        raise ToolException(f"{expression} is not a finite number.")
    return value


def _numbers(**named: float) -> None:
    for name, value in named.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ToolException(f"'{name}' must be a number, got {value!r}.")
        # A Python int can be too big for a float (10 ** 400): math.isfinite would raise OverflowError.
        if isinstance(value, int) and abs(value) > sys.float_info.max:
            raise ToolException(f"'{name}' must be a finite number of at most {MAX_RESULT_DIGITS} digits.")
        if not math.isfinite(value):
            raise ToolException(f"'{name}' must be a finite number, got {value!r}.")


def add(x: float, y: float) -> float:
    """Add 'x' and 'y'."""
    _numbers(x=x, y=y)
    return _checked(x + y, f"{x} + {y}")


def subtract(x: float, y: float) -> float:
    """Subtract 'x' from 'y'."""
    _numbers(x=x, y=y)
    return _checked(y - x, f"{y} - {x}")


def multiply(x: float, y: float) -> float:
    """Multiply 'x' and 'y'."""
    _numbers(x=x, y=y)
    return _checked(x * y, f"{x} * {y}")


def exponentiate(x: float, y: float) -> float:
    """Raise 'x' to the power of 'y'."""
    _numbers(x=x, y=y)
    expression = f"{x} ** {y}"
    if x == 0 and y < 0:
        raise ToolException(f"{expression} divides by zero.")
    # Estimate the size before computing, so 10 ** 10 ** 10 is refused at once. The sign matters:
    # 0.5 ** -5000 is 2 ** 5000 (too large), and 2 ** -5000 rounds to 0 (too small to tell apart from 0).
    if x != 0:
        digits = y * math.log10(abs(x))  # the result is about 10 ** digits
        if digits > MAX_RESULT_DIGITS:
            raise ToolException(f"{expression} is too large to compute (more than {MAX_RESULT_DIGITS} digits).")
        if digits < -MAX_RESULT_DIGITS:
            raise ToolException(f"{expression} is too small to compute (closer to 0 than 1e-{MAX_RESULT_DIGITS}).")
    return _checked(float(x) ** float(y), expression)


def final_answer(answer: str, tools_used: list[str]) -> dict[str, Any]:
    """Use this tool to provide a final answer to the user.
    The answer should be in natural language as this will be provided
    to the user directly. The tools_used must include a list of tool
    names that were used within the `scratchpad`.
    """
    if not isinstance(answer, str) or not answer.strip():
        raise ToolException("'answer' must be a non-empty string.")
    return {"answer": answer, "tools_used": list(tools_used)}


def as_tool(function: Callable[..., Any], tags: list[str] | None = None, *, fast: bool = False) -> StructuredTool:
    """Wrap `function` as a tool; its async path runs it in a worker thread unless `fast`.

    In a thread, a function that blocks (`time.sleep`, a slow request) leaves the
    event loop free: other streams go on, and the run's timeout can stop the run
    (the thread itself finishes in the background; Python cannot kill it).
    `fast=True` calls the function directly on the loop, which saves the hop to a
    thread; only for functions that always return at once, like the math tools.
    `tags` travel with every run of the tool, so events and traces can be filtered by them (chapter 04).
    """

    async def direct(**kwargs: Any) -> Any:
        return function(**kwargs)

    async def in_thread(**kwargs: Any) -> Any:
        return await asyncio.to_thread(function, **kwargs)

    return StructuredTool.from_function(
        func=function,
        coroutine=direct if fast else in_thread,
        name=function.__name__,
        description=inspect.cleandoc(function.__doc__ or ""),
        tags=tags,
    )


# Pure arithmetic, sizes checked before computing: each returns in microseconds, so no thread.
add_tool = as_tool(add, tags=["math"], fast=True)
subtract_tool = as_tool(subtract, tags=["math"], fast=True)
multiply_tool = as_tool(multiply, tags=["math"], fast=True)
exponentiate_tool = as_tool(exponentiate, tags=["math"], fast=True)
final_answer_tool = as_tool(final_answer, tags=["answer"], fast=True)

MATH_TOOLS: list[StructuredTool] = [add_tool, subtract_tool, multiply_tool, exponentiate_tool]
TOOLS: list[StructuredTool] = [*MATH_TOOLS, final_answer_tool]
