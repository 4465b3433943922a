"""Arithmetic expression trees: build them, evaluate them safely, and say them back.

`arithmetic.py` turns a question into one of these trees, `planning.py` turns a
tree into tool calls, and the brain uses `evaluate` and `render` to answer
directly. Evaluation is guarded because a learner *will* type `10 ** 10 ** 10`:
the brain must answer honestly instead of freezing the kernel computing it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Union

Value = Union[int, float]

# Operators, as the tree stores them and as sentences show them.
ADD, SUBTRACT, MULTIPLY, DIVIDE, POWER = "+", "-", "*", "/", "^"
_SYMBOL = {ADD: "+", SUBTRACT: "-", MULTIPLY: "×", DIVIDE: "/", POWER: "^"}

# Binding strength, for deciding where a rendered expression needs parentheses.
_PRECEDENCE = {ADD: 1, SUBTRACT: 1, MULTIPLY: 2, DIVIDE: 2, POWER: 4}
_NEGATE_PRECEDENCE = 3  # like Python: -2 ** 2 == -(2 ** 2)
_ATOM_PRECEDENCE = 5

_ROOTS = {0.5: "√", 1 / 3: "∛"}

MAX_DIGITS = 1000  # answers longer than this are refused rather than computed


@dataclass(frozen=True)
class Number:
    """A constant. Integers written as integers stay `int`, so tool arguments read `10`, not `10.0`."""

    value: Value


@dataclass(frozen=True)
class Previous:
    """The previous answer ("that", "it", "the answer"), filled in by `substitute_previous`."""


@dataclass(frozen=True)
class Negate:
    """Unary minus of something that is not a plain number (`-(2 + 3)`, `-2 ^ 2`)."""

    operand: Expr


@dataclass(frozen=True)
class BinaryOp:
    """One of `+ - * / ^` applied to two sub-expressions."""

    operator: str
    left: Expr
    right: Expr


Expr = Union[Number, Previous, Negate, BinaryOp]


# -- problems ---------------------------------------------------------------------------------


class ArithmeticProblem(Exception):
    """The expression has no answer we can give; `explanation` completes the sentence "<expr> ..."."""

    explanation = "can't be worked out."


class DivisionByZero(ArithmeticProblem):
    explanation = "is undefined: you can't divide by zero."


class TooLarge(ArithmeticProblem):
    explanation = "is too large for me to work out."


class NotReal(ArithmeticProblem):
    explanation = "is not a real number, so I can't give it as a single value."


# -- tree helpers -----------------------------------------------------------------------------


def negate(operand: Expr) -> Expr:
    """Unary minus, folded into the constant when there is one (so `-3` is the number -3)."""
    if isinstance(operand, Number):
        return Number(-operand.value)
    return Negate(operand)


def uses_previous(expr: Expr) -> bool:
    """Whether the expression refers to the previous answer anywhere."""
    if isinstance(expr, Previous):
        return True
    if isinstance(expr, Negate):
        return uses_previous(expr.operand)
    if isinstance(expr, BinaryOp):
        return uses_previous(expr.left) or uses_previous(expr.right)
    return False


def substitute_previous(expr: Expr, value: Value) -> Expr:
    """Replace every reference to the previous answer with `value`."""
    return substitute(expr, Number(value))


def substitute(expr: Expr, replacement: Expr) -> Expr:
    """Replace every reference to the previous answer with `replacement` (a value, or an earlier step of a chain)."""
    if isinstance(expr, Previous):
        return replacement
    if isinstance(expr, Negate):
        return negate(substitute(expr.operand, replacement))
    if isinstance(expr, BinaryOp):
        return BinaryOp(expr.operator, substitute(expr.left, replacement), substitute(expr.right, replacement))
    return expr


def has_operation(expr: Expr) -> bool:
    """Whether there is anything to calculate (a bare number is not a question worth a tool)."""
    return isinstance(expr, (Negate, BinaryOp))


# -- evaluation -------------------------------------------------------------------------------


def evaluate(expr: Expr, *, max_digits: int = MAX_DIGITS) -> Value:
    """The value of `expr` with Python's arithmetic, or an `ArithmeticProblem`.

    Every intermediate result must stay below `10 ** max_digits`; powers are
    checked *before* they are computed, so nothing huge is ever built.
    """
    if isinstance(expr, Number):
        return expr.value
    if isinstance(expr, Negate):
        return -evaluate(expr.operand, max_digits=max_digits)
    if isinstance(expr, BinaryOp):
        left = evaluate(expr.left, max_digits=max_digits)
        right = evaluate(expr.right, max_digits=max_digits)
        try:
            result = _apply(expr.operator, left, right, max_digits)
        except OverflowError:
            raise TooLarge() from None
        if isinstance(result, complex):
            raise NotReal()
        _check_size(result, max_digits)
        return result
    raise ValueError("substitute the previous answer before evaluating")


def _apply(operator: str, left: Value, right: Value, max_digits: int) -> Value:
    if operator == ADD:
        return left + right
    if operator == SUBTRACT:
        return left - right
    if operator == MULTIPLY:
        return left * right
    if operator == DIVIDE:
        if right == 0:
            raise DivisionByZero()
        return left / right
    if operator == POWER:
        return _power(left, right, max_digits)
    raise ValueError(f"unknown operator {operator!r}")


def _power(base: Value, exponent: Value, max_digits: int) -> Value:
    if base == 0 and exponent < 0:
        raise DivisionByZero()
    if base < 0 and not float(exponent).is_integer():
        raise NotReal()
    if abs(base) not in (0, 1) and exponent * math.log10(abs(base)) > max_digits:
        raise TooLarge()
    if isinstance(base, int) and isinstance(exponent, int) and exponent >= 0:
        return base**exponent  # exact, and known to be small enough
    return float(base) ** float(exponent)


def _check_size(value: Value, max_digits: int) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise TooLarge()
    if abs(value) >= 10**max_digits:
        raise TooLarge()


# -- saying it back ---------------------------------------------------------------------------


def format_number(value: Value) -> str:
    """A number the way a person would write it: `20.0` → "20", `82.17599999999999` → "82.176"."""
    if isinstance(value, int):
        return str(value)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.10g}"


def render(expr: Expr) -> str:
    """The expression as a sentence would show it: `(2 + 3) × (4 + 5)`, with only the parentheses it needs."""
    if isinstance(expr, Number):
        return format_number(expr.value)
    if isinstance(expr, Previous):
        return "the previous answer"
    if isinstance(expr, Negate):
        inner = render(expr.operand)
        return f"-({inner})" if isinstance(expr.operand, (BinaryOp, Negate)) else f"-{inner}"
    root = _root_symbol(expr)
    if root:
        inner = render(expr.left)
        return f"{root}{inner}" if isinstance(expr.left, Number) and expr.left.value >= 0 else f"{root}({inner})"
    precedence = _PRECEDENCE[expr.operator]
    right_associative = expr.operator == POWER
    left = _render_operand(expr.left, precedence, tighter=right_associative)
    right = _render_operand(expr.right, precedence, tighter=not right_associative)
    return f"{left} {_SYMBOL[expr.operator]} {right}"


def _root_symbol(expr: BinaryOp) -> str | None:
    """The root sign for a square or cube root, so "the square root of 16" reads √16, not 16 ^ 0.5."""
    if expr.operator == POWER and isinstance(expr.right, Number):
        return _ROOTS.get(expr.right.value)
    return None


def _render_operand(operand: Expr, parent: int, *, tighter: bool) -> str:
    """Render a child, in parentheses when it binds more loosely than its parent needs.

    `tighter` is set on the side where an equal precedence also needs parentheses:
    the right of `-` (`10 - (3 - 2)`) and the left of `^` (`(2 ^ 3) ^ 2`).
    A negative number is bracketed on the right of an operator and on either
    side of `^`: `5 - (-3)`, `(-2) ^ 2`.
    """
    text = render(operand)
    if isinstance(operand, Number) and operand.value < 0:
        return f"({text})" if tighter or parent == _PRECEDENCE[POWER] else text
    own = _binding(operand)
    if own < parent or (tighter and own == parent):
        return f"({text})"
    return text


def _binding(expr: Expr) -> int:
    if isinstance(expr, BinaryOp):
        return _PRECEDENCE[expr.operator]
    if isinstance(expr, Negate):
        return _NEGATE_PRECEDENCE
    return _ATOM_PRECEDENCE
