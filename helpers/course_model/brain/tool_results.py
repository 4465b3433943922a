"""Read what a tool sent back, whatever its shape: a number, a sentence, JSON, or an error.

Tools are written by learners, so results come as `20.0`, `"The add tool
returned 20"`, `{"result": 20}`, `["a", "b"]` or `"Error: ..."`. The course
model needs two things from them: the number an arithmetic step produced
(`number_in_result`), and a short phrase to quote in its answer
(`result_phrase`). Both look at a bounded prefix of the result, so a huge
result costs no more than a small one.

Used by the course model behind chapters 02 and 03 (the tool loop).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_RESULT_CHARS = 2_000  # of a tool result the model reads or quotes
_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:,\d{3})*(?:\.\d+)?(?:[eE][-+]?\d+)?(?![\w.]*\w)")
_RESULT_KEYS = ("result", "value", "answer", "output", "total", "sum", "product", "difference", "quotient")
_AFTER_WORDS = re.compile(r"(?:=|\bis\b|\bwas\b|\breturned\b|\bgives\b|\bequals\b|:)\s*(-?\d[\d,]*(?:\.\d+)?(?:[eE][-+]?\d+)?)")


def is_error(result: str) -> bool:
    """Whether a result reports a failure, as executors write them ("Error: ...", "ToolException(...)")."""
    head = result.strip()[:40].lower()
    return head.startswith(("error", "exception", "toolexception", "traceback")) or "error:" in head[:15]


def number_in_result(result: Any) -> float | None:
    """The number a tool result reports, or None when there is none (or it is an error).

    JSON first (a number, or a `result`/`value`/... key, or an object's only
    number); then a number after "=", "is" or "returned"; then, in plain text,
    the last number.
    """
    if isinstance(result, bool) or result is None:
        return None
    if isinstance(result, (int, float)):
        return _as_float(result)
    text = str(result).strip()[:MAX_RESULT_CHARS]
    if not text or is_error(text):
        return None
    try:
        parsed = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        parsed = None
    if parsed is not None and not isinstance(parsed, str):
        return _number_in_json(parsed)
    after = _AFTER_WORDS.findall(text)
    numbers = after or _NUMBER.findall(text)
    if not numbers:
        return None
    return _finite(numbers[-1].replace(",", ""))


def _number_in_json(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return _as_float(value)
    if isinstance(value, dict):
        for key in _RESULT_KEYS:
            if key in value:
                return _number_in_json(value[key])
        numbers = [v for v in value.values() if isinstance(v, (int, float)) and not isinstance(v, bool)]
        return _as_float(numbers[0]) if len(numbers) == 1 else None
    if isinstance(value, list) and len(value) == 1:
        return _number_in_json(value[0])
    return None


def _as_float(value: int | float) -> float | None:
    """`value` as a finite float, or None: a 309-digit integer (`factorial(171)`) is beyond a float."""
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _finite(text: str) -> float | None:
    try:
        number = float(text)
    except (ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def result_phrase(result: str) -> str:
    """A result as a phrase to quote in an answer: JSON objects as "key: value" pairs, lists comma-joined."""
    text = result.strip()
    if len(text) > MAX_RESULT_CHARS:
        text = text[:MAX_RESULT_CHARS].rstrip() + " …"
    try:
        parsed = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return text
    return _phrase(parsed, depth=0)


def _phrase(value: Any, depth: int) -> str:
    if depth > 3:
        return json.dumps(value, ensure_ascii=False)[:200]
    if isinstance(value, dict):
        return ", ".join(f"{key}: {_phrase(item, depth + 1)}" for key, item in value.items())
    if isinstance(value, list):
        return ", ".join(_phrase(item, depth + 1) for item in value) or "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"  # as the JSON said it
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if value is None:
        return "nothing"
    return str(value)
