"""What the model says when the tool loop did not go as planned: a step declined, edited, or failing for good.

A careful model does not ask again for a call a person declined, nor for a
step that keeps failing the same way; it stops and says what happened, in
words a learner can check against the scratchpad:

- "You declined the multiply step (5 × 9), so I stopped: I have no answer to (2 + 3) × (4 + 5)."
- "The add step failed twice (Error: the adder is broken), so I have no answer to 10 + 10."
- "With your edit (multiply ran with x=5, y=10 instead of x=5, y=9), the result is 50."
- "You declined the get_weather call for Paris, so I did not run it."

Used by the course model behind chapters 03 and 06 (agents, and a person in
the loop).
"""

from __future__ import annotations

from typing import Any

from .conversation import ToolExchange
from ..reading.expression import BinaryOp, Expr, Number, Value, render

MAX_QUOTE_CHARS = 200  # of an error or a reason quoted in an answer


def declined_step(tool: str, operation: str, operands: tuple[Value, Value] | None, expr: Expr,
                  reason: str) -> str:
    """A person declined an arithmetic step: stop, and say which step and why."""
    step = f" ({render(BinaryOp(operation, Number(operands[0]), Number(operands[1])))})" if operands else ""
    return f"You declined the {tool} step{step}, so I stopped: I have no answer to {render(expr)}.{_reason(reason)}"


def failed_step(tool: str, error: str, expr: Expr, attempts: int) -> str:
    """A step that should have worked failed every time it was asked for: stop, and quote the error."""
    times = "twice" if attempts == 2 else f"{attempts} times"
    return f"The {tool} step failed {times} ({_quote(error)}), so I have no answer to {render(expr)}."


def edited_result(edits: tuple[ToolExchange, ...], value: str) -> str:
    """The answer after a person changed a step: the tools' result, said to come from the change."""
    changes = "; ".join(_change(exchange) for exchange in edits)
    return f"With your edit ({changes}), the result is {value}."


def declined_call(exchange: ToolExchange) -> str:
    """A person declined a call to one of the learner's tools."""
    named = label(exchange.arguments)
    where = f" for {named}" if named else ""
    reason = exchange.review.reason if exchange.review else ""
    return f"You declined the {exchange.name} call{where}, so I did not run it.{_reason(reason)}"


def edit_note(exchange: ToolExchange) -> str:
    """How a quoted result says it comes from a person's change: "(your edit; I had asked for Paris)"."""
    return f" (your edit; I had asked for {label(exchange.arguments) or exchange.name})"


def _change(exchange: ToolExchange) -> str:
    name, arguments = exchange.ran_as or (exchange.name, exchange.arguments)
    tool = name if name == exchange.name else f"{name} instead of {exchange.name}"
    return f"{tool} ran with {_arguments(arguments)} instead of {_arguments(exchange.arguments)}"


def label(arguments: dict[str, Any]) -> str:
    """A call's plain arguments, comma-joined: how answers name a call ("get_weather for Paris")."""
    return ", ".join(str(v) for v in arguments.values() if isinstance(v, (str, int, float)) and not isinstance(v, bool))


def _arguments(arguments: dict[str, Any]) -> str:
    return ", ".join(f"{key}={value}" for key, value in arguments.items())


def _reason(reason: str) -> str:
    if not reason.strip():
        return ""
    quoted = _quote(reason)
    return f" Your reason: {quoted}" + ("" if quoted[-1] in ".!?…" else ".")


def _quote(text: str) -> str:
    """The first line of `text`, at most `MAX_QUOTE_CHARS` long."""
    line = text.strip().splitlines()[0] if text.strip() else "no detail"
    return line if len(line) <= MAX_QUOTE_CHARS else line[:MAX_QUOTE_CHARS].rstrip() + " …"
