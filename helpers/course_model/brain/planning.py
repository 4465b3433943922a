"""Turn an expression into tool steps, and work out which steps the conversation has done.

A plan is the expression's operations in evaluation order (left to right,
inner first), each one call to a math tool whose operands are constants or
results of earlier steps. `(2 + 3) × (4 + 5)` becomes

    step 0: add(2, 3)      step 1: add(4, 5)      step 2: multiply(<0>, <1>)

Steps 0 and 1 can run in parallel; step 2 waits for both. The results of done
steps come from the tool messages, not from our own arithmetic, so a learner's
tool that computes something odd visibly changes the answer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Union

from .conversation import ToolExchange
from ..reading.expression import DIVIDE, MULTIPLY, POWER, SUBTRACT, BinaryOp, Expr, Negate, Number, Value
from .tool_results import number_in_result
from .toolbox import MathTool, Toolbox

_RELATIVE_TOLERANCE = 1e-9
_ABSOLUTE_TOLERANCE = 1e-12
MAX_ATTEMPTS = 2  # calls of one step that may fail before the model stops asking for it


@dataclass(frozen=True)
class StepResult:
    """An operand that is the result of an earlier step."""

    step: int


Operand = Union[int, float, StepResult]


@dataclass(frozen=True)
class Step:
    """One tool call in the plan: `tool(left, right)` in the expression's own order."""

    index: int
    tool: MathTool
    left: Operand
    right: Operand


class NoToolFor(Exception):
    """An operation the expression needs has no usable tool among those offered."""


def plan(expr: Expr, toolbox: Toolbox) -> tuple[Step, ...]:
    """The steps that compute `expr` with the offered tools; the last step gives the answer.

    Raises `NoToolFor` when an operation has no tool. Two rewrites stretch the
    tools further: without a divide tool, `a / b` is `multiply(a, exponentiate(b, -1))`;
    and `-(…)` is `multiply(-1, …)`, or `subtract(0, …)` without multiply.
    """
    steps: list[Step] = []

    def add_step(operation: str, left: Operand, right: Operand) -> StepResult:
        tool = toolbox.math.get(operation)
        if tool is None:
            raise NoToolFor(operation)
        steps.append(Step(len(steps), tool, left, right))
        return StepResult(len(steps) - 1)

    def lower(node: Expr) -> Operand:
        if isinstance(node, Number):
            return node.value
        if isinstance(node, Negate):
            operand = lower(node.operand)
            if MULTIPLY in toolbox.math:
                return add_step(MULTIPLY, -1, operand)
            return add_step(SUBTRACT, 0, operand)
        if isinstance(node, BinaryOp):
            left, right = lower(node.left), lower(node.right)
            if node.operator == DIVIDE and DIVIDE not in toolbox.math:
                return add_step(MULTIPLY, left, add_step(POWER, right, -1))
            return add_step(node.operator, left, right)
        raise NoToolFor("the previous answer")  # substituted before planning; never reached

    lower(expr)
    return tuple(steps)


@dataclass(frozen=True)
class Progress:
    """How far the conversation has got through a plan."""

    steps: tuple[Step, ...]
    results: dict[int, float]  # step index → the value its tool returned
    ran: tuple[int, ...] = ()  # step indices in the order their calls came back, errors included
    failed: frozenset[int] = frozenset()  # steps whose tool answered with an error and that are not done
    errors: dict[int, list[str]] = field(default_factory=dict)  # step index → its failed results, in order
    declined: tuple[ToolExchange, ...] = ()  # calls a person declined (`reviews.py`), by step in `declined_steps`
    declined_steps: tuple[int, ...] = ()
    edited: tuple[ToolExchange, ...] = ()  # calls a person replaced before they ran

    @property
    def finished(self) -> bool:
        return len(self.results) == len(self.steps)

    @property
    def tools_used(self) -> list[str]:
        """The tools called for the plan, in order of first use, each once: what `final_answer` reports."""
        return list(dict.fromkeys(self.steps[index].tool.name for index in self.ran))

    @property
    def answer(self) -> float:
        """The value of the whole expression, as the tools computed it (only once `finished`)."""
        return self.results[self.steps[-1].index]

    def given_up(self) -> tuple[Step, str] | None:
        """The first step that failed `MAX_ATTEMPTS` times, with its last error: asking again would not help."""
        for index, errors in self.errors.items():
            if index in self.failed and len(errors) >= MAX_ATTEMPTS:
                return self.steps[index], errors[-1]
        return None

    def operands(self, step: Step) -> tuple[Value, Value] | None:
        """The step's two operands in the expression's order (`left <op> right`), once known."""
        left, right = self._value(step.left), self._value(step.right)
        return None if left is None or right is None else (left, right)

    def ready(self) -> list[tuple[Step, dict[str, Value]]]:
        """Steps not yet done whose operands are known, in plan order, with their call arguments."""
        return [
            (step, arguments)
            for step in self.steps
            if step.index not in self.results and (arguments := self.arguments(step)) is not None
        ]

    def arguments(self, step: Step) -> dict[str, Value] | None:
        """The call arguments for `step`, or None while one of its operands is still unknown."""
        left, right = self._value(step.left), self._value(step.right)
        if left is None or right is None:
            return None
        return step.tool.arguments(left, right)

    def _value(self, operand: Operand) -> Value | None:
        if isinstance(operand, StepResult):
            return self.results.get(operand.step)
        return operand


def progress(steps: tuple[Step, ...], exchanges: list[ToolExchange]) -> Progress:
    """Match the tool calls made so far against the plan.

    A call belongs to the first not-yet-done step that it matches exactly (same
    tool, same arguments within a relative tolerance of 1e-9, all operands
    known). A result that reports a number completes the step, whatever its
    shape ("20.0", "The add tool returned 20", `{"result": 20}`, see
    `tool_results.py`); an error or a result without a number marks it as
    failed, and its error is kept (the brain asks for a failed step again once,
    see `brain.py`). A call a person declined is kept apart: it did not run.
    Calls that match no step (a tool we never asked for, malformed arguments)
    are ignored, so the next turn simply asks for the right step again.
    """
    results: dict[int, float] = {}
    ran: list[int] = []
    errors: dict[int, list[str]] = {}
    declined: list[tuple[int, ToolExchange]] = []
    edited: list[ToolExchange] = []
    for exchange in exchanges:
        if exchange.result is None:
            continue  # asked, but not answered (yet)
        step = _step_called(Progress(steps, results), exchange)
        if step is None:
            continue
        if exchange.declined:
            declined.append((step.index, exchange))
            continue
        ran.append(step.index)
        if exchange.ran_as is not None:
            edited.append(exchange)
        value = number_in_result(exchange.result)
        if value is None:
            errors.setdefault(step.index, []).append(exchange.result)
        else:
            results[step.index] = value
    return Progress(steps, results, tuple(ran), frozenset(errors.keys() - results.keys()), errors,
                    tuple(e for _, e in declined), tuple(i for i, _ in declined), tuple(edited))


def _step_called(current: Progress, exchange: ToolExchange) -> Step | None:
    for step, arguments in current.ready():
        if step.tool.name == exchange.name and _same_arguments(arguments, exchange.arguments):
            return step
    return None


def _same_arguments(expected: dict[str, Value], actual: dict[str, Any]) -> bool:
    for name, value in expected.items():
        given = _as_number(actual.get(name))
        if given is None or not math.isclose(given, value, rel_tol=_RELATIVE_TOLERANCE, abs_tol=_ABSOLUTE_TOLERANCE):
            return False
    return True


def _as_number(value: Any) -> float | None:
    """A finite float from a tool result or argument ("20.0", 20, " 3.5 "), else None."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None
