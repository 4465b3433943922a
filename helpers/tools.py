"""The agent's tools: four math operations and `final_answer`. Taught in chapter 02.

Each tool has a sync path (`tool.invoke`) and a real async path (`await
tool.ainvoke`) that does not hop to a thread, because the streaming executor of
chapter 03 runs tools concurrently on the event loop. Bad input fails fast with
a clear `ToolException`: the executors hand that message back to the model as
an error `ToolMessage` instead of crashing or hanging.
"""

from __future__ import annotations

import inspect
import math
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
    # Estimate the size before computing, so 10 ** 10 ** 10 is refused at once.
    if x != 0 and abs(y) * math.log10(abs(x)) > MAX_RESULT_DIGITS:
        raise ToolException(f"{expression} is too large to compute (more than {MAX_RESULT_DIGITS} digits).")
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


def as_tool(function: Callable[..., Any], tags: list[str] | None = None) -> StructuredTool:
    """Wrap `function` as a tool whose async path calls it directly (no thread pool).

    `tags` travel with every run of the tool, so events and traces can be filtered by them (chapter 04).
    """

    async def coroutine(**kwargs: Any) -> Any:
        return function(**kwargs)

    return StructuredTool.from_function(
        func=function,
        coroutine=coroutine,
        name=function.__name__,
        description=inspect.cleandoc(function.__doc__ or ""),
        tags=tags,
    )


add_tool = as_tool(add, tags=["math"])
subtract_tool = as_tool(subtract, tags=["math"])
multiply_tool = as_tool(multiply, tags=["math"])
exponentiate_tool = as_tool(exponentiate, tags=["math"])
final_answer_tool = as_tool(final_answer, tags=["answer"])

MATH_TOOLS: list[StructuredTool] = [add_tool, subtract_tool, multiply_tool, exponentiate_tool]
TOOLS: list[StructuredTool] = [*MATH_TOOLS, final_answer_tool]
