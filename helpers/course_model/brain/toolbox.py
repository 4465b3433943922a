"""Which of the offered tools does which arithmetic, and with which argument order.

Learners write their own tools, so the course model cannot rely on exact names.
It reads each OpenAI function tool the way a person would: the name first
("add", "multiply_numbers", "pow"), then the description ("Raise 'x' to the
power of 'y'."). The description also settles the argument order of
non-commutative tools: the course's `subtract(x, y)` is documented as
"Subtract 'x' from 'y'.", so `10 - 3` is `subtract(x=3, y=10)`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..reading.expression import ADD, DIVIDE, MULTIPLY, POWER, SUBTRACT, Value

FINAL_ANSWER = "final_answer"

# Words that name an operation, in a tool's name or its description.
_NAME_WORDS: dict[str, frozenset[str]] = {
    ADD: frozenset({"add", "plus", "sum", "addition"}),
    SUBTRACT: frozenset({"subtract", "minus", "sub", "difference", "subtraction"}),
    MULTIPLY: frozenset({"multiply", "times", "mul", "product", "multiplication"}),
    DIVIDE: frozenset({"divide", "div", "quotient", "division"}),
    POWER: frozenset({"exponentiate", "power", "pow", "exp", "exponent", "exponentiation"}),
}
_DESCRIPTION_WORDS: dict[str, frozenset[str]] = {
    ADD: frozenset({"add", "adds", "sum", "plus", "addition"}),
    SUBTRACT: frozenset({"subtract", "subtracts", "minus", "difference", "subtraction"}),
    MULTIPLY: frozenset({"multiply", "multiplies", "product", "times", "multiplication"}),
    DIVIDE: frozenset({"divide", "divides", "quotient", "division"}),
    POWER: frozenset({"power", "exponent", "raise", "raises", "exponentiate", "exponentiation"}),
}

# How a description may spell "a <op> b" for the non-commutative operations.
# `{a}` and `{b}` are filled with the two parameter names in both orders: the
# order that matches tells us which parameter is the left operand.
_ORDER_TEMPLATES: dict[str, tuple[str, ...]] = {
    SUBTRACT: (r"{a} ?- ?{b}", r"{a} minus {b}", r"subtracts? {b} from {a}", r"{b} subtracted from {a}"),
    DIVIDE: (r"{a} ?/ ?{b}", r"divides? {a} by {b}", r"{a} divided by {b}"),
    POWER: (r"{a} ?(?:\*\*|\^) ?{b}", r"raises? {a} to the (?:power|exponent) of {b}", r"{a} to the power of {b}"),
}


@dataclass(frozen=True)
class MathTool:
    """An offered tool that performs one binary operation."""

    name: str
    operation: str
    parameters: tuple[str, str]
    swapped: bool = False  # the description says the second parameter is the left operand (y - x)

    def arguments(self, left: Value, right: Value) -> dict[str, Value]:
        """The call's arguments for `left <op> right`, in the tool's parameter order."""
        first, second = (right, left) if self.swapped else (left, right)
        return {self.parameters[0]: first, self.parameters[1]: second}


@dataclass(frozen=True)
class Toolbox:
    """What the request's `tools` let the model do."""

    math: dict[str, MathTool]  # operation → the tool that performs it
    final_answer_parameters: tuple[str, ...] | None  # None when no `final_answer` tool is offered

    @property
    def has_final_answer(self) -> bool:
        return self.final_answer_parameters is not None

    def final_answer_arguments(self, answer: str, tools_used: list[str]) -> dict[str, Any]:
        """Arguments for `final_answer`, keeping to the parameters it declares (if it declares any)."""
        arguments: dict[str, Any] = {"answer": answer, "tools_used": tools_used}
        declared = self.final_answer_parameters
        return {key: value for key, value in arguments.items() if not declared or key in declared}


@dataclass(frozen=True)
class ToolChoice:
    """The request's `tool_choice`, reduced to a mode and, for a named function, its name."""

    mode: str  # "auto", "required", "none" or "function"
    name: str | None = None

    @classmethod
    def from_request(cls, tool_choice: str | dict[str, Any] | None, has_tools: bool) -> ToolChoice:
        if not has_tools or tool_choice == "none":
            return cls("none")
        if tool_choice == "required":
            return cls("required")
        if isinstance(tool_choice, dict):
            name = (tool_choice.get("function") or {}).get("name")
            if isinstance(name, str):
                return cls("function", name)
        return cls("auto")

    def forces(self, name: str) -> bool:
        return self.mode == "function" and self.name == name


def read_toolbox(tools: list[dict[str, Any]] | None) -> Toolbox:
    """Sort the offered tools into math operations and `final_answer`.

    A tool is recognised by its name first, its description second; when two
    tools claim the same operation, a name match beats a description match and
    then the first offered wins.
    """
    by_name: dict[str, MathTool] = {}
    by_description: dict[str, MathTool] = {}
    final_answer: tuple[str, ...] | None = None
    for tool in tools or []:
        function = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            continue
        name = function["name"]
        parameters = _parameter_names(function)
        if name == FINAL_ANSWER:
            final_answer = final_answer or parameters
            continue
        if len(parameters) < 2:
            continue  # not a binary operation
        description = function.get("description") or ""
        operation = _operation_in(_words(name), _NAME_WORDS)
        found_by = by_name
        if operation is None:
            operation, found_by = _operation_in(_words(description), _DESCRIPTION_WORDS), by_description
        if operation is not None and operation not in found_by:
            swapped = _is_swapped(operation, description, parameters)
            found_by[operation] = MathTool(name, operation, parameters[:2], swapped)
    return Toolbox({**by_description, **by_name}, final_answer)


def _parameter_names(function: dict[str, Any]) -> tuple[str, ...]:
    parameters = function.get("parameters")
    properties = parameters.get("properties") if isinstance(parameters, dict) else None
    return tuple(properties) if isinstance(properties, dict) else ()


def _words(text: str) -> list[str]:
    """Lower-case words of a name or description: "multiplyNumbers" and "multiply_numbers" → multiply, numbers."""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", text)
    return re.findall(r"[a-z]+", spaced.lower())


def _operation_in(words: list[str], vocabulary: dict[str, frozenset[str]]) -> str | None:
    """The operation named by the earliest word that names one."""
    for word in words:
        for operation, names in vocabulary.items():
            if word in names:
                return operation
    return None


def _is_swapped(operation: str, description: str, parameters: tuple[str, ...]) -> bool:
    """Whether the description documents `op(x, y)` as `y <op> x`; without a clear statement, it is `x <op> y`."""
    templates = _ORDER_TEMPLATES.get(operation)
    if not templates:
        return False  # addition and multiplication do not care
    text = re.sub(r"['\"`]", "", description.lower()).replace("−", "-").replace("–", "-")
    first, second = (re.escape(name.lower()) for name in parameters[:2])
    for template in templates:
        if re.search(r"\b" + template.format(a=first, b=second) + r"\b", text):
            return False
        if re.search(r"\b" + template.format(a=second, b=first) + r"\b", text):
            return True
    return False
