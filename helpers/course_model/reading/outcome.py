"""A finished calculation, for the structured answer that reports it.

After "What is (2 + 3) * (4 + 5)?" and the tool results, a real model asked for
`{expression, result, explanation}` writes the expression, 45 and a sentence,
not the first number of the question. The brain hands the filler the
calculation's `Outcome`: its value goes to a number field named like a result
(`result`, `answer`, `total`, `value`, ...), its rendered expression to a
string field named like one (`expression`, `formula`, ...). Everything else is
filled as usual (`arguments.py`).

Used by the course model behind chapters 06-07 (structured output).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

RESULT_WORDS = frozenset({"result", "answer", "value", "total", "sum", "product", "difference", "quotient",
                          "output", "outcome", "solution"})
EXPRESSION_WORDS = frozenset({"expression", "formula", "equation", "calculation", "problem", "sum"})


@dataclass(frozen=True)
class Outcome:
    """What a calculation came to: its value (None when it has none, e.g. 1 / 0) and the expression."""

    value: float | int | None
    expression: str


def outcome_value(outcome: Outcome, words: list[str], schema: dict[str, Any], kind: str) -> Any:
    """The outcome's value for a field with these name `words` and JSON `kind`, or None when it is not one."""
    if "enum" in schema or "const" in schema:
        return None
    named = set(words)
    if kind in ("integer", "number") and named & RESULT_WORDS:
        return outcome.value
    if kind == "string" and named & EXPRESSION_WORDS:
        return outcome.expression
    return None
